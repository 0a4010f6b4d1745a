//! Reading the cache file: trusted, bounded, parsed.

use std::fs::File;
use std::io::{self, Read as _};

use zeroize::Zeroizing;

use super::index::Stamp;
use super::trust::{self, Kind};
use super::Inner;
use crate::serialization::scan_access_tokens;
use crate::{CacheDocument, CachedAccessToken, Error};

/// The file as read.
pub(super) enum Loaded {
    Missing,
    /// The document, the stamp of the file it was read from and the bytes read.
    Document(Box<CacheDocument>, Stamp, Zeroizing<Vec<u8>>),
    /// Only the served access tokens (see [`Inner::load_tokens`]), the stamp and the bytes.
    Tokens(Vec<CachedAccessToken>, Stamp, Zeroizing<Vec<u8>>),
    /// Not a cache document (the reason names a position or a section), with the handle it was
    /// read through, for moving it aside.
    Corrupt(String, File),
}

impl Inner {
    /// Reads and parses the file as it is now, after checking the directory and the open file
    /// (see [`trust`]); a file over the size limit is an error, never read beyond the limit.
    pub(super) fn load(&self) -> Result<Loaded, Error> {
        self.load_as(false)
    }

    /// [`load`](Self::load), but reading only the served access tokens when the file allows
    /// it ([`Loaded::Tokens`]): no document is built. Otherwise as `load`.
    pub(super) fn load_tokens(&self) -> Result<Loaded, Error> {
        self.load_as(true)
    }

    fn load_as(&self, tokens_only: bool) -> Result<Loaded, Error> {
        trust::check_dir(&self.dir)?;
        let mut file = match trust::read_options().open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Loaded::Missing),
            Err(e) => return Err(Error::io("open", &self.path, e)),
        };
        // The stamp of the open file matches the bytes read, even if the path is replaced
        // meanwhile (the next lookup then sees a different stamp and reloads).
        let meta = trust::check_file(&file, &self.path, Kind::CacheFile)?;
        let bytes = self.read_capped(&mut file, meta.len())?;
        if tokens_only {
            if let Some(tokens) = scan_access_tokens(&bytes) {
                return Ok(Loaded::Tokens(tokens, Stamp::of(&meta), bytes));
            }
        }
        match CacheDocument::parse(&bytes) {
            Ok(doc) => Ok(Loaded::Document(Box::new(doc), Stamp::of(&meta), bytes)),
            Err(Error::Corrupt { reason }) => Ok(Loaded::Corrupt(reason, file)),
            Err(e) => Err(e),
        }
    }

    /// The file's bytes, or [`Error::TooLarge`] when its announced length or what it actually
    /// holds passes the limit. Never allocates or reads more than the limit plus one byte.
    fn read_capped(&self, file: &mut File, len: u64) -> Result<Zeroizing<Vec<u8>>, Error> {
        let limit = self.max_file_bytes;
        if len > limit {
            return Err(self.too_large());
        }
        let mut bytes = Zeroizing::new(Vec::with_capacity(usize::try_from(len).unwrap_or(0)));
        (&*file)
            .take(limit.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io("read", &self.path, e))?;
        if bytes.len() as u64 > limit {
            return Err(self.too_large());
        }
        Ok(bytes)
    }

    pub(super) fn too_large(&self) -> Error {
        Error::TooLarge {
            path: self.path.clone(),
            limit: self.max_file_bytes,
        }
    }
}
