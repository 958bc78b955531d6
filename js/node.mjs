// drr-margin — Node ES module entry (the wasm-pack `--target nodejs` build).
//
// The .wasm is read from disk and instantiated synchronously on import: no fetch, no init call.
// `init()`/`initSync()` exist only so code shared with the browser entry runs unchanged.
export * from '../pkg/node/drr_margin.js';
export { DrrMarginError, ERROR_CODES } from './errors.js';

/** No-op in Node: the module is ready on import. */
export default async function init() {}

/** No-op in Node: the module is ready on import. */
export function initSync() {}
