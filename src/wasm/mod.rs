//! The wasm-bindgen binding layer: converts JS values to core types and back, and core errors to JS
//! `Error`s with a stable `code` and `field`. No financial logic lives here.
//!
//! Compiled only for `wasm32` (see `lib.rs`). TypeScript types come from `tsify` derives on the
//! core's interchange types.

mod account_cache;
mod batch;
mod convert;
mod engine;
mod liquidation;
mod margin;
mod market_cache;
mod scalar;
mod text;
mod what_if_cache;

use crate::pricing::{ImpliedVolRequest, PriceRequest, PriceResult};
use convert::{decoded, to_js, to_js_error};
use tsify::Ts;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const SHARED_TYPES: &str = r#"
/** A time: integer milliseconds since 1970-01-01T00:00:00Z, within [0, 2^53 − 1]. */
export type Millis = number;
"#;

/// The package version (same as the CLI's `--version`).
#[wasm_bindgen]
pub fn version() -> String {
    crate::VERSION.to_string()
}

/// Black-76 value and Greeks of one European option. Delta/gamma are w.r.t. the forward; vega per
/// 1.00 of vol; theta per year; with `inverse: true` every field is for the coin value (USD / forward).
///
/// @throws {Error} with `code` (`E_INVALID_INPUT`, `E_INVALID_VOL`) and `field`.
#[wasm_bindgen]
pub fn price(request: Ts<PriceRequest>) -> Result<Ts<PriceResult>, JsValue> {
    let request = decoded(&request.js_value(), "", crate::pricing::price_request)?;
    let result = request.evaluate().map_err(to_js_error)?;
    Ok(Ts::new_unchecked(to_js(&result)?))
}

/// The Black-76 implied volatility (decimal) of a discounted option price, to machine precision.
///
/// @throws {Error} `E_NO_ARBITRAGE_BOUND` if the price is below intrinsic or at/above the upper
/// bound (D·F for a call, D·K for a put); `E_INVALID_INPUT` naming the field otherwise.
#[wasm_bindgen(js_name = impliedVol)]
pub fn implied_vol(request: Ts<ImpliedVolRequest>) -> Result<f64, JsValue> {
    let request = decoded(&request.js_value(), "", crate::pricing::implied_vol_request)?;
    request.evaluate().map_err(to_js_error)
}

/// Bytes of WebAssembly linear memory this module has reserved. Linear memory only grows, so a
/// value that stays put across many calls shows that nothing accumulates (the package's memory
/// test relies on it); useful when chasing a leak in an app, e.g. engines never `free()`d.
#[wasm_bindgen(js_name = wasmMemoryBytes)]
pub fn wasm_memory_bytes() -> f64 {
    const PAGE_BYTES: f64 = 65_536.0;
    // Page counts are < 2^16 on wasm32, so the conversion is exact.
    let pages = core::arch::wasm32::memory_size::<0>() as f64;
    pages * PAGE_BYTES
}

/// Digest of the first `count` rows of the deterministic parity corpus. Equal to the native CLI's
/// `drr-margin parity --count <count>`: a build that computes the same bits as the keeper.
#[wasm_bindgen(js_name = parityDigest)]
pub fn parity_digest(count: u32) -> String {
    crate::parity::corpus_digest(count)
}
