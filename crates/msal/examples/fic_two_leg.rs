//! Federated two-leg exchange over mTLS, against the in-process Entra emulator.
//!
//! Leg 1: app A gets an `mtls_pop` token for `api://AzureADTokenExchange/.default`, bound to its
//! certificate. Leg 2: app B (which trusts A through a federated identity credential) sends that
//! token as a `jwt-pop` client assertion over mTLS with the same certificate, and gets its own
//! token (here `mtls_pop` too; drop `.with_mtls_proof_of_possession()` for Bearer).
//!
//! `cargo run -p msal-client --example fic_two_leg`

mod support;

use std::sync::Arc;

use entra_emulator::pki::{CertRequest, TestCa};
use entra_emulator::{AppRegistration, Emulator};
use msal::{ClientCertificate, ConfidentialClientApplication, FederatedLeg1};
use support::TENANT;

const LEG1_APP: &str = "11111111-1111-1111-1111-111111111111";
const LEG2_APP: &str = "22222222-2222-2222-2222-222222222222";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    // The emulator: leg 1's app trusts certificates with subject `leg1.contoso.example` from this
    // CA; leg 2's app trusts tokens the tenant issues to leg 1's app (a federated credential).
    let ca = TestCa::new("example CA")?;
    let issued = ca.issue(&CertRequest::new("leg1.contoso.example"))?;
    let leg1_registration =
        AppRegistration::new(LEG1_APP, TENANT).with_subject_name_issuer("leg1.contoso.example");
    let leg2_registration = AppRegistration::new(LEG2_APP, TENANT).with_federated_credential(
        &format!("https://login.microsoftonline.com/{TENANT}/v2.0"),
        &Emulator::object_id(LEG1_APP),
    );
    let emulator = support::start_emulator(&ca, [leg1_registration, leg2_registration]).await?;
    // Reach the emulator through the real Entra host names (leave this out against Entra ID).
    let transport = support::emulator_transport(&emulator)?;
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
