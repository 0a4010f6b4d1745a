//! The crate's error type.

use std::sync::Arc;

use cryptoki::error::{Error as CkError, RvError};

/// Everything that can go wrong with a PKCS#11 key.
///
/// Messages say what went wrong and what to do; they never contain the PIN or key material.
/// [`Error::code`] is a stable identifier, [`Error::is_retryable`] says whether trying again
/// can help (a busy, removed or reset token) or not (a wrong PIN, a missing key).
#[non_exhaustive]
#[derive(Clone, Debug, thiserror::Error)]
pub enum Error {
    /// The configuration is incomplete or contradictory.
    #[error("PKCS#11 configuration: {reason}")]
    Configuration {
        /// What is missing or wrong.
        reason: String,
    },

    /// The PKCS#11 module (shared library) could not be loaded or initialized.
    #[error(
        "cannot load the PKCS#11 module {path}: {reason}; check the path (e.g. \
         /usr/lib/softhsm/libsofthsm2.so) and that the library is for this platform"
    )]
    ModuleLoad {
        /// The module path given.
        path: String,
        /// What the loader or `C_Initialize` said.
        reason: String,
    },

    /// No token with the label is present.
    #[error("no PKCS#11 token labelled {label:?} (tokens present: {present:?}); check the label")]
    TokenNotFound {
        /// The label asked for.
        label: String,
        /// The labels of the tokens present.
        present: Vec<String>,
    },

    /// The token refused the PIN.
    #[error("the PKCS#11 token rejected the PIN ({reason}); check the PIN")]
    Login {
        /// `CKR_PIN_INCORRECT`, `CKR_PIN_LOCKED`, …
        reason: String,
    },

    /// No private key, or more than one, matches the label / id.
    #[error("{reason}")]
    KeyNotFound {
        /// Which key was asked for and what was found.
        reason: String,
    },

    /// The key is not of a supported type (RSA, ECDSA P-256 or P-384), or its public part
    /// cannot be read.
    #[error("unsupported PKCS#11 key: {reason}")]
    UnsupportedKey {
        /// Why.
        reason: String,
    },

    /// A PKCS#11 call failed.
    #[error("PKCS#11 {operation} failed: {rv}")]
    Token {
        /// What was being done, e.g. `C_Sign`.
        operation: &'static str,
        /// The return value's name, e.g. `CKR_DEVICE_REMOVED`.
        rv: String,
        /// Whether trying again can help.
        retryable: bool,
        /// cryptoki's error.
        #[source]
        source: Arc<CkError>,
    },
}

impl Error {
    /// A stable snake_case identifier of the variant, e.g. `pkcs11_login_failed`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Configuration { .. } => "pkcs11_configuration",
            Error::ModuleLoad { .. } => "pkcs11_module_load_failed",
            Error::TokenNotFound { .. } => "pkcs11_token_not_found",
            Error::Login { .. } => "pkcs11_login_failed",
            Error::KeyNotFound { .. } => "pkcs11_key_not_found",
            Error::UnsupportedKey { .. } => "pkcs11_unsupported_key",
            Error::Token { .. } => "pkcs11_token_error",
        }
    }

    /// Whether the same call can succeed later without a change of configuration: only for a
    /// token that was busy, removed, reset or out of memory.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Error::Token {
                retryable: true,
                ..
            }
        )
    }

    /// `operation` failed with cryptoki's `e`.
    pub(crate) fn token(operation: &'static str, e: CkError) -> Self {
        let (rv, retryable) = match &e {
            CkError::Pkcs11(rv, _) => (format!("{rv:?}"), transient(*rv)),
            other => (other.to_string(), false),
        };
        Error::Token {
            operation,
            rv,
            retryable,
            source: Arc::new(e),
        }
    }

    /// Whether this is a closed or invalidated session, a lost login or a key handle the token
    /// no longer knows (all of which a reset or reinserted token causes): reopen the session,
    /// log in, find the key and try once more.
    pub(crate) fn is_session_lost(&self) -> bool {
        matches!(
            self,
            Error::Token { source, .. } if matches!(
                **source,
                CkError::Pkcs11(
                    RvError::SessionClosed
                        | RvError::SessionHandleInvalid
                        | RvError::UserNotLoggedIn
                        | RvError::KeyHandleInvalid
                        | RvError::ObjectHandleInvalid
                        | RvError::DeviceRemoved
                        | RvError::TokenNotPresent,
                    _
                )
            )
        )
    }
}

/// The return values that can go away by themselves.
fn transient(rv: RvError) -> bool {
    matches!(
        rv,
        RvError::DeviceError
            | RvError::DeviceMemory
            | RvError::DeviceRemoved
            | RvError::TokenNotPresent
            | RvError::SessionClosed
            | RvError::SessionHandleInvalid
            | RvError::SessionCount
            | RvError::HostMemory
            | RvError::FunctionCanceled
    )
}

impl From<Error> for oauth2_core::Error {
    fn from(e: Error) -> Self {
        oauth2_core::Error::external_signer(
            format!("{e} [{}]", e.code()),
            e.is_retryable(),
            Some(Arc::new(e)),
        )
    }
}
