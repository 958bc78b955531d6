// drr-margin — browser / bundler entry (the wasm-pack `--target web` build).
//
// Call `await init()` once before any other function. init() is memoised by wasm-bindgen: the
// .wasm is fetched and compiled once, concurrent callers share the same promise, and a failed
// load may be retried. Pass `{ module_or_path }` to load the .wasm from elsewhere (e.g. a CDN or
// bytes you already have); `initSync({ module })` instantiates synchronously from bytes.
import { __marginParts, __whatIfColumns, whatIf as whatIfWhole } from '../pkg/web/drr_margin.js';
import { marginVia, whatIfVia } from './report.js';

export * from '../pkg/web/drr_margin.js';
export { default } from '../pkg/web/drr_margin.js';
export { DrrMarginError, ERROR_CODES } from './errors.js';

/** The margin report (types: pkg/web/drr_margin.d.ts); see js/report.js for how it crosses. */
export function margin(market, account, params) {
  return marginVia(__marginParts, market, account, params);
}

/** The account before and after an order fills (types: pkg/web/drr_margin.d.ts); the account's
 * positions cross as columns (js/report.js). */
export function whatIf(market, account, order, params, options) {
  return whatIfVia(__whatIfColumns, whatIfWhole, market, account, order, params, options);
}
