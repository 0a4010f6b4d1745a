//! A string that holds a secret.

use std::fmt;
use std::sync::Arc;

use zeroize::{Zeroize, Zeroizing};

/// A secret string: a client secret, a client assertion or an access token.
///
/// * The memory is overwritten with zeros when the last clone is dropped. Clones share one
///   buffer (cloning is a reference-count increment, not a copy of the secret), so a cache hit
///   hands out the cached token without copying it and there is only one copy to zeroize.
/// * `Debug` prints `SecretString(<redacted>)`; there is no `Display`, so a secret cannot end up
///   in a log line or an error message by accident. Call [`SecretString::expose_secret`] where the
///   value is really needed (a request body, an `Authorization` header).
///
/// Residual risk: copies the caller made before handing the string over, and copies made by
/// whatever consumes [`expose_secret`](SecretString::expose_secret) (HTTP buffers, for example),
/// are outside this type's control.
#[derive(Clone, Default)]
pub struct SecretString(Arc<Zeroizing<Box<str>>>);

impl SecretString {
    /// Wraps a secret. The `String` is moved in (copied once and wiped if it has spare
    /// capacity).
    pub fn new(s: impl Into<String>) -> Self {
        // `into_boxed_str` drops spare capacity by reallocating, which would free a copy
        // without wiping it: copy into an exact-size block instead and wipe the string given.
        let mut given: String = s.into();
        let exact: Box<str> = if given.len() == given.capacity() {
            given.into_boxed_str() // no spare capacity: no reallocation
        } else {
            let exact = Box::from(given.as_str());
            given.zeroize();
            exact
        };
        SecretString(Arc::new(Zeroizing::new(exact)))
    }

    /// The secret itself. Do not log it.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(<redacted>)")
    }
}

impl From<String> for SecretString {
    fn from(s: String) -> Self {
        SecretString::new(s)
    }
}

impl From<&str> for SecretString {
    fn from(s: &str) -> Self {
        SecretString::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = SecretString::new("hunter2-super-secret");
        let dbg = format!("{s:?}");
        assert_eq!(dbg, "SecretString(<redacted>)");
        assert!(!format!("{s:#?}").contains("hunter2"));
        assert!(!format!("{:?}", Some(s.clone())).contains("hunter2"));
    }

    #[test]
    fn exposes_and_converts() {
        let s: SecretString = "abc".into();
        assert_eq!(s.expose_secret(), "abc");
        assert!(!s.is_empty());
        let t: SecretString = String::from("").into();
        assert!(t.is_empty());
        assert_eq!(s.clone().expose_secret(), "abc");
    }

    #[test]
    fn clones_share_one_buffer() {
        let s = SecretString::new("shared-token");
        let t = s.clone();
        assert_eq!(s.expose_secret().as_ptr(), t.expose_secret().as_ptr());
        drop(s);
        assert_eq!(t.expose_secret(), "shared-token");
    }
}
