// drr-margin — Node CommonJS entry (the wasm-pack `--target nodejs` build).
//
// The .wasm is read from disk and instantiated synchronously on require: no fetch, no init call.
// `init()`/`initSync()` exist only so code shared with the browser entry runs unchanged.
'use strict';
const wasm = require('../pkg/node/drr_margin.js');
const { DrrMarginError, ERROR_CODES } = require('./errors.js'); // an ES module: require(esm), Node ≥ 20.19
const { marginVia, whatIfVia } = require('./report.js'); // likewise
const { priceVia, impliedVolVia } = require('./scalar.js'); // likewise

module.exports = {
  ...wasm,
  /** The margin report (types: pkg/web/drr_margin.d.ts); see js/report.js for how it crosses. */
  margin(market, account, params) {
    return marginVia(wasm.__marginParts, market, account, params);
  },
  /** The account before and after an order fills; the positions cross as columns (js/report.js). */
  whatIf(market, account, order, params, options) {
    return whatIfVia(wasm.__whatIfColumns, wasm.whatIf, market, account, order, params, options);
  },
  /** One option's value and Greeks; a request of plain numbers crosses as numbers (js/scalar.js). */
  price(request) {
    return priceVia(wasm.__priceScalars, wasm.__scalarsView, wasm.price, request);
  },
  /** One option price's implied volatility; likewise. */
  impliedVol(request) {
    return impliedVolVia(wasm.__impliedVolScalars, wasm.impliedVol, request);
  },
  DrrMarginError,
  ERROR_CODES,
  default: async function init() {},
  initSync() {},
};
