//! Warnings about unusable entries. In its own test binary, with one test, so that no other
//! test hits the same `tracing` call sites concurrently: `tracing` caches per-call-site
//! interest, and a call site first reached on another thread while the capturing subscriber is
//! being registered can stay disabled.

use std::io::Write;
use std::sync::{Arc, Mutex};

use token_cache::CacheDocument;

const TENANT: &str = "aaaabbbb-0000-1111-2222-333344445555";

fn value(doc: &CacheDocument) -> serde_json::Value {
    serde_json::from_str(doc.to_json().expose_secret()).unwrap()
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `f` with a subscriber capturing this thread's log lines.
fn captured<T>(f: impl FnOnce() -> T) -> (T, String) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let result = tracing::subscriber::with_default(subscriber, f);
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    (result, logs)
}

#[test]
fn unusable_entries_are_warned_about_and_kept() {
    let input = format!(
        r#"{{"AccessToken": {{
            "not-an-object": 5,
            "number-secret": {{"credential_type": "AccessToken", "secret": 1, "environment": "e", "client_id": "c", "target": "s", "realm": "r", "expires_on": "2"}},
            "bad-time": {{"credential_type": "AccessToken", "secret": "tok-bad-time", "environment": "e", "client_id": "c", "target": "s", "realm": "r", "expires_on": "soon"}},
            "no-target": {{"credential_type": "AccessToken", "secret": "t", "environment": "e", "client_id": "c", "target": " ", "realm": "r", "expires_on": "2"}},
            "good": {{"credential_type": "AccessToken", "secret": "t", "environment": "login.microsoftonline.com", "client_id": "cid1", "target": "s", "realm": "{TENANT}", "expires_on": 2}}
        }}}}"#
    );
    let (doc, logs) = captured(|| CacheDocument::parse(input.as_bytes()).unwrap());
    assert_eq!(doc.len(), 1, "only the good entry is served");
    for key in ["not-an-object", "number-secret", "bad-time", "no-target"] {
        assert!(logs.contains(key), "no warning about {key}: {logs}");
    }
    assert_eq!(logs.matches("WARN").count(), 4, "{logs}");
    assert!(
        !logs.contains("tok-bad-time"),
        "a token leaked into the log"
    );
    // all five kept on rewrite
    let v = value(&doc);
    assert_eq!(v["AccessToken"].as_object().unwrap().len(), 5);
    assert_eq!(v["AccessToken"]["bad-time"]["expires_on"], "soon");

    // Impossible times (in this test, not another one: see the module docs): warned about,
    // without the token, and dropped from the document.
    let input = r#"{"AccessToken": {
        "u64max": {"credential_type": "AccessToken", "secret": "tok-u64max", "environment": "e", "client_id": "c", "target": "s", "realm": "r", "expires_on": "18446744073709551615"},
        "huge": {"credential_type": "AccessToken", "secret": "tok-huge", "environment": "e", "client_id": "c", "target": "t", "realm": "r", "expires_on": 9300000000000000000}
    }}"#;
    let (doc, logs) = captured(|| CacheDocument::parse(input.as_bytes()).unwrap());
    assert!(doc.is_empty());
    for key in ["u64max", "huge"] {
        assert!(logs.contains(key), "no warning about {key}: {logs}");
    }
    assert_eq!(logs.matches("WARN").count(), 2, "{logs}");
    assert!(logs.contains("impossible"), "{logs}");
    assert!(!logs.contains("tok-"), "a token leaked into the log");
    assert_eq!(value(&doc)["AccessToken"].as_object().unwrap().len(), 0);
}
