//! `AZURE_CLIENT_CERTIFICATE_PATH`: a PEM file (certificate chain and private key) or a
//! PKCS#12 (`.pfx`) file, as the Azure SDKs accept.

use std::path::Path;

use oauth2_core::ClientCertificate;

use super::CERTIFICATE_PATH;
use crate::Error;

/// The largest certificate file read: a chain and its key are a few KiB.
const MAX_CERTIFICATE_FILE_BYTES: u64 = 1024 * 1024;

/// Loads the certificate at `path`: PEM when it holds a `-----BEGIN` line, else PKCS#12
/// decrypted with `password` (empty when not given).
pub(super) fn load(path: &Path, password: Option<&str>) -> Result<ClientCertificate, Error> {
    let bytes = crate::file_input::read_bounded(path, MAX_CERTIFICATE_FILE_BYTES, "a certificate")
        .map_err(|e| {
            Error::environment(
                CERTIFICATE_PATH,
                format!("cannot read {}: {e}", path.display()),
            )
        })?;
    if contains(&bytes, b"-----BEGIN") {
        return ClientCertificate::from_pem(&bytes).map_err(|e| {
            Error::environment(
                CERTIFICATE_PATH,
                format!(
                    "{} is not a usable PEM certificate and key: {e}",
                    path.display()
                ),
            )
        });
    }
    from_pkcs12(path, &bytes, password)
}

#[cfg(feature = "pkcs12")]
fn from_pkcs12(
    path: &Path,
    bytes: &[u8],
    password: Option<&str>,
) -> Result<ClientCertificate, Error> {
    ClientCertificate::from_pkcs12(bytes, password.unwrap_or("")).map_err(|e| match password {
        None => Error::environment(
            super::CERTIFICATE_PASSWORD,
            format!(
                "{} is not PEM, so it was read as PKCS#12 without a password, which failed ({e}); set {} if the file has one",
                path.display(),
                super::CERTIFICATE_PASSWORD
            ),
        ),
        Some(_) => Error::environment(
            CERTIFICATE_PATH,
            format!("{} is not a usable PKCS#12 file with that password: {e}", path.display()),
        ),
    })
}

#[cfg(not(feature = "pkcs12"))]
fn from_pkcs12(
    path: &Path,
    _bytes: &[u8],
    _password: Option<&str>,
) -> Result<ClientCertificate, Error> {
    Err(Error::environment(
        CERTIFICATE_PATH,
        format!(
            "{} is not PEM, and PKCS#12 support is off (the `pkcs12` feature of msal-client)",
            path.display()
        ),
    ))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
