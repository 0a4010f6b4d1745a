//! An mTLS PoP token with a key made inside a real SoftHSM2 token (sensitive, not
//! extractable): the handshake to the emulator's mTLS host is signed in the token, and the
//! token the emulator issues is bound to the certificate.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::Attribute;
use cryptoki::session::UserType;
use cryptoki::types::AuthPin;
use entra_emulator::pki::{CertRequest, TestCa};
use entra_emulator::{AppRegistration, Emulator};
use hardware_key::{bound_token, hardware_app, open_key, KeyLocation};
use msal::transport::HyperTransport;
use msal::SecretString;

const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
const TOKEN: &str = "hardware-key";
const KEY: &str = "app-key";
const PIN: &str = "consumer-user-pin";
const TENANT: &str = "aaaabbbb-0000-1111-2222-333344445555";
const CLIENT_ID: &str = "50000000-0000-0000-0000-000000000002";
const SUBJECT: &str = "hardware-key.contoso.example";
const SCOPE: &str = "https://graph.microsoft.com/.default";

/// A SoftHSM2 configuration with its own token directory, and an initialized token in it.
fn softhsm_token() -> PathBuf {
    assert!(
        Path::new(MODULE).exists(),
        "SoftHSM2 is not installed ({MODULE} is missing): apt-get install softhsm2"
    );
    let dir = std::env::temp_dir().join(format!("hardware-key-{}", std::process::id()));
    let tokens = dir.join("tokens");
    std::fs::create_dir_all(&tokens).unwrap();
    let conf = dir.join("softhsm2.conf");
    let text = format!("directories.tokendir = {}\n", tokens.display());
    std::fs::write(&conf, text).unwrap();
    let status = Command::new("softhsm2-util")
        .args(["--init-token", "--free", "--label", TOKEN])
        .args(["--so-pin", "consumer-so-pin", "--pin", PIN])
        .env("SOFTHSM2_CONF", &conf)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("softhsm2-util runs");
    assert!(status.success(), "softhsm2-util --init-token");
    conf
}

/// Makes a P-256 key pair inside the token; the private key can sign and never leave it.
fn generate_key(module: &Pkcs11) {
    let slot = module
        .get_slots_with_token()
        .unwrap()
        .into_iter()
        .find(|s| module.get_token_info(*s).unwrap().label().trim_end() == TOKEN)
        .expect("the token");
    let session = module.open_rw_session(slot).unwrap();
    session
        .login(UserType::User, Some(&AuthPin::from(PIN)))
        .unwrap();
    let label = || Attribute::Label(KEY.as_bytes().to_vec());
    let p256 = vec![0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    let public = [Attribute::Token(true), label(), Attribute::EcParams(p256)];
    let private = [
        Attribute::Token(true),
        label(),
        Attribute::Private(true),
        Attribute::Sign(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
    ];
    session
        .generate_key_pair(&Mechanism::EccKeyPairGen, &public, &private)
        .unwrap();
}

#[tokio::test]
async fn an_mtls_pop_token_signed_in_the_token() {
    // the module reads its configuration when it is first initialized in this process
    let conf = softhsm_token();
    std::env::set_var("SOFTHSM2_CONF", &conf);
    let module = Pkcs11::new(MODULE).unwrap();
    module
        .initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .unwrap();
    generate_key(&module);

    let at = KeyLocation {
        module: MODULE,
        token_label: TOKEN,
        key_label: KEY,
    };
    let key = open_key(at, SecretString::new(PIN)).unwrap();
    let ca = TestCa::new("hardware-key CA").unwrap();
    let issued = ca
        .issue_for_public_key(&CertRequest::new(SUBJECT), &key.public_key_spki_der())
        .unwrap();
    assert!(
        issued.key_pem.is_empty(),
        "no private key outside the token"
    );

    let emulator = Emulator::builder()
        .tenant(TENANT, &["contoso.onmicrosoft.com"])
        .trusted_issuer(ca.certificate_der())
        .app(AppRegistration::new(CLIENT_ID, TENANT).with_subject_name_issuer(SUBJECT))
        .start()
        .await
        .unwrap();
    let mut builder = HyperTransport::builder()
        .webpki_roots(false)
        .resolve_overrides_only(true)
        .add_root_certificates_pem(emulator.ca_certificate_pem().as_bytes())
        .unwrap();
    for (host, addr) in emulator.resolver_entries() {
        builder = builder.resolve(&host, addr);
    }
    let authority = format!("https://login.microsoftonline.com/{TENANT}");
    let transport = Arc::new(builder.build().unwrap());
    let app = hardware_app(CLIENT_ID, &authority, &issued.chain_pem, key, transport).unwrap();

    let result = bound_token(&app, SCOPE).await.unwrap();
    assert_eq!(result.token_type(), "mtls_pop");
    let claims = emulator
        .verify_access_token(result.access_token().expose_secret())
        .unwrap();
    assert_eq!(claims["cnf"]["x5t#S256"], issued.x5t_s256());

    let requests = emulator.token_requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].host, "mtlsauth.microsoft.com");
    assert_eq!(requests[0].form_value("token_type"), Some("mtls_pop"));
    assert!(requests[0].form_value("client_assertion").is_none());
    assert_eq!(
        requests[0].client_certificate.as_deref(),
        Some(issued.leaf_der.as_slice()),
        "the handshake presented the certificate, signed by the token's key"
    );
    emulator.shutdown().await;
    drop(app);
    drop(module);
    let _ = std::fs::remove_dir_all(conf.parent().unwrap());
}
