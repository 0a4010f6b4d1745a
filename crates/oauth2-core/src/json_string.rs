//! Decoding one JSON string, given as its raw text, straight into memory that is wiped on drop.
//!
//! serde_json decodes a string with escapes into a scratch buffer that it frees without wiping,
//! and grows that buffer as it goes. For a secret (an access token) this module takes the raw
//! text instead (serde_json's `RawValue`, borrowed from the input, no copy), and decodes it
//! once into a buffer allocated at its final size, so nothing but that one zeroizing buffer
//! ever holds the decoded secret.

use zeroize::Zeroizing;

use crate::SecretString;

/// A raw JSON value decoded as a string.
pub(crate) enum Decoded {
    /// The value is not a JSON string (a number, `null`, an array, an object, …).
    NotAString,
    /// The string, decoded.
    String(SecretString),
    /// A `\u` escape leaves a UTF-16 surrogate unpaired, which is not a valid string (serde_json
    /// refuses it too), or an escape is malformed (serde_json refuses those before). `at` is
    /// the byte offset in the raw text where serde_json reports it.
    Invalid { at: usize },
}

/// Decodes `raw`, the text of one complete JSON value as serde_json validated it (escapes
/// well-formed, UTF-8). Never panics, whatever `raw` holds.
pub(crate) fn decode(raw: &str) -> Decoded {
    let Some(inner) = raw
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
    else {
        return Decoded::NotAString;
    };
    // Decoding never lengthens a string (`\n` → 1 byte, `\uXXXX` → at most 3, a surrogate
    // pair → 4), so this buffer never grows, and no partial copy is ever freed.
    let mut out = Zeroizing::new(String::with_capacity(inner.len()));
    match unescape_into(inner, &mut out) {
        // `take` moves the buffer out; the emptied `Zeroizing` has nothing left to wipe.
        Ok(()) => Decoded::String(SecretString::new(std::mem::take(&mut *out))),
        // + 1: offsets in `inner` are one byte after those in `raw` (the opening quote).
        Err(at) => Decoded::Invalid { at: at + 1 },
    }
}

/// Appends the unescaped `inner` to `out`; `Err(offset in inner)` for an invalid escape.
fn unescape_into(inner: &str, out: &mut String) -> Result<(), usize> {
    let bytes = inner.as_bytes();
    let mut start = 0;
    // `str::find` of one ASCII byte runs memchr: a token without escapes is one scan, one copy
    while let Some(found) = inner.get(start..).and_then(|rest| rest.find('\\')) {
        let escape = start + found;
        out.push_str(inner.get(start..escape).ok_or(escape)?);
        start = unescape_one(bytes, escape, out)?;
    }
    out.push_str(inner.get(start..).ok_or(start)?);
    Ok(())
}

/// Decodes the escape at `bytes[at]` (a backslash); returns the offset after it.
fn unescape_one(bytes: &[u8], at: usize, out: &mut String) -> Result<usize, usize> {
    let simple = match bytes.get(at + 1) {
        Some(b'"') => '"',
        Some(b'\\') => '\\',
        Some(b'/') => '/',
        Some(b'b') => '\u{8}',
        Some(b'f') => '\u{c}',
        Some(b'n') => '\n',
        Some(b'r') => '\r',
        Some(b't') => '\t',
        Some(b'u') => return unescape_unicode(bytes, at + 2, out),
        _ => return Err(at + 2),
    };
    out.push(simple);
    Ok(at + 2)
}

/// Decodes the four hex digits at `bytes[at..]` (after `\u`), and the low surrogate escape
/// after them when they are a high surrogate; returns the offset after what it used. Errors
/// at the offsets serde_json reports for the same input.
fn unescape_unicode(bytes: &[u8], at: usize, out: &mut String) -> Result<usize, usize> {
    let first = hex4(bytes, at).ok_or(at)?;
    let after_first = at + 4;
    let (code, next) = match first {
        0xDC00..=0xDFFF => return Err(after_first),
        0xD800..=0xDBFF => {
            // serde_json consumes the byte that is not `\`, or not `u`, before failing.
            if bytes.get(after_first) != Some(&b'\\') {
                return Err(after_first + 1);
            }
            if bytes.get(after_first + 1) != Some(&b'u') {
                return Err(after_first + 2);
            }
            let second_at = after_first + 2;
            let second = hex4(bytes, second_at).ok_or(second_at)?;
            if !(0xDC00..=0xDFFF).contains(&second) {
                return Err(second_at + 4);
            }
            let pair =
                0x1_0000 + ((u32::from(first) - 0xD800) << 10) + (u32::from(second) - 0xDC00);
            (pair, second_at + 4)
        }
        bmp => (u32::from(bmp), after_first),
    };
    out.push(char::from_u32(code).ok_or(at)?);
    Ok(next)
}

/// The value of the four hex digits at `bytes[at..at + 4]`.
fn hex4(bytes: &[u8], at: usize) -> Option<u16> {
    let digits = bytes.get(at..at.checked_add(4)?)?;
    digits.iter().try_fold(0u16, |acc, &b| {
        let digit = char::from(b).to_digit(16)?;
        Some(acc << 4 | digit as u16)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(raw: &str) -> Option<String> {
        match decode(raw) {
            Decoded::String(s) => Some(s.expose_secret().to_owned()),
            _ => None,
        }
    }

    #[test]
    fn decodes_like_serde_json() {
        for raw in [
            r#""""#,
            r#""plain.jwt-like_token~""#,
            r#""\"\\\/\b\f\n\r\t""#,
            r#""a\u0041\u00e9\u20ac\ud83d\ude00z""#,
            r#""\uD83D\uDE00\u0000""#,
            "\"caf\u{e9} \u{1f600}\"",
        ] {
            let expected: String = serde_json::from_str(raw).unwrap();
            assert_eq!(decoded(raw).as_deref(), Some(expected.as_str()), "{raw}");
        }
    }

    #[test]
    fn other_values_are_not_strings() {
        for raw in ["42", "null", "true", "[\"a\"]", "{\"a\":\"b\"}", "\"", ""] {
            assert!(matches!(decode(raw), Decoded::NotAString), "{raw}");
        }
    }

    #[test]
    fn lone_surrogates_fail_where_serde_json_fails() {
        for raw in [
            r#""\udc00""#,
            r#""ab\ud800""#,
            r#""\ud800x""#,
            r#""\ud800\n""#,
            r#""\ud800\u0041""#,
            r#""\ud800\ud800""#,
        ] {
            let serde_column = serde_json::from_str::<String>(raw).unwrap_err().column();
            let Decoded::Invalid { at } = decode(raw) else {
                panic!("{raw} decoded");
            };
            assert_eq!(at, serde_column, "{raw}");
        }
    }

    #[test]
    fn malformed_escapes_do_not_panic() {
        for raw in [
            r#""\""#,
            r#""\u12""#,
            r#""\uZZZZ""#,
            r#""\x""#,
            r#""\ud800\u""#,
        ] {
            assert!(matches!(decode(raw), Decoded::Invalid { .. }), "{raw}");
        }
    }
}
