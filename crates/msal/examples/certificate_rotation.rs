//! A certificate that rotates while the application runs, against the in-process Entra emulator.
//!
//! `cargo run -p msal-client --example certificate_rotation`
//!
//! The app reads its certificate from two PEM files through a `FileCertificateSource`. It gets
//! an mTLS PoP token; then the files are atomically replaced (as cert-manager or a Key Vault
//! agent would) with a new certificate for the same app registration (same subject, same
//! issuer: SN/I, a new key). The next acquisition — same app object, no restart — gets a new
//! token bound to the new certificate; the old token is not served. The example exits 0 only if
//! the key ids differ and the emulator saw the new certificate in the TLS handshake.
//!
//! Against real Entra ID, drop the emulator and the custom transport, point the source at the
//! files your renewal agent writes, and keep the default check interval (one minute).

mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use entra_emulator::pki::{CertRequest, KeyChoice, TestCa};
use entra_emulator::AppRegistration;
use msal::{ConfidentialClientApplication, FileCertificateSource, TokenSource};
use support::TENANT;

const CLIENT_ID: &str = "11111111-1111-1111-1111-111111111111";
const SUBJECT: &str = "my-app.contoso.example";
const SCOPE: &str = "https://graph.microsoft.com/.default";

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Replaces `path` atomically: a temporary file in the same directory, renamed over it.
fn replace(path: &Path, content: &str) -> Result<(), BoxError> {
    let tmp = path.with_extension("new");
    support::write_private(&tmp, content)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// An mTLS PoP token and the key id (`x5t#S256`) of the certificate it is bound to.
async fn acquire_pop(
    app: &ConfidentialClientApplication,
) -> Result<(msal::AuthenticationResult, String), BoxError> {
    let result = app
        .acquire_token_for_client([SCOPE])
        .with_mtls_proof_of_possession()
        .await?;
    let key_id = result
        .binding_certificate()
        .ok_or("unbound")?
        .x5t_s256()
        .to_owned();
    Ok((result, key_id))
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    // The emulator trusts certificates with subject `my-app.contoso.example` from this CA (SN/I).
    let ca = TestCa::new("example CA")?;
    let first = ca.issue(&CertRequest::new(SUBJECT))?;
    let registration = AppRegistration::new(CLIENT_ID, TENANT).with_subject_name_issuer(SUBJECT);
    let emulator = support::start_emulator(&ca, [registration]).await?;

    let dir = support::private_dir("certificate_rotation")?;
    let (cert_path, key_path) = (dir.join("tls.crt"), dir.join("tls.key"));
    replace(&cert_path, &first.chain_pem)?;
    replace(&key_path, &first.key_pem)?;

    // Look at the files on every acquisition here; keep the default (a minute) in production.
    let source = FileCertificateSource::pem(&cert_path, &key_path)?.check_interval(Duration::ZERO);
    let app = ConfidentialClientApplication::builder(CLIENT_ID)
        .authority(format!("https://login.microsoftonline.com/{TENANT}"))
        .certificate_provider(Arc::new(source))
        // Reach the emulator through the real Entra host names (leave this out against Entra ID).
        .transport(support::emulator_transport(&emulator)?)
        .build()?;

    let (before, old_key_id) = acquire_pop(&app).await?;
    println!("first token:   bound to x5t#S256 {old_key_id}");

    // The renewal agent writes a new certificate (new key, same subject and issuer).
    let renewed = ca.issue(&CertRequest::new(SUBJECT).with_key(KeyChoice::EcdsaP256))?;
    replace(&key_path, &renewed.key_pem)?;
    replace(&cert_path, &renewed.chain_pem)?;
    println!(
        "files replaced: new certificate x5t#S256 {}",
        renewed.x5t_s256()
    );
    emulator.clear_requests();

    let (after, new_key_id) = acquire_pop(&app).await?;
    println!(
        "second token:  bound to x5t#S256 {new_key_id} ({:?})",
        after.token_source()
    );

    let old_token_served =
        after.access_token().expose_secret() == before.access_token().expose_secret();
    let emulator_saw_new = emulator
        .token_requests()
        .iter()
        .any(|r| r.client_certificate.as_deref() == Some(renewed.leaf_der.as_slice()));
    let emulator_saw_old = emulator
        .requests()
        .iter()
        .any(|r| r.client_certificate.as_deref() == Some(first.leaf_der.as_slice()));
    println!("key ids differ: {}", old_key_id != new_key_id);
    println!("emulator saw the new certificate in TLS: {emulator_saw_new}");
    emulator.shutdown().await;
    std::fs::remove_dir_all(&dir)?;

    let ok = old_key_id != new_key_id
        && new_key_id == renewed.x5t_s256()
        && after.token_source() == TokenSource::IdentityProvider
        && !old_token_served
        && emulator_saw_new
        && !emulator_saw_old;
    if ok {
        println!("rotation: ok");
        Ok(())
    } else {
        Err("the rotation was not picked up as expected".into())
    }
}
