//! A JSON document parsed into a tree that borrows from its text: objects are lists of entries
//! (no map, no key copied unless it has an escape), strings are borrowed unless escaped. The
//! hand-written decoders (`super::fields`) read it; building it costs about what serde's derived
//! visitors cost, where a `serde_json::Value` (a `BTreeMap` and an owned key per entry) cost twice
//! as much (README "Build profile and size").
//!
//! Accepts exactly JSON (RFC 8259) as serde_json does, with serde_json's number classes: an
//! integer literal is a `u64` (non-negative) or `i64` (negative) when it fits, `-0` and every
//! other literal an `f64`, correctly rounded (`super::decimal`: the standard library's bits, as
//! serde_json's `float_roundtrip`), out-of-range magnitudes refused. Duplicate keys are kept; readers take the
//! last (`Object::get`). Nesting is limited to 128 levels, so no input can exhaust the stack.
//! Never panics on any input.

use crate::error::{Error, Result};
use std::borrow::Cow;
use std::fmt;

/// A JSON value borrowing from the text it was parsed from.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number.
    Number(Number),
    /// A string.
    String(Cow<'a, str>),
    /// An array.
    Array(Vec<Value<'a>>),
    /// An object: its entries in document order (duplicates kept).
    Object(Vec<(Cow<'a, str>, Value<'a>)>),
}

/// A JSON number, classed as serde_json classes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// A non-negative integer literal that fits.
    Unsigned(u64),
    /// A negative integer literal that fits.
    Signed(i64),
    /// Any other number.
    Float(f64),
}

impl Number {
    /// The value as `f64` (integers rounded to nearest, as serde_json converts them).
    #[allow(clippy::cast_precision_loss)]
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Unsigned(u) => u as f64,
            Number::Signed(i) => i as f64,
            Number::Float(x) => x,
        }
    }

    /// The value as `u64`, if it is a non-negative integer literal.
    pub fn as_u64(self) -> Option<u64> {
        match self {
            Number::Unsigned(u) => Some(u),
            _ => None,
        }
    }

    /// The value as `i64`, if it is an integer literal that fits.
    pub fn as_i64(self) -> Option<i64> {
        match self {
            Number::Unsigned(u) => i64::try_from(u).ok(),
            Number::Signed(i) => Some(i),
            Number::Float(_) => None,
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Unsigned(u) => write!(f, "{u}"),
            Number::Signed(i) => write!(f, "{i}"),
            Number::Float(x) => write!(f, "{}", crate::numfmt::Shortest(*x)),
        }
    }
}

impl<'a> Value<'a> {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    /// The number as `f64`, if this is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(n.as_f64()),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

/// The value of the last entry named `key` among `entries` (an object's; the last one wins, as
/// in serde_json's map).
pub fn get<'v, 'a>(entries: &'v [(Cow<'a, str>, Value<'a>)], key: &str) -> Option<&'v Value<'a>> {
    entries
        .iter()
        .rev()
        .find(|(name, _)| name == key)
        .map(|(_, value)| value)
}

/// The bytes that end a string's plain run: `"`, `\\` and control characters.
static STOPS: [bool; 256] = {
    let mut stops = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        stops[b] = true;
        b += 1;
    }
    stops[b'"' as usize] = true;
    stops[b'\\' as usize] = true;
    stops
};

/// Merges `overrides` into `base`: objects merge key by key (recursively; of an override's
/// duplicate keys the last counts, as in a map), anything else in `overrides` replaces what `base`
/// had. Used for "profile + partial overrides" parameters (as `crate::json::merge` for
/// `serde_json::Value`).
pub fn merge<'a>(base: &mut Value<'a>, overrides: Value<'a>) {
    match (base, overrides) {
        (Value::Object(base), Value::Object(mut overrides)) => {
            // Of duplicate keys the last counts.
            let mut i = 0;
            while let Some((key, _)) = overrides.get(i) {
                let shadowed = overrides
                    .get(i + 1..)
                    .is_some_and(|rest| rest.iter().any(|(later, _)| later == key));
                if shadowed {
                    overrides.remove(i);
                } else {
                    i += 1;
                }
            }
            for (key, value) in overrides {
                match base.iter_mut().rev().find(|(name, _)| *name == key) {
                    Some((_, slot)) => merge(slot, value),
                    None => base.push((key, value)),
                }
            }
        }
        (slot, value) => *slot = value,
    }
}

/// Nesting depth beyond which a document is refused (serde_json's limit).
const MAX_DEPTH: usize = 128;

/// Parses `text` as one JSON value (`E_INVALID_INPUT`, empty field, "not valid JSON: …" with the
/// line and column otherwise).
pub fn parse(text: &str) -> Result<Value<'_>> {
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        at: 0,
        depth: 0,
    };
    let value = parser.value();
    let value = value.and_then(|value| {
        parser.whitespace();
        if parser.at < parser.bytes.len() {
            Err("trailing characters")
        } else {
            Ok(value)
        }
    });
    value.map_err(|reason| parser.error(reason))
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
    depth: usize,
}

type Step<T> = std::result::Result<T, &'static str>;

impl<'a> Parser<'a> {
    #[cold]
    fn error(&self, reason: &str) -> Error {
        let before = self.bytes.get(..self.at).unwrap_or(self.bytes);
        let line = 1 + before.iter().filter(|b| **b == b'\n').count();
        let column = before.iter().rev().take_while(|b| **b != b'\n').count();
        Error::invalid(
            "",
            format!("not valid JSON: {reason} at line {line} column {column}"),
        )
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    fn value(&mut self) -> Step<Value<'a>> {
        self.whitespace();
        match self.peek() {
            None => Err("EOF while parsing a value"),
            Some(b'{') => {
                self.enter()?;
                let value = self.object();
                self.depth -= 1;
                value
            }
            Some(b'[') => {
                self.enter()?;
                let value = self.array();
                self.depth -= 1;
                value
            }
            Some(b'"') => self.string().map(Value::String),
            Some(b't') => self.literal(b"true", Value::Bool(true)),
            Some(b'f') => self.literal(b"false", Value::Bool(false)),
            Some(b'n') => self.literal(b"null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number().map(Value::Number),
            Some(_) => Err("expected value"),
        }
    }

    /// Steps over an opening bracket, one level deeper.
    fn enter(&mut self) -> Step<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err("recursion limit exceeded");
        }
        self.at += 1;
        Ok(())
    }

    fn literal(&mut self, word: &[u8], value: Value<'a>) -> Step<Value<'a>> {
        match self.bytes.get(self.at..self.at + word.len()) {
            Some(found) if found == word => {
                self.at += word.len();
                Ok(value)
            }
            _ => Err("expected ident"),
        }
    }

    fn array(&mut self) -> Step<Value<'a>> {
        let mut items = Vec::new();
        self.whitespace();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value()?);
            self.whitespace();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(Value::Array(items));
                }
                None => return Err("EOF while parsing a list"),
                Some(_) => return Err("expected `,` or `]`"),
            }
        }
    }

    fn object(&mut self) -> Step<Value<'a>> {
        let mut entries = Vec::new();
        self.whitespace();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(Value::Object(entries));
        }
        loop {
            self.whitespace();
            match self.peek() {
                Some(b'"') => {}
                None => return Err("EOF while parsing an object"),
                Some(_) => return Err("key must be a string"),
            }
            let key = self.string()?;
            self.whitespace();
            match self.peek() {
                Some(b':') => self.at += 1,
                None => return Err("EOF while parsing an object"),
                Some(_) => return Err("expected `:`"),
            }
            let value = self.value()?;
            entries.push((key, value));
            self.whitespace();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(Value::Object(entries));
                }
                None => return Err("EOF while parsing an object"),
                Some(_) => return Err("expected `,` or `}`"),
            }
        }
    }

    /// A string literal (at its opening quote).
    fn string(&mut self) -> Step<Cow<'a, str>> {
        self.at += 1;
        let start = self.at;
        // Fast path: no escape, borrowed.
        let rest = self.bytes.get(start..).unwrap_or_default();
        let mut i = 0;
        // Eight bytes at a time while none needs a look (quote, backslash, control character).
        while let Some(chunk) = rest.get(i..i + 8) {
            if chunk.iter().any(|b| STOPS[usize::from(*b)]) {
                break;
            }
            i += 8;
        }
        while let Some(b) = rest.get(i) {
            if STOPS[usize::from(*b)] {
                break;
            }
            i += 1;
        }
        self.at = start + i;
        match self.peek() {
            None => return Err("EOF while parsing a string"),
            Some(b'"') => {
                let text = self.text.get(start..self.at).ok_or("invalid string")?;
                self.at += 1;
                return Ok(Cow::Borrowed(text));
            }
            Some(b'\\') => {}
            Some(_) => {
                return Err("control character (\\u0000-\\u001F) found while parsing a string")
            }
        }
        let mut owned = String::from(self.text.get(start..self.at).ok_or("invalid string")?);
        loop {
            let run = self.at;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.at += 1;
            }
            owned.push_str(self.text.get(run..self.at).ok_or("invalid string")?);
            match self.peek() {
                None => return Err("EOF while parsing a string"),
                Some(b'"') => {
                    self.at += 1;
                    return Ok(Cow::Owned(owned));
                }
                Some(b'\\') => {
                    self.at += 1;
                    let escaped = self.peek().ok_or("EOF while parsing a string")?;
                    self.at += 1;
                    match escaped {
                        b'"' => owned.push('"'),
                        b'\\' => owned.push('\\'),
                        b'/' => owned.push('/'),
                        b'b' => owned.push('\u{8}'),
                        b'f' => owned.push('\u{c}'),
                        b'n' => owned.push('\n'),
                        b'r' => owned.push('\r'),
                        b't' => owned.push('\t'),
                        b'u' => owned.push(self.unicode_escape()?),
                        _ => return Err("invalid escape"),
                    }
                }
                Some(_) => {
                    return Err("control character (\\u0000-\\u001F) found while parsing a string")
                }
            }
        }
    }

    fn hex4(&mut self) -> Step<u32> {
        let digits = self
            .bytes
            .get(self.at..self.at + 4)
            .ok_or("EOF while parsing a string")?;
        let mut code = 0;
        for digit in digits {
            let value = char::from(*digit).to_digit(16).ok_or("invalid escape")?;
            code = code * 16 + value;
        }
        self.at += 4;
        Ok(code)
    }

    /// After `\u`: one code point, a surrogate pair counting as one.
    fn unicode_escape(&mut self) -> Step<char> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                if self.bytes.get(self.at..self.at + 2) != Some(b"\\u") {
                    return Err("lone leading surrogate in hex escape");
                }
                self.at += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err("lone leading surrogate in hex escape");
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err("lone trailing surrogate in hex escape"),
            code => code,
        };
        char::from_u32(code).ok_or("invalid unicode code point")
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while let Some(b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
        self.at - start
    }

    fn number(&mut self) -> Step<Number> {
        let start = self.at;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.at += 1;
        }
        match self.peek() {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err("invalid number"),
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            self.at += 1;
            if self.digits() == 0 {
                return Err("invalid number");
            }
            integer = false;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            if self.digits() == 0 {
                return Err("invalid number");
            }
            integer = false;
        }
        let literal = self.text.get(start..self.at).ok_or("invalid number")?;
        if integer {
            if !negative {
                if let Ok(u) = literal.parse::<u64>() {
                    return Ok(Number::Unsigned(u));
                }
            } else if literal != "-0" {
                if let Ok(i) = literal.parse::<i64>() {
                    return Ok(Number::Signed(i));
                }
            }
        }
        match super::decimal::parse(literal) {
            Some(x) if x.is_finite() => Ok(Number::Float(x)),
            _ => Err("number out of range"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_classed_and_rounded_as_serde_json_does() {
        // Reference: serde_json (float_roundtrip) on the same literals, an independent parser.
        let literals = [
            "0",
            "-0",
            "1",
            "-1",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "0.1",
            "1e-400",
            "2.5e-308",
            "4.9e-324",
            "1.7976931348623157e308",
            "123456789012345678901234567890",
            "0.30000000000000004",
            "1E5",
            "1e+5",
            "-0.0",
            "9007199254740993",
        ];
        for literal in literals {
            let ours = parse(literal).unwrap();
            let theirs: serde_json::Value = serde_json::from_str(literal).unwrap();
            let Value::Number(n) = ours else {
                panic!("{literal}")
            };
            let m = theirs.as_number().unwrap();
            assert_eq!(n.as_u64(), m.as_u64(), "{literal}");
            assert_eq!(n.as_i64(), m.as_i64(), "{literal}");
            assert_eq!(
                n.as_f64().to_bits(),
                m.as_f64().unwrap().to_bits(),
                "{literal}"
            );
        }
        for bad in [
            "1e400", "-1e400", "01", "1.", ".5", "+1", "-", "1e", "0x1", "NaN",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
            assert!(
                serde_json::from_str::<serde_json::Value>(bad).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn documents_parse_as_serde_json_parses_them_and_bad_ones_fail_without_panicking() {
        let text =
            r#" {"a": [1, {"b": "x\"y\u00e9\ud83d\ude00\n"}, null, true, false], "a": 2, "": {}} "#;
        let ours = parse(text).unwrap();
        let Value::Object(entries) = &ours else {
            panic!()
        };
        assert_eq!(entries.len(), 3);
        assert_eq!(get(entries, "a"), Some(&Value::Number(Number::Unsigned(2))));
        let theirs: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(
            theirs["a"].as_u64(),
            get(entries, "a").and_then(Value::as_f64).map(|x| x as u64)
        );
        let Value::Array(items) = &entries[0].1 else {
            panic!()
        };
        let Value::Object(inner) = &items[1] else {
            panic!()
        };
        assert_eq!(get(inner, "b").and_then(Value::as_str), Some("x\"yé😀\n"));
        for bad in [
            "",
            " ",
            "{",
            "[1,]",
            "{\"a\":1,}",
            "{\"a\" 1}",
            "{1:2}",
            "\"\\ud800\"",
            "\"\\x\"",
            "\"a\nb\"",
            "[1] 2",
            "tru",
            "nul",
            "\"\\u12",
            "[",
            "{\"a\":",
            "\"abc",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
            assert!(
                serde_json::from_str::<serde_json::Value>(bad).is_err(),
                "{bad:?}"
            );
        }
        let deep = "[".repeat(200) + &"]".repeat(200);
        let err = parse(&deep).unwrap_err();
        assert!(err.to_string().contains("recursion limit"), "{err}");
        let err = parse("{\"a\": [1,\n x]}").unwrap_err();
        assert!(err.to_string().contains("line 2 column 1"), "{err}");
    }
}
