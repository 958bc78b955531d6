//! Decoding of interchange JSON into core types, with the failing field's path in the error.
//!
//! Used by the CLI (text) and, through the same [`decode`] with another deserializer, by the
//! binding layer (JS values), so both report identical `E_INVALID_INPUT` field paths.

use crate::error::{Error, Result};
use serde::de::DeserializeOwned;
use serde::Deserializer;

/// Deserializes `T` from any serde deserializer, mapping failures to
/// [`Error::InvalidInput`] with the path of the offending field (`"positions[2].size"`).
pub fn decode<'de, T, D>(deserializer: D) -> Result<T>
where
    T: DeserializeOwned,
    D: Deserializer<'de>,
{
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let path = err.path().to_string();
        let field = if path == "." { String::new() } else { path };
        let reason = err.into_inner().to_string();
        Error::invalid(field, reason)
    })
}

/// Parses JSON text into `T` (see [`decode`]).
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = decode(&mut de)?;
    de.end()
        .map_err(|e| Error::invalid("", format!("trailing characters after JSON value: {e}")))?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use crate::pricing::PriceRequest;

    #[test]
    fn errors_name_the_field() {
        let err = super::from_str::<PriceRequest>(r#"{"kind":"call","forward":"x"}"#).unwrap_err();
        assert_eq!(err.code(), "E_INVALID_INPUT");
        assert_eq!(err.field(), "forward");
        let err = super::from_str::<PriceRequest>(r#"{"kind":"cal"}"#).unwrap_err();
        assert_eq!(err.field(), "kind");
        let err = super::from_str::<PriceRequest>(
            r#"{"kind":"call","forward":1,"strike":1,"t":1,"vol":1,"x":1}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
    }
}
