//! The type of an access token: Bearer or Entra ID's certificate-bound mTLS PoP.

use std::fmt;

/// The type of an access token: how it is presented to a resource and whether it is bound to a
/// certificate.
///
/// ```
/// use oauth2_core::TokenType;
///
/// assert_eq!(TokenType::parse("MTLS_POP"), Some(TokenType::MtlsPop));
/// assert_eq!(TokenType::MtlsPop.as_str(), "mtls_pop");
/// assert_eq!(TokenType::Bearer.request_parameter(), None); // Bearer is the default
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum TokenType {
    /// `Bearer` (RFC 6750): whoever holds the token can use it.
    #[default]
    Bearer,
    /// `mtls_pop`: Entra ID's certificate-bound token (RFC 8705); its `cnf.x5t#S256` names the
    /// certificate that must be presented in TLS with it.
    MtlsPop,
}

impl TokenType {
    /// The name on the wire and in the `Authorization` scheme: `Bearer` or `mtls_pop`.
    pub const fn as_str(self) -> &'static str {
        match self {
            TokenType::Bearer => "Bearer",
            TokenType::MtlsPop => "mtls_pop",
        }
    }

    /// The lower-case name used in cache keys: `bearer` or `mtls_pop`.
    pub const fn cache_key(self) -> &'static str {
        match self {
            TokenType::Bearer => "bearer",
            TokenType::MtlsPop => "mtls_pop",
        }
    }

    /// The `token_type` form parameter that asks for this type; `None` for Bearer (the default,
    /// never sent).
    pub const fn request_parameter(self) -> Option<&'static str> {
        match self {
            TokenType::Bearer => None,
            TokenType::MtlsPop => Some("mtls_pop"),
        }
    }

    /// The token type named `name` (case-insensitive); `None` for a type this library does not
    /// know.
    pub fn parse(name: &str) -> Option<Self> {
        [TokenType::Bearer, TokenType::MtlsPop]
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for TokenType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A token type equals its wire name (`TokenType::MtlsPop == "mtls_pop"`); the comparison is
/// exact, as `Authorization` schemes are written.
impl PartialEq<str> for TokenType {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for TokenType {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}
