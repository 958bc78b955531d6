//! `price()` and `impliedVol()` for a request of plain numbers: the package's JS entry points
//! (`js/scalar.js`) send such a request's fields as numbers instead of its JSON text, which the
//! typed functions (`price`, `impliedVol` in `mod.rs`) stringify, copy, parse and decode, and
//! whose result `price` writes as JSON text for JS to parse: ≈ 6–9 µs a call, against ≈ 0.1 µs
//! for the model. Here the request is the one the decoder would build from that text (JS sends
//! only finite numbers, −0 as 0, `"call"`/`"put"` as ±1 ([`OptionKind::from_code`]), absent
//! optional fields as absent), it is evaluated by the same code, and the result comes back as
//! numbers. Anything the model refuses gives `false` (NaN for `impliedVol`), and JS calls the
//! typed function, whose error is the one to throw: the errors have one source.
//!
//! Not part of the typed API (`skip_typescript`).

use crate::pricing::{ImpliedVolRequest, OptionKind, PriceRequest};
use std::cell::Cell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

thread_local! {
    /// The last result of `__priceScalars`, which JS reads through a view of linear memory
    /// (`__scalarsView`): no allocation and no copy into a new array per call.
    static OUT: Cell<[f64; 8]> = const { Cell::new([0.0; 8]) };
}

/// `price(request)` for a request of these fields: `true` and the result's fields in `OUT`, in
/// their order in the typed function's result (price, delta, gamma, vega, theta, rho, vanna,
/// volga), or `false` where the typed function throws.
#[wasm_bindgen(js_name = "__priceScalars", skip_typescript)]
pub fn price_scalars(
    kind_code: i8,
    forward: f64,
    strike: f64,
    t: f64,
    vol: f64,
    rate: Option<f64>,
    inverse: Option<bool>,
) -> bool {
    let Some(kind) = OptionKind::from_code(kind_code) else {
        return false;
    };
    let request = PriceRequest {
        kind,
        forward,
        strike,
        t,
        vol,
        rate,
        inverse,
    };
    let Ok(g) = request.evaluate() else {
        return false;
    };
    OUT.with(|out| {
        out.set([
            g.price, g.delta, g.gamma, g.vega, g.theta, g.rho, g.vanna, g.volga,
        ])
    });
    true
}

/// A `Float64Array` over `OUT` in linear memory. Growing the memory detaches it (its length
/// becomes 0): JS then asks for a new one.
#[wasm_bindgen(js_name = "__scalarsView", skip_typescript)]
pub fn scalars_view() -> js_sys::Float64Array {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    // Linear memory addresses are u32 on wasm32.
    let at = OUT.with(|out| out.as_ptr() as u32);
    js_sys::Float64Array::new_with_byte_offset_and_length(&memory.buffer(), at, 8)
}

/// `impliedVol(request)` for a request of these fields, or NaN where the typed function throws
/// (or returns NaN: JS then asks it, for the same NaN). Not an `Option`: wasm-bindgen returns
/// that as two values, and V8 builds an array for them (≈ 1 µs a call here).
#[wasm_bindgen(js_name = "__impliedVolScalars", skip_typescript)]
pub fn implied_vol_scalars(
    kind_code: i8,
    price: f64,
    forward: f64,
    strike: f64,
    t: f64,
    rate: Option<f64>,
    inverse: Option<bool>,
) -> f64 {
    let Some(kind) = OptionKind::from_code(kind_code) else {
        return f64::NAN;
    };
    let request = ImpliedVolRequest {
        kind,
        price,
        forward,
        strike,
        t,
        rate,
        inverse,
    };
    request.evaluate().unwrap_or(f64::NAN)
}
