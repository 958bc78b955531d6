// drr-margin — Node ES module entry (the wasm-pack `--target nodejs` build).
//
// The .wasm is read from disk and instantiated synchronously on import: no fetch, no init call.
// `init()`/`initSync()` exist only so code shared with the browser entry runs unchanged.
import { __marginParts, __whatIfColumns, whatIf as whatIfWhole } from '../pkg/node/drr_margin.js';
import { marginVia, whatIfVia } from './report.js';

export * from '../pkg/node/drr_margin.js';
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

/** No-op in Node: the module is ready on import. */
export default async function init() {}

/** No-op in Node: the module is ready on import. */
export function initSync() {}
