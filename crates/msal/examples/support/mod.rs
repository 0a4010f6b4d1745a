//! Emulator plumbing shared by the examples. None of it is needed against real Entra ID: there,
//! drop the emulator and the custom transport (the default transport uses the system's DNS and
//! the web PKI roots), and use your own tenant, client id and certificate.

use std::sync::Arc;

use entra_emulator::pki::TestCa;
use entra_emulator::{AppRegistration, Emulator};
use msal::transport::HyperTransport;

/// The emulator's tenant.
pub(crate) const TENANT: &str = "aaaabbbb-0000-1111-2222-333344445555";

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Starts the in-process Entra emulator: tenant [`TENANT`], trusting certificates issued by `ca`,
/// with `apps` registered.
pub(crate) async fn start_emulator(
    ca: &TestCa,
    apps: impl IntoIterator<Item = AppRegistration>,
) -> Result<Emulator, BoxError> {
    let mut builder = Emulator::builder()
        .tenant(TENANT, &[])
        .trusted_issuer(ca.certificate_der());
    for app in apps {
        builder = builder.app(app);
    }
    Ok(builder.start().await?)
}

/// A transport that reaches `emulator` through the real Entra host names and trusts only its CA.
pub(crate) fn emulator_transport(emulator: &Emulator) -> Result<Arc<HyperTransport>, BoxError> {
    let mut transport = HyperTransport::builder()
        .webpki_roots(false)
        .resolve_overrides_only(true)
        .add_root_certificates_pem(emulator.ca_certificate_pem().as_bytes())?;
    for (host, addr) in emulator.resolver_entries() {
        transport = transport.resolve(&host, addr);
    }
    Ok(Arc::new(transport.build()?))
}

/// A fresh directory for the example's files, readable by this user only.
#[allow(dead_code)] // not every example writes files
pub(crate) fn private_dir(example: &str) -> Result<std::path::PathBuf, BoxError> {
    let dir = std::env::temp_dir().join(format!("msal-example-{example}-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(dir)
}

/// Writes `content` (a private key, say) to `path`, readable by this user only.
#[allow(dead_code)] // not every example writes files
pub(crate) fn write_private(path: &std::path::Path, content: &str) -> Result<(), BoxError> {
    std::fs::write(path, content)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}
