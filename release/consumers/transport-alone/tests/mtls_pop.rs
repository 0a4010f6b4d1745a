//! A token request through `HyperTransport` presenting a certificate from the emulator's test
//! PKI, to the emulator's mTLS endpoint reached by its real hostname.

use entra_emulator::pki::{CertRequest, TestCa};
use entra_emulator::{AppRegistration, Emulator};
use mtls_transport::url::Url;
use mtls_transport::HyperTransport;
use oauth2_core::ClientCertificate;
use transport_alone::mtls_pop_token;

const TENANT: &str = "aaaabbbb-0000-1111-2222-333344445555";
const CLIENT_ID: &str = "30000000-0000-0000-0000-000000000001";
const SUBJECT: &str = "transport-alone.contoso.example";
const SCOPE: &str = "https://graph.microsoft.com/.default";

#[tokio::test]
async fn an_mtls_pop_token_through_hyper_transport() {
    let ca = TestCa::new("transport-alone CA").unwrap();
    let issued = ca.issue(&CertRequest::new(SUBJECT)).unwrap();
    let emulator = Emulator::builder()
        .tenant(TENANT, &["contoso.onmicrosoft.com"])
        .trusted_issuer(ca.certificate_der())
        .app(AppRegistration::new(CLIENT_ID, TENANT).with_subject_name_issuer(SUBJECT))
        .start()
        .await
        .unwrap();

    // Trust the emulator's CA only, and send the Entra hostnames to its loopback port only.
    let mut builder = HyperTransport::builder()
        .webpki_roots(false)
        .resolve_overrides_only(true)
        .add_root_certificates_pem(emulator.ca_certificate_pem().as_bytes())
        .unwrap();
    for (host, addr) in emulator.resolver_entries() {
        builder = builder.resolve(&host, addr);
    }
    let transport = builder.build().unwrap();
    let certificate =
        ClientCertificate::from_pem_parts(issued.chain_pem.as_bytes(), issued.key_pem.as_bytes())
            .unwrap();
    let endpoint =
        Url::parse(&format!("https://mtlsauth.microsoft.com/{TENANT}/oauth2/v2.0/token")).unwrap();

    let (status, token) = mtls_pop_token(&transport, endpoint, CLIENT_ID, SCOPE, &certificate)
        .await
        .unwrap();
    assert_eq!(status, 200);
    let token = token.unwrap();
    assert_eq!(token.token_type.as_deref(), Some("mtls_pop"));
    assert!(token.expires_in > 0);

    // The emulator saw the certificate in the handshake and signed a token bound to it.
    let requests = emulator.token_requests();
    assert_eq!(requests.len(), 1);
    assert!(requests[0].client_certificate.is_some());
    let claims = emulator
        .verify_access_token(token.access_token.expose_secret())
        .unwrap();
    assert_eq!(claims["cnf"]["x5t#S256"], certificate.x5t_s256());
    emulator.shutdown().await;
}
