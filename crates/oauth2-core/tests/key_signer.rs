//! Certificates whose key is an operation, not bytes: `ClientCertificate::from_signer` with a
//! `KeySigner` that is not this crate's own (here one that counts its calls and can fail).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use oauth2_core::{
    sign_client_assertion, AssertionOptions, ClientCertificate, Error, KeyAlgorithm, KeySigner,
    SigningAlgorithm,
};
use ring::signature::{self, UnparsedPublicKey};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

const CA_PEM: &[u8] = include_bytes!("fixtures/ca.pem");
const LEAF_PEM: &[u8] = include_bytes!("fixtures/leaf.pem");
const LEAF_COMBINED: &[u8] = include_bytes!("fixtures/leaf-combined.pem");
const EC_P256_PEM: &[u8] = include_bytes!("fixtures/ec-p256.pem");
const EC_P256_KEY: &[u8] = include_bytes!("fixtures/ec-p256.key");

/// Signs with a key this test keeps to itself; the certificate only sees the operation.
#[derive(Debug)]
struct CountingSigner {
    key: ClientCertificate,
    public_key: Vec<u8>,
    calls: AtomicUsize,
    fail: Option<bool>,
}

impl CountingSigner {
    fn new(key: ClientCertificate) -> Arc<Self> {
        Arc::new(CountingSigner {
            public_key: key.public_key().to_vec(),
            key,
            calls: AtomicUsize::new(0),
            fail: None,
        })
    }
}

impl KeySigner for CountingSigner {
    fn algorithm(&self) -> KeyAlgorithm {
        self.key.key_algorithm()
    }
    fn public_key(&self) -> &[u8] {
        &self.public_key
    }
    fn sign(&self, alg: SigningAlgorithm, message: &[u8]) -> Result<Vec<u8>, Error> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if let Some(retryable) = self.fail {
            return Err(Error::external_signer("the token is busy", retryable, None));
        }
        self.key.sign(alg, message)
    }
}

fn chain(pems: &[&[u8]]) -> Vec<CertificateDer<'static>> {
    pems.iter()
        .flat_map(|p| CertificateDer::pem_slice_iter(p).map(Result::unwrap))
        .collect()
}

#[test]
fn external_rsa_signer_signs_and_exports_nothing() {
    let signer = CountingSigner::new(ClientCertificate::from_pem(LEAF_COMBINED).unwrap());
    let cert = ClientCertificate::from_signer(chain(&[CA_PEM, LEAF_PEM]), signer.clone())
        .expect("the leaf matches the signer's public key");
    // the leaf is found and put first, as for PEM
    assert_eq!(cert.leaf_der(), chain(&[LEAF_PEM])[0].as_ref());
    assert_eq!(cert.key_algorithm(), KeyAlgorithm::Rsa);
    assert!(!cert.has_private_key_der());
    let err = cert.private_key_der().unwrap_err();
    assert_eq!(err.code(), "key_not_exportable");
    assert!(!err.is_retryable());
    assert_eq!(
        signer.calls.load(Ordering::SeqCst),
        0,
        "loading never signs"
    );

    for (alg, verify) in [
        (
            SigningAlgorithm::Rs256,
            &signature::RSA_PKCS1_2048_8192_SHA256 as &dyn signature::VerificationAlgorithm,
        ),
        (
            SigningAlgorithm::Ps256,
            &signature::RSA_PSS_2048_8192_SHA256,
        ),
    ] {
        let sig = cert.sign(alg, b"message").unwrap();
        UnparsedPublicKey::new(verify, cert.public_key())
            .verify(b"message", &sig)
            .unwrap_or_else(|_| panic!("{alg} signature verifies with the leaf's key"));
    }
    assert_eq!(signer.calls.load(Ordering::SeqCst), 2);

    // an algorithm that does not fit is refused before the signer is asked
    let err = cert.sign(SigningAlgorithm::Es256, b"m").unwrap_err();
    assert_eq!(err.code(), "signing_failed");
    assert_eq!(signer.calls.load(Ordering::SeqCst), 2);

    // assertions sign through the signer too
    let options = AssertionOptions::new("client", "https://login.example/token");
    let assertion = sign_client_assertion(&cert, &options, std::time::SystemTime::now()).unwrap();
    assert_eq!(assertion.jwt().expose_secret().split('.').count(), 3);
    assert_eq!(signer.calls.load(Ordering::SeqCst), 3);
}

#[test]
fn external_ecdsa_signer_gives_fixed_size_signatures() {
    let key = ClientCertificate::from_pem_parts(EC_P256_PEM, EC_P256_KEY).unwrap();
    let cert =
        ClientCertificate::from_signer(chain(&[EC_P256_PEM]), CountingSigner::new(key)).unwrap();
    let sig = cert.sign(SigningAlgorithm::Es256, b"m").unwrap();
    assert_eq!(sig.len(), 64);
    UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, cert.public_key())
        .verify(b"m", &sig)
        .unwrap();
}

#[test]
fn a_signer_for_another_key_is_refused() {
    let other = ClientCertificate::from_pem_parts(EC_P256_PEM, EC_P256_KEY).unwrap();
    let err =
        ClientCertificate::from_signer(chain(&[LEAF_PEM]), CountingSigner::new(other)).unwrap_err();
    assert!(matches!(err, Error::KeyMismatch), "{err:?}");
    let err = ClientCertificate::from_signer(
        Vec::new(),
        CountingSigner::new(ClientCertificate::from_pem(LEAF_COMBINED).unwrap()),
    )
    .unwrap_err();
    assert!(matches!(err, Error::NoCertificate), "{err:?}");
}

#[test]
fn signer_failures_keep_their_retryability() {
    for retryable in [true, false] {
        let mut signer = CountingSigner::new(ClientCertificate::from_pem(LEAF_COMBINED).unwrap());
        Arc::get_mut(&mut signer).unwrap().fail = Some(retryable);
        let cert = ClientCertificate::from_signer(chain(&[LEAF_PEM]), signer).unwrap();
        let err = cert.sign(SigningAlgorithm::Rs256, b"m").unwrap_err();
        assert_eq!(err.code(), "external_signer_failed");
        assert_eq!(err.is_retryable(), retryable);
        assert!(err.to_string().contains("the token is busy"));
    }
}
