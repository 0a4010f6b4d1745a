use std::collections::HashMap;
use std::sync::Arc;

use super::*;
use entra_emulator::pki::{CertRequest, TestCa};

fn env(vars: &[(&str, &str)]) -> EnvLookup {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Arc::new(move |name: &str| map.get(name).cloned())
}

fn builder(vars: &[(&str, &str)]) -> Result<String, Error> {
    ConfidentialClientApplication::builder_from_env(env(vars)).map(|b| format!("{b:?}"))
}

const BASE: [(&str, &str); 2] = [(TENANT_ID, "tenant-1"), (CLIENT_ID, "client-1")];

fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut all = BASE.to_vec();
    all.extend_from_slice(extra);
    all
}

#[test]
fn tenant_client_and_a_credential_are_required_and_named() {
    let err = builder(&[(CLIENT_ID, "c"), (CLIENT_SECRET, "s")]).unwrap_err();
    assert_eq!(err.code(), "invalid_environment");
    assert!(err.to_string().contains("AZURE_TENANT_ID"), "{err}");
    let err = builder(&[(TENANT_ID, "t"), (CLIENT_SECRET, "s")]).unwrap_err();
    assert!(err.to_string().contains("AZURE_CLIENT_ID"), "{err}");
    // an empty value counts as unset
    let err = builder(&with(&[(CLIENT_SECRET, "  ")])).unwrap_err();
    assert!(err.to_string().contains("no credential"), "{err}");
    assert!(!err.is_retryable());
}

#[test]
fn authority_is_the_host_plus_the_tenant() {
    let debug = builder(&with(&[(CLIENT_SECRET, "s")])).unwrap();
    assert!(
        debug.contains("https://login.microsoftonline.com/tenant-1"),
        "{debug}"
    );
    let debug = builder(&with(&[
        (CLIENT_SECRET, "s"),
        (AUTHORITY_HOST, "https://login.microsoftonline.us/"),
    ]))
    .unwrap();
    assert!(
        debug.contains("\"https://login.microsoftonline.us/tenant-1\""),
        "{debug}"
    );
    for bad in [
        "http://login.microsoftonline.com",
        "https://x.example/path",
        "login.x",
    ] {
        let err = builder(&with(&[(CLIENT_SECRET, "s"), (AUTHORITY_HOST, bad)])).unwrap_err();
        assert!(
            err.to_string().contains("AZURE_AUTHORITY_HOST"),
            "{bad}: {err}"
        );
    }
    let err = builder(&[(TENANT_ID, "a/b"), (CLIENT_ID, "c"), (CLIENT_SECRET, "s")]).unwrap_err();
    assert!(err.to_string().contains("AZURE_TENANT_ID"), "{err}");
}

#[test]
fn workload_identity_wins_over_secret_which_wins_over_certificate() {
    let all = with(&[
        (FEDERATED_TOKEN_FILE, "/nonexistent/token"),
        (CLIENT_SECRET, "s3cr3t-value"),
        (CERTIFICATE_PATH, "/nonexistent/cert.pem"),
    ]);
    let debug = builder(&all).unwrap();
    assert!(debug.contains("client_assertion_provider"), "{debug}");
    let debug = builder(
        &all[..all.len() - 3]
            .iter()
            .chain(&all[3..])
            .copied()
            .collect::<Vec<_>>(),
    )
    .unwrap();
    assert!(debug.contains("client_secret(<redacted>)"), "{debug}");
    assert!(!debug.contains("s3cr3t-value"));
    // the certificate path is read only when it is the chosen credential
    let err = builder(&with(&[(CERTIFICATE_PATH, "/nonexistent/cert.pem")])).unwrap_err();
    assert!(
        err.to_string().contains("AZURE_CLIENT_CERTIFICATE_PATH"),
        "{err}"
    );
    assert!(err.to_string().contains("/nonexistent/cert.pem"), "{err}");
}

#[test]
fn certificate_from_pem_with_send_chain_and_region() {
    let ca = TestCa::new("env test CA").unwrap();
    let issued = ca
        .issue(&CertRequest::new("env-app.contoso.example"))
        .unwrap();
    let dir = std::env::temp_dir().join(format!("msal-env-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("app.pem");
    std::fs::write(&path, format!("{}{}", issued.chain_pem, issued.key_pem)).unwrap();
    let path_str = path.to_str().unwrap().to_owned();
    let path_ref: &'static str = Box::leak(path_str.into_boxed_str());
    let debug = builder(&with(&[
        (CERTIFICATE_PATH, path_ref),
        (SEND_CERTIFICATE_CHAIN, "TRUE"),
        (REGIONAL_AUTHORITY_NAME, "westus3"),
    ]))
    .unwrap();
    assert!(debug.contains("send_x5c: true"), "{debug}");
    assert!(debug.contains("Named(\"westus3\")"), "{debug}");
    let debug = builder(&with(&[
        (CERTIFICATE_PATH, path_ref),
        (REGIONAL_AUTHORITY_NAME, "autodiscoverregion"),
    ]))
    .unwrap();
    assert!(debug.contains("send_x5c: false"), "{debug}");
    assert!(debug.contains("AutoDetect"), "{debug}");
    let err = builder(&with(&[
        (CERTIFICATE_PATH, path_ref),
        (SEND_CERTIFICATE_CHAIN, "yes"),
    ]))
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("AZURE_CLIENT_SEND_CERTIFICATE_CHAIN"),
        "{err}"
    );
    // not PEM and not PKCS#12: the password variable is named
    std::fs::write(&path, b"garbage").unwrap();
    let err = builder(&with(&[(CERTIFICATE_PATH, path_ref)])).unwrap_err();
    assert!(
        err.to_string().contains("AZURE_CLIENT_CERTIFICATE"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn dev_host_map_is_parsed_strictly() {
    let entries = dev::parse_host_map(
        "login.microsoftonline.com=127.0.0.1:8443, *.mtlsauth.microsoft.com=127.0.0.1:9",
    )
    .unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1].0, "*.mtlsauth.microsoft.com");
    assert_eq!(entries[1].1.port(), 9);
    for bad in [
        "login",
        "login=localhost",
        "lo/gin=127.0.0.1:1",
        "=127.0.0.1:1",
    ] {
        let err = dev::parse_host_map(bad).unwrap_err();
        assert!(
            err.to_string().contains("MSAL_DEV_HOST_MAP"),
            "{bad}: {err}"
        );
    }
}

#[test]
fn dev_setting_is_off_unless_enabled_and_validated_when_on() {
    // off: a broken map is ignored (with a warning), not an error
    builder(&with(&[
        (CLIENT_SECRET, "s"),
        (dev::DEV_HOST_MAP, "broken"),
    ]))
    .unwrap();
    let err = builder(&with(&[
        (CLIENT_SECRET, "s"),
        (dev::DEV_MODE, "true"),
        (dev::DEV_HOST_MAP, "broken"),
    ]))
    .unwrap_err();
    assert!(err.to_string().contains("MSAL_DEV_HOST_MAP"), "{err}");
    let err = builder(&with(&[
        (CLIENT_SECRET, "s"),
        (dev::DEV_MODE, "1"),
        (dev::DEV_EXTRA_ROOTS, "/nonexistent/ca.pem"),
    ]))
    .unwrap_err();
    assert!(err.to_string().contains("MSAL_DEV_EXTRA_ROOTS"), "{err}");
    let err = builder(&with(&[(CLIENT_SECRET, "s"), (dev::DEV_MODE, "maybe")])).unwrap_err();
    assert!(err.to_string().contains("MSAL_DEV_MODE"), "{err}");
}
