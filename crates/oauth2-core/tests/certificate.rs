//! Loading, validating and signing with client certificates (fixtures from fixtures/generate.sh).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use oauth2_core::{ClientCertificate, Error, KeyAlgorithm, SigningAlgorithm};
use ring::signature::{self, UnparsedPublicKey};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

const CA_PEM: &[u8] = include_bytes!("fixtures/ca.pem");
const LEAF_PEM: &[u8] = include_bytes!("fixtures/leaf.pem");
const LEAF_KEY: &[u8] = include_bytes!("fixtures/leaf.key");
const LEAF_PKCS1_KEY: &[u8] = include_bytes!("fixtures/leaf-pkcs1.key");
const LEAF_COMBINED: &[u8] = include_bytes!("fixtures/leaf-combined.pem");
const LEAF_COMBINED_PKCS1: &[u8] = include_bytes!("fixtures/leaf-combined-pkcs1.pem");
const EC_P256_PEM: &[u8] = include_bytes!("fixtures/ec-p256.pem");
const EC_P256_KEY: &[u8] = include_bytes!("fixtures/ec-p256.key");
const EC_P256_PKCS8_KEY: &[u8] = include_bytes!("fixtures/ec-p256-pkcs8.key");
const EC_P384_PEM: &[u8] = include_bytes!("fixtures/ec-p384.pem");
const EC_P384_KEY: &[u8] = include_bytes!("fixtures/ec-p384.key");
const ED25519_KEY: &[u8] = include_bytes!("fixtures/ed25519.key");
#[cfg(feature = "pkcs12")]
const LEAF_P12: &[u8] = include_bytes!("fixtures/leaf.p12");
#[cfg(feature = "pkcs12")]
const LEAF_LEGACY_P12: &[u8] = include_bytes!("fixtures/leaf-legacy.p12");
const EXPIRED_PEM: &[u8] = include_bytes!("fixtures/expired.pem");
const NOT_YET_VALID_PEM: &[u8] = include_bytes!("fixtures/not-yet-valid.pem");
const MISMATCH_KEY: &[u8] = include_bytes!("fixtures/mismatch.key");
const ENCRYPTED_PKCS8_KEY: &[u8] = include_bytes!("fixtures/encrypted-pkcs8.key");
const ENCRYPTED_PKCS1_KEY: &[u8] = include_bytes!("fixtures/encrypted-pkcs1.key");
const GARBAGE: &[u8] = include_bytes!("fixtures/garbage.bin");
const FINGERPRINTS: &str = include_str!("fixtures/fingerprints.txt");

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn leaf() -> ClientCertificate {
    ClientCertificate::from_pem(LEAF_COMBINED).expect("combined PEM loads")
}

fn der_of(pem: &[u8]) -> Vec<u8> {
    CertificateDer::from_pem_slice(pem).unwrap().to_vec()
}

/// `openssl x509 -fingerprint` output for `algo` ("sha1"/"sha256"), normalized to lowercase hex.
fn openssl_fingerprint(algo: &str) -> String {
    let line = FINGERPRINTS
        .lines()
        .find(|l| {
            l.to_ascii_lowercase()
                .starts_with(&format!("{algo} fingerprint="))
        })
        .unwrap_or_else(|| panic!("{algo} line in fingerprints.txt"));
    let value = line.split_once('=').unwrap().1;
    value.replace(':', "").trim().to_ascii_lowercase()
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn leaf_spki_key(cert: &ClientCertificate) -> Vec<u8> {
    let (_, parsed) = x509_parser::parse_x509_certificate(cert.leaf_der()).unwrap();
    parsed.public_key().subject_public_key.data.to_vec()
}

// ----------------------------------------------------------------------------- loaders

#[test]
fn combined_pem_pkcs8_loads_chain_and_key() {
    let cert = leaf();
    assert_eq!(cert.key_algorithm(), KeyAlgorithm::Rsa);
    assert!(
        cert.subject().contains("CN=client.msal-rust.test"),
        "{}",
        cert.subject()
    );
    assert!(
        cert.issuer().contains("CN=msal-rust Test CA"),
        "{}",
        cert.issuer()
    );
    assert_eq!(cert.chain_der().len(), 2);
    assert_eq!(cert.leaf_der(), der_of(LEAF_PEM).as_slice());
    assert_eq!(cert.chain_der()[0].as_ref(), der_of(LEAF_PEM).as_slice());
    assert_eq!(cert.chain_der()[1].as_ref(), der_of(CA_PEM).as_slice());
    // the self-signed CA is not sent in TLS
    let tls = cert.tls_chain();
    assert_eq!(tls.len(), 1);
    assert_eq!(tls[0].as_ref(), cert.leaf_der());
    assert!(matches!(
        cert.private_key_der().unwrap(),
        PrivateKeyDer::Pkcs8(_)
    ));
}

#[test]
fn combined_pem_pkcs1_loads() {
    let cert = ClientCertificate::from_pem(LEAF_COMBINED_PKCS1).unwrap();
    assert_eq!(cert.x5t_s256(), leaf().x5t_s256());
    let key = cert.private_key_der().unwrap();
    assert!(matches!(key, PrivateKeyDer::Pkcs1(_)));
    let expected = PrivateKeyDer::from_pem_slice(LEAF_PKCS1_KEY).unwrap();
    assert_eq!(key.secret_der(), expected.secret_der());
}

#[test]
fn pem_parts_pkcs8_and_pkcs1() {
    for key in [LEAF_KEY, LEAF_PKCS1_KEY] {
        let cert = ClientCertificate::from_pem_parts(LEAF_PEM, key).unwrap();
        assert_eq!(cert.chain_der().len(), 1);
        assert_eq!(cert.x5c().len(), 1);
        assert_eq!(cert.x5t(), leaf().x5t());
        assert_eq!(cert.key_algorithm(), KeyAlgorithm::Rsa);
    }
    let with_chain =
        ClientCertificate::from_pem_parts(&cat(&[LEAF_PEM, CA_PEM]), LEAF_KEY).unwrap();
    assert_eq!(with_chain.chain_der().len(), 2);
    let expected = PrivateKeyDer::from_pem_slice(LEAF_KEY).unwrap();
    assert_eq!(
        with_chain.private_key_der().unwrap().secret_der(),
        expected.secret_der()
    );
}

#[test]
fn ec_p256_sec1_and_pkcs8_keys_load() {
    let sec1 = ClientCertificate::from_pem_parts(EC_P256_PEM, EC_P256_KEY).unwrap();
    assert_eq!(sec1.key_algorithm(), KeyAlgorithm::EcdsaP256);
    assert!(matches!(
        sec1.private_key_der().unwrap(),
        PrivateKeyDer::Sec1(_)
    ));
    assert!(sec1.subject().contains("CN=ec-p256.msal-rust.test"));

    let pkcs8 = ClientCertificate::from_pem(&cat(&[EC_P256_PEM, EC_P256_PKCS8_KEY])).unwrap();
    assert_eq!(pkcs8.key_algorithm(), KeyAlgorithm::EcdsaP256);
    assert!(matches!(
        pkcs8.private_key_der().unwrap(),
        PrivateKeyDer::Pkcs8(_)
    ));
    assert_eq!(pkcs8.x5t_s256(), sec1.x5t_s256());
}

#[test]
fn ec_p384_sec1_key_loads() {
    let cert = ClientCertificate::from_pem_parts(EC_P384_PEM, EC_P384_KEY).unwrap();
    assert_eq!(cert.key_algorithm(), KeyAlgorithm::EcdsaP384);
}

#[cfg(feature = "pkcs12")]
#[test]
fn pkcs12_modern_and_legacy_load() {
    let pem = leaf();
    for pfx in [LEAF_P12, LEAF_LEGACY_P12] {
        let cert = ClientCertificate::from_pkcs12(pfx, "password").unwrap();
        assert_eq!(cert.x5t_s256(), pem.x5t_s256());
        assert_eq!(cert.x5t(), pem.x5t());
        assert_eq!(cert.subject(), pem.subject());
        assert_eq!(cert.chain_der().len(), 2, "leaf + CA from the PFX");
        assert_eq!(cert.chain_der()[1].as_ref(), der_of(CA_PEM).as_slice());
        assert_eq!(cert.x5c(), pem.x5c());
        assert_eq!(cert.tls_chain().len(), 1);
        assert_eq!(cert.key_algorithm(), KeyAlgorithm::Rsa);
        // the PFX holds the same key as leaf.key (PKCS#8)
        let expected = PrivateKeyDer::from_pem_slice(LEAF_KEY).unwrap();
        assert_eq!(
            cert.private_key_der().unwrap().secret_der(),
            expected.secret_der()
        );
    }
}

#[test]
fn leaf_not_first_is_moved_to_front() {
    let cert = ClientCertificate::from_pem(&cat(&[CA_PEM, LEAF_PEM, LEAF_KEY])).unwrap();
    assert_eq!(cert.leaf_der(), der_of(LEAF_PEM).as_slice());
    assert_eq!(cert.chain_der()[1].as_ref(), der_of(CA_PEM).as_slice());
    assert!(cert.subject().contains("client.msal-rust.test"));
}

#[test]
fn text_around_pem_blocks_is_ignored() {
    let mut input = b"Bag Attributes\n    friendlyName: test\n".to_vec();
    input.extend_from_slice(LEAF_COMBINED);
    input.extend_from_slice(b"\ntrailing text\n");
    assert_eq!(
        ClientCertificate::from_pem(&input).unwrap().x5t_s256(),
        leaf().x5t_s256()
    );
}

// ----------------------------------------------------------------------------- thumbprints

#[test]
fn thumbprints_match_openssl() {
    let cert = leaf();
    let sha1 = openssl_fingerprint("sha1");
    let sha256 = openssl_fingerprint("sha256");
    assert_eq!(sha1.len(), 40);
    assert_eq!(sha256.len(), 64);
    assert_eq!(cert.thumbprint_sha1_hex(), sha1);
    assert_eq!(cert.thumbprint_sha256_hex(), sha256);
    assert_eq!(cert.x5t_s256(), URL_SAFE_NO_PAD.encode(hex_decode(&sha256)));
    assert_eq!(cert.x5t(), URL_SAFE_NO_PAD.encode(hex_decode(&sha1)));
    assert_eq!(cert.x5t_s256().len(), 43, "no padding");
    assert_eq!(cert.x5t().len(), 27, "no padding");
    assert!(!cert.x5t_s256().contains(['=', '+', '/']));
}

#[test]
fn x5c_is_single_line_standard_base64_in_order() {
    let cert = leaf();
    assert_eq!(cert.x5c().len(), 2);
    assert_eq!(cert.x5c()[0], STANDARD.encode(der_of(LEAF_PEM)));
    assert_eq!(cert.x5c()[1], STANDARD.encode(der_of(CA_PEM)));
    assert!(cert.x5c().iter().all(|s| !s.contains('\n')));
}

// ----------------------------------------------------------------------------- validity

#[test]
fn validity_period_is_exposed_and_checked() {
    let cert = leaf();
    let now = SystemTime::now();
    assert!(cert.not_before() <= now);
    // valid until ~2125
    assert!(cert.not_after() > now + Duration::from_secs(90 * 365 * 86_400));
    cert.check_validity_at(now).unwrap();

    let before = cert.not_before() - Duration::from_secs(1);
    match cert.check_validity_at(before) {
        Err(Error::CertificateNotYetValid { not_before }) => assert!(not_before.ends_with(" UTC")),
        other => panic!("expected CertificateNotYetValid, got {other:?}"),
    }
    let after = cert.not_after() + Duration::from_secs(1);
    match cert.check_validity_at(after) {
        Err(e @ Error::CertificateExpired { .. }) => assert_eq!(e.code(), "certificate_expired"),
        other => panic!("expected CertificateExpired, got {other:?}"),
    }
    // the bounds themselves are inside the validity period
    cert.check_validity_at(cert.not_before()).unwrap();
    cert.check_validity_at(cert.not_after()).unwrap();
}

#[test]
fn expired_certificate_is_rejected_with_its_date() {
    match ClientCertificate::from_pem_parts(EXPIRED_PEM, LEAF_KEY) {
        Err(Error::CertificateExpired { not_after }) => {
            assert_eq!(not_after, "2001-01-01 00:00:00 UTC");
        }
        other => panic!("expected CertificateExpired, got {other:?}"),
    }
    let msg = ClientCertificate::from_pem_parts(EXPIRED_PEM, LEAF_KEY)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("expired on 2001-01-01 00:00:00 UTC"), "{msg}");
}

#[test]
fn not_yet_valid_certificate_is_rejected_with_its_date() {
    match ClientCertificate::from_pem_parts(NOT_YET_VALID_PEM, LEAF_KEY) {
        Err(Error::CertificateNotYetValid { not_before }) => {
            assert_eq!(not_before, "2100-01-01 00:00:00 UTC");
        }
        other => panic!("expected CertificateNotYetValid, got {other:?}"),
    }
}

// ----------------------------------------------------------------------------- bad inputs

fn code_of(r: Result<ClientCertificate, Error>) -> &'static str {
    match r {
        Ok(c) => panic!("expected an error, loaded {c:?}"),
        Err(e) => e.code(),
    }
}

#[test]
fn each_bad_input_has_its_own_error() {
    // garbage
    assert!(matches!(
        ClientCertificate::from_pem(GARBAGE),
        Err(Error::InvalidCertificate { .. })
    ));
    assert!(matches!(
        ClientCertificate::from_pem_parts(LEAF_PEM, GARBAGE),
        Err(Error::InvalidPrivateKey { .. })
    ));
    // no certificate / no key
    assert!(matches!(
        ClientCertificate::from_pem(LEAF_KEY),
        Err(Error::NoCertificate)
    ));
    assert!(matches!(
        ClientCertificate::from_pem(LEAF_PEM),
        Err(Error::NoPrivateKey)
    ));
    assert!(matches!(
        ClientCertificate::from_pem_parts(LEAF_PEM, CA_PEM),
        Err(Error::NoPrivateKey)
    ));
    assert!(matches!(
        ClientCertificate::from_pem_parts(LEAF_KEY, LEAF_KEY),
        Err(Error::NoCertificate)
    ));
    // key of another certificate
    assert!(matches!(
        ClientCertificate::from_pem_parts(LEAF_PEM, MISMATCH_KEY),
        Err(Error::KeyMismatch)
    ));
    assert!(matches!(
        ClientCertificate::from_pem_parts(LEAF_PEM, EC_P256_KEY),
        Err(Error::KeyMismatch)
    ));
    assert!(matches!(
        ClientCertificate::from_pem_parts(EC_P256_PEM, LEAF_KEY),
        Err(Error::KeyMismatch)
    ));
    // encrypted keys, both PKCS#8 and legacy PEM encryption
    for key in [ENCRYPTED_PKCS8_KEY, ENCRYPTED_PKCS1_KEY] {
        let err = ClientCertificate::from_pem_parts(LEAF_PEM, key).unwrap_err();
        assert!(matches!(err, Error::EncryptedPrivateKey), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains("decrypt") && msg.contains("PKCS#12"), "{msg}");
    }
    // unsupported key type
    assert!(matches!(
        ClientCertificate::from_pem_parts(LEAF_PEM, ED25519_KEY),
        Err(Error::UnsupportedKey { .. })
    ));
}

#[cfg(feature = "pkcs12")]
#[test]
fn each_bad_pkcs12_input_has_its_own_error() {
    assert!(matches!(
        ClientCertificate::from_pkcs12(LEAF_P12, "wrong"),
        Err(Error::Pkcs12WrongPassword)
    ));
    assert!(matches!(
        ClientCertificate::from_pkcs12(LEAF_LEGACY_P12, ""),
        Err(Error::Pkcs12WrongPassword)
    ));
    assert!(matches!(
        ClientCertificate::from_pkcs12(GARBAGE, "password"),
        Err(Error::Pkcs12Invalid { .. })
    ));
    assert!(matches!(
        ClientCertificate::from_pkcs12(LEAF_COMBINED, "password"),
        Err(Error::Pkcs12Invalid { .. })
    ));
}

#[test]
fn corrupted_blocks_are_reported_per_kind() {
    // a certificate block whose base64 is valid but whose DER is not a certificate
    let bad_der = format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        STANDARD.encode(b"definitely not DER")
    );
    assert_eq!(
        code_of(ClientCertificate::from_pem(&cat(&[
            bad_der.as_bytes(),
            LEAF_KEY
        ]))),
        "invalid_certificate"
    );
    // a certificate block with broken base64
    let bad_b64 = b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
    assert_eq!(
        code_of(ClientCertificate::from_pem(&cat(&[bad_b64, LEAF_KEY]))),
        "invalid_certificate"
    );
    // a key block whose DER is not a key
    let bad_key = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        STANDARD.encode([0x30, 0x03, 0x02, 0x01, 0x00])
    );
    assert_eq!(
        code_of(ClientCertificate::from_pem_parts(
            LEAF_PEM,
            bad_key.as_bytes()
        )),
        "invalid_private_key"
    );
    let bad_rsa = "-----BEGIN RSA PRIVATE KEY-----\nMAMCAQA=\n-----END RSA PRIVATE KEY-----\n";
    assert_eq!(
        code_of(ClientCertificate::from_pem_parts(
            LEAF_PEM,
            bad_rsa.as_bytes()
        )),
        "invalid_private_key"
    );
    // a key block without END line
    let truncated = &LEAF_KEY[..LEAF_KEY.len() - 30];
    assert_eq!(
        code_of(ClientCertificate::from_pem_parts(LEAF_PEM, truncated)),
        "invalid_private_key"
    );
    // two keys
    assert_eq!(
        code_of(ClientCertificate::from_pem(&cat(&[
            LEAF_PEM,
            LEAF_KEY,
            LEAF_PKCS1_KEY
        ]))),
        "invalid_private_key"
    );
    // OpenSSH keys are not supported
    let openssh = b"-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
    assert_eq!(
        code_of(ClientCertificate::from_pem_parts(LEAF_PEM, openssh)),
        "unsupported_key"
    );
}

#[test]
fn key_errors_do_not_echo_key_material() {
    // Break the base64 in the middle of a real key: the error must not contain any of it.
    let text = String::from_utf8(LEAF_KEY.to_vec()).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[5] = format!("{}*{}", &lines[5][..10], &lines[5][11..]);
    let broken = lines.join("\n");
    let err = ClientCertificate::from_pem_parts(LEAF_PEM, broken.as_bytes()).unwrap_err();
    assert_eq!(err.code(), "invalid_private_key");
    let shown = format!("{err} {err:?}");
    for line in text.lines().filter(|l| !l.starts_with("-----")) {
        assert!(
            !shown.contains(&line[..16]),
            "error echoes key text: {shown}"
        );
    }
}

// ----------------------------------------------------------------------------- signing

#[test]
fn rsa_signatures_verify_against_the_leaf_public_key() {
    let cert = leaf();
    let public = leaf_spki_key(&cert);
    let msg = b"header.claims";
    let rs = cert.sign(SigningAlgorithm::Rs256, msg).unwrap();
    assert_eq!(rs.len(), 256);
    UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &public)
        .verify(msg, &rs)
        .expect("RS256 verifies");
    let ps = cert.sign(SigningAlgorithm::Ps256, msg).unwrap();
    UnparsedPublicKey::new(&signature::RSA_PSS_2048_8192_SHA256, &public)
        .verify(msg, &ps)
        .expect("PS256 verifies");
    // a PS256 signature is not an RS256 one
    assert!(
        UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &public)
            .verify(msg, &ps)
            .is_err()
    );
    // and the message is bound
    assert!(
        UnparsedPublicKey::new(&signature::RSA_PSS_2048_8192_SHA256, &public)
            .verify(b"other", &ps)
            .is_err()
    );
}

#[test]
fn ecdsa_signatures_are_fixed_size_and_verify() {
    let p256 = ClientCertificate::from_pem_parts(EC_P256_PEM, EC_P256_KEY).unwrap();
    let sig = p256.sign(SigningAlgorithm::Es256, b"m").unwrap();
    assert_eq!(sig.len(), 64);
    UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, leaf_spki_key(&p256))
        .verify(b"m", &sig)
        .unwrap();

    let p384 = ClientCertificate::from_pem_parts(EC_P384_PEM, EC_P384_KEY).unwrap();
    let sig = p384.sign(SigningAlgorithm::Es384, b"m").unwrap();
    assert_eq!(sig.len(), 96);
    UnparsedPublicKey::new(&signature::ECDSA_P384_SHA384_FIXED, leaf_spki_key(&p384))
        .verify(b"m", &sig)
        .unwrap();
}

#[test]
fn algorithm_must_fit_the_key() {
    let rsa = leaf();
    let ec = ClientCertificate::from_pem_parts(EC_P256_PEM, EC_P256_KEY).unwrap();
    for (cert, alg) in [
        (&rsa, SigningAlgorithm::Es256),
        (&rsa, SigningAlgorithm::Es384),
        (&ec, SigningAlgorithm::Rs256),
        (&ec, SigningAlgorithm::Ps256),
        (&ec, SigningAlgorithm::Es384),
    ] {
        let err = cert.sign(alg, b"m").unwrap_err();
        assert_eq!(err.code(), "signing_failed", "{alg:?}");
        assert!(err.to_string().contains(alg.jws_name()));
    }
    assert_eq!(SigningAlgorithm::Ps256.jws_name(), "PS256");
    assert_eq!(SigningAlgorithm::Rs256.jws_name(), "RS256");
    assert_eq!(SigningAlgorithm::Es256.jws_name(), "ES256");
    assert_eq!(SigningAlgorithm::Es384.jws_name(), "ES384");
}

// ----------------------------------------------------------------------------- secrets

#[test]
fn debug_shows_identity_but_no_key_material() {
    #[allow(unused_mut)]
    let mut cases = vec![
        (leaf(), LEAF_KEY),
        (
            ClientCertificate::from_pem_parts(EC_P256_PEM, EC_P256_KEY).unwrap(),
            EC_P256_KEY,
        ),
    ];
    #[cfg(feature = "pkcs12")]
    cases.push((
        ClientCertificate::from_pkcs12(LEAF_P12, "password").unwrap(),
        LEAF_KEY,
    ));
    for (cert, key_pem) in cases {
        let dbg = format!("{cert:?} {cert:#?}");
        assert!(dbg.contains(cert.x5t_s256()));
        assert!(dbg.contains(cert.subject()));
        assert!(dbg.contains("not_after"));
        let key_text = std::str::from_utf8(key_pem).unwrap();
        for line in key_text.lines().filter(|l| !l.starts_with("-----")) {
            assert!(!dbg.contains(line), "Debug leaks a key line");
        }
        let key_der = PrivateKeyDer::from_pem_slice(key_pem).unwrap();
        let b64 = STANDARD.encode(key_der.secret_der());
        assert!(!dbg.contains(&b64[..32]));
        assert!(!dbg.contains("PRIVATE KEY"));
    }
}

#[test]
fn timestamps_are_whole_seconds_since_epoch() {
    let cert = leaf();
    let nb = cert.not_before().duration_since(UNIX_EPOCH).unwrap();
    assert_eq!(nb.subsec_nanos(), 0);
}
