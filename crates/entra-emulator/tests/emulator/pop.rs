use entra_emulator::pki::{CertRequest, IssuedCertificate, KeyChoice, TestCa};
use entra_emulator::{AppRegistration, Emulator, Misbehavior};

use crate::common::*;

const MTLS: &str = "mtlsauth.microsoft.com";

/// AADSTS700027: the client certificate does not check out.
const BAD_CERTIFICATE: Expect = Expect::status(401).code(700027);

/// AADSTS500181: the TLS client certificate is not the one the credential names.
const OTHER_TLS_CERTIFICATE: Expect = Expect::status(401).code(500181);

fn pop_form(client_id: &str) -> Vec<(&str, &str)> {
    vec![
        ("client_id", client_id),
        ("grant_type", "client_credentials"),
        ("scope", GRAPH),
        ("client_info", "2"),
        ("token_type", "mtls_pop"),
    ]
}

/// A token POST to the mTLS host on a fresh connection presenting `identity`.
async fn mtls_token(
    em: &Emulator,
    identity: Option<&IssuedCertificate>,
    form: &[(&str, &str)],
) -> Resp {
    post_token(em, MTLS, TENANT, identity, form).await
}

#[tokio::test]
async fn pop_with_registered_client_certificate() {
    let s = cert_apps().await;
    let r = mtls_token(&s.em, Some(&s.registered), &pop_form("cert-app")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["token_type"], "mtls_pop");
    let claims = r.verified_claims(&s.em);
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
    let s = cert_apps().await;
    for host in [
        "eastus.mtlsauth.microsoft.com",
        "mtlsauth.microsoftonline.us",
        "westus3.mtlsauth.sovcloud-identity.fr",
    ] {
        let form = pop_form("cert-app");
        let r = post_token(&s.em, host, TENANT, Some(&s.registered), &form).await;
        assert_eq!(r.status, 200, "{host}: {}", r.body);
        assert_eq!(r.json()["token_type"], "mtls_pop", "{host}");
    }
}

#[tokio::test]
async fn pop_with_subject_name_issuer_over_tls_chain() {
    let s = cert_apps().await;
    let inter = s.ca.issue_intermediate("Issuing CA").unwrap();
    let chained = leaf(&inter, "sni.contoso.test", KeyChoice::EcdsaP256);
    let rogue = TestCa::new("Rogue")
        .unwrap()
        .issue(&CertRequest::new("sni.contoso.test"))
        .unwrap();
    for (case, cert, want) in [
        ("SN/I certificate", &s.sni, Expect::OK),
        (
            "through an intermediate in the TLS chain",
            &chained,
            Expect::OK,
        ),
        ("untrusted issuer", &rogue, BAD_CERTIFICATE),
    ] {
        let r = mtls_token(&s.em, Some(cert), &pop_form("sni-app")).await;
        r.check(case, want);
        if want.is_ok() {
            let claims = r.verified_claims(&s.em);
            assert_eq!(
                claims["cnf"]["x5t#S256"],
                x5t_s256(&cert.leaf_der),
                "{case}"
            );
        }
    }
}

#[tokio::test]
async fn pop_without_client_certificate_or_with_wrong_certificate() {
    let s = cert_apps().await;
    let no_certificate = Expect::status(401)
        .error("invalid_client")
        .saying("client certificate");
    for (case, identity, want) in [
        ("no client certificate", None, no_certificate),
        // A valid certificate from the trusted CA, but not this app's.
        (
            "another certificate",
            Some(&s.unregistered),
            BAD_CERTIFICATE,
        ),
    ] {
        let r = mtls_token(&s.em, identity, &pop_form("cert-app")).await;
        r.check(case, want);
    }
}

#[tokio::test]
async fn pop_rejects_secret_and_assertion_in_the_body() {
    let s = cert_apps().await;
    let mut with_secret = pop_form("cert-app");
    with_secret.push(("client_secret", "s"));
    let aud = format!("https://{MTLS}/{TENANT}/oauth2/v2.0/token");
    let header = AssertionHeader {
        x5c: true,
        ..Default::default()
    };
    let jwt = assertion(&s.registered, header, &claims("cert-app", &aud));
    let mut with_assertion = assertion_form("cert-app", &jwt);
    with_assertion.push(("token_type", "mtls_pop"));
    for (case, form) in [
        ("client secret", with_secret),
        ("client assertion", with_assertion),
    ] {
        let r = mtls_token(&s.em, Some(&s.registered), &form).await;
        r.check(case, Expect::status(400).error("invalid_request"));
        assert!(!r.body.contains(&jwt), "{case}: the assertion is echoed");
    }
}

#[tokio::test]
async fn bearer_over_mtls_needs_matching_assertion() {
    let s = cert_apps().await;
    let aud = format!("https://{MTLS}/{TENANT}/oauth2/v2.0/token");
    let header = AssertionHeader {
        x5c: true,
        ..Default::default()
    };
    let jwt = assertion(&s.registered, header, &claims("cert-app", &aud));
    let bearer = assertion_form("cert-app", &jwt);
    let r = mtls_token(&s.em, Some(&s.registered), &bearer).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["token_type"], "Bearer");
    assert!(r.verified_claims(&s.em).get("cnf").is_none());
    for (case, identity, form, want) in [
        (
            "TLS certificate differs from the assertion's certificate",
            &s.sni,
            &bearer[..],
            OTHER_TLS_CERTIFICATE,
        ),
        (
            "no assertion at all: Bearer over mTLS needs one",
            &s.registered,
            &pop_form("cert-app")[..4],
            Expect::status(401).code(7000218),
        ),
    ] {
        mtls_token(&s.em, Some(identity), form)
            .await
            .check(case, want);
    }
}

#[tokio::test]
async fn misbehavior_downgrades_or_omits_token_type() {
    let s = cert_apps().await;
    for (misbehavior, token_type) in [
        (Misbehavior::AnswerBearerToPop, Some("Bearer")),
        (Misbehavior::OmitTokenType, None),
        (Misbehavior::None, Some("mtls_pop")),
    ] {
        s.em.set_misbehavior(misbehavior);
        let r = mtls_token(&s.em, Some(&s.registered), &pop_form("cert-app")).await;
        r.check_token_type(&format!("{misbehavior:?}"), token_type);
    }
}

#[tokio::test]
async fn handshakes_are_counted_per_connection() {
    let s = cert_apps().await;
    assert_eq!(s.em.tls_handshakes(), 0);
    let mut conn = Conn::open(&s.em, MTLS, Some(&s.registered)).await;
    for _ in 0..2 {
        let r = conn.post_token(TENANT, &pop_form("cert-app")).await;
        assert_eq!(r.status, 200);
    }
    assert_eq!(s.em.tls_handshakes(), 1);
    mtls_token(&s.em, Some(&s.registered), &pop_form("cert-app")).await;
    assert_eq!(s.em.tls_handshakes(), 2);
}

#[tokio::test]
async fn federated_credential_two_leg_exchange_over_mtls() {
    let s = cert_apps().await;
    // Leg 1: PoP token for the token-exchange audience, bound to the SN/I certificate.
    let leg1_form = vec![
        ("client_id", "sni-app"),
        ("grant_type", "client_credentials"),
        ("scope", "api://AzureADTokenExchange/.default"),
        ("token_type", "mtls_pop"),
    ];
    let leg1 = mtls_token(&s.em, Some(&s.sni), &leg1_form).await;
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
    let r = mtls_token(&s.em, Some(&s.sni), &f).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let claims = r.verified_claims(&s.em);
    assert_eq!(claims["appid"], "leg2-app");
    assert_eq!(claims["cnf"]["x5t#S256"], x5t_s256(&s.sni.leaf_der));
    // Presented with a different certificate: rejected.
    let r = mtls_token(&s.em, Some(&s.registered), &f).await;
    r.check("leg 2 with another certificate", OTHER_TLS_CERTIFICATE);
}

#[tokio::test]
async fn pop_over_tls12_with_rsa_and_ecdsa_client_certificates() {
    let s = cert_apps().await;
    let ec = leaf(&s.ca, "sni.contoso.test", KeyChoice::EcdsaP256);
    for (client_id, id) in [("cert-app", &s.registered), ("sni-app", &ec)] {
        let cfg = client_config_with(&s.em, Some(id), &[&rustls::version::TLS12]);
        let mut conn = Conn::open_with(&s.em, MTLS, cfg).await;
        let r = conn.post_token(TENANT, &pop_form(client_id)).await;
        assert_eq!(r.status, 200, "{client_id}: {}", r.body);
        let claims = r.verified_claims(&s.em);
        assert_eq!(
            claims["cnf"]["x5t#S256"],
            x5t_s256(&id.leaf_der),
            "{client_id}"
        );
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
    let s = cert_apps().await;
    // Registered certificate (bundled RSA key 0) with the private key of bundled RSA key 1.
    let wrong = &s.unregistered;
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
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(emulator_roots(&s.em))
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
