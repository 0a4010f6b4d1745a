//! A private key in a PKCS#11 token, as a [`KeySigner`].

use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use cryptoki::context::Pkcs11;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use oauth2_core::{KeyAlgorithm, KeySigner, SecretString, SigningAlgorithm};

use crate::public_key::{self, PublicKey};
use crate::{module, sign, Error};

/// A private key held by a PKCS#11 token (an HSM, a smart card, SoftHSM2): it signs inside the
/// token, and its bytes never enter this process.
///
/// Attach it to its certificate with
/// [`ClientCertificate::from_signer`](oauth2_core::ClientCertificate::from_signer); the
/// certificate then signs its client assertions and its TLS handshakes through the token.
///
/// # Blocking
///
/// [`KeySigner::sign`] calls `C_Sign` and waits for the token: a few milliseconds for SoftHSM2
/// or a network HSM, longer for a smart card. It happens once per assertion and once per new
/// TLS connection (pooled connections reuse the handshake), on the calling thread; signatures
/// of one key are serialized (one session, behind a mutex).
///
/// # Sessions
///
/// One read-only session per key, logged in with the PIN. If the token closes it (removed and
/// reinserted, reset), the next signature opens a new one and logs in again, once; so the PIN
/// is kept, in a [`SecretString`] (zeroized when the key is dropped).
///
/// PKCS#11 logins belong to the process and the token, not to a session: while one key of a
/// token is open, the token accepts further sessions of the process without checking their
/// PIN again (`CKR_USER_ALREADY_LOGGED_IN`). A wrong PIN is reported by the first login.
pub struct Pkcs11Key {
    module: Pkcs11,
    slot: Slot,
    pin: SecretString,
    /// How the key was found, to find it again in a new session.
    template: Vec<Attribute>,
    session: Mutex<Option<(Session, ObjectHandle)>>,
    public_key: PublicKey,
    describe: String,
}

/// How to find a key: [`Pkcs11Key::builder`].
#[derive(Debug)]
pub struct Pkcs11KeyBuilder {
    module: PathBuf,
    token: Option<String>,
    key_label: Option<String>,
    key_id: Option<Vec<u8>>,
    pin: Option<SecretString>,
}

impl Pkcs11Key {
    /// Starts describing a key of the PKCS#11 module (shared library) at `module`, e.g.
    /// `/usr/lib/softhsm/libsofthsm2.so`.
    pub fn builder(module: impl Into<PathBuf>) -> Pkcs11KeyBuilder {
        Pkcs11KeyBuilder {
            module: module.into(),
            token: None,
            key_label: None,
            key_id: None,
            pin: None,
        }
    }

    /// The key's DER `SubjectPublicKeyInfo`, e.g. for a certificate signing request.
    pub fn public_key_spki_der(&self) -> Vec<u8> {
        self.public_key.spki_der()
    }

    /// Signs `data` with `mechanism` in the session, opening (and logging in) a new session
    /// once if the token lost the old one.
    fn sign_raw(
        &self,
        mechanism: &cryptoki::mechanism::Mechanism<'_>,
        data: &[u8],
    ) -> Result<Vec<u8>, Error> {
        let mut guard = self.session.lock().unwrap_or_else(|p| p.into_inner());
        match self.sign_in(&mut guard, mechanism, data) {
            Err(e) if e.is_session_lost() => {
                *guard = None;
                self.sign_in(&mut guard, mechanism, data)
            }
            other => other,
        }
    }

    /// Signs in the session of `slot`, opening one first if there is none.
    fn sign_in(
        &self,
        slot: &mut Option<(Session, ObjectHandle)>,
        mechanism: &cryptoki::mechanism::Mechanism<'_>,
        data: &[u8],
    ) -> Result<Vec<u8>, Error> {
        let (session, key) = match slot {
            Some(open) => open,
            None => slot.insert(self.open_session()?),
        };
        session
            .sign(mechanism, *key, data)
            .map_err(|e| Error::token("C_Sign", e))
    }

    /// A new logged-in session and the key's handle in it.
    fn open_session(&self) -> Result<(Session, ObjectHandle), Error> {
        open(&self.module, self.slot, &self.pin, &self.template).map(|(s, k, _)| (s, k))
    }
}

impl Pkcs11KeyBuilder {
    /// The label of the token holding the key (`CKT_TOKEN_INFO.label`). Required.
    pub fn token_label(mut self, label: impl Into<String>) -> Self {
        self.token = Some(label.into());
        self
    }

    /// The private key's label (`CKA_LABEL`). At least one of label and id is required.
    pub fn key_label(mut self, label: impl Into<String>) -> Self {
        self.key_label = Some(label.into());
        self
    }

    /// The private key's id (`CKA_ID`).
    pub fn key_id(mut self, id: impl Into<Vec<u8>>) -> Self {
        self.key_id = Some(id.into());
        self
    }

    /// The user PIN. Required.
    pub fn pin(mut self, pin: SecretString) -> Self {
        self.pin = Some(pin);
        self
    }

    /// Loads the module (once per process), finds the token, logs in, finds exactly one
    /// private key matching the label and id, and reads its public key.
    pub fn open(self) -> Result<Arc<Pkcs11Key>, Error> {
        let missing = |what: &str| Error::Configuration {
            reason: format!("{what} is required"),
        };
        let token = self.token.ok_or_else(|| missing("the token label"))?;
        let pin = self.pin.ok_or_else(|| missing("the PIN"))?;
        let mut template = vec![Attribute::Class(ObjectClass::PRIVATE_KEY)];
        if let Some(label) = &self.key_label {
            template.push(Attribute::Label(label.as_bytes().to_vec()));
        }
        if let Some(id) = &self.key_id {
            template.push(Attribute::Id(id.clone()));
        }
        if template.len() == 1 {
            return Err(missing("a key label or id"));
        }
        let module = module::load(&self.module)?;
        let slot = module::find_token(&module, &token)?;
        let (session, key, key_type) = open(&module, slot, &pin, &template)?;
        let public_key = public_key::read(&session, key, key_type)?;
        let describe = format!(
            "token {token:?}, key {}",
            self.key_label.as_deref().unwrap_or("(by id)")
        );
        Ok(Arc::new(Pkcs11Key {
            module,
            slot,
            pin,
            template,
            session: Mutex::new(Some((session, key))),
            public_key,
            describe,
        }))
    }
}

/// Opens a read-only session on `slot`, logs in with `pin` and finds the one private key
/// matching `template`, with its type.
fn open(
    module: &Pkcs11,
    slot: Slot,
    pin: &SecretString,
    template: &[Attribute],
) -> Result<(Session, ObjectHandle, KeyType), Error> {
    let session = module
        .open_ro_session(slot)
        .map_err(|e| Error::token("C_OpenSession", e))?;
    let auth = AuthPin::from(pin.expose_secret());
    match session.login(UserType::User, Some(&auth)) {
        Ok(()) => {}
        // another session of this application is logged in already: the login is shared
        Err(cryptoki::error::Error::Pkcs11(cryptoki::error::RvError::UserAlreadyLoggedIn, _)) => {}
        Err(cryptoki::error::Error::Pkcs11(rv, _)) => {
            return Err(Error::Login {
                reason: format!("{rv:?}"),
            })
        }
        Err(e) => return Err(Error::token("C_Login", e)),
    }
    let found = session
        .find_objects(template)
        .map_err(|e| Error::token("C_FindObjects", e))?;
    let [key] = found.as_slice() else {
        return Err(Error::KeyNotFound {
            reason: format!(
                "{} private keys match the label/id in the token (exactly one must); check the \
                 key label or id, and that the PIN is the token user's",
                found.len()
            ),
        });
    };
    let key_type = session
        .get_attributes(*key, &[AttributeType::KeyType])
        .map_err(|e| Error::token("C_GetAttributeValue", e))?
        .into_iter()
        .find_map(|a| match a {
            Attribute::KeyType(t) => Some(t),
            _ => None,
        })
        .ok_or_else(|| Error::UnsupportedKey {
            reason: "the key's CKA_KEY_TYPE is not readable".to_owned(),
        })?;
    Ok((session, *key, key_type))
}

impl KeySigner for Pkcs11Key {
    fn algorithm(&self) -> KeyAlgorithm {
        self.public_key.algorithm
    }

    fn public_key(&self) -> &[u8] {
        &self.public_key.bytes
    }

    fn sign(&self, alg: SigningAlgorithm, message: &[u8]) -> Result<Vec<u8>, oauth2_core::Error> {
        let (mechanism, data) = sign::prepare(alg, message);
        Ok(self.sign_raw(&mechanism, &data)?)
    }
}

impl fmt::Debug for Pkcs11Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11Key")
            .field("key", &self.describe)
            .field("algorithm", &self.public_key.algorithm)
            .finish_non_exhaustive()
    }
}
