//! The crate's error type.

use std::path::PathBuf;

/// What can go wrong in a token cache.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A user-supplied backend failed; the message is the backend's own.
    #[error("token cache backend failed: {reason}. The token request itself can still proceed; check the backend's health")]
    Backend {
        /// What the backend reported (must not contain token values).
        reason: String,
    },
    /// A lock protecting the cache was poisoned by a panic in another thread.
    #[error("token cache lock poisoned by a panic in another thread; recreate the application")]
    Poisoned,
    /// A file operation of the file cache failed.
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
    /// A serialized cache document is not valid MSAL cache JSON.
    #[error("the serialized token cache is not a valid MSAL cache document: {reason}. Start from an empty cache or restore a good copy")]
    Corrupt {
        /// What is wrong (a position or a section name; never the content).
        reason: String,
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
        }
    }

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
