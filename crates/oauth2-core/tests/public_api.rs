//! The public API: every supported item by its one path, the crate root (the modules are
//! private). Compiling this file is most of the test.

#[cfg(feature = "certificates")]
use oauth2_core::{
    sign_client_assertion, AssertionCache, AssertionFlavor, AssertionOptions, ClientAssertion,
    ClientCertificate, KeyAlgorithm, KeySigner, SigningAlgorithm,
};
use oauth2_core::{
    Authority, AuthorityKind, ClientAuthentication, ClientCredentialsRequest, Clock, Error,
    ErrorResponse, Scopes, SecretString, SystemClock, TokenResponse, TokenType, UnixTime,
    JWT_BEARER_ASSERTION_TYPE, JWT_POP_ASSERTION_TYPE,
};

/// Names every public type, so that removing one from the root fails to compile.
#[allow(dead_code)]
struct Api(
    Authority,
    AuthorityKind,
    ClientAuthentication,
    ClientCredentialsRequest,
    Box<dyn Clock>,
    Error,
    ErrorResponse,
    Scopes,
    SecretString,
    SystemClock,
    TokenResponse,
    TokenType,
    UnixTime,
);

/// The types of the `certificates` feature.
#[cfg(feature = "certificates")]
#[allow(dead_code)]
struct CertificateApi(
    AssertionCache,
    AssertionFlavor,
    AssertionOptions,
    ClientAssertion,
    ClientCertificate,
    KeyAlgorithm,
    Box<dyn KeySigner>,
    SigningAlgorithm,
);

#[test]
fn functions_and_constants_are_at_the_root() {
    #[cfg(feature = "certificates")]
    let _sign: fn(
        &ClientCertificate,
        &AssertionOptions,
        std::time::SystemTime,
    ) -> Result<ClientAssertion, Error> = sign_client_assertion;
    #[cfg(feature = "certificates")]
    {
        let _der: fn(&[u8]) -> Vec<u8> = oauth2_core::ecdsa_signature_der;
        let _rsa: fn(&[u8], &[u8]) -> Vec<u8> = oauth2_core::rsa_public_key_der;
        let _spki: fn(KeyAlgorithm, &[u8]) -> Vec<u8> = oauth2_core::subject_public_key_info_der;
    }
    assert!(JWT_BEARER_ASSERTION_TYPE.ends_with(":jwt-bearer"));
    assert!(JWT_POP_ASSERTION_TYPE.ends_with(":jwt-pop"));
}

#[test]
fn errors_are_never_retryable_and_keep_their_source() {
    use std::error::Error as _;
    let err = Authority::parse("not a url").unwrap_err();
    assert_eq!(err.code(), "invalid_authority");
    assert!(!err.is_retryable());
    assert!(err.source().is_some(), "the URL parser's error is kept");
}
