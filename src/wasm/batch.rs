//! `priceBatch` / `impliedVolBatch`: typed-array columns in, typed-array columns out, one copy
//! each way, no per-option boundary crossing.

use super::convert::to_js_error;
use crate::error::Error;
use crate::pricing::batch::{
    implied_vol_batch, price_batch, Column, ImpliedVolColumns, PriceColumns, GREEK_COLUMNS,
};
use js_sys::{Array, Float64Array, Int8Array, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen(typescript_custom_section)]
const BATCH_TYPES: &str = r#"
/** Option kind per row: 1 = call, -1 = put; or one kind for every row. */
export type KindColumn = Int8Array | "call" | "put";
/** One value per row, or one number for every row. */
export type NumberColumn = Float64Array | number[] | number;
/** Input of `priceBatch`: `forward` sets the row count; every other column has that many rows or is one number. */
export interface PriceBatchInput {
    kind: KindColumn;
    forward: Float64Array | number[];
    strike: NumberColumn;
    /** Years to expiry. */
    t: NumberColumn;
    /** Decimal volatility (0.8 = 80 %). */
    vol: NumberColumn;
    /** Decimal discount rate; default 0. */
    rate?: NumberColumn;
    /** Coin-denominated values (USD value / forward); default false. */
    inverse?: boolean;
}
/** Output of `priceBatch`: one Float64Array per field of `Greeks`, each with one value per row. */
export interface PriceBatchOutput {
    price: Float64Array; delta: Float64Array; gamma: Float64Array; vega: Float64Array;
    theta: Float64Array; rho: Float64Array; vanna: Float64Array; volga: Float64Array;
}
/** Input of `impliedVolBatch`: `price` (discounted, quote currency) sets the row count. */
export interface ImpliedVolBatchInput {
    kind: KindColumn;
    price: Float64Array | number[];
    forward: NumberColumn;
    strike: NumberColumn;
    t: NumberColumn;
    rate?: NumberColumn;
}
"#;

enum Owned<T> {
    Scalar(T),
    Values(Vec<T>),
}

impl<T: Copy> Owned<T> {
    fn column(&self) -> Column<'_, T> {
        match self {
            Owned::Scalar(v) => Column::Scalar(*v),
            Owned::Values(v) => Column::Values(v),
        }
    }
}

fn property(input: &JsValue, name: &str) -> Result<JsValue, Error> {
    if !input.is_object() {
        return Err(Error::invalid("", "expected an object of columns"));
    }
    Reflect::get(input, &JsValue::from_str(name))
        .map_err(|_| Error::invalid(name, "cannot be read"))
}

fn numbers(value: &JsValue, name: &str, default: Option<f64>) -> Result<Owned<f64>, Error> {
    if value.is_undefined() || value.is_null() {
        return default
            .map(Owned::Scalar)
            .ok_or_else(|| Error::invalid(name, "missing column"));
    }
    if let Some(number) = value.as_f64() {
        return Ok(Owned::Scalar(number));
    }
    if let Some(array) = value.dyn_ref::<Float64Array>() {
        return Ok(Owned::Values(array.to_vec()));
    }
    if let Some(array) = value.dyn_ref::<Array>() {
        let mut out = Vec::with_capacity(array.length() as usize);
        for (i, item) in array.iter().enumerate() {
            out.push(
                item.as_f64()
                    .ok_or_else(|| Error::invalid(format!("{name}[{i}]"), "expected a number"))?,
            );
        }
        return Ok(Owned::Values(out));
    }
    Err(Error::invalid(
        name,
        "expected a Float64Array, an array of numbers or a number",
    ))
}

fn rows(value: &JsValue, name: &str) -> Result<Vec<f64>, Error> {
    match numbers(value, name, None)? {
        Owned::Values(v) => Ok(v),
        Owned::Scalar(_) => Err(Error::invalid(
            name,
            "must be a Float64Array or an array (it sets the row count)",
        )),
    }
}

fn kinds(value: &JsValue) -> Result<Owned<i8>, Error> {
    match value.as_string().as_deref() {
        Some("call") => return Ok(Owned::Scalar(1)),
        Some("put") => return Ok(Owned::Scalar(-1)),
        Some(other) => {
            return Err(Error::invalid(
                "kind",
                format!(
                    "expected \"call\" or \"put\", got {}",
                    crate::error::Quoted(other)
                ),
            ))
        }
        None => {}
    }
    value
        .dyn_ref::<Int8Array>()
        .map(|a| Owned::Values(a.to_vec()))
        .ok_or_else(|| {
            Error::invalid(
                "kind",
                "expected an Int8Array (1 = call, -1 = put), \"call\" or \"put\"",
            )
        })
}

/// Black-76 values and Greeks of many options (see `price` for units).
///
/// @throws {Error} `E_INVALID_INPUT`/`E_INVALID_VOL` naming the first bad row, e.g. `field: "vol[12]"`.
#[wasm_bindgen(js_name = priceBatch, unchecked_return_type = "PriceBatchOutput")]
pub fn price_batch_js(
    #[wasm_bindgen(unchecked_param_type = "PriceBatchInput")] input: JsValue,
) -> Result<JsValue, JsValue> {
    let run = || -> Result<JsValue, Error> {
        let kind = kinds(&property(&input, "kind")?)?;
        let forward = rows(&property(&input, "forward")?, "forward")?;
        let strike = numbers(&property(&input, "strike")?, "strike", None)?;
        let t = numbers(&property(&input, "t")?, "t", None)?;
        let vol = numbers(&property(&input, "vol")?, "vol", None)?;
        let rate = numbers(&property(&input, "rate")?, "rate", Some(0.0))?;
        let inverse = property(&input, "inverse")?;
        let inverse = if inverse.is_undefined() || inverse.is_null() {
            false
        } else {
            inverse
                .as_bool()
                .ok_or_else(|| Error::invalid("inverse", "expected a boolean"))?
        };
        let out = price_batch(&PriceColumns {
            kind: kind.column(),
            forward: &forward,
            strike: strike.column(),
            t: t.column(),
            vol: vol.column(),
            rate: rate.column(),
            inverse,
        })?;
        let n = forward.len() as u32;
        let all = Float64Array::new_with_length(out.len() as u32);
        all.copy_from(&out);
        let result = Object::new();
        for (i, name) in [
            "price", "delta", "gamma", "vega", "theta", "rho", "vanna", "volga",
        ]
        .into_iter()
        .enumerate()
        .take(GREEK_COLUMNS)
        {
            let start = i as u32 * n;
            let _ = Reflect::set(&result, &name.into(), &all.subarray(start, start + n));
        }
        Ok(result.into())
    };
    run().map_err(to_js_error)
}

/// Implied volatilities of many option prices (see `impliedVol`).
///
/// @throws {Error} naming the first bad row, e.g. `code: "E_NO_ARBITRAGE_BOUND", field: "price[3]"`.
#[wasm_bindgen(js_name = impliedVolBatch)]
pub fn implied_vol_batch_js(
    #[wasm_bindgen(unchecked_param_type = "ImpliedVolBatchInput")] input: JsValue,
) -> Result<Float64Array, JsValue> {
    let run = || -> Result<Float64Array, Error> {
        let kind = kinds(&property(&input, "kind")?)?;
        let price = rows(&property(&input, "price")?, "price")?;
        let forward = numbers(&property(&input, "forward")?, "forward", None)?;
        let strike = numbers(&property(&input, "strike")?, "strike", None)?;
        let t = numbers(&property(&input, "t")?, "t", None)?;
        let rate = numbers(&property(&input, "rate")?, "rate", Some(0.0))?;
        let out = implied_vol_batch(&ImpliedVolColumns {
            kind: kind.column(),
            price: &price,
            forward: forward.column(),
            strike: strike.column(),
            t: t.column(),
            rate: rate.column(),
        })?;
        Ok(Float64Array::from(out.as_slice()))
    };
    run().map_err(to_js_error)
}
