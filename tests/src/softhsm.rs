//! A real SoftHSM2 token for the PKCS#11 tests: a private token directory and configuration
//! file per test process, a token initialized with `softhsm2-util` (a real process), and key
//! pairs generated INSIDE the token through cryptoki (sensitive, not extractable), so that no
//! test ever holds the private key.
//!
//! SoftHSM2 reads `SOFTHSM2_CONF` when the module is initialized, once per process: so the
//! configuration is set once for the test binary ([`softhsm`]), and each test makes its own keys
//! (unique labels) in the one shared token. Child processes get the same variable from
//! [`SoftHsm::conf`].

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;

/// Where Debian's `softhsm2` package puts the module.
pub const SOFTHSM_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
/// The label of the test token.
pub const TOKEN_LABEL: &str = "msal-e2e";
/// The test token's user PIN (test material).
pub const USER_PIN: &str = "e2e-user-pin-4821";
const SO_PIN: &str = "e2e-so-pin-9930";

/// The kind of key pair to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// RSA 2048, public exponent 65537.
    Rsa2048,
    /// ECDSA on P-256.
    EcP256,
}

/// The process' SoftHSM2 setup.
#[derive(Debug)]
pub struct SoftHsm {
    /// The configuration file (the value of `SOFTHSM2_CONF` for child processes).
    pub conf: PathBuf,
}

/// The SoftHSM2 of this test process: configured and with its token on first use. Panics (the
/// test fails, never skips) if SoftHSM2 is not installed: `.ci/run` installs it.
pub fn softhsm() -> &'static SoftHsm {
    static HSM: OnceLock<SoftHsm> = OnceLock::new();
    HSM.get_or_init(|| {
        assert!(
            std::path::Path::new(SOFTHSM_MODULE).exists(),
            "SoftHSM2 is not installed ({SOFTHSM_MODULE} is missing): apt-get install softhsm2"
        );
        let dir = crate::private_temp_dir("msal-softhsm");
        let tokens = dir.join("tokens");
        std::fs::create_dir_all(&tokens).expect("token directory");
        let conf = dir.join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                tokens.display()
            ),
        )
        .expect("softhsm2.conf");
        // before any C_Initialize in this process (the module reads it then)
        std::env::set_var("SOFTHSM2_CONF", &conf);
        let status = Command::new("softhsm2-util")
            .args(["--init-token", "--free", "--label", TOKEN_LABEL])
            .args(["--so-pin", SO_PIN, "--pin", USER_PIN])
            .env("SOFTHSM2_CONF", &conf)
            .stdout(std::process::Stdio::null())
            .status()
            .expect("softhsm2-util runs (apt-get install softhsm2)");
        assert!(status.success(), "softhsm2-util --init-token failed");
        SoftHsm { conf }
    })
}

impl SoftHsm {
    /// Generates a key pair of `kind` in the token, labelled `label` (private and public key,
    /// with `CKA_ID` = `label`). The private key is `CKA_SENSITIVE` and not `CKA_EXTRACTABLE`.
    pub fn generate(&self, kind: KeyKind, label: &str) {
        let session = self.user_session();
        let common = |private: bool| {
            vec![
                Attribute::Token(true),
                Attribute::Label(label.as_bytes().to_vec()),
                Attribute::Id(label.as_bytes().to_vec()),
                Attribute::Private(private),
            ]
        };
        let mut public = common(false);
        public.push(Attribute::Verify(true));
        let mut private = common(true);
        private.extend([
            Attribute::Sign(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
        ]);
        let mechanism = match kind {
            KeyKind::Rsa2048 => {
                public.extend([
                    Attribute::ModulusBits(2048.into()),
                    Attribute::PublicExponent(vec![1, 0, 1]),
                ]);
                Mechanism::RsaPkcsKeyPairGen
            }
            KeyKind::EcP256 => {
                public.push(Attribute::EcParams(vec![
                    0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
                ]));
                Mechanism::EccKeyPairGen
            }
        };
        session
            .generate_key_pair(&mechanism, &public, &private)
            .expect("key pair generated in the token");
    }

    /// What the token says about the private key `label`: `CKA_EXTRACTABLE`, `CKA_SENSITIVE`,
    /// and whether `CKA_VALUE` (the private key itself) could be read.
    pub fn private_key_protection(&self, label: &str) -> (bool, bool, bool) {
        let session = self.user_session();
        let key = private_key(&session, label);
        let mut extractable = None;
        let mut sensitive = None;
        for a in session
            .get_attributes(key, &[AttributeType::Extractable, AttributeType::Sensitive])
            .expect("attributes")
        {
            match a {
                Attribute::Extractable(v) => extractable = Some(v),
                Attribute::Sensitive(v) => sensitive = Some(v),
                _ => {}
            }
        }
        let value_readable = match session.get_attributes(key, &[AttributeType::Value]) {
            Ok(attrs) => attrs.iter().any(|a| matches!(a, Attribute::Value(_))),
            Err(_) => false,
        };
        (
            extractable.expect("CKA_EXTRACTABLE"),
            sensitive.expect("CKA_SENSITIVE"),
            value_readable,
        )
    }

    /// Logs the user out of the token: every session of this process loses its login (as when
    /// a token is reset), so the next signature must log in again.
    pub fn logout_everywhere(&self) {
        self.user_session().logout().expect("C_Logout");
    }

    /// A read-write session logged in as the token's user.
    fn user_session(&self) -> Session {
        let module = module();
        let slot = module
            .get_slots_with_token()
            .expect("slots")
            .into_iter()
            .find(|s| module.get_token_info(*s).unwrap().label().trim_end() == TOKEN_LABEL)
            .expect("the test token");
        let session = module.open_rw_session(slot).expect("session");
        match session.login(UserType::User, Some(&AuthPin::from(USER_PIN))) {
            Ok(())
            | Err(cryptoki::error::Error::Pkcs11(
                cryptoki::error::RvError::UserAlreadyLoggedIn,
                _,
            )) => {}
            Err(e) => panic!("C_Login: {e}"),
        }
        session
    }
}

/// The test's own context on the SoftHSM2 module, loaded and initialized once per process and
/// never dropped: a context per call raced with the tests running beside it (a dropped context
/// unloads the library when it holds the last reference, and a concurrent call then finds the
/// module not initialized).
fn module() -> &'static Pkcs11 {
    static MODULE: OnceLock<Pkcs11> = OnceLock::new();
    MODULE.get_or_init(|| {
        let module = Pkcs11::new(SOFTHSM_MODULE).expect("SoftHSM2 module loads");
        match module.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            Ok(())
            | Err(cryptoki::error::Error::Pkcs11(
                cryptoki::error::RvError::CryptokiAlreadyInitialized,
                _,
            )) => {}
            Err(e) => panic!("C_Initialize: {e}"),
        }
        module
    })
}

fn private_key(session: &Session, label: &str) -> ObjectHandle {
    let found = session
        .find_objects(&[
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::Label(label.as_bytes().to_vec()),
        ])
        .expect("find");
    assert_eq!(found.len(), 1, "one private key labelled {label}");
    found[0]
}
