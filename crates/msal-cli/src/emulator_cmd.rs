//! `msal emulator`: run the Entra emulator standalone, with demo apps, until Ctrl-C.

use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use clap::Args;
use entra_emulator::pki::{CertRequest, IssuedCertificate, TestCa};
use entra_emulator::{AppRegistration, Emulator};
use zeroize::Zeroizing;

use crate::CliError;

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
}

/// Client ids of the demo apps.
const CERT_APP: &str = "11111111-1111-1111-1111-111111111111";
const SECRET_APP: &str = "22222222-2222-2222-2222-222222222222";

pub(crate) async fn run(args: EmulatorArgs) -> Result<(), CliError> {
    std::fs::create_dir_all(&args.out_dir)?;
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
        .await?;
    let files = DemoFiles::write(&args.out_dir, &emulator, &cert, &secret)?;
    print_instructions(&emulator, &files);
    println!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c().await?;
    emulator.shutdown().await;
    Ok(())
}

/// The files written for clients in other languages.
struct DemoFiles {
    /// The emulator's CA certificate (PEM).
    ca: PathBuf,
    /// The certificate chain and key of [`CERT_APP`] (PEM).
    cert: PathBuf,
    /// The client secret of [`SECRET_APP`].
    secret: PathBuf,
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
fn write_private(path: &Path, parts: &[&[u8]]) -> Result<(), CliError> {
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
        "Map these hostnames to {}: {}",
        emulator.addr(),
        Emulator::hostnames().join(", ")
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
        "  msal token --authority https://login.microsoftonline.com/{TENANT} --client-id {CERT_APP} \\\n    --cert {} --send-x5c --scope https://graph.microsoft.com/.default --ca-file {} --resolve login.microsoftonline.com={}",
        files.cert.display(),
        files.ca.display(),
        emulator.addr()
    );
}

fn uuid_like() -> String {
    format!("emulator-{}", uuid::Uuid::new_v4())
}
