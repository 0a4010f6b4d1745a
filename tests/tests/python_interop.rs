//! Token-cache interop with MSAL Python 1.39 (issue 4, acceptance 2): a file cache written by
//! this library is served by MSAL Python's `SerializableTokenCache` + `acquire_token_for_client`
//! without a token request, and the reverse.
//!
//! Both sides talk to the same in-process emulator through the real hostname
//! `login.microsoftonline.com` over real TLS: the Python child process (`tests/python/interop.py`)
//! maps every hostname to the emulator's loopback port by wrapping `socket.getaddrinfo` and
//! trusts only the emulator's CA.
//!
//! Needs a Python with `msal` installed, named by `MSAL_PYTHON` (default `python3`);
//! `cargo xtask interop` creates one and runs these tests.

use std::path::{Path, PathBuf};
use std::process::Command;

use msal::TokenSource;
use msal_e2e_tests::*;

/// The script run by the Python child.
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/python/interop.py");

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!(
            "msal-python-interop-{name}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir(&dir).expect("create temp dir");
        Self(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Lower-case hex SHA-256 (ring's, reached through the rustls provider this crate already uses).
fn sha256_hex(data: &str) -> String {
    let hash = rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256
        .tls13()
        .expect("a TLS 1.3 suite")
        .common
        .hash_provider;
    assert_eq!(
        hash.algorithm(),
        rustls::crypto::hash::HashAlgorithm::SHA256
    );
    hash.hash(data.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What `interop.py` printed.
#[derive(Debug)]
struct PythonResult {
    token_source: Option<String>,
    access_token_sha256: Option<String>,
    error: Option<String>,
    msal_version: String,
}

/// Runs `interop.py` in `mode` ("read" or "write") against the emulator, with the cache at
/// `cache_file`, as a real child process.
async fn run_python(env: &TestEnv, dir: &Path, cache_file: &Path, mode: &str) -> PythonResult {
    let ca_file = dir.join("emulator-ca.pem");
    std::fs::write(&ca_file, env.emulator.ca_certificate_pem()).expect("write CA file");
    let python = std::env::var("MSAL_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let mut cmd = Command::new(&python);
    cmd.arg(SCRIPT)
        .env("EMULATOR_PORT", env.emulator.port().to_string())
        .env("EMULATOR_CA", &ca_file)
        .env("CACHE_FILE", cache_file)
        .env("CLIENT_ID", SECRET_APP)
        .env("CLIENT_SECRET", SECRET)
        .env("AUTHORITY", AUTHORITY)
        .env("SCOPE", SCOPE)
        .env("MODE", mode)
        .env("PYTHONDONTWRITEBYTECODE", "1");
    // The emulator runs on this test's runtime: wait for the child on a blocking thread.
    let output = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("join")
        .unwrap_or_else(|e| {
            panic!("cannot run {python} (set MSAL_PYTHON or run `cargo xtask interop`): {e}")
        });
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "interop.py ({mode}) failed with {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    let line = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_else(|| panic!("interop.py printed nothing; stderr:\n{stderr}"));
    let json: serde_json::Value = serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("interop.py printed {line:?}, not JSON ({e})"));
    let field = |name: &str| json[name].as_str().map(str::to_owned);
    let result = PythonResult {
        token_source: field("token_source"),
        access_token_sha256: field("access_token_sha256"),
        error: field("error"),
        msal_version: field("msal_version").unwrap_or_default(),
    };
    assert_eq!(
        result.error, None,
        "MSAL Python returned an error; stderr:\n{stderr}"
    );
    assert!(
        result.msal_version.starts_with("1."),
        "MSAL Python 1.x expected, got {result:?}"
    );
    result
}

/// The cache key both libraries use for the app-only Bearer token of [`SECRET_APP`].
fn expected_key() -> String {
    format!("-login.microsoftonline.com-accesstoken-{SECRET_APP}-{TENANT}-{SCOPE}").to_lowercase()
}

/// The access-token entry under [`expected_key`] in the cache file.
fn cached_entry(cache_file: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(cache_file).expect("cache file exists");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("cache file is JSON");
    let sections: Vec<&String> = doc.as_object().expect("an object").keys().collect();
    let entry = doc["AccessToken"][expected_key()].clone();
    assert!(
        entry.is_object(),
        "no AccessToken entry under {:?}; sections {sections:?}, AccessToken keys {:?}",
        expected_key(),
        doc["AccessToken"]
            .as_object()
            .map(|m| m.keys().collect::<Vec<_>>())
    );
    entry
}

/// Requests MSAL Python makes are GETs for discovery; it must have reached the emulator under
/// the real hostname (proof that the child talked to this emulator at all).
fn assert_python_discovered_through_real_hostname(env: &TestEnv, before: usize) {
    let requests = env.emulator.requests();
    let discovery = format!("/{TENANT}/v2.0/.well-known/openid-configuration");
    assert!(
        requests[before..].iter().any(|r| r.method == "GET"
            && r.path == discovery
            && r.host == "login.microsoftonline.com"
            && r.sni.as_deref() == Some("login.microsoftonline.com")),
        "MSAL Python's OIDC discovery GET did not reach the emulator: {:?}",
        requests[before..]
            .iter()
            .map(|r| format!("{} {} {}", r.method, r.host, r.path))
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
#[ignore = "needs MSAL Python: run with cargo xtask interop"]
async fn msal_python_serves_a_token_this_library_cached() {
    let env = TestEnv::start().await;
    let dir = TempDir::new("rust-writes");
    let cache_file = dir.path().join("token_cache.json");

    let app = env
        .app(SECRET_APP)
        .client_secret(SECRET)
        .token_cache_file(&cache_file)
        .build()
        .unwrap();
    let rust = app.acquire_token_for_client([SCOPE]).await.unwrap();
    assert_eq!(rust.token_source(), TokenSource::IdentityProvider);
    assert_eq!(env.emulator.token_requests().len(), 1);
    let entry = cached_entry(&cache_file);
    assert_eq!(entry["home_account_id"], serde_json::Value::Null);
    assert_eq!(entry["token_type"], "Bearer");
    let rust_hash = sha256_hex(rust.access_token().expose_secret());

    let before = env.emulator.requests().len();
    let python = run_python(&env, dir.path(), &cache_file, "read").await;
    assert_eq!(
        python.token_source.as_deref(),
        Some("cache"),
        "MSAL Python did not serve the token from our cache: {python:?}"
    );
    assert_eq!(
        python.access_token_sha256.as_deref(),
        Some(rust_hash.as_str()),
        "MSAL Python returned a different token"
    );
    assert_eq!(
        env.emulator.token_requests().len(),
        1,
        "MSAL Python sent a token request"
    );
    assert_python_discovered_through_real_hostname(&env, before);
}

#[tokio::test]
#[ignore = "needs MSAL Python: run with cargo xtask interop"]
async fn this_library_serves_a_token_msal_python_cached() {
    let env = TestEnv::start().await;
    let dir = TempDir::new("python-writes");
    let cache_file = dir.path().join("token_cache.json");

    let before = env.emulator.requests().len();
    let python = run_python(&env, dir.path(), &cache_file, "write").await;
    assert_eq!(
        python.token_source.as_deref(),
        Some("identity_provider"),
        "{python:?}"
    );
    let requests = env.emulator.token_requests();
    assert_eq!(requests.len(), 1, "MSAL Python sent one token request");
    assert_eq!(requests[0].header("x-client-sku"), Some("MSAL.Python"));
    assert_eq!(requests[0].host, "login.microsoftonline.com");
    assert_python_discovered_through_real_hostname(&env, before);
    let entry = cached_entry(&cache_file);
    assert_eq!(entry["home_account_id"], serde_json::Value::Null);
    assert_eq!(entry["realm"], TENANT);
    assert_eq!(entry["environment"], "login.microsoftonline.com");

    let app = env
        .app(SECRET_APP)
        .client_secret(SECRET)
        .token_cache_file(&cache_file)
        .build()
        .unwrap();
    let rust = app.acquire_token_for_client([SCOPE]).await.unwrap();
    assert_eq!(
        rust.token_source(),
        TokenSource::Cache,
        "this library did not serve the token MSAL Python cached"
    );
    assert_eq!(
        Some(sha256_hex(rust.access_token().expose_secret())),
        python.access_token_sha256,
        "this library returned a different token"
    );
    assert_eq!(
        env.emulator.token_requests().len(),
        1,
        "this library sent a token request"
    );
}
