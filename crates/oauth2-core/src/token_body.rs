//! Reading a token response body without leaving copies of its secrets in freed memory.
//!
//! Parsing the body into a `serde_json::Value` would copy the access token into a `String`
//! that is freed without being wiped (and, for a token with escapes, into serde_json's scratch
//! buffer as well). Here the access token is taken as its raw text, borrowed from the body, and
//! decoded once into a [`SecretString`](crate::SecretString) ([`json_string`]); fields holding
//! secrets this crate does not use are skipped without being decoded; every other field is read
//! into a `Value`, as before.

use std::cell::Cell;
use std::fmt;

use serde::de::{
    DeserializeSeed, Deserializer, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::json_string::{self, Decoded};

/// Fields holding secrets this crate does not use: skipped (checked for syntax only), so no
/// copy of them is made.
const UNUSED_SECRETS: &[&str] = &["refresh_token", "id_token"];

/// A body whose top level is a JSON object.
pub(crate) struct Object {
    /// The last `access_token` field, decoded. `Invalid` (its offset is one in the body) ends
    /// the parse where serde_json would have stopped, and `fields` is then empty.
    pub(crate) access_token: Option<Decoded>,
    /// The other fields, except [`UNUSED_SECRETS`]; a repeated key keeps its last value.
    pub(crate) fields: Map<String, Value>,
}

/// Parses `body`. `Ok(None)`: valid JSON whose top level is not an object.
pub(crate) fn read(body: &[u8]) -> Result<Option<Object>, serde_json::Error> {
    let invalid_at = Cell::new(None);
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let parsed = TopVisitor {
        body,
        invalid_at: &invalid_at,
    }
    .deserialize(&mut deserializer)
    .and_then(|object| deserializer.end().map(|()| object));
    match invalid_at.get() {
        // serde_json refuses such a string when it reaches it: report it in its place
        Some(at) => Ok(Some(Object {
            access_token: Some(Decoded::Invalid { at }),
            fields: Map::new(),
        })),
        None => parsed,
    }
}

/// The line and column serde_json reports for byte offset `at` of `input`.
pub(crate) fn line_column(input: &[u8], at: usize) -> (usize, usize) {
    let before = input.get(..at).unwrap_or(input);
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |newline| newline + 1);
    let lines_before = before[..line_start].iter().filter(|&&b| b == b'\n').count();
    (1 + lines_before, before.len() - line_start)
}

/// The byte offset of `part`, a slice borrowed from `whole`.
fn offset_in(whole: &[u8], part: &str) -> usize {
    part.as_ptr()
        .addr()
        .saturating_sub(whole.as_ptr().addr())
        .min(whole.len())
}

/// Reads the top level: any JSON value, of which only an object is read. An invalid access
/// token stops the parse, with its offset in `invalid_at`.
struct TopVisitor<'a> {
    body: &'a [u8],
    invalid_at: &'a Cell<Option<usize>>,
}

impl<'de> DeserializeSeed<'de> for TopVisitor<'_> {
    type Value = Option<Object>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopVisitor<'_> {
    type Value = Option<Object>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut access_token = None;
        let mut fields = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == "access_token" {
                let raw = map.next_value::<&'de RawValue>()?;
                access_token = Some(self.decode(raw).map_err(A::Error::custom)?);
            } else if UNUSED_SECRETS.contains(&key.as_str()) {
                map.next_value::<IgnoredAny>()?;
            } else {
                let value = map.next_value::<Value>()?;
                fields.insert(key, value);
            }
        }
        Ok(Some(Object {
            access_token,
            fields,
        }))
    }
}

impl TopVisitor<'_> {
    /// Decodes the access token; an invalid one is recorded and ends the parse.
    fn decode(&self, raw: &RawValue) -> Result<Decoded, &'static str> {
        match json_string::decode(raw.get()) {
            Decoded::Invalid { at } => {
                let at = offset_in(self.body, raw.get()).saturating_add(at);
                self.invalid_at.set(Some(at));
                Err("an invalid string")
            }
            decoded => Ok(decoded),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_token_is_placed_where_serde_json_places_it() {
        for body in [
            "{\"access_token\":\"\\udc00\"}",
            "{\n  \"scope\": \"a\",\n  \"access_token\": \"ab\\ud800xy\"\n}",
            "\n\n{\"access_token\":\n\"\\ud800\\u0041\"}",
        ] {
            let serde = serde_json::from_str::<Value>(body).unwrap_err();
            let Some(Decoded::Invalid { at }) =
                read(body.as_bytes()).unwrap().unwrap().access_token
            else {
                panic!("{body:?} was accepted");
            };
            assert_eq!(
                line_column(body.as_bytes(), at),
                (serde.line(), serde.column()),
                "{body:?}"
            );
        }
        assert_eq!(line_column(b"ab\ncd\nef", 7), (3, 1));
        assert_eq!(line_column(b"ab\ncd", 3), (2, 0));
        assert_eq!(line_column(b"ab", 99), (1, 2));
    }

    #[test]
    fn the_access_token_is_decoded_and_other_secrets_are_skipped() {
        let body = br#"{"access_token":"a","refresh_token":"r","id_token":{"x":1},"n":2,"access_token":"b\u0041"}"#;
        let object = read(body).unwrap().unwrap();
        assert!(
            matches!(object.access_token, Some(Decoded::String(ref s)) if s.expose_secret() == "bA")
        );
        assert_eq!(object.fields.len(), 1);
        assert_eq!(object.fields["n"], 2);
    }

    #[test]
    fn an_invalid_token_is_reported_before_a_later_error() {
        let body = "{\"access_token\":\"\\ud800x\", oops";
        let serde = serde_json::from_str::<Value>(body).unwrap_err();
        let Some(Decoded::Invalid { at }) = read(body.as_bytes()).unwrap().unwrap().access_token
        else {
            panic!("{body:?} was accepted");
        };
        assert_eq!(
            line_column(body.as_bytes(), at),
            (serde.line(), serde.column())
        );
    }

    #[test]
    fn other_top_levels_are_not_objects() {
        for body in [
            "[1, {\"a\": [\"b\"]}]",
            "\"s\"",
            "1",
            "-1",
            "1.5",
            "true",
            "null",
        ] {
            assert!(read(body.as_bytes()).unwrap().is_none(), "{body}");
        }
        for body in ["[1,]", "{\"a\":1} x", "", "{\"access_token\":\"\\x\"}"] {
            assert!(read(body.as_bytes()).is_err(), "{body}");
        }
    }
}
