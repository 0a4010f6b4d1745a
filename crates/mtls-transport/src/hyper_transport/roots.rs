//! Root certificates from files: a PEM bundle, a directory of PEM files, `SSL_CERT_FILE` /
//! `SSL_CERT_DIR`, and the operating system's bundle.
//!
//! The OS store is read from its files, not through a platform API: on Linux and the BSDs the
//! distribution's bundle at the first of [`OS_BUNDLES`] that exists (the paths OpenSSL's
//! `openssl-probe` and Go's `crypto/x509` look at), else the directory `/etc/ssl/certs`. This
//! keeps the TLS graph free of OpenSSL; on macOS and Windows, whose stores are not files, point
//! `SSL_CERT_FILE` at an exported bundle.
//!
//! Every read is bounded ([`MAX_BUNDLE_BYTES`] per file, [`MAX_DIR_ENTRIES`] per directory), so
//! a hostile path cannot make the process allocate without limit.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

use crate::Error;

/// Bundle files of the common distributions, most common first (Debian/Ubuntu/Alpine/Arch,
/// Fedora/RHEL, openSUSE, RHEL 7+, FreeBSD, macOS/OpenBSD `cert.pem`).
pub(super) const OS_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/usr/local/share/certs/ca-root-nss.crt",
    "/etc/ssl/cert.pem",
];

/// The certificate directory used when no bundle file exists.
const OS_CERT_DIR: &str = "/etc/ssl/certs";

/// The largest bundle file read (the Debian bundle is about 220 KB).
pub(super) const MAX_BUNDLE_BYTES: u64 = 8 * 1024 * 1024;

/// The most directory entries looked at.
pub(super) const MAX_DIR_ENTRIES: usize = 4096;

/// Every certificate in the PEM file at `path`; an error names the path.
pub(super) fn from_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, Error> {
    let pem = read_bounded(path)?;
    let certs = parse(&pem).map_err(|reason| invalid(path, &reason))?;
    if certs.is_empty() {
        return Err(invalid(path, "no CERTIFICATE block found"));
    }
    Ok(certs)
}

/// Every certificate in the PEM files directly in `dir` (other files, such as CRLs or keys,
/// are skipped); an error when there is none.
pub(super) fn from_dir(dir: &Path) -> Result<Vec<CertificateDer<'static>>, Error> {
    let entries = std::fs::read_dir(dir).map_err(|e| io_error(dir, e))?;
    let mut certs = Vec::new();
    for entry in entries.take(MAX_DIR_ENTRIES).flatten() {
        let path = entry.path();
        if !path.is_file() {
            continue;
        }
        if let Ok(pem) = read_bounded(&path) {
            certs.extend(parse(&pem).unwrap_or_default());
        }
    }
    if certs.is_empty() {
        return Err(invalid(dir, "no PEM certificate in the directory"));
    }
    Ok(certs)
}

/// `SSL_CERT_FILE` (a bundle) and `SSL_CERT_DIR` (directories separated by `:`), as OpenSSL
/// reads them; both may be set. Empty values count as unset.
pub(super) fn from_ssl_cert_env(
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<CertificateDer<'static>>, Error> {
    let mut certs = Vec::new();
    if let Some(file) = lookup("SSL_CERT_FILE").filter(|v| !v.is_empty()) {
        certs.extend(from_file(Path::new(&file)).map_err(|e| in_variable("SSL_CERT_FILE", e))?);
    }
    if let Some(dirs) = lookup("SSL_CERT_DIR").filter(|v| !v.is_empty()) {
        for dir in dirs.split(':').filter(|d| !d.is_empty()) {
            certs.extend(from_dir(Path::new(dir)).map_err(|e| in_variable("SSL_CERT_DIR", e))?);
        }
    }
    Ok(certs)
}

/// The operating system's roots (see the module documentation).
pub(super) fn os_store() -> Result<Vec<CertificateDer<'static>>, Error> {
    match OS_BUNDLES.iter().map(PathBuf::from).find(|p| p.is_file()) {
        Some(bundle) => from_file(&bundle),
        None => from_dir(Path::new(OS_CERT_DIR)).map_err(|_| Error::TlsConfig {
            reason: format!(
                "no operating system certificate bundle found (looked at {} and {OS_CERT_DIR}); install the ca-certificates package or set SSL_CERT_FILE",
                OS_BUNDLES.join(", ")
            ),
            source: None,
        }),
    }
}

fn parse(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("could not read PEM: {e}"))
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, Error> {
    let file = std::fs::File::open(path).map_err(|e| io_error(path, e))?;
    let mut bytes = Vec::new();
    file.take(MAX_BUNDLE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(path, e))?;
    if bytes.len() as u64 > MAX_BUNDLE_BYTES {
        return Err(invalid(
            path,
            &format!("larger than {MAX_BUNDLE_BYTES} bytes, not a root bundle"),
        ));
    }
    Ok(bytes)
}

fn invalid(path: &Path, reason: &str) -> Error {
    Error::InvalidRootCertificate {
        reason: format!("{}: {reason}", path.display()),
        source: None,
    }
}

fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::InvalidRootCertificate {
        reason: format!("cannot read {}: {e}", path.display()),
        source: Some(e.into()),
    }
}

fn in_variable(variable: &str, e: Error) -> Error {
    match e {
        Error::InvalidRootCertificate { reason, source } => Error::InvalidRootCertificate {
            reason: format!("{variable}: {reason}"),
            source,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn missing_and_empty_files_name_the_path_and_variable() {
        let err = from_ssl_cert_env(&lookup(&[("SSL_CERT_FILE", "/nonexistent/bundle.pem")]))
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("SSL_CERT_FILE") && text.contains("/nonexistent/bundle.pem"),
            "{text}"
        );
        let err = from_dir(Path::new("/nonexistent-dir")).unwrap_err();
        assert_eq!(err.code(), "invalid_root_certificate");
        assert!(from_ssl_cert_env(&lookup(&[("SSL_CERT_FILE", "")]))
            .unwrap()
            .is_empty());
    }

    #[test]
    fn a_file_without_certificates_is_refused() {
        let dir = std::env::temp_dir().join(format!("mtls-roots-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("empty.pem");
        std::fs::write(&file, "no pem here").unwrap();
        let err = from_file(&file).unwrap_err();
        assert!(err.to_string().contains("no CERTIFICATE block"), "{err}");
        assert!(from_dir(&dir).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
