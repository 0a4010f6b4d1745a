//! All rustls configuration lives here (one place to touch for the rustls 0.24 migration).
//!
//! The ring provider is passed explicitly to every builder; the process-default provider is
//! never installed or consulted. Server certificate verification is always on.

use std::sync::Arc;

use oauth2_core::ClientCertificate;
use rustls::pki_types::CertificateDer;
use rustls::sign::SingleCertAndKey;
use rustls::{ClientConfig, RootCertStore};

use crate::Error;

/// A TLS protocol version, for [`HyperTransportBuilder::min_tls_version`] and
/// [`HyperTransportBuilder::max_tls_version`](crate::HyperTransportBuilder::max_tls_version).
///
/// [`HyperTransportBuilder::min_tls_version`]: crate::HyperTransportBuilder::min_tls_version
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum TlsVersion {
    /// TLS 1.2 (RFC 5246).
    Tls12,
    /// TLS 1.3 (RFC 8446).
    Tls13,
}

/// The protocol versions a transport offers, `min..=max` (both TLS 1.2 and 1.3 by default).
pub(crate) fn protocol_versions(
    min: TlsVersion,
    max: TlsVersion,
) -> Result<Vec<&'static rustls::SupportedProtocolVersion>, Error> {
    if min > max {
        return Err(Error::TlsConfig {
            reason: format!(
                "the minimum TLS version ({min:?}) is above the maximum ({max:?}); lower the \
                 minimum or raise the maximum"
            ),
            source: None,
        });
    }
    let all = [
        (TlsVersion::Tls12, &rustls::version::TLS12),
        (TlsVersion::Tls13, &rustls::version::TLS13),
    ];
    Ok(all
        .into_iter()
        .filter(|(v, _)| (min..=max).contains(v))
        .map(|(_, p)| p)
        .collect())
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Builds the trusted root store: optionally the Mozilla roots from `webpki-roots`, plus `extra`.
pub(crate) fn root_store(
    webpki: bool,
    extra: &[CertificateDer<'static>],
    from_files: &[CertificateDer<'static>],
) -> Result<Arc<RootCertStore>, Error> {
    let mut roots = mozilla_roots(webpki)?;
    roots.add_parsable_certificates(from_files.iter().cloned());
    for (i, der) in extra.iter().enumerate() {
        roots
            .add(der.clone())
            .map_err(|e| Error::InvalidRootCertificate {
                reason: format!("extra root certificate #{}: {e}", i + 1),
                source: Some(e.into()),
            })?;
    }
    if roots.is_empty() {
        return Err(Error::TlsConfig {
            reason:
                "no trusted root certificates: the Mozilla roots are off (`webpki_roots(false)` \
                     or no `webpki-roots` feature) and no root certificate was added; add one \
                     with add_root_certificate_der/pem, add_root_certificates_file, \
                     ssl_cert_env or os_roots"
                    .to_owned(),
            source: None,
        });
    }
    Ok(Arc::new(roots))
}

/// The Mozilla root program when `wanted`, else an empty store.
#[cfg(feature = "webpki-roots")]
fn mozilla_roots(wanted: bool) -> Result<RootCertStore, Error> {
    Ok(if wanted {
        RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned())
    } else {
        RootCertStore::empty()
    })
}

/// Without the `webpki-roots` feature there are no bundled roots to add: asking for them is a
/// configuration error that says so, rather than a transport that silently trusts less.
#[cfg(not(feature = "webpki-roots"))]
fn mozilla_roots(wanted: bool) -> Result<RootCertStore, Error> {
    if wanted {
        return Err(Error::TlsConfig {
            reason: "the Mozilla roots were asked for (`webpki_roots(true)`), but this build of \
                     mtls-transport has no `webpki-roots` feature; enable the feature, or add \
                     your roots with add_root_certificate_der/pem"
                .to_owned(),
            source: None,
        });
    }
    Ok(RootCertStore::empty())
}

/// Builds a client config trusting `roots` and presenting `identity` (if any) as TLS client
/// certificate, offering `versions`. ALPN is left empty (hyper-rustls/HTTP/1.1 only).
pub(crate) fn client_config(
    roots: Arc<RootCertStore>,
    versions: &[&'static rustls::SupportedProtocolVersion],
    identity: Option<&ClientCertificate>,
) -> Result<Arc<ClientConfig>, Error> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(versions)
        .map_err(|e| Error::TlsConfig {
            reason: format!("protocol versions: {e}"),
            source: Some(e.into()),
        })?
        .with_root_certificates(roots);
    let config = match identity {
        None => builder.with_no_client_auth(),
        // a key kept outside this process (PKCS#11, HSM) signs through the certificate
        Some(identity) if !identity.has_private_key_der() => {
            builder.with_client_cert_resolver(Arc::new(SingleCertAndKey::from(
                super::signing_key::certified_key(identity),
            )))
        }
        Some(identity) => {
            let key = identity
                .private_key_der()
                .map_err(|e| Error::ClientCertificate {
                    reason: e.to_string(),
                    source: Some(e.into()),
                })?;
            builder
                .with_client_auth_cert(identity.tls_chain(), key)
                .map_err(|e| Error::ClientCertificate {
                    reason: client_auth_reason(&e, identity),
                    source: Some(e.into()),
                })?
        }
    };
    Ok(Arc::new(config))
}

fn client_auth_reason(e: &rustls::Error, identity: &ClientCertificate) -> String {
    let what = match e {
        rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => {
            "the private key does not match the leaf certificate's public key; load the key that \
             belongs to this certificate"
                .to_owned()
        }
        rustls::Error::InconsistentKeys(_) => {
            "could not check that the private key matches the leaf certificate".to_owned()
        }
        rustls::Error::General(msg) => format!("unsupported or invalid private key ({msg})"),
        other => other.to_string(),
    };
    format!("{what} (certificate subject {})", identity.subject())
}

/// Turns a rustls error seen while talking to `host` into a crate error with a readable reason.
pub(crate) fn map_rustls_error(e: &rustls::Error, host: &str) -> Error {
    use rustls::{AlertDescription as A, CertificateError as C};
    let reason = match e {
        rustls::Error::InvalidCertificate(cert) => match cert {
            C::UnknownIssuer => "server certificate not trusted: unknown issuer (the server's CA \
                                 is not among the trusted roots; add it with \
                                 add_root_certificate_der/pem if it is expected)"
                .to_owned(),
            C::BadSignature => {
                "server certificate not trusted: bad signature in its chain".to_owned()
            }
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                format!("server certificate not valid for name {host}")
            }
            C::Expired | C::ExpiredContext { .. } => "server certificate expired".to_owned(),
            C::NotValidYet | C::NotValidYetContext { .. } => {
                "server certificate not valid yet (check the system clock)".to_owned()
            }
            C::Revoked => "server certificate revoked".to_owned(),
            other => format!("server certificate rejected: {other:?}"),
        },
        rustls::Error::AlertReceived(alert) => match alert {
            A::CertificateRequired => {
                "server requires a TLS client certificate, and none was presented".to_owned()
            }
            A::BadCertificate
            | A::UnknownCA
            | A::CertificateUnknown
            | A::UnsupportedCertificate
            | A::CertificateExpired
            | A::CertificateRevoked
            | A::AccessDenied => format!(
                "server rejected the TLS client certificate (alert {alert:?}); check that the \
                 certificate is registered with and trusted by the server"
            ),
            other => format!("server sent TLS alert {other:?}"),
        },
        rustls::Error::InconsistentKeys(_) => {
            return Error::ClientCertificate {
                reason: e.to_string(),
                source: Some(e.clone().into()),
            };
        }
        other => other.to_string(),
    };
    Error::Tls {
        host: host.to_owned(),
        reason,
        source: e.clone().into(),
    }
}
