//! Acceptance 2 of issue 16: Key Vault's behaviour with `mtls_pop` tokens, emulated by a node
//! TLS 1.2 server (tests/keyvault/server.js) that asks for the client certificate by
//! renegotiation after reading the request. Shows the header, the renegotiation request and
//! what this library's rustls transport does with it.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use msal::transport::{HttpRequest, HyperTransport};
use msal_e2e_tests::*;
use serde_json::Value;
use url::Url;

const VAULT: &str = "myvault.vault.azure.net";

/// The node server, its event lines, and the PEM of its certificate.
struct KeyVault {
    child: Child,
    events: mpsc::Receiver<Value>,
    addr: SocketAddr,
    cert_pem: String,
}

impl KeyVault {
    fn start() -> Self {
        Self::start_in(None)
    }

    /// The server in `mode` (`cnf-fail-once`, `cnf-fail-always`: the certificate in the first
    /// handshake, the binding-validation 401; see server.js), or Key Vault's renegotiation.
    fn start_in(mode: Option<&str>) -> Self {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec![VAULT.to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let dir = private_temp_dir("msal-keyvault");
        std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
        std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/keyvault/server.js");
        let mut child = Command::new("node")
            .arg(script)
            .arg(dir.join("cert.pem"))
            .arg(dir.join("key.pem"))
            .args(mode)
            .stdout(Stdio::piped())
            .spawn()
            .expect("node is installed (apt-get install nodejs)");
        let stdout = child.stdout.take().unwrap();
        let (tx, events) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(serde_json::from_str::<Value>(&line).unwrap_or(Value::Null));
            }
        });
        let listening = events.recv_timeout(Duration::from_secs(20)).unwrap();
        assert_eq!(listening["event"], "listening");
        let port = listening["port"].as_u64().unwrap() as u16;
        KeyVault {
            child,
            events,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            cert_pem: cert.pem(),
        }
    }

    fn transport(&self, env: &TestEnv) -> HyperTransport {
        transport_for(&env.emulator)
            .resolve(VAULT, self.addr)
            .add_root_certificates_pem(self.cert_pem.as_bytes())
            .unwrap()
            .build()
            .unwrap()
    }

    /// The events of one request, up to its `response` (or its failed renegotiation, after
    /// which the server sends nothing).
    fn request_events(&self) -> Vec<Value> {
        let mut seen = Vec::new();
        while let Ok(event) = self.events.recv_timeout(Duration::from_secs(10)) {
            let last = event["event"] == "response" || event["event"] == "renegotiation_failed";
            seen.push(event);
            if last {
                break;
            }
        }
        seen
    }
}

impl Drop for KeyVault {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn names(events: &[Value]) -> Vec<&str> {
    events.iter().filter_map(|e| e["event"].as_str()).collect()
}

#[tokio::test]
async fn mtls_pop_to_key_vault_sends_the_header_and_rustls_cannot_renegotiate() {
    let env = TestEnv::start().await;
    let vault = KeyVault::start();
    let transport = vault.transport(&env);
    let app = env.sni_app().build().unwrap();
    let token = pop(&app).await;
    let url = Url::parse(&format!(
        "https://{VAULT}/secrets/db-password?api-version=7.5"
    ))
    .unwrap();

    let outcome = token.call_resource(&transport, HttpRequest::get(url)).await;
    let events = vault.request_events();
    eprintln!("{outcome:?}\n{events:#?}");
    let request = events.iter().find(|e| e["event"] == "request").unwrap();
    assert_eq!(request["headers"]["x-ms-tokenboundauth"], "true");
    assert_eq!(request["headers"]["authorization"], "mtls_pop");
    assert!(names(&events).contains(&"renegotiate"), "{events:?}");
    assert!(!names(&events).contains(&"renegotiated"), "{events:?}");
    let err = outcome.unwrap_err();
    assert_eq!(err.code(), "tls_renegotiation_required");
    assert!(err.to_string().contains("renegotiation"), "{err}");
    assert!(!err.is_retryable());
    // What rustls did: it answered the server's HelloRequest with a no_renegotiation alert,
    // which OpenSSL (node) treats as fatal.
    let failure = events
        .iter()
        .find(|e| e["event"] == "socket_error")
        .unwrap();
    assert!(
        failure["error"]
            .as_str()
            .unwrap()
            .contains("no renegotiation"),
        "{failure}"
    );
}

#[tokio::test]
async fn bearer_tokens_to_key_vault_get_no_header() {
    let env = TestEnv::start().await;
    let vault = KeyVault::start();
    let transport = vault.transport(&env);
    let app = env
        .app(SECRET_APP)
        .client_secret(SECRET)
        .region_environment(no_env())
        .build()
        .unwrap();
    let token = app.acquire_token_for_client([SCOPE]).await.unwrap();
    let url = Url::parse(&format!("https://{VAULT}/secrets/x")).unwrap();
    let response = token
        .call_resource(&transport, HttpRequest::get(url))
        .await
        .unwrap();
    assert_eq!(response.status, 401);
    let events = vault.request_events();
    let request = events.iter().find(|e| e["event"] == "request").unwrap();
    assert!(request["headers"].get("x-ms-tokenboundauth").is_none());
    assert!(!names(&events).contains(&"renegotiate"));
}

/// The requests the server saw, each with its answer's status, until `n` answers came.
fn answered_requests(vault: &KeyVault, n: usize) -> Vec<(Value, u64)> {
    let mut seen = Vec::new();
    while seen.len() < n {
        let events = vault.request_events();
        let request = events.iter().find(|e| e["event"] == "request").cloned();
        let status = events.iter().find_map(|e| e["status"].as_u64());
        match (request, status) {
            (Some(request), Some(status)) => seen.push((request, status)),
            _ => break,
        }
    }
    seen
}

/// The one-retry rule, end to end: the first answer is the binding-validation 401 carrying
/// `[MtlsCnfClaimRequestDataValidationFailed]`; the call is sent again (same header, same
/// certificate) and its 200 reaches the caller.
#[tokio::test]
async fn a_binding_validation_401_is_retried_once_and_the_retry_succeeds() {
    let env = TestEnv::start().await;
    let vault = KeyVault::start_in(Some("cnf-fail-once"));
    let transport = vault.transport(&env);
    let app = env.sni_app().build().unwrap();
    let token = pop(&app).await;
    let url = Url::parse(&format!("https://{VAULT}/secrets/db-password")).unwrap();

    let response = token
        .call_resource(&transport, HttpRequest::get(url))
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    let body: Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(body["x5t_s256"], env.sni_cert.x5t_s256());
    let requests = answered_requests(&vault, 2);
    assert_eq!(
        requests.iter().map(|r| r.1).collect::<Vec<_>>(),
        [401, 200],
        "{requests:?}"
    );
    for (request, _) in &requests {
        assert_eq!(request["headers"]["x-ms-tokenboundauth"], "true");
        assert_eq!(request["headers"]["authorization"], "mtls_pop");
    }
}

/// Only one retry: when every answer is the binding-validation 401, the second one is what the
/// caller gets, and no third request is sent.
#[tokio::test]
async fn a_persistent_binding_validation_401_is_retried_only_once() {
    let env = TestEnv::start().await;
    let vault = KeyVault::start_in(Some("cnf-fail-always"));
    let transport = vault.transport(&env);
    let app = env.sni_app().build().unwrap();
    let token = pop(&app).await;
    let url = Url::parse(&format!("https://{VAULT}/secrets/db-password")).unwrap();

    let response = token
        .call_resource(&transport, HttpRequest::get(url))
        .await
        .unwrap();
    assert_eq!(response.status, 401);
    let body = String::from_utf8_lossy(&response.body);
    assert!(
        body.contains("[MtlsCnfClaimRequestDataValidationFailed]"),
        "{body}"
    );
    let requests = answered_requests(&vault, 3);
    assert_eq!(
        requests.iter().map(|r| r.1).collect::<Vec<_>>(),
        [401, 401],
        "{requests:?}"
    );
}
