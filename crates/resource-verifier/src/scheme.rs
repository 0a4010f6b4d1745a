//! [`Scheme`]: the authorization schemes of certificate-bound tokens.

/// An authorization scheme for certificate-bound tokens.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `mtls_pop`: Entra's scheme for its certificate-bound (`token_type` `mtls_pop`) tokens.
    MtlsPop,
    /// `Bearer`: RFC 8705 servers take certificate-bound tokens under this scheme (RFC 8705
    /// §3 adds the binding check, not a new scheme).
    Bearer,
}

impl Scheme {
    /// The scheme's name as sent in `Authorization` and `WWW-Authenticate`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::MtlsPop => "mtls_pop",
            Scheme::Bearer => "Bearer",
        }
    }

    /// The scheme named `name` (case-insensitive, RFC 9110 §11.1), if it is one of ours.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        [Scheme::MtlsPop, Scheme::Bearer]
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(name))
    }
}
