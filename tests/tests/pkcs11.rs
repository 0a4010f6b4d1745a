//! Keys that stay in hardware: a certificate whose private key lives in a real SoftHSM2 token
//! (generated there, sensitive, not extractable) gets a Bearer token (assertion signed by the
//! token), an mTLS PoP token over TLS 1.3 and TLS 1.2 (handshake signed by the token), and calls
//! the resource with the bound token. RSA 2048 and ECDSA P-256. The library never sees key
//! bytes: the token refuses to give them, and the certificate has none to give.

use std::sync::Arc;

use entra_emulator::pki::CertRequest;
use http::StatusCode;
use msal::pkcs11::Pkcs11Key;
use msal::transport::{HttpRequest, TlsVersion};
use msal::{ClientCertificate, SecretString, SigningAlgorithm};
use msal_e2e_tests::softhsm::{softhsm, KeyKind, SOFTHSM_MODULE, TOKEN_LABEL, USER_PIN};
use msal_e2e_tests::*;
use url::Url;

const RESOURCE: &str = "https://mtlstb.graph.microsoft.com/v1.0/applications";

/// Opens the token key `label` through msal's PKCS#11 support.
fn open_key(label: &str) -> Arc<Pkcs11Key> {
    Pkcs11Key::builder(SOFTHSM_MODULE)
        .token_label(TOKEN_LABEL)
        .key_label(label)
        .pin(SecretString::new(USER_PIN))
        .open()
        .expect("the token key opens")
}

/// A key of `kind` generated in the token, and its certificate for the SN/I app, issued by the
/// emulator's CA for the token's public key.
fn hardware_certificate(env: &TestEnv, kind: KeyKind, label: &str) -> ClientCertificate {
    softhsm().generate(kind, label);
    let key = open_key(label);
    let issued = env
        .ca
        .issue_for_public_key(&CertRequest::new(SNI_SUBJECT), &key.public_key_spki_der())
        .expect("certificate for the token's key");
    assert!(
        issued.key_pem.is_empty(),
        "no private key exists outside the token"
    );
    ClientCertificate::from_pem_with_signer(issued.chain_pem.as_bytes(), key)
        .expect("the certificate matches the token's key")
}

/// Bearer (assertion), then mTLS PoP over `version`, then the resource with the bound token.
async fn whole_flow(env: &TestEnv, certificate: &ClientCertificate, version: TlsVersion) {
    let transport = transport_for(&env.emulator)
        .min_tls_version(version)
        .max_tls_version(version)
        .build()
        .unwrap();
    let app = env
        .app(SNI_APP)
        .transport(Arc::new(transport))
        .certificate(certificate.clone())
        .send_x5c(true)
        .region_environment(no_env())
        .build()
        .unwrap();

    // Bearer: the client assertion was signed in the token and the emulator verified it
    let bearer = app
        .acquire_token_for_client([SCOPE])
        .await
        .expect("Bearer token");
    assert_eq!(bearer.token_type(), "Bearer");
    let request = env.emulator.token_requests().pop().unwrap();
    assert!(request.form_value("client_assertion").is_some());

    // mTLS PoP: the TLS handshake was signed in the token, the token is bound to the cert
    let result = pop(&app).await;
    assert_eq!(result.token_type(), "mtls_pop");
    let claims = env
        .emulator
        .verify_access_token(result.access_token().expose_secret())
        .unwrap();
    assert_eq!(claims["cnf"]["x5t#S256"], certificate.x5t_s256());
    let request = env.emulator.token_requests().pop().unwrap();
    assert_eq!(
        request.client_certificate.as_deref(),
        Some(certificate.leaf_der()),
        "the token key's certificate was presented in the handshake ({version:?})"
    );
    assert!(request.form_value("client_assertion").is_none());

    // the resource accepts the bound token over a connection with the same certificate
    let response = result
        .call_resource(
            app.transport().as_ref(),
            HttpRequest::get(Url::parse(RESOURCE).unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(
        response.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
}

#[tokio::test]
async fn rsa_key_in_softhsm_bearer_pop_tls13_tls12_and_resource() {
    let env = TestEnv::start().await;
    let certificate = hardware_certificate(&env, KeyKind::Rsa2048, "flow-rsa");
    whole_flow(&env, &certificate, TlsVersion::Tls13).await;
    whole_flow(&env, &certificate, TlsVersion::Tls12).await;
}

#[tokio::test]
async fn ec_p256_key_in_softhsm_bearer_pop_tls13_tls12_and_resource() {
    let env = TestEnv::start().await;
    let certificate = hardware_certificate(&env, KeyKind::EcP256, "flow-ec");
    whole_flow(&env, &certificate, TlsVersion::Tls13).await;
    whole_flow(&env, &certificate, TlsVersion::Tls12).await;
}

#[tokio::test]
async fn the_key_never_leaves_the_token() {
    let env = TestEnv::start().await;
    for (kind, label) in [
        (KeyKind::Rsa2048, "sealed-rsa"),
        (KeyKind::EcP256, "sealed-ec"),
    ] {
        let certificate = hardware_certificate(&env, kind, label);
        // the token: not extractable, sensitive, CKA_VALUE refused
        let (extractable, sensitive, value_readable) = softhsm().private_key_protection(label);
        assert!(!extractable, "{label}: CKA_EXTRACTABLE is false");
        assert!(sensitive, "{label}: CKA_SENSITIVE is true");
        assert!(!value_readable, "{label}: the token refuses CKA_VALUE");
        // the library: no key bytes to hand out, only signatures
        assert!(!certificate.has_private_key_der());
        let err = certificate.private_key_der().unwrap_err();
        assert_eq!(err.code(), "key_not_exportable");
        let alg = match kind {
            KeyKind::Rsa2048 => SigningAlgorithm::Rs256,
            KeyKind::EcP256 => SigningAlgorithm::Es256,
        };
        let signature = certificate.sign(alg, b"signed in the token").unwrap();
        let verify: &dyn ring::signature::VerificationAlgorithm = match kind {
            KeyKind::Rsa2048 => &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            KeyKind::EcP256 => &ring::signature::ECDSA_P256_SHA256_FIXED,
        };
        ring::signature::UnparsedPublicKey::new(verify, certificate.public_key())
            .verify(b"signed in the token", &signature)
            .expect("the token's signature verifies with the certificate's key");
        // Debug shows where the key is, never what it is
        let debug = format!("{:?}", open_key(label));
        assert!(
            debug.contains(label) && !debug.contains(USER_PIN),
            "{debug}"
        );
    }
    // PS256 (CKM_RSA_PKCS_PSS, what TLS 1.3 needs from an RSA client key)
    let certificate = hardware_certificate(&env, KeyKind::Rsa2048, "sealed-pss");
    let signature = certificate.sign(SigningAlgorithm::Ps256, b"pss").unwrap();
    ring::signature::UnparsedPublicKey::new(
        &ring::signature::RSA_PSS_2048_8192_SHA256,
        certificate.public_key(),
    )
    .verify(b"pss", &signature)
    .expect("PS256 from the token verifies");
}
