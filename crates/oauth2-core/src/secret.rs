//! A string that holds a secret.

use std::fmt;

use zeroize::Zeroizing;

/// A secret string: a client secret, a client assertion or an access token.
///
/// * The memory is overwritten with zeros when the value is dropped (each clone is its own copy
///   and is zeroized on its own drop).
/// * `Debug` prints `SecretString(<redacted>)`; there is no `Display`, so a secret cannot end up
///   in a log line or an error message by accident. Call [`SecretString::expose_secret`] where the
///   value is really needed (a request body, an `Authorization` header).
///
/// Residual risk: copies the caller made before handing the string over, and copies made by
/// whatever consumes [`expose_secret`](SecretString::expose_secret) (HTTP buffers, for example),
/// are outside this type's control.
#[derive(Clone, Default)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    /// Wraps a secret. The `String` is moved in, not copied.
    pub fn new(s: impl Into<String>) -> Self {
        SecretString(Zeroizing::new(s.into()))
    }

    /// The secret itself. Do not log it.
    pub fn expose_secret(&self) -> &str {
        self.0.as_str()
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
}
