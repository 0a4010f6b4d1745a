//! Shared helpers for the end-to-end tests: an emulator with a tenant, a test PKI and a set of
//! registered apps, and a client transport that reaches it through the real Entra hostnames.
#![forbid(unsafe_code)]

// The repository README's example, run as a doctest (`cargo test --doc`). It lives here, in a
// package that is never published, because the README is outside every published package; the
// facade's own README (its front page) holds the same example.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct RepositoryReadme;

pub mod oidc_provider;
pub mod softhsm;

mod redis_server;

use std::sync::Arc;

use entra_emulator::pki::{CertRequest, IssuedCertificate, TestCa};
use entra_emulator::{AppRegistration, Emulator, EmulatorBuilder};
use msal::transport::HyperTransport;
use msal::{
    ClientCertificate, ConfidentialClientApplication, ConfidentialClientApplicationBuilder,
};
pub use redis_server::RedisServer;

/// The test tenant.
pub const TENANT: &str = "aaaabbbb-0000-1111-2222-333344445555";
/// A domain alias of [`TENANT`].
pub const TENANT_DOMAIN: &str = "contoso.onmicrosoft.com";
/// The authority every test app uses.
pub const AUTHORITY: &str =
    "https://login.microsoftonline.com/aaaabbbb-0000-1111-2222-333344445555";
/// The scope every test requests.
pub const SCOPE: &str = "https://graph.microsoft.com/.default";
/// App authenticated by client secret.
pub const SECRET_APP: &str = "10000000-0000-0000-0000-000000000001";
/// Its secret.
pub const SECRET: &str = "e2e-test-secret-3f9a1c";
/// App trusted by a registered certificate (thumbprint).
pub const THUMBPRINT_APP: &str = "10000000-0000-0000-0000-000000000002";
/// App trusted by subject name + issuer.
pub const SNI_APP: &str = "10000000-0000-0000-0000-000000000003";
/// The SN/I subject.
pub const SNI_SUBJECT: &str = "sni-app.contoso.example";

/// A running emulator with the standard apps.
#[derive(Debug)]
pub struct TestEnv {
    /// The emulator.
    pub emulator: Emulator,
    /// The PKI whose CA the emulator trusts for SN/I.
    pub ca: TestCa,
    /// Certificate registered (by thumbprint) for [`THUMBPRINT_APP`].
    pub thumbprint_cert: IssuedCertificate,
    /// Certificate with subject [`SNI_SUBJECT`], issued by [`Self::ca`].
    pub sni_cert: IssuedCertificate,
    /// A transport that trusts the emulator CA and maps every Entra hostname to it.
    pub transport: Arc<HyperTransport>,
}

impl TestEnv {
    /// Start an emulator with the standard apps.
    pub async fn start() -> Self {
        Self::start_with(|b| b).await
    }

    /// Start an emulator with the standard apps, letting the caller adjust the builder.
    pub async fn start_with(adjust: impl FnOnce(EmulatorBuilder) -> EmulatorBuilder) -> Self {
        let ca = TestCa::new("e2e issuing CA").expect("test CA");
        let thumbprint_cert = ca
            .issue(&CertRequest::new("thumbprint-app.contoso.example"))
            .expect("thumbprint cert");
        let mut sni_request = CertRequest::new(SNI_SUBJECT);
        sni_request.key = entra_emulator::pki::KeyChoice::Rsa(1);
        let sni_cert = ca.issue(&sni_request).expect("sni cert");
        let builder = Emulator::builder()
            .tenant(TENANT, &[TENANT_DOMAIN])
            .trusted_issuer(ca.certificate_der())
            .app(AppRegistration::new(SECRET_APP, TENANT).with_secret(SECRET))
            .app(
                AppRegistration::new(THUMBPRINT_APP, TENANT)
                    .with_certificate(thumbprint_cert.leaf_der.clone()),
            )
            .app(AppRegistration::new(SNI_APP, TENANT).with_subject_name_issuer(SNI_SUBJECT));
        let emulator = adjust(builder).start().await.expect("emulator starts");
        let transport = Arc::new(transport_for(&emulator).build().expect("transport"));
        Self {
            emulator,
            ca,
            thumbprint_cert,
            sni_cert,
            transport,
        }
    }

    /// The SN/I app with its certificate and an empty region environment: the usual mTLS PoP
    /// setup.
    pub fn sni_app(&self) -> ConfidentialClientApplicationBuilder {
        self.app(SNI_APP)
            .certificate(client_certificate(&self.sni_cert))
            .region_environment(no_env())
    }

    /// An app builder for `client_id` on [`AUTHORITY`] with the emulator transport.
    pub fn app(&self, client_id: &str) -> ConfidentialClientApplicationBuilder {
        ConfidentialClientApplication::builder(client_id)
            .authority(AUTHORITY)
            .transport(self.transport.clone())
    }
}

/// The runtime the benches run on: multi-threaded, 2 workers (the project VM's cores), time
/// and I/O enabled.
pub fn bench_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// A transport builder that trusts the emulator's CA (and nothing else), maps every emulator
/// hostname and its subdomains (regional hosts such as `eastus.mtlsauth.microsoft.com`) to its
/// loopback address, and never asks the system resolver: no test can reach another address.
pub fn transport_for(emulator: &Emulator) -> msal::transport::HyperTransportBuilder {
    transport_from_parts(&emulator.ca_certificate_pem(), &emulator.resolver_entries())
}

/// [`transport_for`] from the emulator's CA (PEM) and resolver entries, for a child process
/// that was handed them.
pub fn transport_from_parts(
    ca_pem: &str,
    resolver_entries: &[(String, std::net::SocketAddr)],
) -> msal::transport::HyperTransportBuilder {
    let mut builder = HyperTransport::builder()
        .webpki_roots(false)
        .resolve_overrides_only(true)
        .add_root_certificates_pem(ca_pem.as_bytes())
        .expect("emulator CA parses");
    for (host, addr) in resolver_entries {
        builder = builder.resolve(host, *addr);
    }
    builder
}

/// `app.acquire_token_for_client([SCOPE]).with_mtls_proof_of_possession()`, which must succeed.
pub async fn pop(app: &ConfidentialClientApplication) -> msal::AuthenticationResult {
    app.acquire_token_for_client([SCOPE])
        .with_mtls_proof_of_possession()
        .await
        .expect("mTLS PoP token")
}

/// Load an issued test certificate as a client certificate.
pub fn client_certificate(cert: &IssuedCertificate) -> ClientCertificate {
    ClientCertificate::from_pem_parts(cert.chain_pem.as_bytes(), cert.key_pem.as_bytes())
        .expect("issued certificate loads")
}

/// A region environment with no variables set (no `REGION_NAME`, no `MSAL_FORCE_REGION`), so
/// a test never depends on the machine's environment.
pub fn no_env() -> msal::EnvLookup {
    Arc::new(|_| None)
}

/// A new private directory (0700) for a test's files, unique per process and call.
pub fn private_temp_dir(prefix: &str) -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("{prefix}-{}-{n}", std::process::id()));
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(&dir).expect("test directory");
    dir
}
