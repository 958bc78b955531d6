//! A non-generic reader of JSON objects held in a parsed [`super::tree`], for hand-written decoders
//! that name the failing field's path: `let mut o = Fields::new(value, path)?;
//! o.f64("imBase", &mut rule.im_base)?; … o.finish()?`.
//!
//! Owns the per-field type checks (numbers, safe integers written as floats, booleans, strings,
//! enum names), the path of every error, and the `deny_unknown_fields` check. Never knows a
//! concrete type: each decoder is one plain call per field, so the `.wasm` holds one reader instead
//! of a serde visitor inlined into every parent (README "Build profile and size").
//!
//! Absent fields leave the target untouched (the decoder starts from the type's `Default`, as
//! serde's container `default` does); `null` is not a number (JS NaN and ±Infinity arrive as null).

use super::tree::{self, Value};
use crate::error::{Error, Result};
use crate::vec_map::VecMap;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Where a value sits in the input (`positions[2].size`), built as the decoders descend and
/// written out only when an error names it: no string is formatted for a value that decodes.
#[derive(Debug, Clone, Copy)]
pub enum Path<'a> {
    /// The decoded value itself, named by the given prefix ("" or an argument name).
    Root(&'a str),
    /// An object's field.
    Key(&'a Path<'a>, &'a str),
    /// An array's element.
    Index(&'a Path<'a>, usize),
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Path::Root(name) => f.write_str(name),
            Path::Key(parent, key) => {
                if parent.is_empty() {
                    f.write_str(key)
                } else {
                    write!(f, "{parent}.{key}")
                }
            }
            Path::Index(parent, index) => write!(f, "{parent}[{index}]"),
        }
    }
}

impl Path<'_> {
    /// Whether the path writes as "" (the unnamed root).
    fn is_empty(&self) -> bool {
        matches!(self, Path::Root(""))
    }
}

/// The path written out, for an error's field.
#[inline(never)]
pub(crate) fn field(path: &Path<'_>) -> String {
    path.to_string()
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// `E_INVALID_INPUT` at `path`: `value` is not what was `expected`.
#[inline(never)]
pub(crate) fn wrong_type(path: &Path<'_>, expected: &str, value: &Value) -> Error {
    let mut reason = format!("invalid type: {}, expected {expected}", kind(value));
    if value.is_null() && (expected == "a number" || expected == "an integer") {
        reason.push_str(" (NaN, Infinity and null are not numbers)");
    }
    Error::invalid(field(path), reason)
}

/// A finite JSON number.
#[inline(never)]
pub(crate) fn number(value: &Value, path: &Path<'_>) -> Result<f64> {
    value
        .as_f64()
        .ok_or_else(|| wrong_type(path, "a number", value))
}

/// A non-negative integer ≤ `max`; a float that is a safe integer (as JS sends one) counts.
#[inline(never)]
pub(crate) fn integer(value: &Value, path: &Path<'_>, max: u64) -> Result<u64> {
    let Value::Number(n) = value else {
        return Err(wrong_type(path, "an integer", value));
    };
    // Exact: 0 ≤ x < 2^53 and integral.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let exact = n.as_u64().or_else(|| {
        Some(n.as_f64())
            .filter(|x| {
                *x >= 0.0 && x.is_sign_positive() && *x == x.trunc() && *x < 9_007_199_254_740_992.0
            })
            .map(|x| x as u64)
    });
    match exact {
        Some(u) if u <= max => Ok(u),
        _ => Err(Error::invalid(
            field(path),
            format!("invalid value: {n}, expected an integer in [0, {max}]"),
        )),
    }
}

/// An integer (either sign, as `i64`); a float that is a safe integer (as JS sends one) counts,
/// −0 does not.
#[inline(never)]
pub(crate) fn signed_integer(value: &Value, path: &Path<'_>) -> Result<i64> {
    let Value::Number(n) = value else {
        return Err(wrong_type(path, "an integer", value));
    };
    // Exact: |x| < 2^53 and integral.
    #[allow(clippy::cast_possible_truncation)]
    let exact = n.as_i64().or_else(|| {
        Some(n.as_f64())
            .filter(|x| {
                *x == x.trunc()
                    && x.abs() < 9_007_199_254_740_992.0
                    && !(*x == 0.0 && x.is_sign_negative())
            })
            .map(|x| x as i64)
    });
    exact.ok_or_else(|| {
        Error::invalid(
            field(path),
            format!(
                "invalid value: {n}, expected an integer in [{}, {}]",
                i64::MIN,
                i64::MAX
            ),
        )
    })
}

/// A string.
#[inline(never)]
pub(crate) fn string(value: &Value, path: &Path<'_>) -> Result<String> {
    value
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| wrong_type(path, "a string", value))
}

/// Decodes each element of the array `value` with `decode` (path `path[i]`).
pub(crate) fn list_of<T>(
    value: &Value,
    path: &Path<'_>,
    decode: fn(&Value, &Path<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let items = array(value, path)?;
    let mut decoded = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        decoded.push(decode(item, &Path::Index(path, i))?);
    }
    Ok(decoded)
}

/// The array `value` (an error naming `path` otherwise).
#[inline(never)]
pub(crate) fn array<'v, 'a>(value: &'v Value<'a>, path: &Path<'_>) -> Result<&'v [Value<'a>]> {
    match value {
        Value::Array(items) => Ok(items),
        _ => Err(wrong_type(path, "an array", value)),
    }
}

/// Decodes each entry of the object `value` with `decode` (path `path.name`).
pub(crate) fn map_of<T, M: NamedMap<T>>(
    value: &Value,
    path: &Path<'_>,
    decode: fn(&Value, &Path<'_>) -> Result<T>,
) -> Result<M> {
    let Value::Object(map) = value else {
        return Err(wrong_type(path, "an object", value));
    };
    let mut decoded = M::default();
    for (name, item) in map {
        decoded.put(name.to_string(), decode(item, &Path::Key(path, name))?);
    }
    Ok(decoded)
}

/// A map a JSON object decodes into, name by name; a repeated name keeps its last value.
pub(crate) trait NamedMap<T>: Default {
    /// Sets `name` to `value`.
    fn put(&mut self, name: String, value: T);
}

impl<T> NamedMap<T> for BTreeMap<String, T> {
    fn put(&mut self, name: String, value: T) {
        self.insert(name, value);
    }
}

impl<T> NamedMap<T> for VecMap<String, T> {
    fn put(&mut self, name: String, value: T) {
        self.insert(name, value);
    }
}

/// A number by name (`map_of`'s element decoder for maps of numbers).
pub(crate) fn number_at(value: &Value, path: &Path<'_>) -> Result<f64> {
    number(value, path)
}

/// The fields of one JSON object, read by name; see the module documentation.
pub(crate) struct Fields<'a> {
    map: &'a [(Cow<'a, str>, Value<'a>)],
    path: &'a Path<'a>,
    /// Every name asked for (present or not), for the unknown-field check; not kept for an
    /// object whose names were checked up front ([`Fields::named`]).
    known: Vec<&'static str>,
    track: bool,
    /// How many of the asked names were present.
    present: usize,
}

impl<'a> Fields<'a> {
    /// The object `value` at `path` (an error if it is not an object).
    #[inline(never)]
    pub(crate) fn new(value: &'a Value<'a>, path: &'a Path<'a>) -> Result<Fields<'a>> {
        match value {
            Value::Object(map) => Ok(Fields {
                map,
                path,
                known: Vec::new(),
                track: true,
                present: 0,
            }),
            _ => Err(wrong_type(path, "an object", value)),
        }
    }

    /// The object `value` at `path` whose fields are all among `names` (an unknown one is refused
    /// before anything is read, as serde's `deny_unknown_fields` refuses it before reporting a
    /// missing field: a misspelt required field is named as unknown).
    #[inline(never)]
    pub(crate) fn named(
        value: &'a Value<'a>,
        path: &'a Path<'a>,
        names: &'static [&'static str],
    ) -> Result<Fields<'a>> {
        let mut fields = Fields::new(value, path)?;
        fields.only(names)?;
        fields.track = false;
        Ok(fields)
    }

    /// Refuses a field that is none of `names` (see [`Fields::named`]).
    #[inline(never)]
    pub(crate) fn only(&self, names: &'static [&'static str]) -> Result<()> {
        match self
            .map
            .iter()
            .find(|(key, _)| !names.contains(&key.as_ref()))
        {
            Some((key, _)) => Err(unknown(self.path, key, names)),
            None => Ok(()),
        }
    }

    /// The value of `key`, if present.
    #[inline(never)]
    pub(crate) fn get(&mut self, key: &'static str) -> Option<&'a Value<'a>> {
        if self.track {
            self.known.push(key);
        }
        let value = tree::get(self.map, key);
        self.present += usize::from(value.is_some());
        value
    }

    /// The path of `key` in this object.
    pub(crate) fn at(&self, key: &'a str) -> Path<'a> {
        Path::Key(self.path, key)
    }

    /// The value of `key` with its path, if present (for nested objects, arrays and maps).
    #[inline(never)]
    pub(crate) fn child(&mut self, key: &'static str) -> Option<(&'a Value<'a>, Path<'a>)> {
        self.get(key)
            .map(|value| (value, Path::Key(self.path, key)))
    }

    /// The value of `key` with its path, which must be present.
    #[inline(never)]
    pub(crate) fn required(&mut self, key: &'static str) -> Result<(&'a Value<'a>, Path<'a>)> {
        match self.child(key) {
            Some(found) => Ok(found),
            None => Err(self.missing(key)),
        }
    }

    /// Sets `slot` from the number `key`, if present.
    #[inline(never)]
    pub(crate) fn f64(&mut self, key: &'static str, slot: &mut f64) -> Result<()> {
        if let Some(value) = self.get(key) {
            *slot = number(value, &self.at(key))?;
        }
        Ok(())
    }

    /// The number `key`, which must be present.
    #[inline(never)]
    pub(crate) fn required_f64(&mut self, key: &'static str) -> Result<f64> {
        match self.get(key) {
            Some(value) => number(value, &self.at(key)),
            None => Err(self.missing(key)),
        }
    }

    /// Sets `slot` from the number `key`; absent or `null` leaves `None` (an `Option` field).
    #[inline(never)]
    pub(crate) fn optional_f64(&mut self, key: &'static str, slot: &mut Option<f64>) -> Result<()> {
        if let Some(value) = self.get(key).filter(|value| !value.is_null()) {
            *slot = Some(number(value, &self.at(key))?);
        }
        Ok(())
    }

    /// The integer `key` (either sign), which must be present.
    #[inline(never)]
    pub(crate) fn required_i64(&mut self, key: &'static str) -> Result<i64> {
        match self.get(key) {
            Some(value) => signed_integer(value, &self.at(key)),
            None => Err(self.missing(key)),
        }
    }

    /// The string `key`, which must be present.
    #[inline(never)]
    pub(crate) fn required_string(&mut self, key: &'static str) -> Result<String> {
        match self.get(key) {
            Some(value) => string(value, &self.at(key)),
            None => Err(self.missing(key)),
        }
    }

    /// Sets `slot` from the string `key`; absent or `null` leaves `None` (an `Option` field).
    #[inline(never)]
    pub(crate) fn optional_string(
        &mut self,
        key: &'static str,
        slot: &mut Option<String>,
    ) -> Result<()> {
        if let Some(value) = self.get(key).filter(|value| !value.is_null()) {
            *slot = Some(string(value, &self.at(key))?);
        }
        Ok(())
    }

    /// The value of `key` with its path, if present and not `null` (an `Option` field).
    #[inline(never)]
    pub(crate) fn optional(&mut self, key: &'static str) -> Option<(&'a Value<'a>, Path<'a>)> {
        self.child(key).filter(|(value, _)| !value.is_null())
    }

    /// Decodes the array `key`, if present, into `slot`.
    pub(crate) fn list<T>(
        &mut self,
        key: &'static str,
        slot: &mut Vec<T>,
        decode: fn(&Value, &Path<'_>) -> Result<T>,
    ) -> Result<()> {
        if let Some((value, path)) = self.child(key) {
            *slot = list_of(value, &path, decode)?;
        }
        Ok(())
    }

    /// Decodes the object `key` (a map by name), if present, into `slot`; a map given replaces
    /// the one `slot` had.
    pub(crate) fn by_name<T, M: NamedMap<T>>(
        &mut self,
        key: &'static str,
        slot: &mut M,
        decode: fn(&Value, &Path<'_>) -> Result<T>,
    ) -> Result<()> {
        if let Some((value, path)) = self.child(key) {
            *slot = map_of(value, &path, decode)?;
        }
        Ok(())
    }

    /// Sets `slot` from the integer `key` (in [0, u32::MAX]), if present.
    #[inline(never)]
    pub(crate) fn u32(&mut self, key: &'static str, slot: &mut u32) -> Result<()> {
        if let Some(value) = self.get(key) {
            let u = integer(value, &self.at(key), u64::from(u32::MAX))?;
            *slot = u32::try_from(u).unwrap_or(u32::MAX);
        }
        Ok(())
    }

    /// The integer `key` (in [0, u32::MAX]), which must be present.
    #[inline(never)]
    pub(crate) fn required_u32(&mut self, key: &'static str) -> Result<u32> {
        match self.get(key) {
            Some(value) => {
                let u = integer(value, &self.at(key), u64::from(u32::MAX))?;
                Ok(u32::try_from(u).unwrap_or(u32::MAX))
            }
            None => Err(self.missing(key)),
        }
    }

    /// Sets `slot` from the integer `key`, if present.
    #[inline(never)]
    pub(crate) fn u64(&mut self, key: &'static str, slot: &mut u64) -> Result<()> {
        if let Some(value) = self.get(key) {
            *slot = integer(value, &self.at(key), u64::MAX)?;
        }
        Ok(())
    }

    /// Sets `slot` from the boolean `key`, if present.
    #[inline(never)]
    pub(crate) fn bool(&mut self, key: &'static str, slot: &mut bool) -> Result<()> {
        if let Some(value) = self.get(key) {
            *slot = value
                .as_bool()
                .ok_or_else(|| wrong_type(&self.at(key), "a boolean", value))?;
        }
        Ok(())
    }

    /// Sets `slot` from the boolean `key`; absent or `null` leaves `None` (an `Option` field).
    #[inline(never)]
    pub(crate) fn optional_bool(
        &mut self,
        key: &'static str,
        slot: &mut Option<bool>,
    ) -> Result<()> {
        if let Some(value) = self.get(key).filter(|value| !value.is_null()) {
            *slot = Some(
                value
                    .as_bool()
                    .ok_or_else(|| wrong_type(&self.at(key), "a boolean", value))?,
            );
        }
        Ok(())
    }

    /// Sets `slot` from the string `key`, if present.
    #[inline(never)]
    pub(crate) fn string(&mut self, key: &'static str, slot: &mut String) -> Result<()> {
        if let Some(value) = self.get(key) {
            value
                .as_str()
                .ok_or_else(|| wrong_type(&self.at(key), "a string", value))?
                .clone_into(slot);
        }
        Ok(())
    }

    /// The position in `names` of the string `key` (an enum's camelCase variant), if present.
    #[inline(never)]
    pub(crate) fn variant(&mut self, key: &'static str, names: &[&str]) -> Result<Option<usize>> {
        let Some(value) = self.get(key) else {
            return Ok(None);
        };
        variant(value, &self.at(key), names).map(Some)
    }

    fn missing(&self, key: &str) -> Error {
        Error::invalid(field(self.path), format!("missing field `{key}`"))
    }

    /// Fails naming the first field that no `get` asked for (`deny_unknown_fields`).
    #[inline(never)]
    pub(crate) fn finish(self) -> Result<()> {
        if !self.track || self.present == self.map.len() {
            return Ok(());
        }
        let stray = self
            .map
            .iter()
            .find(|(key, _)| !self.known.iter().any(|name| name == key));
        match stray {
            None => Ok(()),
            Some((key, _)) => Err(unknown(self.path, key, &self.known)),
        }
    }
}

/// `E_INVALID_INPUT` at `path.key`: `key` is none of `names`.
#[inline(never)]
fn unknown(path: &Path<'_>, key: &str, names: &[&str]) -> Error {
    let mut expected = String::new();
    for (i, name) in names.iter().enumerate() {
        expected.push_str(if i == 0 { "`" } else { ", `" });
        expected.push_str(name);
        expected.push('`');
    }
    Error::invalid(
        field(&Path::Key(path, key)),
        format!("unknown field `{key}`, expected one of {expected}"),
    )
}

/// The position in `names` of the string `value`.
#[inline(never)]
pub(crate) fn variant(value: &Value, path: &Path<'_>, names: &[&str]) -> Result<usize> {
    let Some(text) = value.as_str() else {
        return Err(wrong_type(path, "a string", value));
    };
    names.iter().position(|name| *name == text).ok_or_else(|| {
        Error::invalid(
            field(path),
            format!(
                "unknown variant `{text}`, expected one of `{}`",
                names.join("`, `")
            ),
        )
    })
}

/// A decoder's error carried through serde (a hand-written `Deserialize`), so that
/// [`crate::json::from_value`] can recover its field path under the enclosing value's.
pub(crate) fn to_serde<E: serde::de::Error>(error: &Error) -> E {
    E::custom(crate::json::mark_path(error))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_fields_keeps_absent_ones_and_names_bad_ones() {
        let v = json!({"a": 1.5, "n": 4.0, "b": true, "s": "x", "e": "addOn"});
        let text = v.to_string();
        let v = tree::parse(&text).unwrap();
        let mut o = Fields::new(&v, &Path::Root("p")).unwrap();
        let (mut a, mut n, mut b, mut s, mut z) = (0.0, 0_u32, false, String::new(), 7.0);
        o.f64("a", &mut a).unwrap();
        o.u32("n", &mut n).unwrap();
        o.bool("b", &mut b).unwrap();
        o.string("s", &mut s).unwrap();
        o.f64("z", &mut z).unwrap();
        assert_eq!(o.variant("e", &["floor", "addOn"]).unwrap(), Some(1));
        o.finish().unwrap();
        assert_eq!((a, n, b, s.as_str(), z), (1.5, 4, true, "x", 7.0));

        let v = json!({"a": null, "n": 4.5, "m": -1, "e": "x", "q": 1});
        let text = v.to_string();
        let v = tree::parse(&text).unwrap();
        let mut o = Fields::new(&v, &Path::Root("p")).unwrap();
        let err = o.f64("a", &mut a).unwrap_err();
        assert_eq!((err.code(), err.field()), ("E_INVALID_INPUT", "p.a"));
        assert!(err.to_string().contains("null are not numbers"), "{err}");
        assert_eq!(o.u32("n", &mut n).unwrap_err().field(), "p.n");
        assert_eq!(o.u32("m", &mut n).unwrap_err().field(), "p.m");
        let err = o.variant("e", &["floor"]).unwrap_err();
        assert!(err.to_string().contains("unknown variant `x`"), "{err}");
        let err = o.finish().unwrap_err();
        assert_eq!(err.field(), "p.q");
        assert!(err.to_string().contains("unknown field `q`"), "{err}");
        let mut o = Fields::new(&v, &Path::Root("")).unwrap();
        let err = o.required_f64("r").unwrap_err();
        assert_eq!(err.field(), "");
        assert!(err.to_string().contains("missing field `r`"), "{err}");
        assert_eq!(
            Fields::new(&tree::parse("[1]").unwrap(), &Path::Root("x"))
                .err()
                .unwrap()
                .field(),
            "x"
        );
    }
}
