// drr-margin — the error type every function throws.
//
// Errors are created inside the WebAssembly module as plain `Error` objects named
// "DrrMarginError" with two extra properties: `code` (stable, one of ERROR_CODES) and `field` (the
// path of the offending input, e.g. "account.positions[2].size"; "" for the whole input).
// `DrrMarginError` lets callers test for them with `instanceof` (it matches by shape, so it works
// across the web and Node builds and across realms such as Web Workers' structured clones).

/** Every `code` a drr-margin error can carry (see the README's error table). */
export const ERROR_CODES = Object.freeze([
  'E_INVALID_INPUT',
  'E_INVALID_VOL',
  'E_NO_ARBITRAGE_BOUND',
  'E_NO_CONVERGENCE',
  'E_MISSING_MARKET_DATA',
  'E_STALE_ORACLE',
  'E_BUSY',
  'E_INSUFFICIENT_MARGIN',
]);

/** `err instanceof DrrMarginError` is true for every error drr-margin throws. */
export class DrrMarginError extends Error {
  constructor(message, code, field = '') {
    super(message);
    this.name = 'DrrMarginError';
    this.code = code;
    this.field = field;
  }

  static [Symbol.hasInstance](value) {
    return value instanceof Error && value.name === 'DrrMarginError'
      && ERROR_CODES.includes(value.code) && typeof value.field === 'string';
  }
}
