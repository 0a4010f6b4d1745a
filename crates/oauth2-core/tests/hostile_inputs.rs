//! Issue #10, "Trust boundary, round 2": inputs from servers, files and users that are hostile
//! or absurd. Each test is named after its item of the issue.

use oauth2_core::{Authority, ClientCertificate, Error, TokenResponse};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};

const YEAR: u64 = 365 * 24 * 60 * 60;

#[test]
fn item1_hostile_lifetimes_are_clamped_at_parse() {
    assert_eq!(TokenResponse::MAX_LIFETIME_SECS, YEAR);
    let bodies: [&[u8]; 4] = [
        br#"{"access_token":"x","expires_in":9300000000000000000,
             "ext_expires_in":9300000000000000000,"refresh_in":1e19}"#,
        br#"{"access_token":"x","expires_in":"18446744073709551615",
             "ext_expires_in":"18446744073709551615","refresh_in":"18446744073709551615"}"#,
        br#"{"access_token":"x","expires_in":1e300,"ext_expires_in":1e19,"refresh_in":1e19}"#,
        br#"{"access_token":"x","expires_in":18446744073709551615,
             "ext_expires_in":"1e19","refresh_in":9300000000000000000}"#,
    ];
    for body in bodies {
        let t = TokenResponse::parse(body).unwrap();
        let shown = String::from_utf8_lossy(body);
        assert_eq!(t.expires_in, YEAR, "{shown}");
        assert_eq!(t.ext_expires_in, Some(YEAR), "{shown}");
        assert_eq!(t.refresh_in, Some(YEAR), "{shown}");
    }

    // `refresh_in` never lies past `expires_in`.
    let t = TokenResponse::parse(br#"{"access_token":"x","expires_in":3599,"refresh_in":1e19}"#)
        .unwrap();
    assert_eq!((t.expires_in, t.refresh_in), (3599, Some(3599)));
    let t = TokenResponse::parse(br#"{"access_token":"x","refresh_in":"86400"}"#).unwrap();
    assert_eq!((t.expires_in, t.refresh_in), (600, Some(600)));

    // Real answers are unchanged, the bound itself included.
    let t = TokenResponse::parse(
        br#"{"access_token":"x","expires_in":3599,"ext_expires_in":"7199","refresh_in":1799}"#,
    )
    .unwrap();
    assert_eq!(
        (t.expires_in, t.ext_expires_in, t.refresh_in),
        (3599, Some(7199), Some(1799))
    );
    let t = TokenResponse::parse(
        br#"{"access_token":"x","expires_in":31536000,"ext_expires_in":31536000}"#,
    )
    .unwrap();
    assert_eq!((t.expires_in, t.ext_expires_in), (YEAR, Some(YEAR)));
}

/// Everything an error can show: `Display`, `Debug` and the `Display` of every source.
fn all_text(err: &Error) -> String {
    let mut text = format!("{err}\n{err:?}");
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        text.push_str(&format!("\n{s}\n{s:?}"));
        source = s.source();
    }
    text
}

#[test]
fn item7_authority_errors_never_echo_userinfo() {
    let inputs = [
        "https://user:password@login.microsoftonline.com/t",
        "  https://user:password@login.microsoftonline.com/t?x=1#frag  ",
        "https://user@login.microsoftonline.com/t",
        "https://:password@login.microsoftonline.com/t",
        // user info and another error: the user info must not show in either
        "http://user:password@login.microsoftonline.com/t",
        "ftp://user:password@login.microsoftonline.com/t",
        "https://user:password@login.microsoftonline.com",
        "https://user:password@/t",
        "https://user:password@login.microsoftonline.com:99999/t",
        "https://user:password@login micro.com/t",
        // not parsed as user info by the URL parser, still never shown
        "https://user:pass/word@login.microsoftonline.com/t",
        "https://user:p%40ssword@login.microsoftonline.com/t",
        "user:password@login.microsoftonline.com/t",
        "https://user:password\u{FF20}login.microsoftonline.com/t",
        "https://user:password@@login.microsoftonline.com/t",
    ];
    for input in inputs {
        let err = Authority::parse(input).expect_err(input);
        assert_eq!(err.code(), "invalid_authority", "{input}");
        let text = all_text(&err);
        for secret in ["user", "pass", "ssword"] {
            assert!(!text.contains(secret), "{input:?} shows {secret:?}: {text}");
        }
    }

    // The message still says where the problem is and what to do.
    let err = Authority::parse("https://user:password@login.microsoftonline.com/t").unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("…@login.microsoftonline.com/t"),
        "{message}"
    );
    assert!(message.contains("remove them"), "{message}");

    // Inputs without user info are still quoted, at most 200 characters of them.
    let err = Authority::parse("http://login.microsoftonline.com/t").unwrap_err();
    assert!(
        err.to_string()
            .contains("`http://login.microsoftonline.com/t`"),
        "{err}"
    );
    let long = format!("http://login.microsoftonline.com/{}", "a".repeat(100_000));
    let message = Authority::parse(&long).unwrap_err().to_string();
    assert!(message.len() < 600, "{} bytes", message.len());
}

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
