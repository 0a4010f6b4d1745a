//! The crate's single error type.

use std::error::Error as StdError;
use std::sync::Arc;

/// The lower-level error an [`Error`] was caused by, shared so that `Error` stays `Clone`.
type Source = Arc<dyn StdError + Send + Sync + 'static>;

/// Everything that can go wrong in `oauth2-core`.
///
/// Messages say what went wrong and what to do about it. They never contain secrets: no private
/// key bytes, no client secrets, no assertions, no tokens and no raw response bodies.
///
/// [`Error::code`] gives a stable, snake_case identifier per variant for programs and telemetry;
/// [`Error::is_retryable`] says whether trying again can help (only for a 5xx or
/// `temporarily_unavailable` answer, or an external signer's transient failure).
///
/// Where a lower library's error caused the failure (the X.509 or PKCS#12 parser, `ring`, the
/// URL or JSON parser), it is kept as [`source`](std::error::Error::source). PEM decoding errors
/// are not kept: their text can quote a character of the (secret) key text.
#[non_exhaustive]
#[derive(Clone, Debug, thiserror::Error)]
pub enum Error {
    /// The input contains no certificate.
    #[error(
        "no certificate found: the input must contain at least one PEM `CERTIFICATE` block \
         (or a PKCS#12 certificate bag); the leaf certificate comes first"
    )]
    NoCertificate,

    /// The input contains no private key.
    #[error(
        "no private key found: provide an unencrypted `PRIVATE KEY` (PKCS#8), `RSA PRIVATE KEY` \
         (PKCS#1) or `EC PRIVATE KEY` (SEC1) PEM block, or a PKCS#12 file with its key"
    )]
    NoPrivateKey,

    /// The private key does not belong to the leaf certificate.
    #[error(
        "the private key does not match the certificate's public key: pair the certificate with \
         the key it was issued for (the leaf certificate must come first)"
    )]
    KeyMismatch,

    /// A certificate could not be parsed.
    #[error("invalid certificate: {reason}; provide a PEM or PKCS#12 X.509 certificate")]
    InvalidCertificate {
        /// What is wrong with it.
        reason: String,
        /// The X.509 parser's error, when it rejected the certificate.
        source: Option<Source>,
    },

    /// A private key could not be parsed.
    #[error(
        "invalid private key: {reason}; provide an unencrypted PKCS#8, PKCS#1 or SEC1 PEM key"
    )]
    InvalidPrivateKey {
        /// What is wrong with it (never contains key material).
        reason: String,
        /// `ring`'s error (`ring::error::KeyRejected`), when it rejected the key.
        source: Option<Source>,
    },

    /// The key type or size is not supported.
    #[error(
        "unsupported key: {reason}; use an RSA key (2048 to 8192 bits) or an ECDSA P-256 or \
         P-384 key"
    )]
    UnsupportedKey {
        /// What is unsupported.
        reason: String,
    },

    /// The PEM private key is encrypted.
    #[error(
        "the PEM private key is encrypted, which is not supported: decrypt it first \
         (e.g. `openssl pkcs8 -in key.pem -out key-plain.pem`) and protect the file instead, \
         or load a password-protected PKCS#12 (.pfx) file"
    )]
    EncryptedPrivateKey,

    /// The PKCS#12 password is wrong.
    #[error("cannot open the PKCS#12 (.pfx) file: the password is wrong; check the password")]
    Pkcs12WrongPassword,

    /// The PKCS#12 data could not be read.
    #[error(
        "invalid PKCS#12 (.pfx) data: {reason}; export the certificate and key again as a \
         PKCS#12 file"
    )]
    Pkcs12Invalid {
        /// What is wrong with it.
        reason: String,
        /// The PKCS#12 parser's error.
        source: Option<Source>,
    },

    /// The leaf certificate has expired.
    #[error("the certificate expired on {not_after}: renew it and load the new one")]
    CertificateExpired {
        /// When it expired, human-readable (`2001-01-01 00:00:00 UTC`).
        not_after: String,
    },

    /// The leaf certificate is not valid yet.
    #[error(
        "the certificate is not valid before {not_before}: wait until then, or check the \
         system clock"
    )]
    CertificateNotYetValid {
        /// When it becomes valid, human-readable (`2001-01-01 00:00:00 UTC`).
        not_before: String,
    },

    /// A certificate of the chain is not issued by the certificate after it.
    #[error(
        "the certificate chain is broken at certificate #{} (`{subject}`, issued by \
         `{issuer}`): the next certificate, `{next_subject}`, {reason}; load the leaf followed \
         by the intermediate that issued it, then that one's issuer and so on (the root may be \
         left out), or the leaf alone",
        .index + 1
    )]
    CertificateChainBroken {
        /// Position of the certificate whose issuer does not follow it, leaf = 0, in the order
        /// of `ClientCertificate::chain_der`.
        index: usize,
        /// That certificate's subject.
        subject: String,
        /// The issuer that certificate names.
        issuer: String,
        /// The subject of the certificate after it.
        next_subject: String,
        /// Why the next certificate is not its issuer.
        reason: String,
    },

    /// Signing failed, or the algorithm does not fit the key.
    #[error("signing failed: {reason}")]
    Signing {
        /// What went wrong, and what to do.
        reason: String,
        /// `ring`'s error, when the signature operation itself failed.
        source: Option<Source>,
    },

    /// The private key cannot be copied out: it is held by an external
    /// [`KeySigner`](crate::KeySigner) (a PKCS#11 token, an HSM) and never enters this process.
    #[error(
        "the certificate's private key is held by an external signer (e.g. a PKCS#11 token) and \
         cannot be exported; sign through the certificate (ClientCertificate::sign) instead"
    )]
    KeyNotExportable,

    /// An external [`KeySigner`](crate::KeySigner) failed to sign.
    #[error("the external signer failed: {reason}")]
    ExternalSigner {
        /// What went wrong, and what to do (from the signer).
        reason: String,
        /// Whether the same call can succeed later (a busy or briefly removed token).
        retryable: bool,
        /// The signer's own error.
        source: Option<Source>,
    },

    /// A scope list is empty or contains an invalid scope.
    #[error("invalid scope: {reason}")]
    InvalidScope {
        /// What is wrong.
        reason: String,
    },

    /// An authority URL could not be used.
    #[error(
        "invalid authority {url_or_reason}; use a URL like \
         `https://login.microsoftonline.com/<tenant-id>`"
    )]
    InvalidAuthority {
        /// The offending URL and/or why it was rejected.
        url_or_reason: String,
        /// The URL parser's error, when the text is not a URL.
        source: Option<Source>,
    },

    /// A token endpoint response is not a usable token response.
    #[error(
        "invalid token response: {reason}; check that the authority is an OAuth 2.0 token \
         issuer (a wrong host or a proxy can answer with something else)"
    )]
    InvalidTokenResponse {
        /// What is wrong (never contains the body or the token).
        reason: String,
        /// The JSON parser's error, when the body is not JSON (it names a line and column,
        /// never the content).
        source: Option<Source>,
    },

    /// An authorization-server metadata document (RFC 8414) cannot be used.
    #[error(
        "invalid authorization-server metadata: {reason}; check the issuer URL (it must be the \
         server's exact `issuer`) and the server's discovery configuration"
    )]
    InvalidMetadata {
        /// What is wrong.
        reason: String,
        /// The JSON or URL parser's error, when one rejected the document.
        source: Option<Source>,
    },

    /// The server answered with an OAuth 2.0 error response (RFC 6749 §5.2), e.g.
    /// `invalid_client` or `invalid_target`.
    #[error(
        "the authorization server refused the request (HTTP {status}): `{}`{}",
        .response.error,
        .response.error_description.as_deref().map(|d| format!(": {d}")).unwrap_or_default()
    )]
    OAuth {
        /// The HTTP status of the answer.
        status: u16,
        /// The parsed error body: `error` is the server's error code.
        response: Box<crate::ErrorResponse>,
    },

    /// A string is not a well-formed JWT.
    #[error("invalid JWT: {reason}; expected a compact JWT (`header.claims.signature`)")]
    InvalidJwt {
        /// What is wrong (never contains the token).
        reason: String,
    },
}

impl Error {
    /// A stable snake_case identifier of the variant, e.g. `certificate_expired`.
    ///
    /// Codes never change once released; use them instead of matching on messages.
    pub fn code(&self) -> &'static str {
        match self {
            Error::NoCertificate => "no_certificate",
            Error::NoPrivateKey => "no_private_key",
            Error::KeyMismatch => "key_mismatch",
            Error::InvalidCertificate { .. } => "invalid_certificate",
            Error::InvalidPrivateKey { .. } => "invalid_private_key",
            Error::UnsupportedKey { .. } => "unsupported_key",
            Error::EncryptedPrivateKey => "encrypted_private_key",
            Error::Pkcs12WrongPassword => "pkcs12_wrong_password",
            Error::Pkcs12Invalid { .. } => "pkcs12_invalid",
            Error::CertificateExpired { .. } => "certificate_expired",
            Error::CertificateNotYetValid { .. } => "certificate_not_yet_valid",
            Error::CertificateChainBroken { .. } => "certificate_chain_broken",
            Error::Signing { .. } => "signing_failed",
            Error::KeyNotExportable => "key_not_exportable",
            Error::ExternalSigner { .. } => "external_signer_failed",
            Error::InvalidScope { .. } => "invalid_scope",
            Error::InvalidAuthority { .. } => "invalid_authority",
            Error::InvalidTokenResponse { .. } => "invalid_token_response",
            Error::InvalidJwt { .. } => "invalid_jwt",
            Error::InvalidMetadata { .. } => "invalid_metadata",
            Error::OAuth { .. } => "oauth_error",
        }
    }

    /// Whether the same call can succeed if it is simply tried again: `false`, except for an
    /// [`Error::OAuth`] answer with a 5xx status or the `temporarily_unavailable` error code,
    /// and an [`Error::ExternalSigner`] failure its signer marked retryable.
    ///
    /// Everything this crate does is a pure function of its inputs (certificate and key bytes,
    /// URLs, response bodies, options) plus the clock, so a failure repeats until the input
    /// changes. The one operation that reads the environment, the random numbers `ring` draws
    /// for signing, fails only when the operating system's generator is broken, which a retry
    /// does not fix either.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::OAuth { status, response } => {
                *status >= 500 || response.error == "temporarily_unavailable"
            }
            Error::ExternalSigner { retryable, .. } => *retryable,
            _ => false,
        }
    }

    /// The error an external [`KeySigner`](crate::KeySigner) returns: `reason` says what went
    /// wrong and what to do (never key material or a PIN), `retryable` whether trying again can
    /// help, `source` the signer's own error (kept as [`source`](std::error::Error::source)).
    ///
    /// ```
    /// let e = oauth2_core::Error::external_signer("the token was removed", true, None);
    /// assert_eq!(e.code(), "external_signer_failed");
    /// assert!(e.is_retryable());
    /// ```
    pub fn external_signer(
        reason: impl Into<String>,
        retryable: bool,
        source: Option<Arc<dyn StdError + Send + Sync + 'static>>,
    ) -> Self {
        Error::ExternalSigner {
            reason: reason.into(),
            retryable,
            source,
        }
    }

    /// Keeps `source` as this error's [`source`](std::error::Error::source), for the variants
    /// that carry one (the others are returned unchanged).
    pub(crate) fn with_source(mut self, source: impl StdError + Send + Sync + 'static) -> Self {
        match &mut self {
            Error::InvalidCertificate { source: slot, .. }
            | Error::InvalidPrivateKey { source: slot, .. }
            | Error::Pkcs12Invalid { source: slot, .. }
            | Error::Signing { source: slot, .. }
            | Error::ExternalSigner { source: slot, .. }
            | Error::InvalidAuthority { source: slot, .. }
            | Error::InvalidTokenResponse { source: slot, .. }
            | Error::InvalidMetadata { source: slot, .. } => *slot = Some(Arc::new(source)),
            _ => {}
        }
        self
    }

    #[cfg(feature = "certificates")]
    pub(crate) fn invalid_certificate(reason: impl Into<String>) -> Self {
        Error::InvalidCertificate {
            reason: reason.into(),
            source: None,
        }
    }

    #[cfg(feature = "certificates")]
    pub(crate) fn invalid_private_key(reason: impl Into<String>) -> Self {
        Error::InvalidPrivateKey {
            reason: reason.into(),
            source: None,
        }
    }

    #[cfg(feature = "pkcs12")]
    pub(crate) fn pkcs12_invalid(reason: impl Into<String>) -> Self {
        Error::Pkcs12Invalid {
            reason: reason.into(),
            source: None,
        }
    }

    #[cfg(feature = "certificates")]
    pub(crate) fn unsupported_key(reason: impl Into<String>) -> Self {
        Error::UnsupportedKey {
            reason: reason.into(),
        }
    }

    #[cfg(feature = "certificates")]
    pub(crate) fn signing(reason: impl Into<String>) -> Self {
        Error::Signing {
            reason: reason.into(),
            source: None,
        }
    }

    pub(crate) fn invalid_scope(reason: impl Into<String>) -> Self {
        Error::InvalidScope {
            reason: reason.into(),
        }
    }

    pub(crate) fn invalid_authority(url_or_reason: impl Into<String>) -> Self {
        Error::InvalidAuthority {
            url_or_reason: url_or_reason.into(),
            source: None,
        }
    }

    pub(crate) fn invalid_token_response(reason: impl Into<String>) -> Self {
        Error::InvalidTokenResponse {
            reason: reason.into(),
            source: None,
        }
    }

    pub(crate) fn invalid_metadata(reason: impl Into<String>) -> Self {
        Error::InvalidMetadata {
            reason: reason.into(),
            source: None,
        }
    }

    #[cfg(feature = "certificates")]
    pub(crate) fn invalid_jwt(reason: impl Into<String>) -> Self {
        Error::InvalidJwt {
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn all() -> Vec<Error> {
        vec![
            Error::NoCertificate,
            Error::NoPrivateKey,
            Error::KeyMismatch,
            Error::InvalidCertificate {
                reason: "x".into(),
                source: None,
            },
            Error::InvalidPrivateKey {
                reason: "x".into(),
                source: None,
            },
            Error::UnsupportedKey { reason: "x".into() },
            Error::EncryptedPrivateKey,
            Error::Pkcs12WrongPassword,
            Error::Pkcs12Invalid {
                reason: "x".into(),
                source: None,
            },
            Error::CertificateExpired {
                not_after: "x".into(),
            },
            Error::CertificateNotYetValid {
                not_before: "x".into(),
            },
            Error::CertificateChainBroken {
                index: 0,
                subject: "x".into(),
                issuer: "x".into(),
                next_subject: "x".into(),
                reason: "x".into(),
            },
            Error::Signing {
                reason: "x".into(),
                source: None,
            },
            Error::invalid_scope("x"),
            Error::invalid_authority("x"),
            Error::invalid_token_response("x"),
            Error::InvalidJwt { reason: "x".into() },
            Error::invalid_metadata("x"),
            Error::OAuth {
                status: 400,
                response: Box::default(),
            },
        ]
    }

    #[test]
    fn codes_are_unique_snake_case() {
        let errors = all();
        let codes: HashSet<_> = errors.iter().map(Error::code).collect();
        assert_eq!(codes.len(), errors.len());
        for code in codes {
            assert!(
                code.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{code}"
            );
        }
    }

    #[test]
    fn nothing_is_retryable() {
        assert!(all().iter().all(|e| !e.is_retryable()));
    }

    #[test]
    fn lower_errors_are_kept_as_sources() {
        use std::error::Error as _;
        let lower = url::Url::parse("no url").unwrap_err();
        let e = Error::invalid_authority("`no url`: not a URL").with_source(lower);
        let source = e.source().expect("source kept");
        assert_eq!(source.to_string(), lower.to_string());
        assert!(e.clone().source().is_some(), "clones keep it too");
        // variants without a source field are unchanged
        assert!(Error::KeyMismatch.with_source(lower).source().is_none());
        assert!(all().iter().all(|e| e.source().is_none()));
    }

    #[test]
    fn messages_are_non_empty_and_carry_details() {
        for e in all() {
            assert!(!e.to_string().is_empty());
        }
        let e = Error::CertificateExpired {
            not_after: "2001-01-01 00:00:00 UTC".into(),
        };
        assert!(e.to_string().contains("2001-01-01 00:00:00 UTC"));
        assert_eq!(e.code(), "certificate_expired");
    }
}
