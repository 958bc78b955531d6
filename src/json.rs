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

/// Merges `overrides` into `base`: objects merge key by key (recursively), anything else in
/// `overrides` replaces what `base` had. Used for "profile + partial overrides" parameters.
pub fn merge(base: &mut serde_json::Value, overrides: serde_json::Value) {
    match (base, overrides) {
        (serde_json::Value::Object(base), serde_json::Value::Object(overrides)) => {
            for (key, value) in overrides {
                match base.get_mut(&key) {
                    Some(slot) => merge(slot, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (slot, value) => *slot = value,
    }
}

/// Decodes `T` from a JSON value (see [`decode`]).
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T> {
    decode(value)
}

#[cfg(test)]
mod tests {
    #[test]
    fn merge_is_recursive_for_objects_and_replaces_everything_else() {
        let mut base = serde_json::json!({"a": {"b": 1, "c": [1, 2]}, "d": "x"});
        super::merge(
            &mut base,
            serde_json::json!({"a": {"c": [3], "e": true}, "d": null}),
        );
        assert_eq!(
            base,
            serde_json::json!({"a": {"b": 1, "c": [3], "e": true}, "d": null})
        );
    }

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
