//! [`FileCertificateSource`]: a certificate kept in files that another process renews
//! (cert-manager, a Key Vault agent, a systemd timer), reloaded when the files change.

use std::hash::{Hash as _, Hasher as _};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use oauth2_core::{ClientCertificate, SecretString};

use super::{CertificateContext, CertificateProvider};
use crate::error::BoxError;
use crate::Error;

/// By default a [`FileCertificateSource`] looks at its files at most once per minute.
pub const DEFAULT_CERTIFICATE_CHECK_INTERVAL: Duration = Duration::from_secs(60);

/// The largest certificate or key file read: a chain and its key are a few KiB.
const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// The bytes of the files, certificate first, and a hash of them all.
type Content = (Vec<zeroize::Zeroizing<Vec<u8>>>, u64);

/// The files and their format.
enum Files {
    /// A PEM chain (leaf first) and a PEM key, in one file or two.
    Pem { cert: PathBuf, key: Option<PathBuf> },
    /// A PKCS#12 (`.pfx`) file and its password.
    #[cfg(feature = "pkcs12")]
    Pkcs12 {
        path: PathBuf,
        password: SecretString,
    },
}

/// A certificate read from files and read again when they change on disk: give it to
/// [`certificate_provider`](crate::ConfidentialClientApplicationBuilder::certificate_provider)
/// (or [`tls_client_certificate_provider`](crate::ConfidentialClientApplicationBuilder::tls_client_certificate_provider)).
///
/// Replace the files atomically (write a temporary file, then rename it over the old one, as
/// cert-manager and the Key Vault agents do). The source reads them again at most once per
/// [`check_interval`](Self::check_interval) (default
/// [`DEFAULT_CERTIFICATE_CHECK_INTERVAL`]), when an acquisition asks; between checks it answers
/// from memory without touching the disk. New content that does not load (a half-written file, a
/// key that does not match the certificate, an expired certificate) is reported once as an error
/// and the application keeps the last good certificate; the same content is not parsed again
/// until the files change.
///
/// ```no_run
/// # fn run() -> Result<(), msal::Error> {
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// let source = msal::FileCertificateSource::pem("/etc/app/tls.crt", "/etc/app/tls.key")?
///     .check_interval(Duration::from_secs(30));
/// let app = msal::ConfidentialClientApplication::builder("client-id")
///     .authority("https://login.microsoftonline.com/contoso.onmicrosoft.com")
///     .certificate_provider(Arc::new(source))
///     .build()?;
/// # Ok(()) }
/// ```
pub struct FileCertificateSource {
    files: Files,
    check_interval: Duration,
    state: Mutex<Loaded>,
    /// One reload at a time; the others answer from `state`.
    reload: tokio::sync::Mutex<()>,
}

/// What was read last.
struct Loaded {
    /// The last certificate that loaded.
    certificate: ClientCertificate,
    /// A hash of the files' content read last (good or not): unchanged content is not parsed
    /// again.
    content: u64,
    checked_at: Instant,
}

impl FileCertificateSource {
    /// A PEM certificate chain (leaf first) in `cert_path` and its private key in `key_path`
    /// (PKCS#8, PKCS#1 or SEC1). Fails when they do not load now.
    pub fn pem(cert_path: impl AsRef<Path>, key_path: impl AsRef<Path>) -> Result<Self, Error> {
        Self::open(Files::Pem {
            cert: cert_path.as_ref().to_path_buf(),
            key: Some(key_path.as_ref().to_path_buf()),
        })
    }

    /// One PEM file holding the certificate chain and the private key.
    pub fn pem_bundle(path: impl AsRef<Path>) -> Result<Self, Error> {
        Self::open(Files::Pem {
            cert: path.as_ref().to_path_buf(),
            key: None,
        })
    }

    /// A PKCS#12 (`.pfx`) file and its password (`""` for none). Needs the `pkcs12` feature.
    #[cfg(feature = "pkcs12")]
    pub fn pkcs12(
        path: impl AsRef<Path>,
        password: impl Into<SecretString>,
    ) -> Result<Self, Error> {
        Self::open(Files::Pkcs12 {
            path: path.as_ref().to_path_buf(),
            password: password.into(),
        })
    }

    /// Look at the files at most this often (default [`DEFAULT_CERTIFICATE_CHECK_INTERVAL`]).
    /// `Duration::ZERO` reads them on every acquisition (for tests).
    pub fn check_interval(mut self, interval: Duration) -> Self {
        self.check_interval = interval;
        self
    }

    /// The certificate loaded last, without looking at the files.
    pub fn certificate(&self) -> ClientCertificate {
        self.lock().certificate.clone()
    }

    /// When the certificate loaded last expires.
    pub fn not_after(&self) -> SystemTime {
        self.lock().certificate.not_after()
    }

    /// The current certificate: the one in memory within the check interval, else the files'
    /// content if it changed and loads. An error says why changed content did not load; the
    /// files are then read again after the interval, but parsed only once they change.
    pub async fn current(&self) -> Result<ClientCertificate, Error> {
        if let Some(certificate) = self.fresh() {
            return Ok(certificate);
        }
        let _reloading = self.reload.lock().await;
        if let Some(certificate) = self.fresh() {
            return Ok(certificate);
        }
        let read = self.files.read();
        let mut loaded = self.lock();
        loaded.checked_at = Instant::now();
        let (bytes, content) = read?;
        if content == loaded.content {
            return Ok(loaded.certificate.clone());
        }
        loaded.content = content;
        let certificate = self.files.parse(&bytes)?;
        tracing::info!(
            x5t_s256 = certificate.x5t_s256(),
            subject = certificate.subject(),
            "certificate files changed: new certificate loaded"
        );
        loaded.certificate = certificate.clone();
        Ok(certificate)
    }

    fn open(files: Files) -> Result<Self, Error> {
        let (bytes, content) = files.read()?;
        let certificate = files.parse(&bytes)?;
        Ok(Self {
            files,
            check_interval: DEFAULT_CERTIFICATE_CHECK_INTERVAL,
            state: Mutex::new(Loaded {
                certificate,
                content,
                checked_at: Instant::now(),
            }),
            reload: tokio::sync::Mutex::new(()),
        })
    }

    /// The certificate in memory, if the files were looked at within the interval.
    fn fresh(&self) -> Option<ClientCertificate> {
        let loaded = self.lock();
        (loaded.checked_at.elapsed() < self.check_interval).then(|| loaded.certificate.clone())
    }

    fn lock(&self) -> MutexGuard<'_, Loaded> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Files {
    /// The files read, certificate first.
    fn paths(&self) -> Vec<&Path> {
        match self {
            Files::Pem { cert, key } => std::iter::once(cert.as_path())
                .chain(key.as_deref())
                .collect(),
            #[cfg(feature = "pkcs12")]
            Files::Pkcs12 { path, .. } => vec![path.as_path()],
        }
    }

    /// The files' bytes (certificate, then key) and a hash of them.
    fn read(&self) -> Result<Content, Error> {
        let paths = self.paths();
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        let mut all = Vec::with_capacity(paths.len());
        for path in paths {
            let bytes = crate::file_input::read_bounded(path, MAX_FILE_BYTES, "a certificate")
                .map_err(|source| Error::CertificateFile {
                    path: path.display().to_string(),
                    source,
                })?;
            bytes.as_slice().hash(&mut hasher);
            all.push(bytes);
        }
        Ok((all, hasher.finish()))
    }

    fn parse(&self, bytes: &[zeroize::Zeroizing<Vec<u8>>]) -> Result<ClientCertificate, Error> {
        let certificate = match (self, bytes) {
            (Files::Pem { key: None, .. }, [bundle]) => ClientCertificate::from_pem(bundle),
            (Files::Pem { .. }, [cert, key]) => ClientCertificate::from_pem_parts(cert, key),
            #[cfg(feature = "pkcs12")]
            (Files::Pkcs12 { password, .. }, [pfx]) => {
                ClientCertificate::from_pkcs12(pfx, password.expose_secret())
            }
            _ => Err(oauth2_core::Error::NoCertificate),
        };
        Ok(certificate?)
    }
}

#[async_trait::async_trait]
impl CertificateProvider for FileCertificateSource {
    async fn certificate(&self, _: &CertificateContext<'_>) -> Result<ClientCertificate, BoxError> {
        Ok(self.current().await?)
    }
}

impl std::fmt::Debug for FileCertificateSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileCertificateSource")
            .field("files", &self.files.paths())
            .field("check_interval", &self.check_interval)
            .field("certificate", &self.lock().certificate)
            .finish()
    }
}
