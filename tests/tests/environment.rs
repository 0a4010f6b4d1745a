//! Configuration from the environment, end to end against the emulator: workload identity (the
//! federated token file is re-read when it is replaced, and the new assertion is what the
//! emulator sees), and the explicit development setting (`MSAL_DEV_MODE` with a host map and an
//! extra root) that reaches the emulator with no transport given in code.

use std::collections::HashMap;
use std::sync::Arc;

use entra_emulator::{AppRegistration, Emulator};
use msal::{ConfidentialClientApplication, EnvLookup, TOKEN_EXCHANGE_SCOPE};
use msal_e2e_tests::*;

/// Trusts tokens the tenant issues to SECRET_APP (the "Kubernetes issuer" of this test).
const WORKLOAD_APP: &str = "30000000-0000-0000-0000-000000000003";

fn env_map(vars: Vec<(&str, String)>) -> EnvLookup {
    let map: HashMap<String, String> = vars.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    Arc::new(move |name: &str| map.get(name).cloned())
}

/// A federated token (an emulator token for SECRET_APP with the token-exchange audience).
async fn federated_token(issuer: &ConfidentialClientApplication) -> String {
    issuer
        .acquire_token_for_client([TOKEN_EXCHANGE_SCOPE])
        .force_refresh(true)
        .await
        .expect("federated token")
        .access_token()
        .expose_secret()
        .to_owned()
}

/// Replaces `path` the way a projected volume is updated: a new file renamed over the old one.
fn replace(path: &std::path::Path, content: &str) {
    let next = path.with_extension("next");
    std::fs::write(&next, content).unwrap();
    std::fs::rename(&next, path).unwrap();
}

#[tokio::test]
async fn workload_identity_rereads_the_replaced_token_file() {
    let env = TestEnv::start_with(|b| {
        b.app(
            AppRegistration::new(WORKLOAD_APP, TENANT).with_federated_credential(
                &format!("https://login.microsoftonline.com/{TENANT}/v2.0"),
                &Emulator::object_id(SECRET_APP),
            ),
        )
    })
    .await;
    let issuer = env.app(SECRET_APP).client_secret(SECRET).build().unwrap();
    let dir = private_temp_dir("msal-workload");
    let token_file = dir.join("azure-identity-token");
    let first = federated_token(&issuer).await;
    std::fs::write(&token_file, &first).unwrap();

    let app = ConfidentialClientApplication::builder_from_env(env_map(vec![
        ("AZURE_TENANT_ID", TENANT.to_owned()),
        ("AZURE_CLIENT_ID", WORKLOAD_APP.to_owned()),
        (
            "AZURE_FEDERATED_TOKEN_FILE",
            token_file.display().to_string(),
        ),
        // ignored: workload identity comes first, as in azure_identity
        ("AZURE_CLIENT_SECRET", "wrong-secret".to_owned()),
    ]))
    .unwrap()
    .transport(env.transport.clone())
    .build()
    .unwrap();
    env.emulator.clear_requests();
    let result = app.acquire_token_for_client([SCOPE]).await.unwrap();
    assert_eq!(result.token_type(), "Bearer");
    let seen = env.emulator.token_requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].form_value("client_assertion"), Some(first.as_str()));
    assert_eq!(seen[0].form_value("client_secret"), None);

    // unchanged file: the same assertion again
    app.acquire_token_for_client([SCOPE])
        .force_refresh(true)
        .await
        .unwrap();
    // replaced file: the new assertion is sent
    let second = federated_token(&issuer).await;
    assert_ne!(first, second);
    replace(&token_file, &second);
    env.emulator.clear_requests();
    app.acquire_token_for_client([SCOPE])
        .force_refresh(true)
        .await
        .unwrap();
    let seen = env.emulator.token_requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].form_value("client_assertion"),
        Some(second.as_str())
    );

    // a file replaced by garbage: the emulator refuses it, and the error says so
    replace(&token_file, "not-a-token");
    let err = app
        .acquire_token_for_client([SCOPE])
        .force_refresh(true)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_client", "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `MSAL_DEV_*` as `msal emulator --env-file` writes them: the host map of every emulator
/// hostname and the CA file. No transport is given in code.
fn dev_vars(env: &TestEnv, dir: &std::path::Path) -> Vec<(&'static str, String)> {
    let ca = dir.join("emulator-ca.pem");
    std::fs::write(&ca, env.emulator.ca_certificate_pem()).unwrap();
    let map: Vec<String> = env
        .emulator
        .resolver_entries()
        .into_iter()
        .map(|(host, addr)| format!("{host}={addr}"))
        .collect();
    let pem = dir.join("app.pem");
    std::fs::write(
        &pem,
        format!("{}{}", env.sni_cert.chain_pem, env.sni_cert.key_pem),
    )
    .unwrap();
    vec![
        ("AZURE_TENANT_ID", TENANT.to_owned()),
        ("AZURE_CLIENT_ID", SNI_APP.to_owned()),
        ("AZURE_CLIENT_CERTIFICATE_PATH", pem.display().to_string()),
        ("AZURE_CLIENT_SEND_CERTIFICATE_CHAIN", "true".to_owned()),
        ("MSAL_DEV_HOST_MAP", map.join(",")),
        ("MSAL_DEV_EXTRA_ROOTS", ca.display().to_string()),
    ]
}

#[tokio::test]
async fn dev_setting_reaches_the_emulator_with_no_transport_in_code() {
    let env = TestEnv::start().await;
    let dir = private_temp_dir("msal-dev-env");
    let mut vars = dev_vars(&env, &dir);
    // (off, the variables are ignored: the unit tests of `environment` check that; nothing
    // is sent here without the mapping, so no request can leave the machine)
    vars.push(("MSAL_DEV_MODE", "true".to_owned()));
    let app = ConfidentialClientApplication::builder_from_env(env_map(vars))
        .unwrap()
        .build()
        .unwrap();
    let bearer = app.acquire_token_for_client([SCOPE]).await.unwrap();
    assert_eq!(bearer.token_type(), "Bearer");
    let pop = pop(&app).await;
    assert!(pop.binding_certificate().is_some());
    let url = "https://mtlstb.graph.microsoft.com/v1.0/applications";
    for result in [&bearer, &pop] {
        let response = result
            .call_resource(
                app.transport().as_ref(),
                msal::transport::HttpRequest::get(url.parse().unwrap()),
            )
            .await
            .unwrap();
        assert_eq!(response.status, 200, "{}", result.token_type());
    }
    let hosts: Vec<String> = env
        .emulator
        .requests()
        .into_iter()
        .map(|r| r.host)
        .collect();
    assert!(
        hosts.contains(&"login.microsoftonline.com".to_owned()),
        "{hosts:?}"
    );
    assert!(
        hosts.contains(&"mtlsauth.microsoft.com".to_owned()),
        "{hosts:?}"
    );
    assert!(
        hosts.contains(&"mtlstb.graph.microsoft.com".to_owned()),
        "{hosts:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `SSL_CERT_FILE` / `SSL_CERT_DIR` read by `from_env`: a real bundle file (the OS bundle, when
/// there is one, plus the emulator's CA) or a directory holding the CA is what makes the
/// emulator's server certificate trusted; without them the handshake fails.
#[tokio::test]
async fn ssl_cert_file_and_dir_trust_the_emulator_ca() {
    let env = TestEnv::start().await;
    let dir = private_temp_dir("msal-ssl-cert");
    let vars: Vec<(&str, String)> = dev_vars(&env, &dir)
        .into_iter()
        .filter(|(k, _)| *k != "MSAL_DEV_EXTRA_ROOTS")
        .chain([("MSAL_DEV_MODE", "true".to_owned())])
        .collect();
    let os_bundle =
        std::fs::read_to_string("/etc/ssl/certs/ca-certificates.crt").unwrap_or_default();
    let bundle = dir.join("bundle.pem");
    std::fs::write(
        &bundle,
        format!("{os_bundle}\n{}", env.emulator.ca_certificate_pem()),
    )
    .unwrap();
    let ca_dir = dir.join("certs");
    std::fs::create_dir(&ca_dir).unwrap();
    std::fs::write(
        ca_dir.join("emulator.pem"),
        env.emulator.ca_certificate_pem(),
    )
    .unwrap();
    std::fs::write(ca_dir.join("README"), "not a certificate").unwrap();

    let app_with = |extra: Option<(&'static str, String)>| {
        let mut vars = vars.clone();
        vars.extend(extra);
        ConfidentialClientApplication::builder_from_env(env_map(vars)).and_then(|b| b.build())
    };
    let untrusted = app_with(None).unwrap();
    let err = untrusted
        .acquire_token_for_client([SCOPE])
        .await
        .unwrap_err();
    assert!(
        err.to_string().to_lowercase().contains("certificate"),
        "{err}"
    );
    assert!(env.emulator.token_requests().is_empty());

    for extra in [
        ("SSL_CERT_FILE", bundle.display().to_string()),
        ("SSL_CERT_DIR", ca_dir.display().to_string()),
    ] {
        let name = extra.0;
        let app = app_with(Some(extra)).unwrap();
        let result = app.acquire_token_for_client([SCOPE]).await.unwrap();
        assert_eq!(result.token_type(), "Bearer", "{name}");
    }
    assert_eq!(env.emulator.token_requests().len(), 2);

    let err = app_with(Some((
        "SSL_CERT_FILE",
        "/nonexistent/bundle.pem".to_owned(),
    )))
    .unwrap_err();
    assert_eq!(err.code(), "invalid_environment");
    assert!(err.to_string().contains("/nonexistent/bundle.pem"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The OS store is read from the distribution's bundle (skipped where there is none): with the
/// Mozilla roots off it is enough to build a transport, and it does not trust the emulator
/// until the emulator's CA file is added.
#[tokio::test]
async fn os_roots_and_a_root_file() {
    if !std::path::Path::new("/etc/ssl/certs/ca-certificates.crt").is_file() {
        eprintln!("no OS bundle on this machine: skipped");
        return;
    }
    let env = TestEnv::start().await;
    let dir = private_temp_dir("msal-os-roots");
    let ca = dir.join("emulator-ca.pem");
    std::fs::write(&ca, env.emulator.ca_certificate_pem()).unwrap();
    let transport = |with_ca: bool| {
        let mut b = msal::transport::HyperTransport::builder()
            .webpki_roots(false)
            .resolve_overrides_only(true)
            .os_roots()
            .expect("OS bundle");
        if with_ca {
            b = b.add_root_certificates_file(&ca).unwrap();
        }
        for (host, addr) in env.emulator.resolver_entries() {
            b = b.resolve(&host, addr);
        }
        Arc::new(b.build().expect("OS roots are enough to build"))
    };
    let app = |with_ca| {
        ConfidentialClientApplication::builder(SECRET_APP)
            .authority(AUTHORITY)
            .client_secret(SECRET)
            .transport(transport(with_ca))
            .build()
            .unwrap()
    };
    assert!(app(false).acquire_token_for_client([SCOPE]).await.is_err());
    assert!(app(true).acquire_token_for_client([SCOPE]).await.is_ok());
    let _ = std::fs::remove_dir_all(&dir);
}
