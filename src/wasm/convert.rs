//! JS ⇄ core conversions: decoding with field paths, encoding results, and core errors as JS
//! `Error` objects.
//!
//! Values cross as JSON text: the JS engine's native `JSON.stringify`/`JSON.parse` walk the
//! objects (one call and one string each way, instead of one boundary crossing per property),
//! and the core decodes the text exactly as the CLI does (`crate::json`), so JS and the CLI share
//! one decoding path, its field paths and its error messages. NaN and ±Infinity become `null`
//! and are rejected as non-numbers; records are plain objects.

use crate::error::Error;
use crate::json::Path;
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::JsValue;

/// The JSON text of a JS value (the engine's native `JSON.stringify`); an error names `field`.
pub(crate) fn json_text(value: &JsValue, field: &str) -> Result<String, JsValue> {
    js_sys::JSON::stringify(value)
        .ok()
        .and_then(|text| text.as_string())
        .ok_or_else(|| {
            to_js_error(Error::invalid(
                field,
                "expected a JSON-serialisable object (no BigInt, no cycles, not undefined)",
            ))
        })
}

/// Decodes a JS value into `T`, naming the failing field (same paths as the CLI's JSON decoding).
pub(crate) fn from_js<T: DeserializeOwned>(value: JsValue) -> Result<T, JsValue> {
    let text = json_text(&value, "")?;
    crate::json::from_str(&text).map_err(to_js_error)
}

/// Encodes `value` as a plain JS value (the same document the CLI prints).
pub(crate) fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    let text = serde_json::to_string(value).map_err(|e| to_js_error(Error::invalid("", e)))?;
    js_sys::JSON::parse(&text)
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

/// Decodes a required argument, with `argument.` prefixed to a decoding error's field path.
pub(crate) fn required<T: DeserializeOwned>(value: JsValue, argument: &str) -> Result<T, JsValue> {
    from_js::<T>(value).map_err(|e| prefix(e, argument))
}

/// Decodes a required argument with a hand-written decoder (`crate::json::fields`), its field
/// paths under `argument`.
pub(crate) fn decoded<T>(
    value: &JsValue,
    argument: &str,
    decode: fn(&crate::json::tree::Value<'_>, &Path<'_>) -> crate::error::Result<T>,
) -> Result<T, JsValue> {
    let text = json_text(value, argument)?;
    crate::json::decode_str(&text, argument, decode).map_err(to_js_error)
}

/// Decodes an optional argument with a hand-written decoder: `undefined`/`null` → `None`, else
/// as [`decoded`].
pub(crate) fn decoded_optional<T>(
    value: &JsValue,
    argument: &str,
    decode: fn(&crate::json::tree::Value<'_>, &Path<'_>) -> crate::error::Result<T>,
) -> Result<Option<T>, JsValue> {
    if value.is_undefined() || value.is_null() {
        Ok(None)
    } else {
        decoded(value, argument, decode).map(Some)
    }
}

/// Decodes an optional argument: `undefined`/`null` → `None`, else as [`required`].
pub(crate) fn optional<T: DeserializeOwned>(
    value: JsValue,
    argument: &str,
) -> Result<Option<T>, JsValue> {
    if value.is_undefined() || value.is_null() {
        Ok(None)
    } else {
        required(value, argument).map(Some)
    }
}

/// The optional `params` argument: a profile name and/or overrides (default profile `drr`).
pub(crate) fn params_from_js(
    params: Option<JsValue>,
) -> Result<crate::margin::RiskParams, JsValue> {
    let overrides = optional::<serde_json::Value>(params.unwrap_or(JsValue::UNDEFINED), "params")?;
    crate::margin::profiles::resolve(overrides).map_err(to_js_error)
}

/// Prefixes the `field` of a JS error produced by `from_js` with the argument name.
fn prefix(error: JsValue, argument: &str) -> JsValue {
    let field = js_sys::Reflect::get(&error, &"field".into())
        .ok()
        .and_then(|f| f.as_string())
        .unwrap_or_default();
    let joined = if field.is_empty() {
        argument.to_string()
    } else {
        format!("{argument}.{field}")
    };
    let _ = js_sys::Reflect::set(&error, &"field".into(), &joined.into());
    error
}
