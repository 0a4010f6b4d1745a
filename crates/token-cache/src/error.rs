//! The crate's error type.

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
}

impl Error {
    /// A stable, machine-readable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Backend { .. } => "cache_backend_error",
            Error::Poisoned => "cache_poisoned",
        }
    }
}
