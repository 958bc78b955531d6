//! Decoding of interchange JSON into core types, with the failing field's path in the error.
//!
//! The interchange inputs (market, account, engine events and snapshot, pricing requests, the
//! liquidation API's inputs, risk parameters) are decoded by hand from a parsed
//! JSON tree ([`tree`], borrowed from the text) through `fields` ([`decode_str`] with a decoder such as
//! `market::decode::market_spec`): one plain call per field, each error naming its full path, and
//! no derived serde visitor in the `.wasm` (README "Build profile and size"). The CLI and the JS
//! binding use these decoders, so they report identical errors.
//!
//! Other types go through the generic [`from_str`] / [`from_value`]: the `Value` is rendered
//! back to text with one entry per line while recording each line's field path, and the typed
//! value is deserialized from that text; serde_json reports the line of an error, which maps
//! back to the path (`positions[2].size`). Numbers round-trip exactly (shortest representation;
//! `float_roundtrip` parsing). The hand-decoded types also implement `Deserialize` (the `Value`,
//! then the decoder) for generic callers; their errors report their own path, which
//! [`from_value`] joins to the enclosing value's (see `mark_path`).

use crate::error::{Error, Result};
use serde::de::DeserializeOwned;
use serde_json::Value;

pub mod decimal;
pub(crate) mod fields;
pub mod tree;
pub use fields::Path;
pub mod liquidation;
pub mod write;

/// Marks the start of a field path inside a serde error message (see [`mark_path`]).
const PATH_MARK: char = '\u{1}';

/// `error` as a serde error message that keeps its field path: a hand-written `Deserialize`
/// (decoding through `fields`) reports it so, and [`from_value`] joins the path to the
/// enclosing value's.
pub(crate) fn mark_path(error: &Error) -> String {
    let text = error.to_string();
    let field = error.field();
    let reason = text
        .strip_prefix(field)
        .and_then(|rest| rest.strip_prefix(": "))
        .unwrap_or(&text);
    format!("{PATH_MARK}{field}{PATH_MARK}{reason}")
}

/// Parses JSON text into a `serde_json::Value` (`E_INVALID_INPUT` with an empty field if it is
/// not JSON).
#[inline(never)]
pub fn parse(text: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| Error::invalid("", format!("not valid JSON: {e}")))
}

/// Parses JSON text ([`tree`]) and decodes it with a hand-written decoder (`decode(value, path)`,
/// e.g. [`crate::market::decode::market_spec`]); errors name the field under `path`.
pub fn decode_str<T>(
    text: &str,
    path: &str,
    decode: fn(&tree::Value<'_>, &Path<'_>) -> Result<T>,
) -> Result<T> {
    decode(
        &tree::parse(text).map_err(|e| e.within(path))?,
        &Path::Root(path),
    )
}

/// [`decode_str`] for a `serde_json::Value` (written out, then read as text).
pub fn decode_value<T>(
    value: &Value,
    path: &str,
    decode: fn(&tree::Value<'_>, &Path<'_>) -> Result<T>,
) -> Result<T> {
    let text = serde_json::to_string(value).map_err(|e| Error::invalid(path, e))?;
    decode_str(&text, path, decode)
}

/// Parses JSON text into `T`, naming the failing field.
///
/// Valid input is parsed directly; only when that fails is the text re-read through
/// [`from_value`] to find the failing field's path (and to accept a safe integer written as a
/// float, e.g. `1795507200000.0`, where an integer is expected).
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T> {
    if let Ok(parsed) = serde_json::from_str(text) {
        return Ok(parsed);
    }
    from_value(parse(text)?)
}

/// Decodes `T` from a JSON value, naming the failing field.
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T> {
    let mut decoded = None;
    decode_rendered(&value, &mut |text| {
        decoded = Some(serde_json::from_str::<T>(text)?);
        Ok(())
    })?;
    decoded.ok_or_else(|| Error::invalid("", "nothing decoded"))
}

/// The type-independent part of [`from_value`] (kept out of line so each decoded type adds only
/// its own `serde_json::from_str`): renders `value` one entry per line, runs `decode` on the
/// text, and maps an error's line back to its field path.
#[inline(never)]
fn decode_rendered(
    value: &Value,
    decode: &mut dyn FnMut(&str) -> serde_json::Result<()>,
) -> Result<()> {
    let mut text = Vec::new();
    let mut lines = vec![Line {
        parent: 0,
        segment: Segment::Root,
    }]; // line 1: the root value
    render(value, 0, &mut text, &mut lines);
    // Only whole UTF-8 strings and ASCII are written.
    let text = String::from_utf8(text).map_err(|e| Error::invalid("", e))?;
    decode(&text).map_err(|e| {
        let mut field = e
            .line()
            .checked_sub(1)
            .map(|i| path(&lines, i))
            .unwrap_or_default();
        let message = e.to_string();
        let mut reason = match message.rfind(" at line ") {
            Some(at) => message[..at].to_string(),
            None => message,
        };
        // A hand-written decoder's error: its own path continues the enclosing value's.
        if let Some((inner, rest)) = reason
            .strip_prefix(PATH_MARK)
            .and_then(|marked| marked.split_once(PATH_MARK))
        {
            if !inner.is_empty() {
                field = if field.is_empty() {
                    inner.to_string()
                } else if inner.starts_with('[') {
                    format!("{field}{inner}")
                } else {
                    format!("{field}.{inner}")
                };
            }
            return Error::invalid(field, rest);
        }
        if reason.starts_with("invalid type: null") {
            // JS NaN and ±Infinity arrive as JSON null.
            reason.push_str(" (NaN, Infinity and null are not numbers)");
        }
        Error::invalid(field, reason)
    })
}

/// What one rendered line holds; paths are only built when an error needs one.
struct Line<'a> {
    /// The line of the enclosing entry.
    parent: usize,
    segment: Segment<'a>,
}

enum Segment<'a> {
    Root,
    Key(&'a str),
    Index(usize),
    /// A closing bracket: the path of the container's line.
    Close(usize),
}

fn path(lines: &[Line<'_>], i: usize) -> String {
    let Some(line) = lines.get(i) else {
        return String::new();
    };
    match line.segment {
        Segment::Root => String::new(),
        Segment::Close(container) => path(lines, container),
        Segment::Key(key) => {
            let parent = path(lines, line.parent);
            if parent.is_empty() {
                key.to_string()
            } else {
                format!("{parent}.{key}")
            }
        }
        Segment::Index(n) => format!("{}[{n}]", path(lines, line.parent)),
    }
}

/// Writes `value` starting on the current line (`line`, already recorded); nested entries each
/// get their own line. The closing bracket's line maps to the container (where serde reports a
/// missing field).
fn render<'a>(value: &'a Value, line: usize, out: &mut Vec<u8>, lines: &mut Vec<Line<'a>>) {
    match value {
        Value::Object(map) => {
            out.push(b'{');
            for (i, (key, item)) in map.iter().enumerate() {
                out.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
                let item_line = lines.len();
                lines.push(Line {
                    parent: line,
                    segment: Segment::Key(key),
                });
                write::write_string(out, key);
                out.push(b':');
                render(item, item_line, out, lines);
            }
            out.push(b'\n');
            lines.push(Line {
                parent: line,
                segment: Segment::Close(line),
            });
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                out.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
                let item_line = lines.len();
                lines.push(Line {
                    parent: line,
                    segment: Segment::Index(i),
                });
                render(item, item_line, out, lines);
            }
            out.push(b'\n');
            lines.push(Line {
                parent: line,
                segment: Segment::Close(line),
            });
            out.push(b']');
        }
        Value::Number(n) => match n.as_f64() {
            // A JS number that is a safe integer is written as one, so it reads as an integer
            // field too; −0 keeps its sign.
            Some(x) if n.is_f64() && x == x.trunc() && x.abs() < 9_007_199_254_740_992.0 => {
                if x == 0.0 && x.is_sign_negative() {
                    out.extend_from_slice(b"-0.0");
                } else {
                    // Exact: |x| < 2^53 and integral.
                    #[allow(clippy::cast_possible_truncation)]
                    let integer = x as i64;
                    write::write_integer(out, integer);
                }
            }
            _ => {
                out.extend_from_slice(n.to_string().as_bytes());
            }
        },
        Value::String(text) => write::write_string(out, text),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Null => out.extend_from_slice(b"null"),
    }
}

/// The canonical JSON of `value`: serde_json's compact text ([`write`]) with every object's
/// keys sorted — byte for byte `serde_json::to_vec(&serde_json::to_value(value))` (whose maps
/// are sorted), but reached through [`tree`] from the text writer's output, so neither the typed
/// `Serialize` impls are compiled a second time (for `Value`) nor serde_json's reader is needed.
/// Numbers and strings keep the text written (the writer is deterministic: reading a number or
/// string it wrote and writing it again gives the same text).
pub fn canonical_bytes<T: serde::Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    let text = write::to_string(value)?;
    let tree = tree::parse(&text)?;
    let mut out = Vec::with_capacity(text.len());
    write_sorted(&tree, &mut out);
    Ok(out)
}

/// Writes `value` as compact JSON, objects' keys sorted (of duplicates the last counts).
fn write_sorted(value: &tree::Value<'_>, out: &mut Vec<u8>) {
    match value {
        tree::Value::Null => out.extend_from_slice(b"null"),
        tree::Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        tree::Value::Number(tree::Number::Unsigned(u)) => write::write_integer(out, *u),
        tree::Value::Number(tree::Number::Signed(i)) => write::write_integer(out, *i),
        tree::Value::Number(tree::Number::Float(x)) if x.is_finite() => write::write_f64(out, *x),
        tree::Value::Number(tree::Number::Float(_)) => out.extend_from_slice(b"null"),
        tree::Value::String(text) => write::write_string(out, text),
        tree::Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_sorted(item, out);
            }
            out.push(b']');
        }
        tree::Value::Object(entries) => {
            let mut sorted: Vec<&(std::borrow::Cow<'_, str>, tree::Value<'_>)> =
                entries.iter().collect();
            // Stable (of equal keys the last is kept below); objects are short.
            crate::sort::insertion_sort_by(&mut sorted, |a, b| a.0 > b.0);
            out.push(b'{');
            let mut first = true;
            for (i, (key, item)) in sorted.iter().map(|e| (&e.0, &e.1)).enumerate() {
                if sorted.get(i + 1).is_some_and(|next| next.0 == *key) {
                    continue;
                }
                if !first {
                    out.push(b',');
                }
                first = false;
                write::write_string(out, key);
                out.push(b':');
                write_sorted(item, out);
            }
            out.push(b'}');
        }
    }
}

/// Merges `overrides` into `base`: objects merge key by key (recursively), anything else in
/// `overrides` replaces what `base` had. Used for "profile + partial overrides" parameters.
pub fn merge(base: &mut Value, overrides: Value) {
    match (base, overrides) {
        (Value::Object(base), Value::Object(overrides)) => {
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

#[cfg(test)]
mod tests {
    use crate::pricing::PriceRequest;

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

    #[test]
    fn errors_name_the_field() {
        let err = super::from_str::<PriceRequest>(r#"{"kind":"call","forward":"x"}"#).unwrap_err();
        assert_eq!(err.code(), "E_INVALID_INPUT");
        assert_eq!(err.field(), "forward");
        assert!(err.to_string().contains("invalid type"), "{err}");
        assert!(!err.to_string().contains("at line"), "{err}");
        let err = super::from_str::<PriceRequest>(r#"{"kind":"cal"}"#).unwrap_err();
        assert_eq!(err.field(), "kind");
        let err = super::from_str::<PriceRequest>(
            r#"{"kind":"call","forward":1,"strike":1,"t":1,"vol":1,"x":1}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
        assert_eq!(err.field(), "x");
        // A missing field is reported against its object.
        let err = super::from_str::<PriceRequest>(r#"{"kind":"call"}"#).unwrap_err();
        assert!(err.to_string().contains("missing field"), "{err}");
        assert_eq!(err.field(), "");
        assert_eq!(
            super::from_str::<PriceRequest>("{").unwrap_err().code(),
            "E_INVALID_INPUT"
        );
    }

    #[test]
    fn canonical_bytes_equal_serde_json_of_to_value() {
        // Property: the tree route writes the very bytes serde_json writes for `to_value` (sorted
        // maps), for every profile (the params hash depends on them) and for awkward values.
        for info in crate::margin::profiles::profiles() {
            let params = crate::margin::profiles::profile(&info.name).unwrap();
            let expected = serde_json::to_vec(&serde_json::to_value(&params).unwrap()).unwrap();
            assert_eq!(
                super::canonical_bytes(&params).unwrap(),
                expected,
                "{}",
                info.name
            );
        }
        let awkward = (
            -0.0_f64,
            f64::NAN,
            f64::INFINITY,
            0.1 + 0.2,
            5e-324_f64,
            1e300_f64,
            3.0_f64,
            (-7_i64, u64::MAX, i64::MIN),
            serde_json::json!({"b": "é\u{1}\"\n", "a": [1, {"z": null, "y": true}], "": 2.5e-7}),
        );
        let expected = serde_json::to_vec(&serde_json::to_value(&awkward).unwrap()).unwrap();
        assert_eq!(super::canonical_bytes(&awkward).unwrap(), expected);
    }

    #[test]
    fn strings_are_escaped() {
        let v = serde_json::json!({"a\"b": "line\nbreak \\ \u{1} é"});
        let back: serde_json::Value = super::from_value(v.clone()).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn nested_paths_and_exact_numbers() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Outer {
            items: Vec<Inner>,
            now: i64,
        }
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Inner {
            size: f64,
        }
        let err =
            super::from_str::<Outer>(r#"{"now": 1, "items": [{"size": 1}, {"size": "big"}]}"#)
                .unwrap_err();
        assert_eq!(err.field(), "items[1].size");
        let err =
            super::from_str::<Outer>(r#"{"now": 1, "items": [{"size": 1}, {}]}"#).unwrap_err();
        assert_eq!(err.field(), "items[1]");
        // A float that is a safe integer (as JS sends it) reads into an i64 field; others stay exact.
        let v = serde_json::json!({"now": 1_795_507_200_000.0_f64, "items": [{"size": 0.1 + 0.2}, {"size": -0.0}]});
        let outer: Outer = super::from_value(v).unwrap();
        assert_eq!(outer.now, 1_795_507_200_000);
        assert_eq!(outer.items[0].size.to_bits(), (0.1f64 + 0.2).to_bits());
        assert!(outer.items[1].size.is_sign_negative());
    }
}
