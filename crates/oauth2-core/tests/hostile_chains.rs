//! Issue #10, "Trust boundary, round 2", item 9: certificate chains that are broken, out of
//! order or incomplete.

use oauth2_core::{ClientCertificate, Error};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};

/// A certificate authority made with rcgen: its PEM and what signs with it.
struct Ca {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, cn);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params
}

impl Ca {
    fn root(cn: &str) -> Self {
        let key = KeyPair::generate().unwrap();
        let params = ca_params(cn);
        let pem = params.self_signed(&key).unwrap().pem();
        Ca {
            pem,
            issuer: Issuer::new(params, key),
        }
    }

    fn intermediate(&self, cn: &str) -> Self {
        let key = KeyPair::generate().unwrap();
        let params = ca_params(cn);
        let pem = params.signed_by(&key, &self.issuer).unwrap().pem();
        Ca {
            pem,
            issuer: Issuer::new(params, key),
        }
    }

    /// A leaf for `cn`: its certificate PEM and key PEM.
    fn leaf(&self, cn: &str) -> (String, String) {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, cn);
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (cert.pem(), key.serialize_pem())
    }
}

fn load(chain: &[&str], key: &str) -> Result<ClientCertificate, Error> {
    ClientCertificate::from_pem_parts(chain.concat().as_bytes(), key.as_bytes())
}

#[test]
fn item9_broken_chain_is_rejected_at_load() {
    let root = Ca::root("Test Root");
    let a = root.intermediate("Intermediate A");
    let b = root.intermediate("Intermediate B");
    // Same name as A, another key: a renewed (or impostor) intermediate.
    let a_renewed = root.intermediate("Intermediate A");
    let (leaf, key) = a.leaf("client.example");

    // The leaf with the wrong intermediate.
    let err = load(&[&leaf, &b.pem], &key).unwrap_err();
    assert_eq!(err.code(), "certificate_chain_broken");
    assert!(!err.is_retryable());
    match &err {
        Error::CertificateChainBroken {
            index,
            subject,
            issuer,
            next_subject,
            ..
        } => {
            assert_eq!(*index, 0);
            assert_eq!(subject, "CN=client.example");
            assert_eq!(issuer, "CN=Intermediate A");
            assert_eq!(next_subject, "CN=Intermediate B");
        }
        other => panic!("expected CertificateChainBroken, got {other:?}"),
    }
    let message = err.to_string();
    for part in [
        "#1",
        "CN=client.example",
        "CN=Intermediate A",
        "CN=Intermediate B",
    ] {
        assert!(message.contains(part), "{part}: {message}");
    }

    // The right name, the wrong key: the signature decides.
    let err = load(&[&leaf, &a_renewed.pem], &key).unwrap_err();
    assert_eq!(err.code(), "certificate_chain_broken");
    assert!(err.to_string().contains("did not sign it"), "{err}");

    // A break further up names that certificate.
    let err = load(&[&leaf, &a.pem, &b.pem], &key).unwrap_err();
    assert!(
        matches!(&err, Error::CertificateChainBroken { index: 1, subject, .. } if subject == "CN=Intermediate A"),
        "{err:?}"
    );
    assert!(err.to_string().contains("#2"), "{err}");
    // An intermediate left out in the middle.
    let err = load(&[&leaf, &root.pem], &key).unwrap_err();
    assert!(
        matches!(err, Error::CertificateChainBroken { index: 0, .. }),
        "{err:?}"
    );

    // Valid: the right intermediate, with or without the root; the leaf alone; the leaf after
    // its chain (moved to the front).
    for chain in [
        vec![&leaf, &a.pem],
        vec![&leaf, &a.pem, &root.pem],
        vec![&leaf],
        vec![&a.pem, &leaf],
    ] {
        let chain: Vec<&str> = chain.into_iter().map(String::as_str).collect();
        let cert = load(&chain, &key).unwrap();
        assert_eq!(cert.chain_der().len(), chain.len());
    }
}

#[test]
fn item9_chain_id_names_the_presented_chain() {
    let root = Ca::root("Test Root");
    let a = root.intermediate("Intermediate A");
    let (leaf, key) = a.leaf("client.example");
    let alone = load(&[&leaf], &key).unwrap();
    let with_a = load(&[&leaf, &a.pem], &key).unwrap();
    let with_root = load(&[&leaf, &a.pem, &root.pem], &key).unwrap();
    assert_eq!(alone.x5t_s256(), with_a.x5t_s256(), "same leaf");
    assert_ne!(
        alone.chain_id(),
        with_a.chain_id(),
        "another chain is presented"
    );
    // The self-signed root is never presented, so it does not change the identity.
    assert_eq!(with_a.chain_id(), with_root.chain_id());
    assert_eq!(alone.chain_id().len(), 64);
    assert!(alone
        .chain_id()
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    assert_eq!(
        alone.chain_id(),
        load(&[&leaf], &key).unwrap().chain_id(),
        "stable"
    );
}
