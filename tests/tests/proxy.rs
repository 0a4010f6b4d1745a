//! Tokens through an HTTP proxy: a real `tinyproxy` on loopback (started by this test with its
//! own configuration, stopped by its PID). TLS and the client certificate run end to end inside
//! the `CONNECT` tunnel: the emulator sees the client certificate, and the proxy's log shows
//! only `CONNECT` requests.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use msal::transport::{HttpRequest, Proxy};
use msal_e2e_tests::*;

/// A `tinyproxy` child process, killed when dropped.
struct Tinyproxy {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Tinyproxy {
    fn start(dir: &Path) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = dir.join("tinyproxy.log");
        let config = dir.join("tinyproxy.conf");
        // no ConnectPort line: CONNECT to any port (the emulator's is not 443)
        std::fs::write(
            &config,
            format!(
                "Port {port}\nListen 127.0.0.1\nTimeout 30\nMaxClients 16\nAllow 127.0.0.1\nLogFile \"{}\"\nLogLevel Info\n",
                log.display()
            ),
        )
        .unwrap();
        let child = Command::new("tinyproxy")
            .arg("-d")
            .arg("-c")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tinyproxy is installed (.ci/run installs it: apt-get install tinyproxy)");
        let proxy = Tinyproxy { child, port, log };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "tinyproxy did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        proxy
    }

    /// The request lines tinyproxy logged (`Request (file descriptor N): METHOD target ...`).
    fn requests(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| {
                l.split_once("Request (file descriptor ")
                    .map(|(_, r)| r.to_owned())
            })
            .collect()
    }
}

#[tokio::test]
async fn bearer_and_pop_through_a_connect_tunnel() {
    let env = TestEnv::start().await;
    let dir = private_temp_dir("msal-proxy");
    let proxy = Tinyproxy::start(&dir);
    let transport = transport_for(&env.emulator)
        .proxy(Proxy::new(&format!("http://127.0.0.1:{}", proxy.port)).unwrap())
        .build()
        .unwrap();
    let transport = std::sync::Arc::new(transport);
    let app = msal::ConfidentialClientApplication::builder(SNI_APP)
        .authority(AUTHORITY)
        .certificate(client_certificate(&env.sni_cert))
        .send_x5c(true)
        .region_environment(no_env())
        .transport(transport.clone())
        .build()
        .unwrap();
    let bearer = app.acquire_token_for_client([SCOPE]).await.unwrap();
    let pop = pop(&app).await;
    let response = pop
        .call_resource(
            transport.as_ref(),
            HttpRequest::get(
                "https://mtlstb.graph.microsoft.com/v1.0/applications"
                    .parse()
                    .unwrap(),
            ),
        )
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(bearer.token_type(), "Bearer");

    // the emulator saw the client certificate on the mTLS hosts: TLS ran end to end
    let cert = client_certificate(&env.sni_cert);
    let mtls: Vec<_> = env
        .emulator
        .requests()
        .into_iter()
        .filter(|r| r.host != "login.microsoftonline.com")
        .collect();
    assert_eq!(mtls.len(), 2, "{mtls:?}");
    for request in &mtls {
        assert_eq!(
            request.client_certificate.as_deref(),
            Some(cert.leaf_der()),
            "{}",
            request.host
        );
    }

    // the proxy saw CONNECTs to the emulator's address, and nothing else
    let requests = proxy.requests();
    let target = format!("CONNECT {} HTTP/1.1", env.emulator.addr());
    assert!(!requests.is_empty(), "tinyproxy logged no request");
    for line in &requests {
        assert!(
            line.contains(&target),
            "not a CONNECT to the emulator: {line}"
        );
    }
    let log = std::fs::read_to_string(&proxy.log).unwrap();
    for plaintext in [
        "oauth2",
        "token",
        "mtls_pop",
        "applications",
        "client_assertion",
    ] {
        assert!(
            !log.contains(plaintext),
            "the proxy saw {plaintext:?}:\n{log}"
        );
    }
    drop(proxy);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_refused_connect_is_a_connect_error_naming_the_proxy() {
    let env = TestEnv::start().await;
    let dir = private_temp_dir("msal-proxy-refused");
    let proxy = Tinyproxy::start(&dir);
    // tinyproxy refuses CONNECT to a port that is not a ConnectPort; here: a host it cannot
    // reach, since the override is a closed loopback port
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let transport = msal::transport::HyperTransport::builder()
        .webpki_roots(false)
        .resolve_overrides_only(true)
        .add_root_certificates_pem(env.emulator.ca_certificate_pem().as_bytes())
        .unwrap()
        .resolve("login.microsoftonline.com", closed)
        .proxy(Proxy::new(&format!("http://127.0.0.1:{}", proxy.port)).unwrap())
        .build()
        .unwrap();
    let app = env
        .app(SECRET_APP)
        .client_secret(SECRET)
        .transport(std::sync::Arc::new(transport))
        .retry_backoff(Duration::from_millis(1))
        .build()
        .unwrap();
    let err = app.acquire_token_for_client([SCOPE]).await.unwrap_err();
    assert_eq!(err.code(), "connect_error", "{err}");
    assert!(err.to_string().contains("proxy refused CONNECT"), "{err}");
    assert!(err.is_retryable());
    drop(proxy);
    let _ = std::fs::remove_dir_all(&dir);
}
