//! oidc-provider (panva's OpenID Connect / OAuth 2.0 server, pinned in
//! `tests/oidc-provider/package.json`) as a real RFC 8705 peer: a test PKI, the node process
//! running `tests/oidc-provider/server.mjs` on loopback, stopped by PID when dropped.
//!
//! The server registers two clients: [`PKI_CLIENT`] (`tls_client_auth`, subject DN
//! `CN=pki-client` under the test client CA) and [`SELF_SIGNED_CLIENT`]
//! (`self_signed_tls_client_auth`, the self-signed RSA certificate
//! [`Pki::self_signed`]), a resource server [`RESOURCE`] issuing JWT access tokens, a second
//! listener published as `mtls_endpoint_aliases.token_endpoint`, and `GET /check`, which answers
//! 200 only for a Bearer token whose `cnf.x5t#S256` is the certificate presented.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use entra_emulator::pki::{CertRequest, IssuedCertificate, KeyChoice, TestCa};
use msal::transport::{HyperTransport, HyperTransportBuilder, TlsVersion};
use msal::ClientCertificate;
use rcgen::{CertificateParams, DistinguishedName, DnType, IsCa, KeyPair};

/// The `tls_client_auth` client (subject DN `CN=pki-client`, issued by the client CA).
pub const PKI_CLIENT: &str = "pki-client";
/// The `self_signed_tls_client_auth` client (registered by its certificate in a JWK `x5c`).
pub const SELF_SIGNED_CLIENT: &str = "self-signed-client";
/// The resource server whose tokens are JWTs with `cnf`.
pub const RESOURCE: &str = "https://api.example.test";
/// A scope the resource server grants.
pub const SCOPE: &str = "read";

/// The certificates of one run.
#[derive(Debug)]
pub struct Pki {
    /// The CA the server trusts for `tls_client_auth`.
    pub client_ca: TestCa,
    /// [`PKI_CLIENT`]'s certificate (EC P-256, `CN=pki-client`).
    pub pki_client: IssuedCertificate,
    /// Issued by the same CA, subject `CN=intruder`: right CA, wrong subject.
    pub intruder: IssuedCertificate,
    /// [`SELF_SIGNED_CLIENT`]'s self-signed RSA certificate, as (certificate PEM, key PEM).
    pub self_signed: (String, String),
    /// The server's TLS certificate (for `127.0.0.1`) and key, issued by [`Self::server_ca_pem`].
    server: (String, String),
    /// The CA of the server's TLS certificate: the only root the clients trust.
    pub server_ca_pem: String,
}

impl Pki {
    /// A fresh PKI.
    pub fn new() -> Self {
        let client_ca = TestCa::new("oidc-provider client CA").expect("client CA");
        let pki_client = client_ca
            .issue(&CertRequest::new(PKI_CLIENT).with_key(KeyChoice::EcdsaP256))
            .expect("pki client certificate");
        let intruder = client_ca
            .issue(&CertRequest::new("intruder").with_key(KeyChoice::EcdsaP256))
            .expect("intruder certificate");
        let rsa = entra_emulator::pki::bundled_rsa_key_pem(2).expect("bundled RSA key");
        let self_signed = self_signed(rsa, &rcgen::PKCS_RSA_SHA256, "self-signed-client");
        let (server_ca_pem, server) = server_certificate();
        Pki {
            client_ca,
            pki_client,
            intruder,
            self_signed,
            server,
            server_ca_pem,
        }
    }

    /// [`Self::pki_client`] as a client certificate.
    pub fn pki_certificate(&self) -> ClientCertificate {
        crate::client_certificate(&self.pki_client)
    }

    /// [`Self::intruder`] as a client certificate.
    pub fn intruder_certificate(&self) -> ClientCertificate {
        crate::client_certificate(&self.intruder)
    }

    /// [`Self::self_signed`] as a client certificate.
    pub fn self_signed_certificate(&self) -> ClientCertificate {
        ClientCertificate::from_pem_parts(
            self.self_signed.0.as_bytes(),
            self.self_signed.1.as_bytes(),
        )
        .expect("self-signed certificate loads")
    }
}

impl Default for Pki {
    fn default() -> Self {
        Self::new()
    }
}

fn self_signed(
    key_pem: &str,
    alg: &'static rcgen::SignatureAlgorithm,
    cn: &str,
) -> (String, String) {
    let key = KeyPair::from_pem_and_sign_algo(key_pem, alg).expect("key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.distinguished_name = common_name(cn);
    let cert = params.self_signed(&key).expect("self-signed certificate");
    (cert.pem(), key.serialize_pem())
}

/// A CA and a server certificate for `127.0.0.1` issued by it: (CA PEM, (cert PEM, key PEM)).
fn server_certificate() -> (String, (String, String)) {
    let ca_key = KeyPair::generate().expect("server CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.distinguished_name = common_name("oidc-provider server CA");
    ca_params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).expect("server CA");
    let issuer = rcgen::Issuer::from_params(&ca_params, &ca_key);
    let key = KeyPair::generate().expect("server key");
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_owned()]).expect("params");
    params.distinguished_name = common_name("oidc-provider on loopback");
    let cert = params.signed_by(&key, &issuer).expect("server certificate");
    (ca_cert.pem(), (cert.pem(), key.serialize_pem()))
}

fn common_name(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    dn
}

/// The TLS versions the server accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerTls {
    /// TLS 1.2 and 1.3.
    Any,
    /// TLS 1.2 only.
    Only12,
    /// TLS 1.3 only.
    Only13,
}

/// A running oidc-provider; the process is killed (by its PID) when this is dropped.
#[derive(Debug)]
pub struct OidcProvider {
    child: Mutex<Child>,
    config_file: PathBuf,
    /// The issuer, `https://127.0.0.1:{port}`.
    pub issuer: String,
    /// The alias listener's base URL (its `/token` is `mtls_endpoint_aliases.token_endpoint`).
    pub alias: String,
    /// The protected resource that checks the binding (`GET`, Bearer).
    pub check_url: String,
    /// The certificates.
    pub pki: Arc<Pki>,
}

/// The folder holding package.json, the lockfile and server.mjs.
fn server_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("oidc-provider")
}

/// `npm ci --ignore-scripts --omit=dev` once per process when `node_modules` is missing
/// (`.ci/run` installs it up front; this keeps `cargo test` working on a fresh clone).
fn ensure_installed() {
    static INSTALL: Mutex<bool> = Mutex::new(false);
    let mut done = INSTALL.lock().unwrap_or_else(|p| p.into_inner());
    let dir = server_dir();
    if *done || dir.join("node_modules/oidc-provider/package.json").exists() {
        *done = true;
        return;
    }
    let status = Command::new("npm")
        .args([
            "ci",
            "--ignore-scripts",
            "--omit=dev",
            "--no-audit",
            "--no-fund",
        ])
        .current_dir(&dir)
        .status()
        .expect("npm runs (install node and npm: apt-get install -y nodejs npm)");
    assert!(status.success(), "npm ci in {} failed", dir.display());
    *done = true;
}

impl OidcProvider {
    /// Starts the server with a fresh PKI, accepting TLS 1.2 and 1.3.
    pub fn start() -> Self {
        Self::start_with(Arc::new(Pki::new()), ServerTls::Any)
    }

    /// Starts the server for `pki`, accepting the `tls` versions, publishing the mTLS alias.
    pub fn start_with(pki: Arc<Pki>, tls: ServerTls) -> Self {
        Self::start_full(pki, tls, true)
    }

    /// Starts the server for `pki`, accepting the `tls` versions; `alias` says whether its
    /// metadata publishes `mtls_endpoint_aliases` (without, clients use `token_endpoint`).
    pub fn start_full(pki: Arc<Pki>, tls: ServerTls, alias: bool) -> Self {
        ensure_installed();
        let (min, max) = match tls {
            ServerTls::Any => ("TLSv1.2", "TLSv1.3"),
            ServerTls::Only12 => ("TLSv1.2", "TLSv1.2"),
            ServerTls::Only13 => ("TLSv1.3", "TLSv1.3"),
        };
        let config = serde_json::json!({
            "ca_pem": pki.client_ca.certificate_pem(),
            "server_cert_pem": pki.server.0,
            "server_key_pem": pki.server.1,
            "min_tls": min,
            "max_tls": max,
            "resource": RESOURCE,
            "alias": alias,
            "clients": [
                {"client_id": PKI_CLIENT, "auth": "tls_client_auth", "subject_dn": format!("CN={PKI_CLIENT}")},
                {"client_id": SELF_SIGNED_CLIENT, "auth": "self_signed_tls_client_auth", "certificate_pem": pki.self_signed.0},
            ],
        });
        let dir = crate::private_temp_dir("msal-oidc-provider");
        let config_file = dir.join("config.json");
        std::fs::write(&config_file, config.to_string()).expect("config written");
        let mut child = Command::new("node")
            .arg(server_dir().join("server.mjs"))
            .arg(&config_file)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node runs (install it: apt-get install -y nodejs)");
        let stdout = child.stdout.take().expect("stdout piped");
        let (tx, rx) = std::sync::mpsc::channel();
        // The first line says the server is up; what follows (oidc-provider's notices) is
        // drained until the process ends, so node never writes into a closed pipe.
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = tx.send(line);
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let line = rx.recv_timeout(Duration::from_secs(60)).unwrap_or_default();
        let ready: serde_json::Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("oidc-provider did not start (first line: {line:?})");
            }
        };
        let field = |name: &str| ready[name].as_str().expect("ready line field").to_owned();
        OidcProvider {
            issuer: field("issuer"),
            alias: field("alias"),
            check_url: field("resource_url"),
            child: Mutex::new(child),
            config_file,
            pki,
        }
    }

    /// A transport builder trusting only the server's CA, resolving nothing (the URLs are IP
    /// addresses on loopback).
    pub fn transport_builder(&self) -> HyperTransportBuilder {
        HyperTransport::builder()
            .webpki_roots(false)
            .resolve_overrides_only(true)
            .add_root_certificates_pem(self.pki.server_ca_pem.as_bytes())
            .expect("server CA parses")
    }

    /// A transport offering only `min..=max`.
    pub fn transport(&self, min: TlsVersion, max: TlsVersion) -> Arc<HyperTransport> {
        Arc::new(
            self.transport_builder()
                .min_tls_version(min)
                .max_tls_version(max)
                .build()
                .expect("transport"),
        )
    }

    /// An application for `client_id` on this issuer, authenticating with `certificate` in TLS.
    pub fn app(
        &self,
        client_id: &str,
        certificate: ClientCertificate,
        transport: Arc<HyperTransport>,
    ) -> msal::ConfidentialClientApplication {
        msal::ConfidentialClientApplication::builder(client_id)
            .issuer(&self.issuer)
            .tls_client_certificate(certificate)
            .transport(transport)
            .build()
            .expect("issuer app builds")
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let child = self.child.get_mut().unwrap_or_else(|p| p.into_inner());
        let _ = child.kill();
        let _ = child.wait();
        if let Some(dir) = self.config_file.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
