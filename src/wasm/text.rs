//! JS strings into Rust `String`s by the platform's `TextEncoder` (one native encode and one
//! block copy into wasm memory), for the large JSON texts of the inputs. Owns that conversion
//! only; never decodes JSON.
//!
//! wasm-bindgen's own conversion (`JsValue::as_string`) copies an ASCII string character by
//! character in a JS loop before falling back to `TextEncoder.encodeInto`: for the 60 KB account
//! of the 500-leg bench book that loop was ≈ 6 % of a `margin()` call (bench/README.md). Both
//! replace lone surrogates with U+FFFD, so the text is the same.

use js_sys::{JsString, Uint8Array};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    type TextEncoder;

    #[wasm_bindgen(constructor)]
    fn new() -> TextEncoder;

    #[wasm_bindgen(method)]
    fn encode(this: &TextEncoder, text: &JsString) -> Uint8Array;
}

thread_local! {
    static ENCODER: TextEncoder = TextEncoder::new();
}

/// The UTF-8 text of `text` (None if the encoder's output were not UTF-8, which it always is).
pub(crate) fn utf8(text: &JsString) -> Option<String> {
    let bytes = ENCODER.with(|encoder| encoder.encode(text)).to_vec();
    String::from_utf8(bytes).ok()
}
