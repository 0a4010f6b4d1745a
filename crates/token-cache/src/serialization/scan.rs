//! Reading the served access tokens straight from the bytes, without building the document:
//! what the file backend does when it only needs its index (opening a file, reloading after
//! another process wrote it). One pass: each entry is read into fixed slots for the fields
//! [`parse_fields`] reads, strings borrowed from the input, and turned into its token at
//! once; the tokens of one partition share one [`PartitionKey`]. Only the tokens are
//! allocated.
//!
//! It covers the plain case only and says so with `None` otherwise, and the caller then
//! parses the whole [`CacheDocument`](super::CacheDocument), whose result is the same by
//! construction: every entry goes through the same [`parse_fields`] as there; a file with an
//! entry that is not served cleanly (a problem to warn about), a string with escapes in a
//! field it reads, a repeated key, two entries for one token or bytes that are not UTF-8
//! (anywhere, even in a field it skips) is left to the full parse.

use std::collections::{HashMap, HashSet};
use std::fmt;

use oauth2_core::TokenType;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::read::{parse_fields, Field, Fields};
use super::{ACCESS_TOKEN, APP_METADATA};
use crate::{CachedAccessToken, PartitionKey, PartitionParts};

/// The access tokens [`CacheDocument::parse`](super::CacheDocument::parse) followed by
/// `into_access_tokens` would give, in the same order; `None` when this input needs the full
/// parse (including every input that is not a valid cache document).
pub(crate) fn access_tokens(input: &[u8]) -> Option<Vec<CachedAccessToken>> {
    if input.iter().all(u8::is_ascii_whitespace) {
        return Some(Vec::new());
    }
    // One UTF-8 check for the whole input: no string is checked again, and a field the scan
    // skips unread cannot hide bytes the full parse refuses.
    let input = std::str::from_utf8(input).ok()?;
    let mut scan = Scan::default();
    let mut de = serde_json::Deserializer::from_str(input);
    de.deserialize_map(RootVisitor(&mut scan)).ok()?;
    de.end().ok()?;
    let mut keys = HashSet::with_capacity(scan.keys.len());
    if !scan.keys.into_iter().all(|key| keys.insert(key)) {
        return None; // a repeated key: the last one wins, left to the full parse
    }
    let tokens = scan.tokens;
    let identities: HashSet<_> = tokens.iter().map(|t| (&t.partition, &t.scopes)).collect();
    (identities.len() == tokens.len()).then_some(tokens)
}

/// What the scan has read so far.
#[derive(Default)]
struct Scan<'a> {
    /// The `AccessToken` section's keys (a repeated one is left to the full parse, where the
    /// last one wins).
    keys: Vec<&'a str>,
    /// One key per partition, shared by its tokens, by the parts as the file spells them.
    partitions: HashMap<PartsKey<'a>, PartitionKey>,
    tokens: Vec<CachedAccessToken>,
}

/// [`PartitionParts`] as a map key: environment, client id, tenant, token type, key id.
type PartsKey<'a> = (&'a str, &'a str, &'a str, TokenType, Option<&'a str>);

impl<'a> Scan<'a> {
    /// Takes the entry under `key`; an error when it needs the full parse.
    fn add(&mut self, key: &'a str, entry: &Slots<'a>) -> Result<(), &'static str> {
        self.keys.push(key);
        let partitions = &mut self.partitions;
        let mut partition_key = |p: PartitionParts<'a>| {
            partitions
                .entry((p.environment, p.client_id, p.tenant, p.token_type, p.key_id))
                .or_insert_with(|| PartitionKey::new(p))
                .clone()
        };
        match parse_fields(entry, &mut partition_key) {
            Ok(Some(token)) => self.tokens.push(token),
            Ok(None) => {}
            Err(_) => return Err("an entry that is not served cleanly"),
        }
        Ok(())
    }
}

/// The fields [`parse_fields`] reads, each with its slot in [`Slots`]; other fields are
/// skipped.
fn slot(name: &str) -> Option<usize> {
    Some(match name {
        "credential_type" => 0,
        "home_account_id" => 1,
        "secret" => 2,
        "target" => 3,
        "environment" => 4,
        "client_id" => 5,
        "realm" => 6,
        "token_type" => 7,
        "key_id" => 8,
        "kid" => 9,
        "ext_cache_key" => 10,
        "cached_at" => 11,
        "expires_on" => 12,
        "extended_expires_on" => 13,
        "refresh_on" => 14,
        _ => return None,
    })
}

/// One entry's fields that [`parse_fields`] reads, by [`slot`], borrowed from the input.
struct Slots<'a>([Option<Value<'a>>; SLOTS]);

/// How many fields [`slot`] names.
const SLOTS: usize = 15;

/// A field value; anything but a string, null or a number is only named.
#[derive(Clone, Copy)]
enum Value<'a> {
    Null,
    Str(&'a str),
    Number(Option<u64>),
    Other(&'static str),
}

impl<'a> Fields<'a> for Slots<'a> {
    fn field(&self, name: &str) -> Field<'a> {
        let slot = slot(name);
        debug_assert!(slot.is_some(), "the scan keeps no `{name}` field");
        match slot.and_then(|i| self.0[i]) {
            None => Field::Missing,
            Some(Value::Null) => Field::Null,
            Some(Value::Str(s)) => Field::Str(s),
            Some(Value::Number(n)) => Field::Number(n),
            Some(Value::Other(name)) => Field::Other(name),
        }
    }
}

/// The top level: the `AccessToken` section's entries go to the scan; the `AppMetadata`
/// section must be an object; everything else is skipped.
struct RootVisitor<'s, 'a>(&'s mut Scan<'a>);

impl<'a> Visitor<'a> for RootVisitor<'_, 'a> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a cache document")
    }

    fn visit_map<A: MapAccess<'a>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen_section = false;
        while let Some(key) = map.next_key::<&'a str>()? {
            if key == ACCESS_TOKEN {
                if seen_section {
                    return Err(de::Error::custom("a repeated section"));
                }
                seen_section = true;
                map.next_value_seed(Section(&mut *self.0))?;
            } else if key == APP_METADATA {
                map.next_value_seed(ObjectSeed)?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// The `AccessToken` section: each entry is read and handed to the scan as it comes.
struct Section<'s, 'a>(&'s mut Scan<'a>);

impl<'a> de::DeserializeSeed<'a> for Section<'_, 'a> {
    type Value = ();

    fn deserialize<D: Deserializer<'a>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'a> Visitor<'a> for Section<'_, 'a> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'a>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<&'a str>()? {
            let entry = map.next_value_seed(EntrySeed)?;
            self.0.add(key, &entry).map_err(de::Error::custom)?;
        }
        Ok(())
    }
}

/// One entry: an object (anything else is left to the full parse), its fields read into
/// [`Slots`] (the last of repeated names wins, as in the document).
struct EntrySeed;

impl<'a> de::DeserializeSeed<'a> for EntrySeed {
    type Value = Slots<'a>;

    fn deserialize<D: Deserializer<'a>>(self, d: D) -> Result<Slots<'a>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'a> Visitor<'a> for EntrySeed {
    type Value = Slots<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'a>>(self, mut map: A) -> Result<Slots<'a>, A::Error> {
        let mut slots = Slots([None; SLOTS]);
        while let Some(name) = map.next_key::<&'a str>()? {
            match slot(name) {
                Some(i) => slots.0[i] = Some(map.next_value_seed(ValueSeed)?),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(slots)
    }
}

/// A field value. A string with escapes cannot be borrowed: an error, so the full parse
/// (which keeps such strings in wiped memory) reads the file.
struct ValueSeed;

impl<'de> de::DeserializeSeed<'de> for ValueSeed {
    type Value = Value<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed {
    type Value = Value<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Value<'de>, E> {
        Ok(Value::Str(v))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Value<'de>, E> {
        Err(E::custom("a string with escapes"))
    }

    fn visit_unit<E>(self) -> Result<Value<'de>, E> {
        Ok(Value::Null)
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value<'de>, E> {
        Ok(Value::Number(Some(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value<'de>, E> {
        Ok(Value::Number(u64::try_from(v).ok()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value<'de>, E> {
        if v.is_finite() {
            Ok(Value::Number(None))
        } else {
            Err(E::custom("a number is not finite"))
        }
    }

    fn visit_bool<E>(self, _: bool) -> Result<Value<'de>, E> {
        Ok(Value::Other("a boolean"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Value::Other("an array"))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Value::Other("an object"))
    }
}

/// A value that must be an object (the `AppMetadata` section), skipped.
struct ObjectSeed;

impl<'de> de::DeserializeSeed<'de> for ObjectSeed {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ObjectSeed {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CacheDocument, PartitionKey, PartitionParts, Scopes, SecretString, TokenType};
    use oauth2_core::UnixTime;

    fn token(
        tenant: &str,
        scope: &str,
        token_type: TokenType,
        key_id: Option<&str>,
    ) -> CachedAccessToken {
        CachedAccessToken {
            partition: PartitionKey::new(PartitionParts {
                environment: "login.microsoftonline.com",
                client_id: "cid",
                tenant,
                token_type,
                key_id,
            }),
            scopes: Scopes::new([scope]).unwrap(),
            secret: SecretString::new(format!("secret-{tenant}-{scope}")),
            cached_at: UnixTime::from_secs(1_700_000_000),
            expires_on: UnixTime::from_secs(1_700_003_600),
            extended_expires_on: UnixTime::from_secs(1_700_007_200),
            refresh_on: Some(UnixTime::from_secs(1_700_001_800)),
        }
    }

    fn seen(tokens: &[CachedAccessToken]) -> Vec<String> {
        tokens
            .iter()
            .map(|t| {
                format!(
                    "{:?} {:?} {} {:?} {:?} {:?} {:?}",
                    t.partition,
                    t.scopes,
                    t.secret.expose_secret(),
                    t.cached_at,
                    t.expires_on,
                    t.extended_expires_on,
                    t.refresh_on
                )
            })
            .collect()
    }

    /// Whenever the scan answers, it answers what the full parse gives.
    fn agrees(input: &str) -> bool {
        let scanned = access_tokens(input.as_bytes());
        let full = CacheDocument::parse(input.as_bytes()).map(CacheDocument::into_access_tokens);
        match (&scanned, &full) {
            (Some(scanned), Ok(full)) => assert_eq!(seen(scanned), seen(full), "{input}"),
            (Some(_), Err(e)) => panic!("scanned a document the full parse refuses ({e}): {input}"),
            (None, _) => {}
        }
        scanned.is_some()
    }

    #[test]
    fn plain_documents_are_scanned_with_the_full_parse_result() {
        let doc = CacheDocument::from_iter([
            token("t1", "api://a/.default", TokenType::Bearer, None),
            token("t2", "api://b/.default", TokenType::MtlsPop, Some("kid-1")),
            token("t2", "api://b/.default", TokenType::Bearer, Some("kid-1")),
        ]);
        let json = doc.to_json();
        assert!(agrees(json.expose_secret()));
        assert!(agrees(""));
        assert!(agrees("  {}  "));
        assert!(agrees(
            r#"{"RefreshToken": {"k": {"secret": "r"}}, "AppMetadata": {}}"#
        ));
        // someone else's entries: a user token, another credential type, a foreign ext key
        let foreign = json.expose_secret().replacen(
            "\"AccessToken\": {",
            r#""AccessToken": {
                "user": {"credential_type": "AccessToken", "secret": "u", "home_account_id": "uid.utid",
                         "environment": "e", "client_id": "c", "realm": "r", "target": "s", "expires_on": "1"},
                "other": {"credential_type": "IdToken", "secret": "i"},
                "ext": {"credential_type": "AccessToken", "secret": "x", "environment": "e", "client_id": "c",
                        "realm": "r", "target": "s", "expires_on": "1", "ext_cache_key": "foreign"},"#,
            1,
        );
        assert!(agrees(&foreign));
    }

    #[test]
    fn everything_else_is_left_to_the_full_parse() {
        let entry = |fields: &str| {
            format!(
                r#"{{"AccessToken": {{"k": {{"credential_type": "AccessToken", "secret": "s", "environment": "e",
                    "client_id": "c", "realm": "r", "target": "x"{fields}}}}}}}"#
            )
        };
        for input in [
            entry(r#", "expires_on": "soon""#), // unusable: a warning to log
            entry(r#", "expires_on": "99999999999999""#), // impossible: dropped at the next write
            entry(r#", "expires_on": "1", "secret": "\u0041""#), // an escape
            r#"{"AccessToken": {"k": 1}}"#.to_owned(),
            r#"{"AccessToken": [], "AppMetadata": {}}"#.to_owned(),
            r#"{"AccessToken": {}, "AppMetadata": 3}"#.to_owned(),
            r#"{"AccessToken": {}, "AccessToken": {}}"#.to_owned(),
            r#"[1, 2]"#.to_owned(),
            r#"{"AccessToken": {"#.to_owned(),
        ] {
            assert!(!agrees(&input), "{input}");
        }
        // a repeated key, and two keys for one token (the full parse serves the longer-lived)
        let doc =
            CacheDocument::from_iter([token("t", "api://a/.default", TokenType::Bearer, None)]);
        let json = doc.to_json();
        let text = json.expose_secret();
        let start = text.find("\"-login").unwrap();
        let end = text.find("\n        }").unwrap() + "\n        }".len();
        let entry_text = &text[start..end];
        let repeated = text.replacen(entry_text, &format!("{entry_text},\n{entry_text}"), 1);
        assert!(!agrees(&repeated));
        let twin = entry_text.replacen("\"-login", "\"-other-key-login", 1);
        let twins = text.replacen(entry_text, &format!("{entry_text},\n{twin}"), 1);
        assert!(!agrees(&twins));
        // fields the entry repeats or this crate does not know are fine, escapes in the
        // fields it skips too
        assert!(agrees(&entry(
            r#", "expires_on": "1", "expires_on": "2", "extra": [1, {"a": null}], "n": 1.5"#
        )));
        assert!(agrees(&entry(
            r#", "expires_on": "1", "extra": "\u0041\"""#
        )));
        // bytes that are not UTF-8, even in a skipped field, are the full parse's to refuse
        let mut bytes = entry(r#", "expires_on": "1", "extra": "Z""#).into_bytes();
        let z = bytes.iter().position(|b| *b == b'Z').unwrap();
        bytes[z] = 0xff;
        assert!(access_tokens(&bytes).is_none());
        assert!(CacheDocument::parse(&bytes).is_err());
    }

    /// Thousands of mutations of a real document (ASCII bytes changed, runs deleted, JSON
    /// pieces inserted, up to three per input, from a fixed seed): whenever the scan answers,
    /// the full parse gives the same tokens in the same order, and the scan does answer for
    /// many of them (mutations inside values keep a document plain).
    #[test]
    fn mutated_documents_never_make_the_scan_disagree() {
        const PIECES: &[&str] = &[
            "\"",
            "\\",
            ",",
            "{",
            "}",
            "[",
            "]",
            ":",
            "1",
            "null",
            " ",
            "\"expires_on\": \"2\"",
            "\"AccessToken\"",
            "\"secret\": \"s\"",
            "\"k\": {}",
            "\\u0041",
        ];
        let doc = CacheDocument::from_iter([
            token("t1", "api://a/.default", TokenType::Bearer, None),
            token("t2", "api://b/.default", TokenType::MtlsPop, Some("kid-1")),
            token("t3", "api://c/.default", TokenType::Bearer, Some("kid-2")),
        ]);
        let json = doc.to_json();
        let seed = json.expose_secret().to_owned();
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let (mut scanned, mut tried) = (0, 0);
        for _ in 0..4_000 {
            let mut input = seed.clone().into_bytes();
            for _ in 0..=next() % 3 {
                let at = usize::try_from(next()).unwrap_or(0) % (input.len() + 1);
                match next() % 3 {
                    0 if at < input.len() => input[at] = b' ' + (next() % 95) as u8,
                    1 => {
                        let end = (at + (next() % 16) as usize).min(input.len());
                        input.drain(at..end);
                    }
                    _ => {
                        let piece = PIECES[usize::try_from(next()).unwrap_or(0) % PIECES.len()];
                        input.splice(at..at, piece.bytes());
                    }
                }
            }
            // ASCII in, ASCII out: always text
            let text = String::from_utf8(input).expect("ASCII mutations of an ASCII document");
            tried += 1;
            if agrees(&text) {
                scanned += 1;
            }
        }
        assert!(
            scanned * 10 > tried,
            "only {scanned} of {tried} mutated documents were scanned: the test checks little"
        );
    }
}
