// drr-margin — Node ES module entry (the wasm-pack `--target nodejs` build).
//
// The .wasm is read from disk and instantiated synchronously on import: no fetch, no init call.
// `init()`/`initSync()` exist only so code shared with the browser entry runs unchanged.
import {
  __marginParts, __whatIfColumns, whatIf as whatIfWhole,
  __priceScalars, __scalarsView, __impliedVolScalars, price as priceWhole, impliedVol as impliedVolWhole,
} from '../pkg/node/drr_margin.js';
import { marginVia, whatIfVia } from './report.js';
import { priceVia, impliedVolVia } from './scalar.js';

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

/** Black-76 value and Greeks of one option (types: pkg/web/drr_margin.d.ts); a request of plain
 * numbers crosses as numbers (js/scalar.js). */
export function price(request) {
  return priceVia(__priceScalars, __scalarsView, priceWhole, request);
}

/** The implied volatility of one option price (types: pkg/web/drr_margin.d.ts); a request of
 * plain numbers crosses as numbers (js/scalar.js). */
export function impliedVol(request) {
  return impliedVolVia(__impliedVolScalars, impliedVolWhole, request);
}

/** No-op in Node: the module is ready on import. */
export default async function init() {}

/** No-op in Node: the module is ready on import. */
export function initSync() {}
