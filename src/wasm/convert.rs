//! JS ⇄ core conversions: decoding with field paths, and core errors as JS `Error` objects.

use crate::error::Error;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;

/// Decodes a JS value into `T`, naming the failing field (same paths as the CLI's JSON decoding).
pub(crate) fn from_js<T: DeserializeOwned>(value: JsValue) -> Result<T, JsValue> {
    crate::json::decode(serde_wasm_bindgen::Deserializer::from(value)).map_err(to_js_error)
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
