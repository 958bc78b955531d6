// drr-margin — Node CommonJS entry (the wasm-pack `--target nodejs` build).
//
// The .wasm is read from disk and instantiated synchronously on require: no fetch, no init call.
// `init()`/`initSync()` exist only so code shared with the browser entry runs unchanged.
'use strict';
const wasm = require('../pkg/node/drr_margin.js');
const { DrrMarginError, ERROR_CODES } = require('./errors.js'); // an ES module: require(esm), Node ≥ 20.19

module.exports = {
  ...wasm,
  DrrMarginError,
  ERROR_CODES,
  default: async function init() {},
  initSync() {},
};
