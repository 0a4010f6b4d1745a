//! The MSAL unified serialized format: keys, field order, interop shapes, preservation of what
//! we do not understand.

use token_cache::{
    access_token_key, ext_cache_key, CacheDocument, CachedAccessToken, Error, PartitionKey,
    PartitionParts, Scopes, SecretString, TokenType, UnixTime,
};

const TENANT: &str = "aaaabbbb-0000-1111-2222-333344445555";
const GRAPH: &str = "https://graph.microsoft.com/.default";

/// An app-only cache as MSAL Python 1.39 writes it after one client-credentials call (the
/// example in `docs/cache.md`).
const PYTHON_DOC: &str = include_str!("fixtures/msal_python_cache.json");

fn scopes(list: &[&str]) -> Scopes {
    Scopes::new(list.iter().copied()).unwrap()
}

fn partition(token_type: TokenType, key_id: Option<&str>) -> PartitionKey {
    PartitionKey::new(PartitionParts {
        environment: "login.microsoftonline.com",
        client_id: "cid1",
        tenant: TENANT,
        token_type,
        key_id,
    })
}

fn secs(secs: u64) -> UnixTime {
    UnixTime::from_secs(secs)
}

/// Tokens → a new document's JSON.
fn serialize<'a>(tokens: impl IntoIterator<Item = &'a CachedAccessToken>) -> SecretString {
    tokens
        .into_iter()
        .cloned()
        .collect::<CacheDocument>()
        .to_json()
}

/// JSON → the tokens served.
fn deserialize(input: &[u8]) -> Result<Vec<CachedAccessToken>, Error> {
    Ok(CacheDocument::parse(input)?.into_access_tokens())
}

fn token(partition: PartitionKey, list: &[&str], secret: &str) -> CachedAccessToken {
    CachedAccessToken {
        partition,
        scopes: scopes(list),
        secret: SecretString::new(secret),
        cached_at: secs(1_700_000_000),
        expires_on: secs(1_700_003_599),
        extended_expires_on: secs(1_700_007_199),
        refresh_on: None,
    }
}

fn value(doc: &CacheDocument) -> serde_json::Value {
    serde_json::from_str(doc.to_json().expose_secret()).unwrap()
}

#[test]
fn reads_the_python_document_and_finds_its_token() {
    let doc = CacheDocument::parse(PYTHON_DOC.as_bytes()).unwrap();
    assert_eq!(doc.len(), 1);
    let hit = doc
        .get(&partition(TokenType::Bearer, None), &scopes(&[GRAPH]))
        .expect("the Python token is found in the Bearer partition");
    assert_eq!(hit.secret.expose_secret(), "eyJ0eXAi...");
    assert_eq!(hit.cached_at, secs(1_700_000_000));
    assert_eq!(hit.expires_on, secs(1_700_003_599));
    assert_eq!(hit.extended_expires_on, secs(1_700_003_599));
    assert_eq!(hit.refresh_on, None);
    // never from a bound partition
    assert!(doc
        .get(&partition(TokenType::MtlsPop, Some("k")), &scopes(&[GRAPH]))
        .is_none());
    assert!(doc
        .get(&partition(TokenType::Bearer, Some("k")), &scopes(&[GRAPH]))
        .is_none());
}

#[test]
fn python_document_round_trips_byte_for_byte() {
    let doc = CacheDocument::parse(PYTHON_DOC.as_bytes()).unwrap();
    assert_eq!(doc.to_json().expose_secret(), PYTHON_DOC);
}

#[test]
fn writes_what_python_writes() {
    // Same token as the Python example: our output is byte-identical.
    let mut t = token(partition(TokenType::Bearer, None), &[GRAPH], "eyJ0eXAi...");
    t.extended_expires_on = t.expires_on;
    let out = serialize([&t]);
    assert_eq!(out.expose_secret(), PYTHON_DOC);
}

#[test]
fn key_construction_matches_msal_python() {
    assert_eq!(
        access_token_key(&partition(TokenType::Bearer, None), &scopes(&[GRAPH])),
        format!("-login.microsoftonline.com-accesstoken-cid1-{TENANT}-{GRAPH}")
    );
    // sorted by code point before lower-casing: ["B","a"] → "B a" → "b a"
    let p = PartitionKey::new(PartitionParts {
        environment: "Login.MicrosoftOnline.com",
        client_id: "CID1",
        tenant: "Contoso",
        token_type: TokenType::Bearer,
        key_id: None,
    });
    assert_eq!(
        access_token_key(&p, &scopes(&["a", "B"])),
        "-login.microsoftonline.com-accesstoken-cid1-contoso-b a"
    );
    let t = token(p, &["a", "B"], "s");
    let v: serde_json::Value = serde_json::from_str(serialize([&t]).expose_secret()).unwrap();
    let entry = &v["AccessToken"]["-login.microsoftonline.com-accesstoken-cid1-contoso-b a"];
    // fields keep their case; target keeps code-point order
    assert_eq!(entry["target"], "B a");
    assert_eq!(entry["client_id"], "CID1");
    assert_eq!(entry["realm"], "Contoso");
    assert_eq!(entry["token_type"], "Bearer");
    // the AppMetadata key is not lower-cased
    assert!(v["AppMetadata"]
        .get("appmetadata-login.microsoftonline.com-CID1")
        .is_some());
}

#[test]
fn bound_entries_use_the_atext_form_with_all_fields_in_order() {
    let mut t = token(
        partition(TokenType::MtlsPop, Some("KeyId1")),
        &[GRAPH],
        "pop",
    );
    t.refresh_on = Some(secs(1_700_001_800));
    let out = serialize([&t]);
    let ext = ext_cache_key(&t.partition).unwrap();
    let key = format!("-login.microsoftonline.com-atext-cid1-{TENANT}-{GRAPH}-{ext}");
    assert_eq!(access_token_key(&t.partition, &t.scopes), key);
    let expected_entry = format!(
        r#"        "{key}": {{
            "credential_type": "AccessToken",
            "secret": "pop",
            "home_account_id": null,
            "environment": "login.microsoftonline.com",
            "client_id": "cid1",
            "target": "{GRAPH}",
            "realm": "{TENANT}",
            "token_type": "mtls_pop",
            "cached_at": "1700000000",
            "expires_on": "1700003599",
            "extended_expires_on": "1700007199",
            "key_id": "KeyId1",
            "ext_cache_key": "{ext}",
            "refresh_on": "1700001800"
        }}"#
    );
    assert!(
        out.expose_secret().contains(&expected_entry),
        "{}",
        out.expose_secret()
    );
}

#[test]
fn ext_cache_key_follows_the_documented_derivation() {
    use base64::Engine as _;
    let p = partition(TokenType::MtlsPop, Some("KeyId1"));
    let input = "6:key_id6:KeyId110:token_type8:mtls_pop";
    let digest = ring::digest::digest(&ring::digest::SHA256, input.as_bytes());
    let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(digest.as_ref())
        .to_lowercase();
    assert_eq!(ext_cache_key(&p).unwrap(), expected);
    // a vector computed with Python's hashlib/base64 (the documented example)
    assert_eq!(
        ext_cache_key(&partition(TokenType::MtlsPop, Some("xYz_SAMPLEx5tS256"))).unwrap(),
        "e43eyjvtovvbygdfnhgxm0d8ihpcaoilwqoc-paxjdo"
    );
    assert_eq!(ext_cache_key(&partition(TokenType::Bearer, None)), None);
    // Bearer over mTLS, PoP without key id, and two certificates: all distinct
    let keys = [
        ext_cache_key(&partition(TokenType::Bearer, Some("KeyId1"))).unwrap(),
        ext_cache_key(&partition(TokenType::MtlsPop, None)).unwrap(),
        ext_cache_key(&partition(TokenType::MtlsPop, Some("KeyId2"))).unwrap(),
        ext_cache_key(&p).unwrap(),
    ];
    for (i, a) in keys.iter().enumerate() {
        for b in &keys[i + 1..] {
            assert_ne!(a, b);
        }
    }
}

#[test]
fn two_certificates_and_a_bearer_entry_coexist() {
    let mut doc = CacheDocument::parse(PYTHON_DOC.as_bytes()).unwrap();
    doc.upsert(token(
        partition(TokenType::MtlsPop, Some("cert1")),
        &[GRAPH],
        "pop1",
    ));
    doc.upsert(token(
        partition(TokenType::MtlsPop, Some("cert2")),
        &[GRAPH],
        "pop2",
    ));
    doc.upsert(token(
        partition(TokenType::Bearer, Some("cert1")),
        &[GRAPH],
        "bearer-mtls1",
    ));
    let reread = CacheDocument::parse(doc.to_json().expose_secret().as_bytes()).unwrap();
    assert_eq!(reread.len(), 4);
    let v = value(&reread);
    assert_eq!(v["AccessToken"].as_object().unwrap().len(), 4);
    let find = |p: PartitionKey| {
        reread
            .get(&p, &scopes(&[GRAPH]))
            .map(|t| t.secret.expose_secret().to_owned())
    };
    assert_eq!(
        find(partition(TokenType::Bearer, None)).as_deref(),
        Some("eyJ0eXAi...")
    );
    assert_eq!(
        find(partition(TokenType::MtlsPop, Some("cert1"))).as_deref(),
        Some("pop1")
    );
    assert_eq!(
        find(partition(TokenType::MtlsPop, Some("cert2"))).as_deref(),
        Some("pop2")
    );
    assert_eq!(
        find(partition(TokenType::Bearer, Some("cert1"))).as_deref(),
        Some("bearer-mtls1")
    );
    assert_eq!(find(partition(TokenType::Bearer, Some("cert2"))), None);
    assert_eq!(find(partition(TokenType::MtlsPop, Some("cert3"))), None);
    assert_eq!(find(partition(TokenType::MtlsPop, None)), None);
    // one AppMetadata entry for the one (environment, client id)
    assert_eq!(v["AppMetadata"].as_object().unwrap().len(), 1);
}

#[test]
fn unknown_sections_entries_and_fields_survive_a_round_trip() {
    let input = format!(
        r#"{{
    "customized": {{"x": [1, 2.5, "é"], "y": null}},
    "AccessToken": {{
        "an unknown entry": {{"whatever": true}},
        "-login.microsoftonline.com-accesstoken-cid1-{TENANT}-{GRAPH}": {{
            "credential_type": "AccessToken",
            "secret": "tok",
            "home_account_id": null,
            "environment": "login.microsoftonline.com",
            "client_id": "cid1",
            "target": "{GRAPH}",
            "realm": "{TENANT}",
            "token_type": "Bearer",
            "cached_at": "1700000000",
            "expires_on": "4000000000",
            "extended_expires_on": "4000000000",
            "custom_field": {{"nested": ["kept"]}},
            "refresh_on": "3000000000"
        }},
        "uid.utid-login.microsoftonline.com-accesstoken-cid1-contoso-s1": {{
            "credential_type": "AccessToken",
            "secret": "user-token",
            "home_account_id": "uid.utid",
            "environment": "login.microsoftonline.com",
            "client_id": "cid1",
            "target": "s1",
            "realm": "contoso",
            "token_type": "Bearer",
            "cached_at": "1",
            "expires_on": "4000000000",
            "extended_expires_on": "4000000000"
        }},
        "-login.microsoftonline.com-atext-cid1-{TENANT}-{GRAPH}-aoqrbmrcxptjshsjlje8ixymwv7j9i5i-7oeadpiqo4": {{
            "credential_type": "AccessToken",
            "secret": "fmi-token",
            "home_account_id": null,
            "environment": "login.microsoftonline.com",
            "client_id": "cid1",
            "target": "{GRAPH}",
            "realm": "{TENANT}",
            "token_type": "Bearer",
            "cached_at": "1",
            "expires_on": "4000000000",
            "extended_expires_on": "4000000000",
            "ext_cache_key": "aoqrbmrcxptjshsjlje8ixymwv7j9i5i-7oeadpiqo4"
        }}
    }},
    "RefreshToken": {{"k": {{"secret": "rt"}}}},
    "AppMetadata": {{"appmetadata-login.microsoftonline.com-cid1": {{"client_id": "cid1", "environment": "login.microsoftonline.com", "family_id": "1"}}}}
}}"#
    );
    let mut doc = CacheDocument::parse(input.as_bytes()).unwrap();
    // only the app-only, non-ext entry is ours
    assert_eq!(doc.len(), 1);
    let ours = doc.access_tokens().next().unwrap();
    assert_eq!(ours.secret.expose_secret(), "tok");
    assert_eq!(ours.refresh_on, Some(secs(3_000_000_000)));

    // unchanged document: semantically identical after a write
    let original: serde_json::Value = serde_json::from_str(&input).unwrap();
    assert_eq!(value(&doc), original);

    // a modification elsewhere keeps everything else, in order
    doc.upsert(token(
        partition(TokenType::MtlsPop, Some("c")),
        &["s"],
        "pop",
    ));
    let out = doc.to_json();
    let text = out.expose_secret();
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(v["customized"], original["customized"]);
    assert_eq!(v["RefreshToken"], original["RefreshToken"]);
    assert_eq!(v["AppMetadata"], original["AppMetadata"], "family_id kept");
    for (k, entry) in original["AccessToken"].as_object().unwrap() {
        assert_eq!(&v["AccessToken"][k], entry, "{k}");
    }
    assert_eq!(v["AccessToken"].as_object().unwrap().len(), 5);
    // order: sections as they were; within our entry, the unknown field stays where it was
    let pos = |s: &str| text.find(s).unwrap();
    assert!(pos("\"customized\"") < pos("\"AccessToken\""));
    assert!(pos("\"RefreshToken\"") < pos("\"AppMetadata\""));
    assert!(pos("\"custom_field\"") < pos("\"refresh_on\": \"3000000000\""));
    assert!(pos("\"an unknown entry\"") < pos("\"uid.utid-"));
    // non-ASCII escaped as Python does
    assert!(text.contains(r#""\u00e9""#));
    assert!(text.is_ascii());
}

#[test]
fn home_account_id_null_empty_or_missing_are_app_tokens() {
    for home in [
        r#""home_account_id": null,"#,
        r#""home_account_id": "","#,
        "",
    ] {
        let input = format!(
            r#"{{"AccessToken": {{"k": {{"credential_type": "AccessToken", "secret": "t", {home}
              "environment": "login.microsoftonline.com", "client_id": "cid1", "target": "s",
              "realm": "{TENANT}", "cached_at": "1", "expires_on": "2"}}}}}}"#
        );
        let tokens = deserialize(input.as_bytes()).unwrap();
        assert_eq!(tokens.len(), 1, "{home}");
        // token_type missing means Bearer; extended_expires_on missing means expires_on
        assert_eq!(tokens[0].partition, partition(TokenType::Bearer, None));
        assert_eq!(tokens[0].extended_expires_on, secs(2));
    }
}

#[test]
fn msal_dotnet_kid_is_read_as_the_key_id() {
    let input = format!(
        r#"{{"AccessToken": {{"k": {{"credential_type": "AccessToken_With_AuthScheme",
          "secret": "t", "environment": "login.microsoftonline.com", "client_id": "cid1",
          "target": "s", "realm": "{TENANT}", "token_type": "mtls_pop", "kid": "K",
          "cached_at": "1", "expires_on": "2"}}}}}}"#
    );
    let tokens = deserialize(input.as_bytes()).unwrap();
    assert_eq!(tokens.len(), 1);
    assert_eq!(
        tokens[0].partition,
        partition(TokenType::MtlsPop, Some("K"))
    );
}

#[test]
fn documents_that_cannot_be_used_are_errors_without_content() {
    for bad in [
        "garbage",
        r#"{"AccessToken": {"k": {"secret": "tok-trunc"#,
        r#"["tok-array"]"#,
        r#""tok-string""#,
        r#"{"AccessToken": ["tok-list"]}"#,
        r#"{"AppMetadata": "tok-str"}"#,
    ] {
        let err = CacheDocument::parse(bad.as_bytes()).unwrap_err();
        assert_eq!(err.code(), "cache_corrupt", "{bad}");
        assert!(!err.to_string().contains("tok-"), "{err}");
    }
    assert!(CacheDocument::parse(b"").unwrap().is_empty());
    assert!(CacheDocument::parse(b" \n").unwrap().is_empty());
    assert!(CacheDocument::parse(b"{}").unwrap().is_empty());
}

#[test]
fn upsert_replaces_remove_removes_and_prune_drops_expired() {
    let mut doc = CacheDocument::new();
    let p = partition(TokenType::Bearer, None);
    doc.upsert(token(p.clone(), &["a"], "one"));
    let mut newer = token(p.clone(), &["a"], "two");
    newer.expires_on = secs(4_000_000_000);
    doc.upsert(newer);
    doc.upsert(token(p.clone(), &["b"], "b"));
    assert_eq!(doc.len(), 2);
    assert_eq!(
        doc.get(&p, &scopes(&["a"])).unwrap().secret.expose_secret(),
        "two"
    );
    assert_eq!(doc.prune_expired(secs(2_000_000_000)), 1);
    assert!(doc.get(&p, &scopes(&["b"])).is_none());
    assert!(doc.remove(&p, &scopes(&["a"])));
    assert!(!doc.remove(&p, &scopes(&["a"])));
    assert!(doc.is_empty());
    let v = value(&doc);
    assert_eq!(v["AccessToken"].as_object().unwrap().len(), 0);
}

#[test]
fn an_entry_under_a_foreign_key_is_rekeyed_on_update() {
    let input = format!(
        r#"{{"AccessToken": {{"old-style-key": {{"credential_type": "AccessToken", "secret": "old",
          "environment": "login.microsoftonline.com", "client_id": "cid1", "target": "{GRAPH}",
          "realm": "{TENANT}", "expires_on": "2"}}}}}}"#
    );
    let mut doc = CacheDocument::parse(input.as_bytes()).unwrap();
    doc.upsert(token(partition(TokenType::Bearer, None), &[GRAPH], "new"));
    let v = value(&doc);
    let section = v["AccessToken"].as_object().unwrap();
    assert_eq!(section.len(), 1);
    let key = access_token_key(&partition(TokenType::Bearer, None), &scopes(&[GRAPH]));
    assert_eq!(section[&key]["secret"], "new");
}

#[test]
fn debug_shows_no_token() {
    let doc = CacheDocument::parse(PYTHON_DOC.as_bytes()).unwrap();
    let shown = format!("{doc:?}");
    assert!(!shown.contains("eyJ0eXAi"), "{shown}");
    assert!(shown.contains("access_tokens: 1"));
}

#[test]
fn foreign_floats_survive_repeated_rewrites() {
    // Found by the cache_file fuzz target: without correctly rounded float parsing a foreign
    // number moved by one unit in the last place on every read/rewrite cycle.
    let input = br#"{"Custom": [2.184467440737095516165, 0.1, 1e300]}"#;
    let first = CacheDocument::parse(input).unwrap().to_json();
    let second = CacheDocument::parse(first.expose_secret().as_bytes())
        .unwrap()
        .to_json();
    assert_eq!(first.expose_secret(), second.expose_secret());
}

#[test]
fn token_types_we_do_not_know_are_kept_untouched_and_not_served() {
    // MSAL.NET's SSH-cert / `pop` (signed HTTP request) tokens: another library's business.
    let pop_entry = format!(
        r#"{{"credential_type": "AccessToken_With_AuthScheme", "secret": "net-pop",
          "environment": "login.microsoftonline.com", "client_id": "cid1", "target": "{GRAPH}",
          "realm": "{TENANT}", "token_type": "pop", "kid": "K", "cached_at": "1", "expires_on": "2"}}"#
    );
    let input = format!(r#"{{"AccessToken": {{"net-pop-key": {pop_entry}}}}}"#);
    let mut doc = CacheDocument::parse(input.as_bytes()).unwrap();
    assert!(doc.is_empty(), "not served");
    for p in [
        partition(TokenType::Bearer, None),
        partition(TokenType::Bearer, Some("K")),
        partition(TokenType::MtlsPop, Some("K")),
    ] {
        assert!(doc.get(&p, &scopes(&[GRAPH])).is_none());
    }
    // kept on rewrite, even though it expired long ago and the document is pruned
    doc.upsert(token(
        partition(TokenType::MtlsPop, Some("K")),
        &[GRAPH],
        "ours",
    ));
    assert_eq!(doc.prune_expired(secs(1_000)), 0);
    let v = value(&doc);
    let original: serde_json::Value = serde_json::from_str(&pop_entry).unwrap();
    assert_eq!(v["AccessToken"]["net-pop-key"], original);
    assert_eq!(v["AccessToken"].as_object().unwrap().len(), 2);
}

#[test]
fn entries_with_impossible_times_are_not_served_and_not_written_back() {
    let entry = |key: &str, scope: &str, field: &str, time: &str| {
        format!(
            r#""{key}": {{"credential_type": "AccessToken", "secret": "tok-{key}",
              "environment": "login.microsoftonline.com", "client_id": "cid1", "target": "{scope}",
              "realm": "{TENANT}", "cached_at": "1", "expires_on": "2", "{field}": {time}}}"#
        )
    };
    let input = format!(
        r#"{{"Custom": 1, "AccessToken": {{{}, {}, {}, {}, {}, {}}}}}"#,
        entry("u64max", "a", "expires_on", r#""18446744073709551615""#),
        entry("huge-number", "b", "expires_on", "9300000000000000000"),
        entry("overflow", "c", "cached_at", r#""99999999999999999999999""#),
        entry("negative", "d", "refresh_on", "-1"),
        entry(
            "beyond9999",
            "e",
            "extended_expires_on",
            r#""253402300800""#
        ),
        entry("good", "f", "refresh_on", r#""253402300799""#),
    );
    let doc = CacheDocument::parse(input.as_bytes()).unwrap();
    assert_eq!(doc.len(), 1);
    let good = doc.access_tokens().next().unwrap();
    assert_eq!(good.secret.expose_secret(), "tok-good");
    assert_eq!(good.refresh_on, Some(UnixTime::MAX));
    for scope in ["a", "b", "c", "d", "e"] {
        assert!(doc
            .get(&partition(TokenType::Bearer, None), &scopes(&[scope]))
            .is_none());
    }
    let v = value(&doc);
    let keys: Vec<&String> = v["AccessToken"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["good"]);
    assert_eq!(v["Custom"], 1);
    // the output reads back the same
    assert_eq!(
        CacheDocument::parse(doc.to_json().expose_secret().as_bytes())
            .unwrap()
            .len(),
        1
    );
}
