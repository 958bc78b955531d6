// drr-margin — browser / bundler entry (the wasm-pack `--target web` build).
//
// Call `await init()` once before any other function. init() is memoised by wasm-bindgen: the
// .wasm is fetched and compiled once, concurrent callers share the same promise, and a failed
// load may be retried. Pass `{ module_or_path }` to load the .wasm from elsewhere (e.g. a CDN or
// bytes you already have); `initSync({ module })` instantiates synchronously from bytes.
import {
  __marginParts, __whatIfColumns, whatIf as whatIfWhole,
  __priceScalars, __scalarsView, __impliedVolScalars, price as priceWhole, impliedVol as impliedVolWhole,
} from '../pkg/web/drr_margin.js';
import { marginVia, whatIfVia } from './report.js';
import { priceVia, impliedVolVia } from './scalar.js';

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
