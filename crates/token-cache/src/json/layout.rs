//! Writing a [`Json`] tree in MSAL Python's layout directly, without serde: the same bytes as
//! [`write_python_style`](super::write_python_style) (a test compares them), about three times
//! faster on cache files, whose bulk is long ASCII strings (tokens) copied here in one piece.

use std::io::{self, Write as _};

use zeroize::Zeroizing;

use super::{Json, Object, ZeroizingWriter};

/// `value` as MSAL Python's `json.dumps(value, indent=4)` writes it, into a buffer of
/// `capacity` bytes to start with (it grows, wiping each buffer it leaves, as needed).
#[cfg(test)]
fn write_python_layout(value: &Json, capacity: usize) -> Zeroizing<Vec<u8>> {
    write_with(ZeroizingWriter::with_capacity(capacity), |w| w.value(value))
}

/// The object `root` as MSAL Python's `json.dumps(root, indent=4)` writes it, into a buffer of
/// `capacity` bytes to start with (it grows, wiping each buffer it leaves, as needed).
pub(crate) fn write_object_python_layout(root: &Object, capacity: usize) -> Zeroizing<Vec<u8>> {
    write_with(ZeroizingWriter::with_capacity(capacity), |w| w.object(root))
}

/// [`write_object_python_layout`] into `buffer`, cleared first (its old bytes are overwritten,
/// not wiped: it is wiped when it is dropped or outgrown).
pub(crate) fn rewrite_object_python_layout(
    root: &Object,
    mut buffer: Zeroizing<Vec<u8>>,
) -> Zeroizing<Vec<u8>> {
    buffer.clear();
    write_with(ZeroizingWriter { buf: buffer }, |w| w.object(root))
}

fn write_with(
    out: ZeroizingWriter,
    write: impl FnOnce(&mut Layout) -> io::Result<()>,
) -> Zeroizing<Vec<u8>> {
    let mut writer = Layout { out, depth: 0 };
    // Writing to memory fails only when the length overflows `usize`.
    if write(&mut writer).is_err() {
        writer.out.buf.clear();
        writer.out.buf.extend_from_slice(b"{}");
    }
    writer.out.buf
}

struct Layout {
    out: ZeroizingWriter,
    depth: usize,
}

impl Layout {
    fn value(&mut self, value: &Json) -> io::Result<()> {
        match value {
            Json::Null => self.out.write_all(b"null"),
            Json::Bool(true) => self.out.write_all(b"true"),
            Json::Bool(false) => self.out.write_all(b"false"),
            Json::Number(n) => write!(self.out, "{n}"),
            Json::String(s) => self.string(s),
            Json::Array(items) => {
                self.open(b'[', items.is_empty())?;
                for (i, item) in items.iter().enumerate() {
                    self.next_item(i)?;
                    self.value(item)?;
                }
                self.close(b']', items.is_empty())
            }
            Json::Object(object) => self.object(object),
        }
    }

    fn object(&mut self, object: &Object) -> io::Result<()> {
        self.open(b'{', object.is_empty())?;
        for (i, (key, item)) in object.iter().enumerate() {
            self.next_item(i)?;
            self.string(key)?;
            self.out.write_all(b": ")?;
            self.value(item)?;
        }
        self.close(b'}', object.is_empty())
    }

    fn open(&mut self, bracket: u8, empty: bool) -> io::Result<()> {
        if !empty {
            self.depth += 1;
        }
        self.out.write_all(&[bracket])
    }

    fn close(&mut self, bracket: u8, empty: bool) -> io::Result<()> {
        if !empty {
            self.depth -= 1;
            self.newline()?;
        }
        self.out.write_all(&[bracket])
    }

    /// `,` before every item but the first, then a new line and the indentation.
    fn next_item(&mut self, index: usize) -> io::Result<()> {
        if index > 0 {
            self.out.write_all(b",")?;
        }
        self.newline()
    }

    fn newline(&mut self) -> io::Result<()> {
        const SPACES: &[u8; 64] = &[b' '; 64];
        self.out.write_all(b"\n")?;
        let mut left = self.depth * 4;
        while left > 0 {
            let n = left.min(SPACES.len());
            self.out.write_all(&SPACES[..n])?;
            left -= n;
        }
        Ok(())
    }

    /// A string with `ensure_ascii` escapes: `"` and `\`, control characters (`\n`-style where
    /// JSON has one, `\u00XX` otherwise), DEL and every non-ASCII character as `\uXXXX` (UTF-16
    /// units, lower-case hex).
    fn string(&mut self, s: &str) -> io::Result<()> {
        let bytes = s.as_bytes();
        self.out.reserve(bytes.len() + 2)?;
        self.out.write_all(b"\"")?;
        let mut start = 0;
        let mut i = 0;
        while i < bytes.len() {
            // skip 8 plain bytes at a time
            if let Some(word) = bytes.get(i..i + 8) {
                let word = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
                if !word_needs_escape(word) {
                    i += 8;
                    continue;
                }
            }
            if !needs_escape(bytes[i]) {
                i += 1;
                continue;
            }
            self.out.write_all(&bytes[start..i])?;
            i += self.escape(s, i)?;
            start = i;
        }
        self.out.write_all(&bytes[start..])?;
        self.out.write_all(b"\"")
    }

    /// Writes the escape of the character at byte `at` of `s`; returns its width in bytes.
    fn escape(&mut self, s: &str, at: usize) -> io::Result<usize> {
        let short = match s.as_bytes()[at] {
            b'"' => Some(&b"\\\""[..]),
            b'\\' => Some(&b"\\\\"[..]),
            b'\n' => Some(&b"\\n"[..]),
            b'\r' => Some(&b"\\r"[..]),
            b'\t' => Some(&b"\\t"[..]),
            0x08 => Some(&b"\\b"[..]),
            0x0c => Some(&b"\\f"[..]),
            _ => None,
        };
        if let Some(short) = short {
            self.out.write_all(short)?;
            return Ok(1);
        }
        let c = s[at..].chars().next().unwrap_or('\u{fffd}');
        let mut units = [0u16; 2];
        for unit in c.encode_utf16(&mut units) {
            write!(self.out, "\\u{unit:04x}")?;
        }
        Ok(c.len_utf8())
    }
}

/// `true` when one of the 8 bytes of `word` [needs an escape](needs_escape) (bit tricks from
/// "Bit Twiddling Hacks": a byte below `n` exists when `(w - n·0x01…) & !w & 0x80…` is not 0).
fn word_needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = |w: u64, n: u8| w.wrapping_sub(ONES * u64::from(n)) & !w & HIGH;
    let has_zero = |w: u64| below(w, 1);
    (word & HIGH) != 0
        || below(word, 0x20) != 0
        || has_zero(word ^ (ONES * 0x7f)) != 0
        || has_zero(word ^ (ONES * u64::from(b'"'))) != 0
        || has_zero(word ^ (ONES * u64::from(b'\\'))) != 0
}

/// Bytes JSON or `ensure_ascii` escape: `"`, `\`, control characters, DEL and non-ASCII.
fn needs_escape(b: u8) -> bool {
    !(0x20..0x7f).contains(&b) || b == b'"' || b == b'\\'
}

#[cfg(test)]
mod tests {
    use super::super::{parse, write_python_style};
    use super::*;

    #[test]
    fn same_bytes_as_the_serde_writer() {
        let long = "e".repeat(1_500);
        for input in [
            r#"{"b":1,"a":{"z":null,"y":[true,false,[]],"x":{}},"c":"s"}"#.to_owned(),
            "{\"k\":\"\u{e9}\u{1f600}\u{7f}\\u0001\\\"x\\\\ \\n\\r\\t\\b\\f\"}".to_owned(),
            r#"[1,-2,18446744073709551615,1.5,1e300,-0.0]"#.to_owned(),
            format!(r#"{{"t":"{long}","u":"{long}\u00e9{long}\"","v":[[{{}}],[]]}}"#),
            "{}".to_owned(),
            "[]".to_owned(),
            r#""just a string""#.to_owned(),
        ] {
            let value = parse(input.as_bytes()).unwrap();
            let fast = write_python_layout(&value, 16);
            assert_eq!(
                String::from_utf8_lossy(&fast),
                String::from_utf8_lossy(&write_python_style(&value)),
                "{input}"
            );
        }
    }

    #[test]
    fn the_word_check_agrees_with_the_byte_check() {
        for b in 0..=255u8 {
            for at in 0..8 {
                let mut word = [b'a'; 8];
                word[at] = b;
                let word = u64::from_le_bytes(word);
                assert_eq!(word_needs_escape(word), needs_escape(b), "{b:#x} at {at}");
            }
        }
    }

    #[test]
    fn deep_nesting_indents_past_the_space_buffer() {
        let input = format!("{}1{}", "[".repeat(20), "]".repeat(20));
        let value = parse(input.as_bytes()).unwrap();
        assert_eq!(*write_python_layout(&value, 0), *write_python_style(&value));
    }
}
