//! An order-preserving JSON value, and the writer that lays it out like MSAL Python.
//!
//! `serde_json::Value` sorts object keys unless the `preserve_order` feature is on, and that
//! feature would change `serde_json::Map` for every crate in the build. This small tree keeps
//! insertion order with [`IndexMap`], and every string is zeroized on drop, because cache
//! documents hold tokens (ours and other applications' refresh tokens).

use std::fmt;
use std::io;

use indexmap::IndexMap;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
#[cfg(any(test, feature = "redis"))]
use serde_json::ser::{Formatter, PrettyFormatter};
use zeroize::Zeroizing;

mod layout;

pub(crate) use layout::{rewrite_object_python_layout, write_object_python_layout};

/// A JSON object whose keys keep their insertion order.
pub(crate) type Object = IndexMap<String, Json>;

/// A JSON value. Strings are zeroized when dropped.
pub(crate) enum Json {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(Zeroizing<String>),
    Array(Vec<Json>),
    Object(Object),
}

impl Json {
    /// A string value.
    pub(crate) fn string(s: impl Into<String>) -> Self {
        Json::String(Zeroizing::new(s.into()))
    }

    pub(crate) fn as_object(&self) -> Option<&Object> {
        match self {
            Json::Object(o) => Some(o),
            _ => None,
        }
    }

    pub(crate) fn as_object_mut(&mut self) -> Option<&mut Object> {
        match self {
            Json::Object(o) => Some(o),
            _ => None,
        }
    }

    /// The JSON type name, for messages (never the value: it may be a token).
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }
}

// Values may hold tokens: show the shape only.
impl fmt::Debug for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Json::Object(o) => write!(f, "Json(object with {} keys)", o.len()),
            Json::Array(a) => write!(f, "Json(array of {})", a.len()),
            other => write!(f, "Json({})", other.type_name()),
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json, E> {
        serde_json::Number::from_f64(v)
            .map(Json::Number)
            .ok_or_else(|| E::custom("a number is not finite"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::string(v))
    }

    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::string(v))
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        Json::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element::<Json>()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut object = Object::with_capacity(map.size_hint().unwrap_or(0).min(4096));
        // A repeated key keeps its first position and its last value, as Python's json does.
        while let Some((key, value)) = map.next_entry::<String, Json>()? {
            object.insert(key, value);
        }
        Ok(Json::Object(object))
    }
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Null => serializer.serialize_unit(),
            Json::Bool(b) => serializer.serialize_bool(*b),
            Json::Number(n) => n.serialize(serializer),
            Json::String(s) => serializer.serialize_str(s),
            Json::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Json::Object(object) => {
                let mut map = serializer.serialize_map(Some(object.len()))?;
                for (k, v) in object {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

/// Parses a JSON document. Error messages carry positions, never content.
///
/// Strings are copied from `bytes` straight into zeroizing strings, except strings with escapes
/// (`\/`, `\uXXXX`), which serde_json first decodes into a scratch buffer that it frees
/// unwiped. Tokens are never written with escapes (`docs/reliability.md`, residual risks).
pub(crate) fn parse(bytes: &[u8]) -> Result<Json, serde_json::Error> {
    serde_json::from_slice(bytes)
}

/// Writes `value` as MSAL Python's `json.dumps(cache, indent=4)` does: 4-space indentation, keys
/// in insertion order, `": "` after keys, and every character outside printable ASCII escaped
/// as `\uXXXX` (`ensure_ascii`).
///
/// The output holds tokens, and no copy of it is freed unwiped: the buffer grows through
/// [`ZeroizingWriter`], never by `Vec` reallocation.
#[cfg(any(test, feature = "redis"))]
pub(crate) fn write_python_style<T: Serialize + ?Sized>(value: &T) -> Zeroizing<Vec<u8>> {
    let mut out = ZeroizingWriter::with_capacity(4096);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, PythonFormatter::new());
    // Serializing a `Json` tree into memory cannot fail: keys are strings, numbers are finite.
    if value.serialize(&mut ser).is_err() {
        out.buf.clear();
        out.buf.extend_from_slice(b"{}");
    }
    out.buf
}

/// An in-memory writer whose buffer is wiped whenever it is replaced or dropped.
///
/// A `Vec` that grows by reallocation frees its old buffer as it is, and that buffer holds
/// everything written so far (tokens). This one grows by allocating a larger zeroizing buffer,
/// copying, and dropping the old one, which wipes it.
struct ZeroizingWriter {
    buf: Zeroizing<Vec<u8>>,
}

impl ZeroizingWriter {
    fn with_capacity(capacity: usize) -> Self {
        Self {
            buf: Zeroizing::new(Vec::with_capacity(capacity)),
        }
    }

    /// Makes room for `additional` more bytes, at least doubling the capacity when it grows.
    fn reserve(&mut self, additional: usize) -> io::Result<()> {
        let needed = self
            .buf
            .len()
            .checked_add(additional)
            .ok_or(io::ErrorKind::OutOfMemory)?;
        if needed > self.buf.capacity() {
            let mut bigger = Vec::with_capacity(needed.max(self.buf.capacity().saturating_mul(2)));
            bigger.extend_from_slice(&self.buf);
            // the old buffer is wiped (its whole capacity) when it is dropped here
            self.buf = Zeroizing::new(bigger);
        }
        Ok(())
    }
}

impl io::Write for ZeroizingWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.write_all(data)?;
        Ok(data.len())
    }

    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.reserve(data.len())?;
        // within capacity: no reallocation
        self.buf.extend_from_slice(data);
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// `PrettyFormatter` with a 4-space indent and ASCII-only output.
#[cfg(any(test, feature = "redis"))]
struct PythonFormatter {
    pretty: PrettyFormatter<'static>,
}

#[cfg(any(test, feature = "redis"))]
impl PythonFormatter {
    fn new() -> Self {
        Self {
            pretty: PrettyFormatter::with_indent(b"    "),
        }
    }
}

#[cfg(any(test, feature = "redis"))]
impl Formatter for PythonFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // Fast path (tokens, URLs, GUIDs): nothing to escape.
        if fragment.is_ascii() && !fragment.contains('\u{7f}') {
            return writer.write_all(fragment.as_bytes());
        }
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if c.is_ascii() && c != '\u{7f}' {
                continue;
            }
            writer.write_all(&fragment.as_bytes()[start..i])?;
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(writer, "\\u{unit:04x}")?;
            }
            start = i + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.pretty.begin_array(w)
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.pretty.end_array(w)
    }

    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.pretty.begin_array_value(w, first)
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.pretty.end_array_value(w)
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.pretty.begin_object(w)
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.pretty.end_object(w)
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.pretty.begin_object_key(w, first)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.pretty.begin_object_value(w)
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.pretty.end_object_value(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(input: &str) -> String {
        let value = parse(input.as_bytes()).unwrap();
        String::from_utf8(write_python_style(&value).to_vec()).unwrap()
    }

    #[test]
    fn keeps_order_and_indents_like_python() {
        let out = roundtrip(r#"{"b":1,"a":{"z":null,"y":[true,false,[]],"x":{}},"c":"s"}"#);
        assert_eq!(
            out,
            "{\n    \"b\": 1,\n    \"a\": {\n        \"z\": null,\n        \"y\": [\n            true,\n            false,\n            []\n        ],\n        \"x\": {}\n    },\n    \"c\": \"s\"\n}"
        );
    }

    #[test]
    fn escapes_non_ascii_like_ensure_ascii() {
        // é (BMP), 😀 (surrogate pair), DEL, a control character and a quote
        let out = roundtrip("{\"k\":\"\u{e9}\u{1f600}\u{7f}\\u0001\\\"x\"}");
        assert_eq!(
            out,
            "{\n    \"k\": \"\\u00e9\\ud83d\\ude00\\u007f\\u0001\\\"x\"\n}"
        );
        assert!(out.is_ascii());
    }

    #[test]
    fn repeated_keys_keep_first_position_and_last_value() {
        let out = roundtrip(r#"{"a":1,"b":2,"a":3}"#);
        assert_eq!(out, "{\n    \"a\": 3,\n    \"b\": 2\n}");
    }

    #[test]
    fn numbers_survive() {
        let out = roundtrip(r#"[1,-2,18446744073709551615,1.5]"#);
        assert_eq!(
            out,
            "[\n    1,\n    -2,\n    18446744073709551615,\n    1.5\n]"
        );
    }

    #[test]
    fn the_writer_grows_past_its_first_buffer_without_changing_the_output() {
        let mut input = String::from("{");
        for i in 0..1000 {
            input.push_str(&format!("\"k{i}\":\"v\\u00e9{i}\","));
        }
        input.push_str("\"end\":[1.5,null]}");
        let value = parse(input.as_bytes()).unwrap();
        let ours = write_python_style(&value);
        assert!(ours.len() > 3 * 4096);
        let mut plain = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(&mut plain, PythonFormatter::new());
        value.serialize(&mut ser).unwrap();
        assert_eq!(*ours, plain);
    }

    #[test]
    fn debug_shows_shape_only() {
        let value = parse(br#"{"secret":"tok-123"}"#).unwrap();
        let shown = format!("{value:?}");
        assert!(!shown.contains("tok-123"));
        let s = Json::string("tok-456");
        assert!(!format!("{s:?}").contains("tok-456"));
    }

    #[test]
    fn syntax_errors_do_not_echo_content() {
        let err = parse(br#"{"secret": "tok-789""#).unwrap_err();
        assert!(!err.to_string().contains("tok-789"));
    }
}
