//! Federated two-leg exchange over mTLS, against the in-process Entra emulator.
//!
//! Leg 1: app A gets an `mtls_pop` token for `api://AzureADTokenExchange/.default`, bound to its
//! certificate. Leg 2: app B (which trusts A through a federated identity credential) sends that
//! token as a `jwt-pop` client assertion over mTLS with the same certificate, and gets its own
//! token (here `mtls_pop` too; drop `.with_mtls_proof_of_possession()` for Bearer).
//!
//! `cargo run -p msal-client --example fic_two_leg`

use std::sync::Arc;

use entra_emulator::pki::{CertRequest, TestCa};
use entra_emulator::{AppRegistration, Emulator};
use msal::transport::HyperTransport;
use msal::{ClientCertificate, ConfidentialClientApplication, FederatedLeg1};

const TENANT: &str = "aaaabbbb-0000-1111-2222-333344445555";
const LEG1_APP: &str = "11111111-1111-1111-1111-111111111111";
const LEG2_APP: &str = "22222222-2222-2222-2222-222222222222";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let ca = TestCa::new("example CA")?;
    let issued = ca.issue(&CertRequest::new("leg1.contoso.example"))?;
    let emulator = Emulator::builder()
        .tenant(TENANT, &[])
        .trusted_issuer(ca.certificate_der())
        .app(
            AppRegistration::new(LEG1_APP, TENANT).with_subject_name_issuer("leg1.contoso.example"),
        )
        .app(
            AppRegistration::new(LEG2_APP, TENANT).with_federated_credential(
                &format!("https://login.microsoftonline.com/{TENANT}/v2.0"),
                &Emulator::object_id(LEG1_APP),
            ),
        )
        .start()
        .await?;
    let mut transport = HyperTransport::builder()
        .webpki_roots(false)
        .resolve_overrides_only(true)
        .add_root_certificates_pem(emulator.ca_certificate_pem().as_bytes())?;
    for (host, addr) in emulator.resolver_entries() {
        transport = transport.resolve(&host, addr);
    }
    let transport = Arc::new(transport.build()?);
    let authority = format!("https://login.microsoftonline.com/{TENANT}");

    // Leg 1: a certificate app.
    let leg1 = ConfidentialClientApplication::builder(LEG1_APP)
        .authority(&authority)
        .certificate(ClientCertificate::from_pem_parts(
            issued.chain_pem.as_bytes(),
            issued.key_pem.as_bytes(),
        )?)
        .transport(transport.clone())
        .build()?;

    // Leg 2: its credential is leg 1's bound token, fetched (and cached) on demand.
    let leg2 = ConfidentialClientApplication::builder(LEG2_APP)
        .authority(&authority)
        .bound_assertion_provider(Arc::new(FederatedLeg1::new(leg1)))
        .transport(transport)
        .build()?;
    let result = leg2
        .acquire_token_for_client(["https://graph.microsoft.com/.default"])
        .with_mtls_proof_of_possession()
        .await?;
    println!("leg 2 token type: {}", result.token_type());
    println!(
        "bound to leg 1's certificate: {}",
        result
            .binding_certificate()
            .map(|b| b.x5t_s256())
            .unwrap_or("-")
    );
    for request in emulator.token_requests() {
        println!(
            "emulator saw: {} scope={} assertion_type={}",
            request.host,
            request.form_value("scope").unwrap_or_default(),
            request.form_value("client_assertion_type").unwrap_or("-")
        );
    }
    emulator.shutdown().await;
    Ok(())
}
