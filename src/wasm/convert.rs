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
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};

/// The JSON text of a JS value (the engine's native `JSON.stringify`); an error names `field` and
/// says why: what `JSON.stringify` threw (a `BigInt`, a cycle, nesting deeper than the JS stack)
/// or the type of a value that has no JSON text (`undefined`, a function, a symbol).
pub(crate) fn json_text(value: &JsValue, field: &str) -> Result<String, JsValue> {
    let invalid = |why: String| to_js_error(Error::invalid(field, why));
    let text = js_sys::JSON::stringify(value).map_err(|thrown| {
        let why = thrown
            .dyn_ref::<js_sys::Error>()
            // On one line (V8 spreads a cycle's path over several).
            .map(|e| String::from(e.message()).replace('\n', " "))
            .unwrap_or_else(|| String::from("JSON.stringify threw"));
        invalid(format!(
            "cannot be written as JSON ({why}): no BigInt, no cycles, no deeper nesting than the JS stack allows"
        ))
    })?;
    if !text.is_string() {
        let kind = value.js_typeof().as_string().unwrap_or_default();
        return Err(invalid(format!(
            "expected a JSON object, got {kind} (which has no JSON text)"
        )));
    }
    super::text::utf8(&text).ok_or_else(|| invalid(String::from("is not valid UTF-8 text")))
}

/// Encodes `value` as a plain JS value (the same document the CLI prints).
pub(crate) fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    let text = crate::json::write::to_string(value).map_err(to_js_error)?;
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

/// The optional `params` argument: a profile name and/or overrides (default profile `drr`).
pub(crate) fn params_from_js(
    params: Option<JsValue>,
) -> Result<crate::margin::RiskParams, JsValue> {
    with_params_tree(params, |tree| {
        crate::margin::profiles::resolve_tree(tree).map_err(to_js_error)
    })
}

/// Runs `resolve` on the optional `params` argument parsed as a JSON tree (`None` for
/// `undefined`/`null`); parse errors name `params`.
pub(crate) fn with_params_tree<T>(
    params: Option<JsValue>,
    resolve: impl FnOnce(Option<crate::json::tree::Value<'_>>) -> Result<T, JsValue>,
) -> Result<T, JsValue> {
    let params = params.filter(|p| !p.is_undefined() && !p.is_null());
    let Some(params) = params else {
        return resolve(None);
    };
    let text = json_text(&params, "params")?;
    let tree = crate::json::tree::parse(&text).map_err(|e| to_js_error(e.within("params")))?;
    resolve(Some(tree))
}
