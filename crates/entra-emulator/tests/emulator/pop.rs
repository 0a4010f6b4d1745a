use entra_emulator::pki::{CertRequest, IssuedCertificate, KeyChoice, TestCa};
use entra_emulator::{AppRegistration, Emulator, Misbehavior};

use crate::common::*;

const MTLS: &str = "mtlsauth.microsoft.com";

struct Setup {
    em: Emulator,
    ca: TestCa,
    registered: IssuedCertificate,
    sni: IssuedCertificate,
}

async fn setup() -> Setup {
    let ca = TestCa::new("Emulator test CA").unwrap();
    let registered = ca.issue(&CertRequest::new("registered-app")).unwrap();
    let sni = ca
        .issue(&CertRequest::new("sni.contoso.test").with_key(KeyChoice::Rsa(2)))
        .unwrap();
    let em = Emulator::builder()
        .tenant(TENANT, &[DOMAIN])
        .trusted_issuer(ca.certificate_der())
        .app(
            AppRegistration::new("cert-app", TENANT)
                .with_certificate(registered.leaf_der.clone())
                .with_secret("s"),
        )
        .app(AppRegistration::new("sni-app", TENANT).with_subject_name_issuer("sni.contoso.test"))
        .start()
        .await
        .unwrap();
    Setup {
        em,
        ca,
        registered,
        sni,
    }
}

fn pop_form(client_id: &str) -> Vec<(&str, &str)> {
    vec![
        ("client_id", client_id),
        ("grant_type", "client_credentials"),
        ("scope", GRAPH),
        ("client_info", "2"),
        ("token_type", "mtls_pop"),
    ]
}

#[tokio::test]
async fn pop_with_registered_client_certificate() {
    let s = setup().await;
    let r = post_token(
        &s.em,
        MTLS,
        TENANT,
        Some(&s.registered),
        &pop_form("cert-app"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let body = r.json();
    assert_eq!(body["token_type"], "mtls_pop");
    let claims =
        s.em.verify_access_token(body["access_token"].as_str().unwrap())
            .unwrap();
    assert_eq!(claims["cnf"]["x5t#S256"], x5t_s256(&s.registered.leaf_der));
    assert_eq!(claims["cnf"]["x5t#S256"], s.registered.x5t_s256());
    let logged = &s.em.token_requests()[0];
    assert_eq!(
        logged.client_certificate.as_deref(),
        Some(s.registered.leaf_der.as_slice())
    );
    assert_eq!(logged.sni.as_deref(), Some(MTLS));
}

#[tokio::test]
async fn pop_on_regional_and_sovereign_mtls_hosts() {
    let s = setup().await;
    for host in [
        "eastus.mtlsauth.microsoft.com",
        "mtlsauth.microsoftonline.us",
        "westus3.mtlsauth.sovcloud-identity.fr",
    ] {
        let r = post_token(
            &s.em,
            host,
            TENANT,
            Some(&s.registered),
            &pop_form("cert-app"),
        )
        .await;
        assert_eq!(r.status, 200, "{host}: {}", r.body);
        assert_eq!(r.json()["token_type"], "mtls_pop");
    }
}

#[tokio::test]
async fn pop_with_subject_name_issuer_over_tls_chain() {
    let s = setup().await;
    let r = post_token(&s.em, MTLS, TENANT, Some(&s.sni), &pop_form("sni-app")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Through an intermediate presented in the TLS chain.
    let inter = s.ca.issue_intermediate("Issuing CA").unwrap();
    let leaf = inter
        .issue(&CertRequest::new("sni.contoso.test").with_key(KeyChoice::EcdsaP256))
        .unwrap();
    let r = post_token(&s.em, MTLS, TENANT, Some(&leaf), &pop_form("sni-app")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let claims =
        s.em.verify_access_token(r.json()["access_token"].as_str().unwrap())
            .unwrap();
    assert_eq!(claims["cnf"]["x5t#S256"], x5t_s256(&leaf.leaf_der));
    // Untrusted issuer.
    let rogue = TestCa::new("Rogue")
        .unwrap()
        .issue(&CertRequest::new("sni.contoso.test"))
        .unwrap();
    let r = post_token(&s.em, MTLS, TENANT, Some(&rogue), &pop_form("sni-app")).await;
    assert_eq!((r.status, r.error_code()), (401, 700027), "{}", r.body);
}

#[tokio::test]
async fn pop_without_client_certificate_or_with_wrong_certificate() {
    let s = setup().await;
    let r = post_token(&s.em, MTLS, TENANT, None, &pop_form("cert-app")).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"], "invalid_client");
    assert!(r.json()["error_description"]
        .as_str()
        .unwrap()
        .contains("client certificate"));
    // A valid certificate from the trusted CA, but not this app's.
    let other =
        s.ca.issue(&CertRequest::new("registered-app").with_key(KeyChoice::Rsa(1)))
            .unwrap();
    let r = post_token(&s.em, MTLS, TENANT, Some(&other), &pop_form("cert-app")).await;
    assert_eq!((r.status, r.error_code()), (401, 700027));
}

#[tokio::test]
async fn pop_rejects_secret_and_assertion_in_the_body() {
    let s = setup().await;
    let mut f = pop_form("cert-app");
    f.push(("client_secret", "s"));
    let r = post_token(&s.em, MTLS, TENANT, Some(&s.registered), &f).await;
    assert_eq!(
        (r.status, r.json()["error"].as_str().unwrap()),
        (400, "invalid_request")
    );
    let aud = format!("https://{MTLS}/{TENANT}/oauth2/v2.0/token");
    let jwt = assertion(
        &s.registered,
        AssertionHeader {
            x5c: true,
            ..Default::default()
        },
        &claims("cert-app", &aud),
    );
    let mut f = assertion_form("cert-app", &jwt);
    f.push(("token_type", "mtls_pop"));
    let r = post_token(&s.em, MTLS, TENANT, Some(&s.registered), &f).await;
    assert_eq!(
        (r.status, r.json()["error"].as_str().unwrap()),
        (400, "invalid_request")
    );
    assert!(!r.body.contains(&jwt));
}

#[tokio::test]
async fn bearer_over_mtls_needs_matching_assertion() {
    let s = setup().await;
    let aud = format!("https://{MTLS}/{TENANT}/oauth2/v2.0/token");
    let header = AssertionHeader {
        x5c: true,
        ..Default::default()
    };
    let jwt = assertion(&s.registered, header, &claims("cert-app", &aud));
    let r = post_token(
        &s.em,
        MTLS,
        TENANT,
        Some(&s.registered),
        &assertion_form("cert-app", &jwt),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["token_type"], "Bearer");
    let claims_at =
        s.em.verify_access_token(r.json()["access_token"].as_str().unwrap())
            .unwrap();
    assert!(claims_at.get("cnf").is_none());
    // TLS certificate differs from the assertion's certificate.
    let r = post_token(
        &s.em,
        MTLS,
        TENANT,
        Some(&s.sni),
        &assertion_form("cert-app", &jwt),
    )
    .await;
    assert_eq!((r.status, r.error_code()), (401, 500181));
    // No assertion at all: Bearer over mTLS needs one.
    let r = post_token(
        &s.em,
        MTLS,
        TENANT,
        Some(&s.registered),
        &pop_form("cert-app")[..4],
    )
    .await;
    assert_eq!((r.status, r.error_code()), (401, 7000218));
}

#[tokio::test]
async fn misbehavior_downgrades_or_omits_token_type() {
    let s = setup().await;
    s.em.set_misbehavior(Misbehavior::AnswerBearerToPop);
    let r = post_token(
        &s.em,
        MTLS,
        TENANT,
        Some(&s.registered),
        &pop_form("cert-app"),
    )
    .await;
    assert_eq!(r.json()["token_type"], "Bearer");
    s.em.set_misbehavior(Misbehavior::OmitTokenType);
    let r = post_token(
        &s.em,
        MTLS,
        TENANT,
        Some(&s.registered),
        &pop_form("cert-app"),
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.json().get("token_type").is_none());
    s.em.set_misbehavior(Misbehavior::None);
    let r = post_token(
        &s.em,
        MTLS,
        TENANT,
        Some(&s.registered),
        &pop_form("cert-app"),
    )
    .await;
    assert_eq!(r.json()["token_type"], "mtls_pop");
}

#[tokio::test]
async fn handshakes_are_counted_per_connection() {
    let s = setup().await;
    assert_eq!(s.em.tls_handshakes(), 0);
    let mut conn = Conn::open(&s.em, MTLS, Some(&s.registered)).await;
    for _ in 0..2 {
        let r = conn
            .send(
                "POST",
                &format!("/{TENANT}/oauth2/v2.0/token"),
                &[],
                Some(&pop_form("cert-app")),
            )
            .await;
        assert_eq!(r.status, 200);
    }
    assert_eq!(s.em.tls_handshakes(), 1);
    post_token(
        &s.em,
        MTLS,
        TENANT,
        Some(&s.registered),
        &pop_form("cert-app"),
    )
    .await;
    assert_eq!(s.em.tls_handshakes(), 2);
}

#[tokio::test]
async fn federated_credential_two_leg_exchange_over_mtls() {
    let s = setup().await;
    // Leg 1: PoP token for the token-exchange audience, bound to the SN/I certificate.
    let leg1_form = vec![
        ("client_id", "sni-app"),
        ("grant_type", "client_credentials"),
        ("scope", "api://AzureADTokenExchange/.default"),
        ("token_type", "mtls_pop"),
    ];
    let leg1 = post_token(&s.em, MTLS, TENANT, Some(&s.sni), &leg1_form).await;
    assert_eq!(leg1.status, 200, "{}", leg1.body);
    let leg1_token = leg1.json()["access_token"].as_str().unwrap().to_owned();
    s.em.register_app(
        AppRegistration::new("leg2-app", TENANT)
            .with_federated_credential(&s.em.issuer(TENANT), &Emulator::object_id("sni-app")),
    );
    let f = vec![
        ("client_id", "leg2-app"),
        ("grant_type", "client_credentials"),
        ("scope", GRAPH),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-pop",
        ),
        ("client_assertion", leg1_token.as_str()),
        ("token_type", "mtls_pop"),
    ];
    let r = post_token(&s.em, MTLS, TENANT, Some(&s.sni), &f).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let claims =
        s.em.verify_access_token(r.json()["access_token"].as_str().unwrap())
            .unwrap();
    assert_eq!(claims["appid"], "leg2-app");
    assert_eq!(claims["cnf"]["x5t#S256"], x5t_s256(&s.sni.leaf_der));
    // Presented with a different certificate: rejected.
    let r = post_token(&s.em, MTLS, TENANT, Some(&s.registered), &f).await;
    assert_eq!((r.status, r.error_code()), (401, 500181));
}

#[tokio::test]
async fn pop_over_tls12_with_rsa_and_ecdsa_client_certificates() {
    use rustls::pki_types::pem::PemObject as _;
    let s = setup().await;
    let ec =
        s.ca.issue(&CertRequest::new("sni.contoso.test").with_key(KeyChoice::EcdsaP256))
            .unwrap();
    for (client_id, id) in [("cert-app", &s.registered), ("sni-app", &ec)] {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(rustls::pki_types::CertificateDer::from(
                s.em.ca_certificate_der(),
            ))
            .unwrap();
        let chain = rustls::pki_types::CertificateDer::pem_slice_iter(id.chain_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(id.key_pem.as_bytes()).unwrap();
        let cfg = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_protocol_versions(&[&rustls::version::TLS12])
        .unwrap()
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)
        .unwrap();
        let mut conn = Conn::open_with(&s.em, MTLS, std::sync::Arc::new(cfg)).await;
        let r = conn
            .send(
                "POST",
                &format!("/{TENANT}/oauth2/v2.0/token"),
                &[],
                Some(&pop_form(client_id)),
            )
            .await;
        assert_eq!(r.status, 200, "{client_id}: {}", r.body);
        let claims =
            s.em.verify_access_token(r.json()["access_token"].as_str().unwrap())
                .unwrap();
        assert_eq!(claims["cnf"]["x5t#S256"], x5t_s256(&id.leaf_der));
    }
}

/// Presents `cert` but signs the handshake with a different key.
#[derive(Debug)]
struct MismatchedKey(std::sync::Arc<rustls::sign::CertifiedKey>);

impl rustls::client::ResolvesClientCert for MismatchedKey {
    fn resolve(
        &self,
        _: &[&[u8]],
        _: &[rustls::SignatureScheme],
    ) -> Option<std::sync::Arc<rustls::sign::CertifiedKey>> {
        Some(self.0.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

#[tokio::test]
async fn handshake_signature_is_verified() {
    use rustls::pki_types::pem::PemObject as _;
    let s = setup().await;
    // Registered certificate (bundled RSA key 0) with the private key of bundled RSA key 1.
    let wrong =
        s.ca.issue(&CertRequest::new("x").with_key(KeyChoice::Rsa(1)))
            .unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let key = provider
        .key_provider
        .load_private_key(
            rustls::pki_types::PrivateKeyDer::from_pem_slice(wrong.key_pem.as_bytes()).unwrap(),
        )
        .unwrap();
    let certified = rustls::sign::CertifiedKey::new(
        vec![rustls::pki_types::CertificateDer::from(
            s.registered.leaf_der.clone(),
        )],
        key,
    );
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(
            s.em.ca_certificate_der(),
        ))
        .unwrap();
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_client_cert_resolver(std::sync::Arc::new(MismatchedKey(std::sync::Arc::new(
            certified,
        ))));
    let tcp = tokio::net::TcpStream::connect(s.em.addr()).await.unwrap();
    let tls = tokio_rustls::TlsConnector::from(std::sync::Arc::new(cfg))
        .connect(rustls::pki_types::ServerName::try_from(MTLS).unwrap(), tcp)
        .await;
    // In TLS 1.3 the client finishes before the server checks CertificateVerify; the failure then
    // shows on the first request.
    let failed = match tls {
        Err(_) => true,
        Ok(tls) => match hyper::client::conn::http1::handshake::<
            _,
            http_body_util::Full<bytes::Bytes>,
        >(hyper_util::rt::TokioIo::new(tls))
        .await
        {
            Err(_) => true,
            Ok((mut sender, conn)) => {
                tokio::spawn(conn);
                let req = hyper::Request::post(format!("/{TENANT}/oauth2/v2.0/token"))
                    .header("host", MTLS)
                    .body(http_body_util::Full::new(bytes::Bytes::new()))
                    .unwrap();
                sender.send_request(req).await.is_err()
            }
        },
    };
    assert!(
        failed,
        "a handshake signed with the wrong key must not complete"
    );
    assert_eq!(s.em.tls_handshakes(), 0);
    assert!(s.em.requests().is_empty());
}
