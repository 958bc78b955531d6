//! JS ⇄ core conversions: decoding with field paths, encoding results, and core errors as JS
//! `Error` objects.
//!
//! Every value crosses as a `serde_json::Value`: JS → `Value` (serde-wasm-bindgen) → typed
//! (`crate::json::from_value`, the same decoder the CLI uses), and typed → `Value` → JS. The typed
//! serde impls are then compiled once, for `Value`, instead of once per (de)serializer — which
//! kept the `.wasm` within its size budget (707 KB → see README) — and JS and the CLI share one
//! decoding path and its error messages.

use crate::error::Error;
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::JsValue;

/// Decodes a JS value into `T`, naming the failing field (same paths as the CLI's JSON decoding).
pub(crate) fn from_js<T: DeserializeOwned>(value: JsValue) -> Result<T, JsValue> {
    let json: serde_json::Value = serde_wasm_bindgen::from_value(value).map_err(|e| {
        to_js_error(Error::invalid(
            "",
            format!(
                "not representable as JSON: {}",
                e.to_string().trim_start_matches("Error: ")
            ),
        ))
    })?;
    crate::json::from_value(json).map_err(to_js_error)
}

/// Encodes `value` as a plain JS value: objects for records (never `Map`), numbers for `f64`,
/// `null` where the JSON has `null` — the same document the CLI prints.
pub(crate) fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    let json = serde_json::to_value(value).map_err(|e| to_js_error(Error::invalid("", e)))?;
    let serializer = serde_wasm_bindgen::Serializer::new()
        .serialize_maps_as_objects(true)
        .serialize_missing_as_null(true);
    json.serialize(&serializer)
        .map_err(|e| to_js_error(Error::invalid("", e.to_string())))
}

/// A JS `Error` named `DrrMarginError` with the error's stable `code` and `field` properties.
pub(crate) fn to_js_error(err: Error) -> JsValue {
    let js = js_sys::Error::new(&err.to_string());
    js.set_name("DrrMarginError");
    let object: &JsValue = js.as_ref();
    // Reflect::set on a fresh Error object cannot fail; ignore the Result rather than panic.
    let _ = js_sys::Reflect::set(object, &"code".into(), &err.code().into());
    let _ = js_sys::Reflect::set(object, &"field".into(), &err.field().into());
    js.into()
}
