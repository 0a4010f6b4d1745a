//! A real `mtls_pop` token from the emulator (through msal-client), checked by the verifier
//! with keys fetched from the emulator over HTTPS: accepted with the certificate it is bound
//! to, refused with another certificate and with none.

use std::sync::Arc;

use entra_emulator::pki::{CertRequest, TestCa};
use entra_emulator::{AppRegistration, Emulator};
use msal::transport::HyperTransport;
use msal::{ClientCertificate, ConfidentialClientApplication};
use resource_verifier::{HttpsJwks, Reason};
use verifier_alone::{caller_app, verifier};

const TENANT: &str = "aaaabbbb-0000-1111-2222-333344445555";
const CLIENT_ID: &str = "50000000-0000-0000-0000-000000000001";
const SUBJECT: &str = "verifier-alone.contoso.example";

#[tokio::test]
async fn a_bound_token_is_accepted_only_with_its_certificate() {
    let ca = TestCa::new("verifier-alone CA").unwrap();
    let issued = ca.issue(&CertRequest::new(SUBJECT)).unwrap();
    let other = ca.issue(&CertRequest::new(SUBJECT)).unwrap();
    let emulator = Emulator::builder()
        .tenant(TENANT, &["contoso.onmicrosoft.com"])
        .trusted_issuer(ca.certificate_der())
        .app(AppRegistration::new(CLIENT_ID, TENANT).with_subject_name_issuer(SUBJECT))
        .start()
        .await
        .unwrap();

    // The client: msal-client reaching the emulator by the Entra host names (loopback only).
    let mut transport = HyperTransport::builder()
        .webpki_roots(false)
        .resolve_overrides_only(true)
        .add_root_certificates_pem(emulator.ca_certificate_pem().as_bytes())
        .unwrap();
    for (host, addr) in emulator.resolver_entries() {
        transport = transport.resolve(&host, addr);
    }
    let app = ConfidentialClientApplication::builder(CLIENT_ID)
        .authority(format!("https://login.microsoftonline.com/{TENANT}"))
        .certificate(
            ClientCertificate::from_pem_parts(
                issued.chain_pem.as_bytes(),
                issued.key_pem.as_bytes(),
            )
            .unwrap(),
        )
        .transport(Arc::new(transport.build().unwrap()))
        .build()
        .unwrap();
    let result = app
        .acquire_token_for_client(["https://graph.microsoft.com/.default"])
        .with_mtls_proof_of_possession()
        .await
        .unwrap();

    // The resource: the verifier, keys from the emulator's JWKS over HTTPS (loopback only).
    let mut jwks = HttpsJwks::builder(format!(
        "https://login.microsoftonline.com/{TENANT}/discovery/v2.0/keys"
    ))
    .webpki_roots(false)
    .resolve_overrides_only(true)
    .add_root_certificates_pem(emulator.ca_certificate_pem().as_bytes())
    .unwrap();
    for (host, addr) in emulator.resolver_entries() {
        jwks = jwks.resolve(&host, addr);
    }
    let verifier = verifier(
        &emulator.issuer(TENANT),
        "https://graph.microsoft.com",
        jwks.build().unwrap(),
    )
    .unwrap();

    let header = result.authorization_header();
    let app_id = caller_app(&verifier, &header, Some(&issued.leaf_der))
        .await
        .unwrap();
    assert_eq!(app_id, CLIENT_ID);
    let wrong = caller_app(&verifier, &header, Some(&other.leaf_der))
        .await
        .unwrap_err();
    assert_eq!(wrong.reason(), Reason::BindingMismatch);
    let none = caller_app(&verifier, &header, None).await.unwrap_err();
    assert_eq!(none.reason(), Reason::NoClientCertificate);
    emulator.shutdown().await;
}
