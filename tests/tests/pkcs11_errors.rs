//! PKCS#11 configuration errors against a real SoftHSM2 token, each with its stable code: a
//! wrong PIN, an unknown key, token or module, an incomplete configuration, a certificate for
//! another key. Its own test binary (process): the wrong PIN is checked only while no other
//! session of the process is logged in to the token.

use msal::pkcs11::Pkcs11Key;
use msal::{ClientCertificate, SecretString, SigningAlgorithm};
use msal_e2e_tests::softhsm::{softhsm, KeyKind, SOFTHSM_MODULE, TOKEN_LABEL, USER_PIN};
use msal_e2e_tests::TestEnv;

#[tokio::test]
async fn wrong_pin_unknown_token_and_key_are_typed_errors() {
    softhsm().generate(KeyKind::EcP256, "errors-ec");
    let base = || Pkcs11Key::builder(SOFTHSM_MODULE).token_label(TOKEN_LABEL);

    // first, while no session of this process is logged in to the token (PKCS#11 logins are
    // per process and token: once one key is open, later logins share it)
    let err = base()
        .key_label("errors-ec")
        .pin(SecretString::new("not-the-pin"))
        .open()
        .unwrap_err();
    assert_eq!(err.code(), "pkcs11_login_failed", "{err}");
    assert!(!err.is_retryable());
    assert!(!err.to_string().contains("not-the-pin"));
    let key = base()
        .key_label("errors-ec")
        .pin(SecretString::new(USER_PIN))
        .open()
        .expect("the right PIN opens the key");

    // the token drops the login (a reset): the next signature logs in again, once, and works
    let certificate = {
        let env = TestEnv::start().await;
        let issued = env
            .ca
            .issue_for_public_key(
                &entra_emulator::pki::CertRequest::new("relogin"),
                &key.public_key_spki_der(),
            )
            .unwrap();
        ClientCertificate::from_pem_with_signer(issued.chain_pem.as_bytes(), key.clone()).unwrap()
    };
    certificate
        .sign(SigningAlgorithm::Es256, b"before")
        .unwrap();
    softhsm().logout_everywhere();
    let signature = certificate
        .sign(SigningAlgorithm::Es256, b"after")
        .expect("a new session, logged in again");
    assert_eq!(signature.len(), 64);

    let err = base()
        .key_label("no-such-key")
        .pin(SecretString::new(USER_PIN))
        .open()
        .unwrap_err();
    assert_eq!(err.code(), "pkcs11_key_not_found", "{err}");

    let err = Pkcs11Key::builder(SOFTHSM_MODULE)
        .token_label("no-such-token")
        .key_label("errors-ec")
        .pin(SecretString::new(USER_PIN))
        .open()
        .unwrap_err();
    assert_eq!(err.code(), "pkcs11_token_not_found", "{err}");
    assert!(
        err.to_string().contains(TOKEN_LABEL),
        "lists the tokens present: {err}"
    );

    let err = Pkcs11Key::builder("/nonexistent/libpkcs11.so")
        .token_label(TOKEN_LABEL)
        .key_label("errors-ec")
        .pin(SecretString::new(USER_PIN))
        .open()
        .unwrap_err();
    assert_eq!(err.code(), "pkcs11_module_load_failed", "{err}");

    let err = base().pin(SecretString::new(USER_PIN)).open().unwrap_err();
    assert_eq!(err.code(), "pkcs11_configuration", "{err}");

    // a certificate for another key is refused: the token's key must match the leaf
    let env = TestEnv::start().await;
    let err = ClientCertificate::from_pem_with_signer(env.sni_cert.chain_pem.as_bytes(), key)
        .unwrap_err();
    assert_eq!(err.code(), "key_mismatch");
}
