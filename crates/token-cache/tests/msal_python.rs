//! Interop with MSAL Python at the file level: MSAL Python finds our Bearer token (and only it)
//! in a file we wrote, keeps our certificate-bound entries when it rewrites the file, and we
//! serve the token it added. Our serialization of its file is byte-identical to its own.
//!
//! Runs when `TOKEN_CACHE_MSAL_PYTHON` names a Python interpreter that can `import msal`
//! (e.g. a venv with `pip install msal==1.39.0`). Ignored by default; `cargo xtask interop` sets
//! the variable and runs it.

mod common;

use std::process::Command;

use common::*;
use token_cache::{
    CacheDocument, CachedAccessToken, FileTokenCache, TokenCache, TokenType, UnixTime,
};

const SCRIPT: &str = r#"
import json, sys
import msal
from msal.token_cache import TokenCache
path, tenant, scope = sys.argv[1], sys.argv[2], sys.argv[3]
cache = msal.SerializableTokenCache()
with open(path) as f:
    cache.deserialize(f.read())
# the query acquire_token_for_client makes: the app-only token of this client, authority host and tenant
query = {"client_id": "cid1", "environment": "login.microsoftonline.com", "realm": tenant,
         "home_account_id": None}
found = [e["secret"] for e in cache.search(
    TokenCache.CredentialType.ACCESS_TOKEN, target=[scope], query=query)]
cache.add({"client_id": "cid1", "scope": ["api://from-python/.default"],
           "token_endpoint": "https://login.microsoftonline.com/%s/oauth2/v2.0/token" % tenant,
           "response": {"access_token": "python-token", "expires_in": 3600,
                        "token_type": "Bearer", "refresh_in": 1800},
           "environment": "login.microsoftonline.com", "data": {}})
with open(path, "w") as f:
    f.write(cache.serialize())
print(json.dumps({"version": msal.__version__, "found": found}))
"#;

/// `token`, issued now by the system clock: MSAL Python drops access tokens that expired by the
/// system clock when it rewrites the file.
fn live(mut token: CachedAccessToken) -> CachedAccessToken {
    let now = UnixTime::from_system_time(std::time::SystemTime::now());
    token.cached_at = now;
    token.expires_on = now.saturating_add_secs(3_600);
    token.extended_expires_on = token.expires_on;
    token
}

#[tokio::test]
#[ignore = "needs MSAL Python: run with cargo xtask interop"]
async fn msal_python_reads_our_file_and_we_read_its_file() {
    let python = std::env::var("TOKEN_CACHE_MSAL_PYTHON").expect(
        "TOKEN_CACHE_MSAL_PYTHON must name a Python with msal (cargo xtask interop sets it)",
    );
    let dir = TempDir::new("msal-python");
    let path = dir.file("msal_cache.json");
    let cache = FileTokenCache::open(&path).unwrap();
    let pop1 = partition(TENANT, TokenType::MtlsPop, Some("x5t-cert-1"));
    let pop2 = partition(TENANT, TokenType::MtlsPop, Some("x5t-cert-2"));
    let mtls_bearer = partition(TENANT, TokenType::Bearer, Some("x5t-cert-1"));
    cache
        .store_many(vec![
            live(token(pop1.clone(), &[GRAPH], "pop-1")),
            live(token(bearer(), &[GRAPH], "rust-bearer")),
            live(token(pop2.clone(), &[GRAPH], "pop-2")),
            live(token(mtls_bearer.clone(), &[GRAPH], "bearer-over-mtls")),
        ])
        .await
        .unwrap();

    let out = Command::new(&python)
        .args(["-c", SCRIPT])
        .arg(&path)
        .args([TENANT, GRAPH])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    eprintln!("MSAL Python {}", report["version"]);
    // only the plain Bearer entry; the bound ones are invisible to MSAL Python
    assert_eq!(report["found"], serde_json::json!(["rust-bearer"]));

    // MSAL Python rewrote the file: our entries are intact, its token is served
    let text = std::fs::read_to_string(&path).unwrap();
    let doc = CacheDocument::parse(text.as_bytes()).unwrap();
    assert_eq!(
        doc.to_json().expose_secret(),
        text,
        "same bytes as MSAL Python writes"
    );
    for (p, secret) in [
        (&pop1, "pop-1"),
        (&pop2, "pop-2"),
        (&mtls_bearer, "bearer-over-mtls"),
        (&bearer(), "rust-bearer"),
    ] {
        let hit = cache.find(p, &scopes(&[GRAPH])).await.unwrap().unwrap();
        assert_eq!(hit.secret.expose_secret(), secret);
    }
    let hit = cache
        .find(&bearer(), &scopes(&["api://from-python/.default"]))
        .await
        .unwrap()
        .expect("the token MSAL Python added");
    assert_eq!(hit.secret.expose_secret(), "python-token");
    assert_eq!(
        hit.refresh_on,
        Some(hit.cached_at.saturating_add_secs(1_800))
    );
    assert_eq!(hit.expires_on, hit.cached_at.saturating_add_secs(3_600));
}
