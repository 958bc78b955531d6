// Types of the drr-margin package: re-exported from the declarations wasm-bindgen and tsify
// generate from the Rust types (pkg/web/drr_margin.d.ts). Nothing here is hand-maintained
// except these re-exports. In Node, `init()` and `initSync()` are no-ops.
export * from '../pkg/web/drr_margin.js';
export { default } from '../pkg/web/drr_margin.js';
