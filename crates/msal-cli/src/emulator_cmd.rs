//! `msal emulator`: run the Entra emulator standalone, with demo apps, until Ctrl-C.

use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use clap::Args;
use entra_emulator::pki::{CertRequest, IssuedCertificate, TestCa};
use entra_emulator::{AppRegistration, Emulator};
use zeroize::Zeroizing;

use crate::CliError;

mod env_file;

const TENANT: &str = "aaaabbbb-0000-1111-2222-333344445555";

/// Arguments of `msal emulator`.
#[derive(Debug, Args)]
pub(crate) struct EmulatorArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8443)]
    port: u16,
    /// Folder for the CA certificate and the demo apps' credentials.
    #[arg(long, default_value = "target/emulator")]
    out_dir: PathBuf,
    /// Also write the environment an unchanged app needs to use the emulator (AZURE_* and the
    /// MSAL_DEV_* development setting) to this file, in `KEY='value'` lines (see docs/emulator.md).
    #[arg(long, value_name = "PATH")]
    env_file: Option<PathBuf>,
}

/// Client ids of the demo apps.
const CERT_APP: &str = "11111111-1111-1111-1111-111111111111";
const SECRET_APP: &str = "22222222-2222-2222-2222-222222222222";

pub(crate) async fn run(args: EmulatorArgs) -> Result<(), CliError> {
    std::fs::create_dir_all(&args.out_dir)
        .map_err(|e| format!("cannot create --out-dir {}: {e}", args.out_dir.display()))?;
    let ca = TestCa::new("msal emulator client CA")?;
    let cert = ca.issue(&CertRequest::new("emulator-app.contoso.example"))?;
    let secret = Zeroizing::new(uuid_like());
    let emulator = Emulator::builder()
        .bind(SocketAddr::from((Ipv4Addr::LOCALHOST, args.port)))
        .tenant(TENANT, &["contoso.onmicrosoft.com"])
        .trusted_issuer(ca.certificate_der())
        .app(
            AppRegistration::new(CERT_APP, TENANT)
                .with_subject_name_issuer("emulator-app.contoso.example")
                .with_certificate(cert.leaf_der.clone()),
        )
        .app(AppRegistration::new(SECRET_APP, TENANT).with_secret(&secret))
        .start()
        .await
        .map_err(|e| {
            format!(
                "cannot start the emulator on 127.0.0.1:{} ({e}); choose another --port, or --port 0 for a free one",
                args.port
            )
        })?;
    let files = DemoFiles::write(&args.out_dir, &emulator, &cert, &secret)?;
    if let Some(path) = &args.env_file {
        env_file::write(path, &emulator, &files, TENANT, CERT_APP, SECRET_APP)?;
        println!("Environment for an unchanged app: {}", path.display());
    }
    print_instructions(&emulator, &files);
    println!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c().await?;
    emulator.shutdown().await;
    Ok(())
}

/// The files written for clients in other languages.
pub(crate) struct DemoFiles {
    /// The emulator's CA certificate (PEM).
    pub(crate) ca: PathBuf,
    /// The certificate chain and key of [`CERT_APP`] (PEM).
    pub(crate) cert: PathBuf,
    /// The client secret of [`SECRET_APP`].
    pub(crate) secret: PathBuf,
}

impl DemoFiles {
    fn write(
        out_dir: &Path,
        emulator: &Emulator,
        cert: &IssuedCertificate,
        secret: &str,
    ) -> Result<Self, CliError> {
        let ca = out_dir.join("emulator-ca.pem");
        std::fs::write(&ca, emulator.ca_certificate_pem())
            .map_err(|e| format!("cannot write {}: {e}", ca.display()))?;
        // Demo credentials for apps in other languages. These are throwaway test keys of the
        // emulator's own PKI, not user keys, but still readable by their owner only.
        let cert_path = out_dir.join("app-11111111.pem");
        write_private(
            &cert_path,
            &[cert.chain_pem.as_bytes(), cert.key_pem.as_bytes()],
        )?;
        let secret_path = out_dir.join("app-22222222.secret");
        write_private(&secret_path, &[secret.as_bytes()])?;
        Ok(DemoFiles {
            ca,
            cert: cert_path,
            secret: secret_path,
        })
    }
}

/// Writes `parts` to a new file at `path` that only its owner can read and write: created with
/// mode 0600 on Unix (never wider, not even for a moment). An existing file is removed first,
/// since opening it would keep its permissions; creation refuses to follow a link or reuse a
/// file that appears in between.
pub(crate) fn write_private(path: &Path, parts: &[&[u8]]) -> Result<(), CliError> {
    let cannot = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(cannot(e).into()),
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(cannot)?;
    for part in parts {
        file.write_all(part).map_err(cannot)?;
    }
    Ok(())
}

/// Where the emulator is, what to trust and map, the apps, and an example command.
fn print_instructions(emulator: &Emulator, files: &DemoFiles) {
    println!("Entra emulator listening on https://{}", emulator.addr());
    println!(
        "CA certificate (trust it as an extra root): {}",
        files.ca.display()
    );
    println!(
        "Map these hostnames to the address {} (host=IP:PORT, not a URL): {}",
        emulator.addr(),
        emulator
            .resolver_entries()
            .into_iter()
            .map(|(host, _)| host)
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "Each flow needs: Bearer login.microsoftonline.com; mTLS PoP also mtlsauth.microsoft.com (regional: *.mtlsauth.microsoft.com); the test resource mtlstb.graph.microsoft.com"
    );
    println!("Tenant: {TENANT} (contoso.onmicrosoft.com)");
    println!("Apps:");
    println!(
        "  {CERT_APP}  certificate (thumbprint or SN/I) {}",
        files.cert.display()
    );
    println!(
        "  {SECRET_APP}  client secret in {}",
        files.secret.display()
    );
    println!("Example:");
    println!(
        "  msal token --authority https://login.microsoftonline.com/{TENANT} --client-id {CERT_APP} \\\n    --cert {} --send-x5c --scope https://graph.microsoft.com/.default --mtls-pop --ca-file {} \\\n    --resolve login.microsoftonline.com={addr} --resolve mtlsauth.microsoft.com={addr}",
        files.cert.display(),
        files.ca.display(),
        addr = emulator.addr()
    );
}

fn uuid_like() -> String {
    format!("emulator-{}", uuid::Uuid::new_v4())
}
