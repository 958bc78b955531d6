//! Compact JSON text from any `Serialize` value: byte for byte what `serde_json::to_string`
//! writes, in less code.
//!
//! serde_json's serializer is written to be inlined: every field of every derived `Serialize`
//! impl gets its own copy of the comma, key, colon and value writing, which for the reports,
//! the parameters and the engine snapshot came to tens of KB of `.wasm` (README "Build profile
//! and size"). Here a struct field, a sequence element and a map entry are each one call of an
//! out-of-line function (one instance per value type), and the scalars are written by
//! serde_json's own formatter and string escaper, so the text is the same: `null` for NaN and
//! ±Infinity, zmij's shortest floats, itoa's integers, serde_json's escapes, enum variants as
//! serde_json writes them (`"Unit"`, `{"Newtype":…}`, `{"Tuple":[…]}`, `{"Struct":{…}}`), map
//! keys as strings (integers, floats and booleans quoted, anything else an error). Tests compare
//! it with serde_json over random JSON values and every report type.

use crate::error::{Error, Result};
use serde::ser::{self, Impossible, Serialize};

/// The compact JSON text of `value` (`serde_json::to_string`'s bytes).
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    let bytes = to_vec(value)?;
    // Only whole UTF-8 strings and ASCII are ever written.
    String::from_utf8(bytes).map_err(|e| Error::invalid("", e))
}

/// The compact JSON text of `value` as bytes (`serde_json::to_vec`'s).
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    let mut writer = Writer {
        out: Vec::with_capacity(128),
    };
    value.serialize(&mut writer)?;
    Ok(writer.out)
}

impl ser::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Error::invalid("", msg)
    }
}

/// The output text.
struct Writer {
    out: Vec<u8>,
}

/// `text` as a JSON string, escaped as serde_json escapes: `"` and `\` with a backslash, the
/// control characters below U+0020 as `\b`, `\t`, `\n`, `\f`, `\r` or `\u00xx` (lowercase
/// hex), everything else as it is.
#[inline(never)]
pub(crate) fn write_string(out: &mut Vec<u8>, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = text.as_bytes();
    let mut start = 0;
    for (i, &byte) in bytes.iter().enumerate() {
        let escape = ESCAPE[usize::from(byte)];
        if escape == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        start = i + 1;
        if escape == b'u' {
            let (high, low) = (HEX[usize::from(byte >> 4)], HEX[usize::from(byte & 0xf)]);
            out.extend_from_slice(&[b'\\', b'u', b'0', b'0', high, low]);
        } else {
            out.extend_from_slice(&[b'\\', escape]);
        }
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Per byte, what follows the backslash of its escape (`u` for `\u00xx`), or 0 for none.
static ESCAPE: [u8; 256] = {
    let mut table = [0; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = b'u';
        byte += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// A finite `f64` as serde_json writes it: zmij's shortest round-trip digits (the caller writes
/// `null` for the others).
#[inline(never)]
pub(crate) fn write_f64(out: &mut Vec<u8>, value: f64) {
    out.extend_from_slice(zmij::Buffer::new().format_finite(value).as_bytes());
}

/// A finite `f32` as serde_json writes it.
fn write_f32(out: &mut Vec<u8>, value: f32) {
    out.extend_from_slice(zmij::Buffer::new().format_finite(value).as_bytes());
}

/// An integer as serde_json writes it (itoa's digits).
pub(crate) fn write_integer<I: itoa::Integer>(out: &mut Vec<u8>, value: I) {
    out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
}

impl Writer {
    fn string(&mut self, text: &str) -> Result<()> {
        write_string(&mut self.out, text);
        Ok(())
    }

    /// A separator before every item but the first.
    fn separate(&mut self, first: &mut bool) {
        if !std::mem::take(first) {
            self.out.push(b',');
        }
    }

    /// Opens a `{"variant":` wrapper (serde_json's externally tagged variants).
    #[inline(never)]
    fn variant_key(&mut self, variant: &str) -> Result<()> {
        self.out.push(b'{');
        self.string(variant)?;
        self.out.push(b':');
        Ok(())
    }

    /// Opens a compound value with `open`; `close` is written by its `end`.
    fn compound(&mut self, open: u8, close: &'static [u8]) -> Compound<'_> {
        self.out.push(open);
        Compound {
            writer: self,
            first: true,
            close,
        }
    }
}

/// A sequence, tuple, map or struct being written.
pub struct Compound<'a> {
    writer: &'a mut Writer,
    first: bool,
    close: &'static [u8],
}

impl Compound<'_> {
    /// One element: a separator, then the value (one instance per value type).
    #[inline(never)]
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.writer.separate(&mut self.first);
        value.serialize(&mut *self.writer)
    }

    /// One struct field: a separator, the key, a colon, then the value (one instance per value
    /// type, the key's part shared by all).
    #[inline(never)]
    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<()> {
        self.key(key)?;
        value.serialize(&mut *self.writer)
    }

    /// A field's separator, key and colon.
    #[inline(never)]
    fn key(&mut self, key: &str) -> Result<()> {
        self.writer.separate(&mut self.first);
        self.writer.string(key)?;
        self.writer.out.push(b':');
        Ok(())
    }

    fn close(self) -> Result<()> {
        self.writer.out.extend_from_slice(self.close);
        Ok(())
    }
}

impl<'a> ser::Serializer for &'a mut Writer {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    fn serialize_bool(self, v: bool) -> Result<()> {
        self.out
            .extend_from_slice(if v { b"true" as &[u8] } else { b"false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<()> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<()> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<()> {
        self.serialize_i64(v.into())
    }
    #[inline(never)]
    fn serialize_i64(self, v: i64) -> Result<()> {
        write_integer(&mut self.out, v);
        Ok(())
    }
    fn serialize_i128(self, v: i128) -> Result<()> {
        write_integer(&mut self.out, v);
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<()> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<()> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<()> {
        self.serialize_u64(v.into())
    }
    #[inline(never)]
    fn serialize_u64(self, v: u64) -> Result<()> {
        write_integer(&mut self.out, v);
        Ok(())
    }
    fn serialize_u128(self, v: u128) -> Result<()> {
        write_integer(&mut self.out, v);
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<()> {
        if !v.is_finite() {
            return self.serialize_unit();
        }
        write_f32(&mut self.out, v);
        Ok(())
    }
    #[inline(never)]
    fn serialize_f64(self, v: f64) -> Result<()> {
        if !v.is_finite() {
            return self.serialize_unit();
        }
        write_f64(&mut self.out, v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<()> {
        self.string(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<()> {
        self.string(v)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<()> {
        let mut seq = self.compound(b'[', b"]");
        for byte in v {
            seq.element(byte)?;
        }
        seq.close()
    }
    fn serialize_none(self) -> Result<()> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<()> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<()> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<()> {
        self.string(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<()> {
        self.variant_key(variant)?;
        value.serialize(&mut *self)?;
        self.out.push(b'}');
        Ok(())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a>> {
        Ok(self.compound(b'[', b"]"))
    }
    fn serialize_tuple(self, _len: usize) -> Result<Compound<'a>> {
        Ok(self.compound(b'[', b"]"))
    }
    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Compound<'a>> {
        Ok(self.compound(b'[', b"]"))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>> {
        self.variant_key(variant)?;
        Ok(self.compound(b'[', b"]}"))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a>> {
        Ok(self.compound(b'{', b"}"))
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Compound<'a>> {
        Ok(self.compound(b'{', b"}"))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>> {
        self.variant_key(variant)?;
        Ok(self.compound(b'{', b"}}"))
    }
}

/// The element-wise compounds: each element is [`Compound::element`].
macro_rules! elements {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for Compound<'_> {
            type Ok = ();
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
                self.element(value)
            }
            fn end(self) -> Result<()> {
                self.close()
            }
        }
    )*};
}

elements!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Error;
    #[inline(never)]
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<()> {
        self.writer.separate(&mut self.first);
        key.serialize(MapKey(&mut *self.writer))
    }
    #[inline(never)]
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.writer.out.push(b':');
        value.serialize(&mut *self.writer)
    }
    fn end(self) -> Result<()> {
        self.close()
    }
}

/// The field-wise compounds: each field is [`Compound::field`].
macro_rules! fields {
    ($($trait:ident),*) => {$(
        impl ser::$trait for Compound<'_> {
            type Ok = ();
            type Error = Error;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<()> {
                self.field(key, value)
            }
            fn end(self) -> Result<()> {
                self.close()
            }
        }
    )*};
}

fields!(SerializeStruct, SerializeStructVariant);

/// A map key: a string as it is; an integer, a finite float or a boolean quoted (as serde_json
/// writes them); anything else is an error.
struct MapKey<'a>(&'a mut Writer);

fn key_must_be_a_string() -> Error {
    Error::invalid("", "key must be a string")
}

impl MapKey<'_> {
    /// `"` + what `write` writes + `"`.
    fn quoted(self, write: impl FnOnce(&mut Vec<u8>)) -> Result<()> {
        let out = &mut self.0.out;
        out.push(b'"');
        write(out);
        out.push(b'"');
        Ok(())
    }
}

impl ser::Serializer for MapKey<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Impossible<(), Error>;
    type SerializeStructVariant = Impossible<(), Error>;

    fn serialize_str(self, v: &str) -> Result<()> {
        self.0.string(v)
    }
    fn serialize_char(self, v: char) -> Result<()> {
        self.0.string(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<()> {
        self.0.string(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_bool(self, v: bool) -> Result<()> {
        self.quoted(|out| out.extend_from_slice(if v { b"true" } else { b"false" }))
    }
    fn serialize_i8(self, v: i8) -> Result<()> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<()> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<()> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<()> {
        self.quoted(|out| write_integer(out, v))
    }
    fn serialize_i128(self, v: i128) -> Result<()> {
        self.quoted(|out| write_integer(out, v))
    }
    fn serialize_u8(self, v: u8) -> Result<()> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<()> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<()> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<()> {
        self.quoted(|out| write_integer(out, v))
    }
    fn serialize_u128(self, v: u128) -> Result<()> {
        self.quoted(|out| write_integer(out, v))
    }
    fn serialize_f32(self, v: f32) -> Result<()> {
        if !v.is_finite() {
            return Err(Error::invalid("", "float key must be finite"));
        }
        self.quoted(|out| write_f32(out, v))
    }
    fn serialize_f64(self, v: f64) -> Result<()> {
        if !v.is_finite() {
            return Err(Error::invalid("", "float key must be finite"));
        }
        self.quoted(|out| write_f64(out, v))
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<()> {
        Err(key_must_be_a_string())
    }
    fn serialize_none(self) -> Result<()> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit(self) -> Result<()> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<()> {
        Err(key_must_be_a_string())
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<()> {
        Err(key_must_be_a_string())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(key_must_be_a_string())
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeStruct> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(key_must_be_a_string())
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
#[allow(clippy::unwrap_used)] // test code
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::Serialize;
    use serde_json::Value;
    use std::collections::BTreeMap;

    /// Ours and serde_json's text are the same, or both refuse.
    fn same<T: Serialize + ?Sized>(value: &T) {
        match (to_string(value), serde_json::to_string(value)) {
            (Ok(ours), Ok(theirs)) => assert_eq!(ours, theirs),
            (Err(_), Err(_)) => {}
            (ours, theirs) => panic!("ours {ours:?}, serde_json's {theirs:?}"),
        }
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<u64>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from), // non-finite → Null
            any::<String>().prop_map(Value::String),
            // Every escape: control characters, quotes, backslashes, DEL, non-ASCII.
            "[\\x00-\\x7f\"\\\\é€😀\u{2028}]{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::vec(("[\\x00-\\x7f]{0,6}", inner), 0..8)
                    .prop_map(|entries| Value::Object(entries.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn any_json_value_is_written_as_serde_json_writes_it(value in json_value()) {
            same(&value);
        }

        #[test]
        fn any_float_is_written_as_serde_json_writes_it(x in any::<f64>(), y in any::<f32>()) {
            same(&(x, y, [x, -x, x * 1e300, x / 1e300]));
        }
    }

    #[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
    enum Key {
        Alpha,
        Beta,
    }

    #[derive(Serialize)]
    struct UnitStruct;

    #[derive(Serialize)]
    struct Newtype(f32);

    #[derive(Serialize)]
    struct TupleStruct(u8, i16);

    #[derive(Serialize)]
    enum External {
        Unit,
        Newtype(f64),
        Tuple(i8, String),
        Struct { a: u32, b: Option<f64> },
    }

    #[derive(Serialize)]
    #[serde(tag = "type", rename_all = "camelCase")]
    enum Internal {
        First { x: f64 },
        Second { y: Vec<u8> },
    }

    #[derive(Serialize)]
    #[serde(tag = "t", content = "c")]
    enum Adjacent {
        A(i64),
        B,
    }

    #[derive(Serialize)]
    #[serde(untagged)]
    enum Untagged {
        N(u128),
        S(String),
    }

    #[derive(Serialize)]
    struct Inner {
        deep: Vec<Option<i32>>,
    }

    struct Bytes(&'static [u8]);

    impl Serialize for Bytes {
        fn serialize<S: ser::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
            s.serialize_bytes(self.0)
        }
    }

    /// A map keyed by anything serde can write, for the key rules.
    struct Keys<K>(Vec<K>);

    impl<K: Serialize> Serialize for Keys<K> {
        fn serialize<S: ser::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
            s.collect_map(self.0.iter().map(|k| (k, 1)))
        }
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Everything {
        unit: (),
        unit_struct: UnitStruct,
        newtype: Newtype,
        tuple: (i128, char, bool),
        tuple_struct: TupleStruct,
        bytes: Bytes,
        external: Vec<External>,
        internal: Vec<Internal>,
        adjacent: Vec<Adjacent>,
        untagged: Vec<Untagged>,
        int_keys: BTreeMap<i32, f64>,
        u128_keys: Keys<u128>,
        bool_keys: BTreeMap<bool, u8>,
        char_keys: BTreeMap<char, ()>,
        variant_keys: BTreeMap<Key, u8>,
        float_keys: Keys<f64>,
        option_keys: Keys<Option<&'static str>>,
        nested: Option<Option<f64>>,
        not_a_number: f64,
        infinite: f32,
        #[serde(flatten)]
        flattened: Inner,
        #[serde(skip_serializing_if = "Option::is_none")]
        skipped: Option<u8>,
        #[serde(rename = "quote\"back\\slash\u{1}")]
        odd_name: i8,
    }

    #[test]
    fn every_serde_shape_is_written_as_serde_json_writes_it() {
        let everything = Everything {
            unit: (),
            unit_struct: UnitStruct,
            newtype: Newtype(0.1),
            tuple: (i128::MIN, '"', true),
            tuple_struct: TupleStruct(255, -1),
            bytes: Bytes(&[0, 1, 255]),
            external: vec![
                External::Unit,
                External::Newtype(-0.0),
                External::Tuple(-8, "a\tb".into()),
                External::Struct { a: 7, b: None },
            ],
            internal: vec![Internal::First { x: 1e-7 }, Internal::Second { y: vec![] }],
            adjacent: vec![Adjacent::A(i64::MIN), Adjacent::B],
            untagged: vec![Untagged::N(u128::MAX), Untagged::S("\u{7f}".into())],
            int_keys: [(-3, 0.5), (12, f64::NAN)].into(),
            u128_keys: Keys(vec![u128::MAX]),
            bool_keys: [(false, 0), (true, 1)].into(),
            char_keys: [('\n', ()), ('é', ())].into(),
            variant_keys: [(Key::Alpha, 1), (Key::Beta, 2)].into(),
            float_keys: Keys(vec![0.1, -2.5e300]),
            option_keys: Keys(vec![Some("x")]),
            nested: Some(None),
            not_a_number: f64::NAN,
            infinite: f32::NEG_INFINITY,
            flattened: Inner {
                deep: vec![Some(1), None],
            },
            skipped: None,
            odd_name: 3,
        };
        same(&everything);
        let text = to_string(&everything).unwrap();
        assert!(text.contains(r#""external":["Unit",{"Newtype":-0.0},{"Tuple":[-8,"a\tb"]},{"Struct":{"a":7,"b":null}}]"#), "{text}");
        // Keys that are not strings, numbers or booleans are refused, as serde_json refuses them.
        for refused in [
            to_string(&Keys(vec![vec![1]])).unwrap_err(),
            to_string(&Keys(vec![f64::NAN])).unwrap_err(),
            to_string(&Keys(vec![None::<&str>])).unwrap_err(),
            to_string(&Keys(vec![()])).unwrap_err(),
        ] {
            assert_eq!(refused.code(), "E_INVALID_INPUT");
        }
        same(&Keys(vec![vec![1]]));
        same(&Keys(vec![f64::INFINITY]));
    }

    /// The documents the library writes: reports of every kind, engine updates and snapshot,
    /// parameters of every profile.
    #[test]
    fn the_librarys_documents_are_written_as_serde_json_writes_them() {
        use crate::engine::{EngineParams, MarginEngine};
        use crate::liquidation::{self, LiquidationOptions};
        use crate::margin::profiles;
        let market: crate::market::MarketSpec =
            crate::json::from_str(include_str!("../../tests/fixtures/market.json")).unwrap();
        for text in [
            include_str!("../../tests/fixtures/account.json"),
            include_str!("../../tests/fixtures/account-portfolio.json"),
        ] {
            let account: crate::portfolio::AccountSpec = crate::json::from_str(text).unwrap();
            for profile in ["drr", "deribit-portfolio", "deribit-standard"] {
                let params = profiles::profile(profile).unwrap();
                let options = LiquidationOptions::default();
                same(&crate::margin::margin(&market, &account, &params).unwrap());
                same(
                    &liquidation::liquidation_prices(&market, &account, &params, &options).unwrap(),
                );
                same(
                    &liquidation::liquidation_check(&market, &account, &params, &options).unwrap(),
                );
            }
        }
        same(&profiles::profiles());
        for info in profiles::profiles() {
            same(&profiles::profile(&info.name).unwrap());
        }
        let mut engine = MarginEngine::new(EngineParams::resolve(None).unwrap());
        let mut updates = 0;
        crate::engine::replay(
            &mut engine,
            include_str!("../../tests/fixtures/events.ndjson"),
            |u| {
                same(u);
                updates += 1;
                Ok(())
            },
        )
        .unwrap();
        assert!(updates > 10, "{updates} updates");
        same(&engine.snapshot());
        // The binding's snapshot, written from borrowed parts: the same document.
        assert_eq!(
            engine.snapshot_json().unwrap(),
            serde_json::to_string(&engine.snapshot()).unwrap()
        );
        let empty = MarginEngine::new(EngineParams::resolve(None).unwrap());
        assert_eq!(
            empty.snapshot_json().unwrap(),
            serde_json::to_string(&empty.snapshot()).unwrap()
        );
    }
}
