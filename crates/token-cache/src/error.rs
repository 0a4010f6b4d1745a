//! The crate's error type.

use std::path::PathBuf;

/// What can go wrong in a token cache.
///
/// Every variant has a stable [`code`](Self::code) and says whether trying again can help
/// ([`is_retryable`](Self::is_retryable)). Messages never contain token values.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A user-supplied backend failed (the message is the backend's own), or the file cache's
    /// worker thread panicked or was cancelled. Not retryable: this crate cannot tell whether
    /// the backend's failure is transient.
    #[error("token cache backend failed: {reason}. The token request itself can still proceed; check the backend's health")]
    Backend {
        /// What the backend reported (must not contain token values).
        reason: String,
    },
    /// A lock protecting the cache was poisoned by a panic in another thread. Not retryable:
    /// the lock stays poisoned.
    #[error("token cache lock poisoned by a panic in another thread; recreate the application")]
    Poisoned,
    /// A file operation of the file cache failed. Retryable when the operating system reports a
    /// transient condition (interrupted, would block / `EAGAIN`, timed out, busy, deadlock
    /// detected on the lock); not for anything else (permission denied, not found, a directory
    /// in the way, a full disk).
    #[error("token cache file operation failed: could not {operation} `{}`: {source}. Check that the directory exists and that this user may read and write it", path.display())]
    Io {
        /// What was being done (`read`, `write`, `lock`, ...).
        operation: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A serialized cache document is not valid MSAL cache JSON. Not retryable: the bytes will
    /// not change by reading them again (the file cache moves such a file aside by itself).
    #[error("the serialized token cache is not a valid MSAL cache document: {reason}. Start from an empty cache or restore a good copy")]
    Corrupt {
        /// What is wrong (a position or a section name; never the content).
        reason: String,
    },
    /// The file cache refused a file or directory that another user could have written: the
    /// cache file or `<file>.lock` is not owned by this user, is writable by its group or by
    /// others, or is a symbolic link where none may be; or the cache's directory is writable by
    /// its group or others, or owned by someone other than this user or root (OpenSSH's rules,
    /// see `docs/cache.md`). Nothing from the file is served. Not retryable: fix the ownership
    /// or mode first, as the message says.
    #[error("token cache refused `{}`: {problem}, so another user could have planted or changed tokens there. {fix}", path.display())]
    Untrusted {
        /// The file or directory refused.
        path: PathBuf,
        /// What is wrong with it (owner, mode, symbolic link).
        problem: String,
        /// What to do about it (a `chmod`/`chown`/`rm` command for this path).
        fix: String,
    },
    /// The cache file is larger than the file cache's size limit (default
    /// `FileTokenCache::DEFAULT_MAX_FILE_BYTES`), or a write would have made it larger. The file
    /// was not read (at most `limit + 1` bytes of it) or not written. Not retryable: the file has
    /// to shrink or the limit has to grow.
    #[error("the token cache file `{}` is, or would become, larger than the limit of {limit} bytes, so it was neither read nor written. Delete the file (the cache starts empty), or raise the limit with `FileTokenCacheBuilder::max_file_bytes`", path.display())]
    TooLarge {
        /// The cache file.
        path: PathBuf,
        /// The size limit in bytes.
        limit: u64,
    },
}

impl Error {
    /// A stable, machine-readable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Backend { .. } => "cache_backend_error",
            Error::Poisoned => "cache_poisoned",
            Error::Io { .. } => "cache_io_error",
            Error::Corrupt { .. } => "cache_corrupt",
            Error::Untrusted { .. } => "cache_file_untrusted",
            Error::TooLarge { .. } => "cache_file_too_large",
        }
    }

    /// Whether the same operation may succeed if tried again (see each variant).
    pub fn is_retryable(&self) -> bool {
        use std::io::ErrorKind;
        match self {
            Error::Io { source, .. } => matches!(
                source.kind(),
                ErrorKind::Interrupted
                    | ErrorKind::WouldBlock
                    | ErrorKind::TimedOut
                    | ErrorKind::ResourceBusy
                    | ErrorKind::Deadlock
            ),
            Error::Backend { .. }
            | Error::Poisoned
            | Error::Corrupt { .. }
            | Error::Untrusted { .. }
            | Error::TooLarge { .. } => false,
        }
    }

    #[cfg(any(feature = "file", test))]
    pub(crate) fn io(
        operation: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Error::Io {
            operation,
            path: path.into(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{self, ErrorKind};

    fn io_error(kind: ErrorKind) -> Error {
        Error::io("lock", "/tmp/cache.json.lock", io::Error::from(kind))
    }

    #[test]
    fn transient_io_is_retryable_the_rest_is_not() {
        for kind in [
            ErrorKind::WouldBlock,
            ErrorKind::TimedOut,
            ErrorKind::Interrupted,
        ] {
            assert!(io_error(kind).is_retryable(), "{kind:?}");
        }
        // EAGAIN as the OS reports it
        let eagain = Error::io("lock", "/x", io::Error::from_raw_os_error(11));
        assert_eq!(eagain.is_retryable(), cfg!(target_os = "linux"));
        for kind in [
            ErrorKind::PermissionDenied,
            ErrorKind::NotFound,
            ErrorKind::InvalidInput,
        ] {
            assert!(!io_error(kind).is_retryable(), "{kind:?}");
        }
        let corrupt = Error::Corrupt {
            reason: "not JSON".to_owned(),
        };
        assert!(!corrupt.is_retryable());
        assert!(!Error::Poisoned.is_retryable());
        let backend = Error::Backend {
            reason: "down".to_owned(),
        };
        assert!(!backend.is_retryable());
        let untrusted = Error::Untrusted {
            path: "/tmp/cache.json".into(),
            problem: "the cache file is writable by other users (mode 0666)".to_owned(),
            fix: "Run `chmod 600 /tmp/cache.json`".to_owned(),
        };
        assert!(!untrusted.is_retryable());
        assert_eq!(untrusted.code(), "cache_file_untrusted");
        let too_large = Error::TooLarge {
            path: "/tmp/cache.json".into(),
            limit: 1024,
        };
        assert!(!too_large.is_retryable());
        assert_eq!(too_large.code(), "cache_file_too_large");
        assert!(too_large.to_string().contains("1024 bytes"), "{too_large}");
    }

    #[test]
    fn io_errors_keep_their_source_and_code() {
        use std::error::Error as _;
        let e = io_error(ErrorKind::PermissionDenied);
        assert_eq!(e.code(), "cache_io_error");
        assert!(e.source().is_some());
        assert!(e.to_string().contains("cache.json.lock"), "{e}");
    }
}
