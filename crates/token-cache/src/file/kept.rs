//! The document this instance last read or wrote, kept between writes: a write into a file
//! that has not changed since skips reading and parsing it and merges into the kept document.
//!
//! "Not changed" means both: the file's [`Stamp`] (device, inode, length, modification and
//! change times) is the one recorded when the document was read or written, and the file
//! starts with the same bytes as then, which hold the generation marker. Each write stores a new random marker as
//! the document's first key (`"msal_rs_generation"`, a top-level string MSAL Python keeps and
//! otherwise ignores), so a file another instance wrote is never taken for ours even if the
//! file system reused the inode within one timestamp tick and the length matched. A writer
//! that keeps the marker (MSAL Python rewrites the document as it read it) still changes the
//! stamp.

use std::fs::File;
use std::io::{self, Read as _};

use zeroize::Zeroizing;

use super::index::Stamp;
use super::trust::{self, Kind};
use super::Inner;
use crate::{CacheDocument, Error};

/// The top-level key of the generation marker.
pub(super) const GENERATION_KEY: &str = "msal_rs_generation";

/// A document and the version of the file it matches.
pub(super) struct Kept {
    /// `None` when only the index was read from the file (see
    /// [`load_tokens`](Inner::load_tokens)): the next write parses `bytes`.
    pub(super) doc: Option<CacheDocument>,
    pub(super) stamp: Stamp,
    /// The file's bytes as read or written, the buffer the next version is written into
    /// (wiped when dropped).
    pub(super) bytes: Zeroizing<Vec<u8>>,
}

impl Kept {
    /// The first bytes of the version kept, long enough to hold the generation marker
    /// (`{`, a newline, four spaces, the key and 32 hex digits).
    fn head(&self) -> &[u8] {
        &self.bytes[..self.bytes.len().min(HEAD_LEN)]
    }

    /// The document, parsed from the kept bytes if only the index was read; `None` if they
    /// do not parse (they did when the index was read, so never in practice).
    pub(super) fn into_document(self) -> Option<(CacheDocument, Stamp, Zeroizing<Vec<u8>>)> {
        let doc = match self.doc {
            Some(doc) => doc,
            None => CacheDocument::parse(&self.bytes).ok()?,
        };
        Some((doc, self.stamp, self.bytes))
    }
}

/// How many first bytes of the file are compared with the kept version.
const HEAD_LEN: usize = 80;

/// A new generation marker: 128 random bits in hex.
pub(super) fn new_generation() -> Result<String, Error> {
    let bytes: [u8; 16] = ring::rand::generate(&ring::rand::SystemRandom::new())
        .map(|random| random.expose())
        .map_err(|_| Error::Backend {
            reason: "the system random generator failed".to_owned(),
        })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

impl Inner {
    /// Keeps `doc` as the version of the file `stamp` names.
    pub(super) fn keep(
        &self,
        doc: Option<CacheDocument>,
        stamp: Option<Stamp>,
        bytes: Zeroizing<Vec<u8>>,
    ) {
        let kept = stamp.map(|stamp| Kept { doc, stamp, bytes });
        if let Ok(mut slot) = self.kept.lock() {
            *slot = kept;
        }
    }

    /// Takes the kept document if the file is still the version it matches (checked on the
    /// open file, with the same trust checks as a read); `None` otherwise. Call with the lock.
    pub(super) fn take_kept_if_current(&self) -> Result<Option<Kept>, Error> {
        let Some(kept) = self.kept.lock().map_err(|_| Error::Poisoned)?.take() else {
            return Ok(None);
        };
        trust::check_dir(&self.dir)?;
        let file = match trust::read_options().open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io("open", &self.path, e)),
        };
        let meta = trust::check_file(&file, &self.path, Kind::CacheFile)?;
        if Stamp::of(&meta) != kept.stamp {
            return Ok(None);
        }
        Ok(starts_with(&file, kept.head()).then_some(kept))
    }
}

/// `true` when the file's first bytes are `head`.
fn starts_with(file: &File, head: &[u8]) -> bool {
    let mut first = vec![0u8; head.len()];
    (&*file).read_exact(&mut first).is_ok() && first == head
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generations_differ() {
        let (a, b) = (new_generation().unwrap(), new_generation().unwrap());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }
}
