//! The file backend with real files: persistence, interop shapes, isolation, corrupt files.

mod common;

use std::sync::Arc;

use common::*;
use token_cache::{
    access_token_key, CacheDocument, FileTokenCache, TokenCache, TokenType, UnixTime,
};

/// An app-only cache as MSAL Python 1.39 writes it after one client-credentials call (the
/// example in `docs/cache.md`).
const PYTHON_DOC: &str = include_str!("fixtures/msal_python_cache.json");

fn read_json(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The keys of the file's `AccessToken` section, in file order.
fn access_token_keys(path: &std::path::Path) -> Vec<String> {
    let v = read_json(path);
    v["AccessToken"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

#[tokio::test]
async fn store_persists_and_a_new_instance_finds_it() {
    let dir = TempDir::new("persist");
    let path = dir.file("cache.json");
    let cache = open(&path);
    assert!(cache
        .find(&bearer(), &scopes(&[GRAPH]))
        .await
        .unwrap()
        .is_none());
    assert!(!path.exists(), "nothing is written before the first store");

    cache
        .store(token(bearer(), &[GRAPH], "tok-1"))
        .await
        .unwrap();
    assert_eq!(cache.len(), 1);
    let again = open(&path);
    let hit = again
        .find(&bearer(), &scopes(&[GRAPH]))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hit.secret.expose_secret(), "tok-1");
    let shared = again
        .find_shared(&bearer(), &scopes(&[GRAPH]))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(shared.secret.expose_secret(), "tok-1");
    // subset lookup works through the file index too
    cache
        .store(token(bearer(), &["a", "b"], "tok-ab"))
        .await
        .unwrap();
    let hit = again
        .find(&bearer(), &scopes(&["b"]))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hit.secret.expose_secret(), "tok-ab");

    // the file is an MSAL document with MSAL Python's key
    let v = read_json(&path);
    let key = access_token_key(&bearer(), &scopes(&[GRAPH]));
    assert_eq!(v["AccessToken"][&key]["secret"], "tok-1");
    assert_eq!(
        v["AccessToken"][&key]["home_account_id"],
        serde_json::Value::Null
    );
    assert_eq!(v["AccessToken"][&key]["expires_on"], EXPIRES.to_string());
    assert!(v["AppMetadata"]["appmetadata-login.microsoftonline.com-cid1"].is_object());
    // only the cache file and its lock file remain
    assert_eq!(dir.names(), ["cache.json", "cache.json.lock"]);
}

#[cfg(unix)]
#[tokio::test]
async fn files_are_private_to_the_user() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = TempDir::new("mode");
    let path = dir.path().join("sub").join("dir").join("cache.json");
    let cache = open(&path);
    cache.store(token(bearer(), &["s"], "t")).await.unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(cache.lock_path()), 0o600);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    // a file another tool left world-readable becomes private on the next write
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    cache.store(token(bearer(), &["s2"], "t")).await.unwrap();
    assert_eq!(mode(&path), 0o600);
}

#[tokio::test]
async fn a_python_written_cache_is_served() {
    let dir = TempDir::new("python");
    let path = dir.file("msal_cache.bin");
    std::fs::write(&path, PYTHON_DOC).unwrap();
    let cache = open(&path);
    let hit = cache
        .find(&bearer(), &scopes(&[GRAPH]))
        .await
        .unwrap()
        .expect("the token MSAL Python wrote is found");
    assert_eq!(hit.secret.expose_secret(), "eyJ0eXAi...");
    assert_eq!(hit.expires_on, UnixTime::from_secs(1_700_003_599));
    for other in [
        partition(TENANT, TokenType::MtlsPop, Some("cert")),
        partition(TENANT, TokenType::Bearer, Some("cert")),
        partition("other-tenant", TokenType::Bearer, None),
    ] {
        assert!(cache
            .find(&other, &scopes(&[GRAPH]))
            .await
            .unwrap()
            .is_none());
    }
    // reading does not rewrite the file
    assert_eq!(std::fs::read_to_string(&path).unwrap(), PYTHON_DOC);
}

#[tokio::test]
async fn writes_keep_what_others_wrote() {
    let dir = TempDir::new("preserve");
    let path = dir.file("cache.json");
    // MSAL Python's example (its token is live by the test clock), with an unknown section,
    // an unknown entry, an unknown field in our own kind of entry, a user token and a refresh
    // token.
    let original = PYTHON_DOC
        .replace(
            "\"extended_expires_on\": \"1700003599\"\n",
            "\"extended_expires_on\": \"1700003599\",\n            \"x_custom\": [1, {\"k\": \"v\"}]\n",
        )
        .replacen(
            "{\n    \"AccessToken\": {\n",
            "{\n    \"customized\": {\"anything\": true},\n    \"AccessToken\": {\n        \"odd entry\": {\"x\": 1},\n        \"uid.utid-login.microsoftonline.com-accesstoken-cid1-contoso-s1\": {\"credential_type\": \"AccessToken\", \"secret\": \"user\", \"home_account_id\": \"uid.utid\", \"environment\": \"login.microsoftonline.com\", \"client_id\": \"cid1\", \"target\": \"s1\", \"realm\": \"contoso\", \"cached_at\": \"1\", \"expires_on\": \"4000000000\"},\n",
            1,
        )
        .replacen(
            "    \"AppMetadata\"",
            "    \"RefreshToken\": {\"k\": {\"secret\": \"rt\"}},\n    \"AppMetadata\"",
            1,
        );
    assert!(original.contains("x_custom"));
    std::fs::write(&path, &original).unwrap();
    let before: serde_json::Value = serde_json::from_str(&original).unwrap();
    assert!(before["AccessToken"].as_object().unwrap().len() == 3);

    let cache = open(&path);
    cache
        .store(token(
            partition(TENANT, TokenType::MtlsPop, Some("c1")),
            &[GRAPH],
            "pop",
        ))
        .await
        .unwrap();
    let after = read_json(&path);
    for section in ["customized", "RefreshToken", "AppMetadata"] {
        assert_eq!(after[section], before[section], "{section}");
    }
    for (key, entry) in before["AccessToken"].as_object().unwrap() {
        assert_eq!(&after["AccessToken"][key], entry, "{key}");
    }
    assert_eq!(after["AccessToken"].as_object().unwrap().len(), 4);
    // and the Python token is still served next to ours
    let hit = cache
        .find(&bearer(), &scopes(&[GRAPH]))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hit.secret.expose_secret(), "eyJ0eXAi...");
}

#[tokio::test]
async fn two_certificates_and_bearer_share_one_file() {
    let dir = TempDir::new("isolation");
    let path = dir.file("cache.json");
    // three applications (instances) on one file
    let pop1 = partition(TENANT, TokenType::MtlsPop, Some("x5t-cert-1"));
    let pop2 = partition(TENANT, TokenType::MtlsPop, Some("x5t-cert-2"));
    let mtls_bearer = partition(TENANT, TokenType::Bearer, Some("x5t-cert-1"));
    for (p, secret) in [
        (&pop1, "pop-1"),
        (&pop2, "pop-2"),
        (&bearer(), "bearer"),
        (&mtls_bearer, "bearer-over-mtls-1"),
    ] {
        open(&path)
            .store(token(p.clone(), &[GRAPH], secret))
            .await
            .unwrap();
    }
    let reader = open(&path);
    assert_eq!(reader.len(), 4);
    let find = |p| {
        let reader = reader.clone();
        async move {
            reader
                .find(&p, &scopes(&[GRAPH]))
                .await
                .unwrap()
                .map(|t| t.secret.expose_secret().to_owned())
        }
    };
    assert_eq!(find(pop1.clone()).await.as_deref(), Some("pop-1"));
    assert_eq!(find(pop2.clone()).await.as_deref(), Some("pop-2"));
    assert_eq!(find(bearer()).await.as_deref(), Some("bearer"));
    assert_eq!(
        find(mtls_bearer).await.as_deref(),
        Some("bearer-over-mtls-1")
    );
    // a renewed certificate (new DER → new x5t#S256) misses; so does the other direction
    assert_eq!(
        find(partition(
            TENANT,
            TokenType::MtlsPop,
            Some("x5t-cert-1-renewed")
        ))
        .await,
        None
    );
    assert_eq!(
        find(partition(TENANT, TokenType::Bearer, Some("x5t-cert-2"))).await,
        None
    );
    assert_eq!(
        find(partition(TENANT, TokenType::MtlsPop, None)).await,
        None
    );

    // on disk: one plain MSAL Python key, three distinct atext keys
    let v = read_json(&path);
    let keys: Vec<&String> = v["AccessToken"].as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 4);
    assert_eq!(
        keys.iter().filter(|k| k.contains("-accesstoken-")).count(),
        1
    );
    assert_eq!(keys.iter().filter(|k| k.contains("-atext-")).count(), 3);
    let pop_entry = &v["AccessToken"][&access_token_key(&pop2, &scopes(&[GRAPH]))];
    assert_eq!(pop_entry["token_type"], "mtls_pop");
    assert_eq!(pop_entry["key_id"], "x5t-cert-2");
    assert!(pop_entry["ext_cache_key"].is_string());

    // removing one certificate's token leaves the others
    assert!(reader.remove(&pop1, &scopes(&[GRAPH])).await.unwrap());
    assert!(!reader.remove(&pop1, &scopes(&[GRAPH])).await.unwrap());
    let fresh = open(&path);
    assert!(fresh
        .find(&pop1, &scopes(&[GRAPH]))
        .await
        .unwrap()
        .is_none());
    assert!(fresh
        .find(&pop2, &scopes(&[GRAPH]))
        .await
        .unwrap()
        .is_some());
    assert_eq!(fresh.len(), 3);
}

#[tokio::test]
async fn another_writer_is_seen_and_replacing_a_token_works() {
    let dir = TempDir::new("reload");
    let path = dir.file("cache.json");
    let a = open(&path);
    let b = open(&path);
    a.store(token(bearer(), &["s"], "one")).await.unwrap();
    let hit = b.find(&bearer(), &scopes(&["s"])).await.unwrap().unwrap();
    assert_eq!(hit.secret.expose_secret(), "one");
    b.store(token(bearer(), &["s"], "two")).await.unwrap();
    let hit = a.find(&bearer(), &scopes(&["s"])).await.unwrap().unwrap();
    assert_eq!(hit.secret.expose_secret(), "two");
    // the file was deleted by someone: the cache is empty, and works again
    std::fs::remove_file(&path).unwrap();
    assert!(a.find(&bearer(), &scopes(&["s"])).await.unwrap().is_none());
    a.store(token(bearer(), &["s"], "three")).await.unwrap();
    let hit = b.find(&bearer(), &scopes(&["s"])).await.unwrap().unwrap();
    assert_eq!(hit.secret.expose_secret(), "three");
}

#[tokio::test]
async fn expired_tokens_are_pruned_on_write() {
    let dir = TempDir::new("prune");
    let path = dir.file("cache.json");
    let cache = open(&path);
    let mut old = token(bearer(), &["old"], "old");
    old.expires_on = UnixTime::from_secs(1_000);
    cache
        .store_many(vec![old, token(bearer(), &["live"], "live")])
        .await
        .unwrap();
    let v = read_json(&path);
    let keys: Vec<&String> = v["AccessToken"].as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 1);
    assert!(keys[0].ends_with("-live"));
    assert!(cache
        .find(&bearer(), &scopes(&["old"]))
        .await
        .unwrap()
        .is_none());
}

/// The cache prunes by the clock it is given, not by the wall clock: the caller judges time.
#[tokio::test]
async fn pruning_follows_the_injected_clock() {
    let dir = TempDir::new("prune-clock");
    let path = dir.file("cache.json");
    let clock = TestClock::at(NOW);
    let cache = FileTokenCache::builder(&path)
        .clock(clock.clone())
        .open()
        .unwrap();
    // expired by the injected clock
    let mut stale = token(bearer(), &["stale"], "stale");
    stale.expires_on = UnixTime::from_secs(NOW - 1);
    // valid by the injected clock, expired by the wall clock (2023)
    let live = token(bearer(), &["live"], "live");
    assert!(live.expires_on.to_system_time() < std::time::SystemTime::now());
    cache.store_many(vec![stale, live]).await.unwrap();
    assert_eq!(
        access_token_keys(&path),
        [access_token_key(&bearer(), &scopes(&["live"]))]
    );
    let hit = cache.find(&bearer(), &scopes(&["live"])).await.unwrap();
    assert_eq!(hit.unwrap().secret.expose_secret(), "live");

    // time moves on: the next write prunes it
    clock.set(EXPIRES + 1);
    let mut later = token(bearer(), &["later"], "later");
    later.expires_on = UnixTime::from_secs(EXPIRES + 3_600);
    cache.store(later).await.unwrap();
    assert_eq!(
        access_token_keys(&path),
        [access_token_key(&bearer(), &scopes(&["later"]))]
    );
    assert!(cache
        .find(&bearer(), &scopes(&["live"]))
        .await
        .unwrap()
        .is_none());

    // `open` prunes by the system clock: the 2023 token goes on its first write
    let system = FileTokenCache::open(&path).unwrap();
    system
        .store(token(bearer(), &["live"], "live"))
        .await
        .unwrap();
    assert!(system
        .find(&bearer(), &scopes(&["live"]))
        .await
        .unwrap()
        .is_none());
}

/// Entries whose times are impossible are not served, do not panic anyone, and are gone after
/// the next write; everything else in the file stays.
#[tokio::test]
async fn impossible_times_are_not_served_and_dropped_on_the_next_write() {
    let dir = TempDir::new("impossible");
    let path = dir.file("cache.json");
    let entry = |scope: &str, expires_on: &str| {
        format!(
            r#""-login.microsoftonline.com-accesstoken-cid1-{TENANT}-{scope}": {{"credential_type": "AccessToken", "secret": "tok-{scope}", "home_account_id": null, "environment": "login.microsoftonline.com", "client_id": "cid1", "target": "{scope}", "realm": "{TENANT}", "token_type": "Bearer", "cached_at": "1700000000", "expires_on": {expires_on}}}"#
        )
    };
    let input = format!(
        r#"{{"AccessToken": {{{}, {}, {}, {}}}}}"#,
        entry("u64max", r#""18446744073709551615""#),
        entry("huge", "9300000000000000000"),
        entry("beyond9999", r#""253402300800""#),
        entry("good", r#""1700003600""#),
    );
    std::fs::write(&path, &input).unwrap();
    let cache = open(&path);
    assert_eq!(cache.len(), 1);
    for scope in ["u64max", "huge", "beyond9999"] {
        assert!(
            cache
                .find(&bearer(), &scopes(&[scope]))
                .await
                .unwrap()
                .is_none(),
            "{scope}"
        );
        assert!(cache
            .find_shared(&bearer(), &scopes(&[scope]))
            .await
            .unwrap()
            .is_none());
    }
    // reading does not rewrite the file
    assert_eq!(std::fs::read_to_string(&path).unwrap(), input);
    let hit = cache
        .find(&bearer(), &scopes(&["good"]))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hit.expires_on, UnixTime::from_secs(1_700_003_600));

    cache.store(token(bearer(), &["new"], "new")).await.unwrap();
    assert_eq!(
        access_token_keys(&path),
        [
            access_token_key(&bearer(), &scopes(&["good"])),
            access_token_key(&bearer(), &scopes(&["new"])),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_in_one_process_keep_every_entry() {
    let dir = TempDir::new("threads");
    let path = dir.file("cache.json");
    let mut tasks = Vec::new();
    for writer in 0..4 {
        // separate instances, as separate applications would have
        let cache = Arc::new(open(&path));
        for i in 0..25 {
            let cache = cache.clone();
            tasks.push(tokio::spawn(async move {
                let scope = format!("api://w{writer}-{i}/.default");
                cache
                    .store(token(bearer(), &[scope.as_str()], "t"))
                    .await
                    .unwrap();
            }));
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    let doc = CacheDocument::parse(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(doc.len(), 100);
    let reader = open(&path);
    for writer in 0..4 {
        for i in 0..25 {
            let scope = format!("api://w{writer}-{i}/.default");
            assert!(reader
                .find(&bearer(), &scopes(&[scope.as_str()]))
                .await
                .unwrap()
                .is_some());
        }
    }
}

#[tokio::test]
async fn stale_temporary_files_are_cleaned_up_by_the_next_writer() {
    let dir = TempDir::new("stale");
    let path = dir.file("cache.json");
    std::fs::write(dir.file("cache.json.tmp.99999.0"), "{ half written").unwrap();
    std::fs::write(dir.file("unrelated.tmp.1.0"), "keep me").unwrap();
    let cache = open(&path);
    cache.store(token(bearer(), &["s"], "t")).await.unwrap();
    assert_eq!(
        dir.names(),
        ["cache.json", "cache.json.lock", "unrelated.tmp.1.0"]
    );
}

/// Each corrupt shape: a warning naming the file, the bytes kept aside, an empty working cache.
#[tokio::test]
async fn corrupt_files_are_moved_aside_and_the_cache_starts_empty() {
    capture_logs();
    let cases: [(&str, &[u8]); 6] = [
        ("garbage", b"\x00\x01 this is not json at all"),
        ("truncated", &PYTHON_DOC.as_bytes()[..PYTHON_DOC.len() / 2]),
        ("array", b"[1, 2, 3]"),
        ("wrong-section-type", br#"{"AccessToken": ["tok-x"]}"#),
        (
            "wrong-metadata-type",
            br#"{"AccessToken": {}, "AppMetadata": 7}"#,
        ),
        ("not-utf8", b"{\"AccessToken\": {\"k\xff\": {}}}"),
    ];
    for (name, bytes) in cases {
        let dir = TempDir::new(&format!("corrupt-{name}"));
        let path = dir.file("cache.json");
        std::fs::write(&path, bytes).unwrap();

        let cache = open(&path);
        assert!(cache.is_empty(), "{name}");
        assert!(
            !path.exists(),
            "{name}: the corrupt file is no longer in place"
        );
        let aside: Vec<String> = dir
            .names()
            .into_iter()
            .filter(|n| n.starts_with("cache.json.corrupt-"))
            .collect();
        assert_eq!(aside.len(), 1, "{name}: {:?}", dir.names());
        assert_eq!(std::fs::read(dir.file(&aside[0])).unwrap(), bytes, "{name}");
        let logs = logs();
        let line = logs
            .lines()
            .find(|l| l.contains("WARN") && l.contains(&*path.to_string_lossy()))
            .unwrap_or_else(|| panic!("{name}: no warning for {}: {logs}", path.display()));
        assert!(line.contains("moved aside"), "{line}");
        assert!(!line.contains("tok-x"), "{line}");

        // the cache works afterwards
        cache.store(token(bearer(), &["s"], "fresh")).await.unwrap();
        let hit = cache
            .find(&bearer(), &scopes(&["s"]))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(hit.secret.expose_secret(), "fresh");
        assert!(CacheDocument::parse(&std::fs::read(&path).unwrap()).is_ok());
        // the evidence is still there
        assert_eq!(std::fs::read(dir.file(&aside[0])).unwrap(), bytes, "{name}");
    }
}

#[tokio::test]
async fn corruption_found_by_a_lookup_or_a_write_is_moved_aside_too() {
    capture_logs();
    let dir = TempDir::new("corrupt-later");
    let path = dir.file("cache.json");
    let cache = open(&path);
    cache.store(token(bearer(), &["s"], "t")).await.unwrap();

    // corrupted behind our back, found by a lookup
    std::fs::write(&path, "{\"AccessToken\": {").unwrap();
    assert!(cache
        .find(&bearer(), &scopes(&["s"]))
        .await
        .unwrap()
        .is_none());
    let corrupt = |dir: &TempDir| {
        dir.names()
            .into_iter()
            .filter(|n| n.starts_with("cache.json.corrupt-"))
            .count()
    };
    assert_eq!(corrupt(&dir), 1);

    // corrupted again, found by a write: a second aside file, the first one untouched
    cache.store(token(bearer(), &["s"], "t2")).await.unwrap();
    std::fs::write(&path, "nonsense").unwrap();
    cache.store(token(bearer(), &["s3"], "t3")).await.unwrap();
    assert_eq!(corrupt(&dir), 2, "{:?}", dir.names());
    let doc = CacheDocument::parse(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(doc.len(), 1, "only the token written after the corruption");
    let warnings = logs()
        .lines()
        .filter(|l| l.contains("WARN") && l.contains(&*path.to_string_lossy()))
        .count();
    assert_eq!(warnings, 2);
}

#[tokio::test]
async fn a_directory_in_the_way_is_an_error_not_a_panic() {
    let dir = TempDir::new("dir-in-way");
    let path = dir.file("cache.json");
    std::fs::create_dir(&path).unwrap();
    let err = FileTokenCache::open(&path).unwrap_err();
    assert_eq!(err.code(), "cache_io_error");
    assert!(err.to_string().contains("cache.json"), "{err}");
}

#[test]
fn works_without_a_tokio_runtime_driving_it() {
    // The trait's futures run file work inline when no runtime is present.
    let dir = TempDir::new("no-runtime");
    let path = dir.file("cache.json");
    let cache = open(&path);
    let mut fut = cache.store(token(bearer(), &["s"], "t"));
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    assert!(matches!(
        fut.as_mut().poll(&mut cx),
        std::task::Poll::Ready(Ok(()))
    ));
    assert_eq!(open(&path).len(), 1);
}

#[test]
fn debug_shows_the_path_only() {
    let dir = TempDir::new("debug");
    let cache = FileTokenCache::open(dir.file("c.json")).unwrap();
    let shown = format!("{cache:?}");
    assert!(shown.contains("c.json"), "{shown}");
}
