// Types of the drr-margin package: re-exported from the declarations wasm-bindgen and tsify
// generate from the Rust types (pkg/web/drr_margin.d.ts). Nothing here is hand-maintained
// except these re-exports and the error type below (js/errors.js). In Node, `init()` and
// `initSync()` are no-ops.
export * from '../pkg/web/drr_margin.js';
export { default } from '../pkg/web/drr_margin.js';

/** A stable error code (see the README's error table). */
export type ErrorCode =
  | 'E_INVALID_INPUT' | 'E_INVALID_VOL' | 'E_NO_ARBITRAGE_BOUND' | 'E_NO_CONVERGENCE'
  | 'E_MISSING_MARKET_DATA' | 'E_STALE_ORACLE' | 'E_BUSY' | 'E_INSUFFICIENT_MARGIN';
/** Every code a drr-margin error can carry. */
export declare const ERROR_CODES: readonly ErrorCode[];
/** What every drr-margin function throws: `err instanceof DrrMarginError`, then `err.code`, `err.field`. */
export declare class DrrMarginError extends Error {
  constructor(message: string, code: ErrorCode, field?: string);
  readonly name: 'DrrMarginError';
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** Path of the offending input field, e.g. "account.positions[2].size"; "" for the whole input. */
  readonly field: string;
}
