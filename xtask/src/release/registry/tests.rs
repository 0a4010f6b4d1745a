use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpStream;

use super::index::{index_dep, index_line, index_path, sha256_hex, CRATES_IO_INDEX};
use super::publish::{encode, parse, NewDep};
use super::{download_path, LocalRegistry};

#[test]
fn index_paths_follow_cargos_prefix_layout() {
    assert_eq!(index_path("a").as_deref(), Some("1/a"));
    assert_eq!(index_path("ab").as_deref(), Some("2/ab"));
    assert_eq!(index_path("abc").as_deref(), Some("3/a/abc"));
    assert_eq!(index_path("abcd").as_deref(), Some("ab/cd/abcd"));
    assert_eq!(
        index_path("Msal-Client").as_deref(),
        Some("ms/al/msal-client")
    );
    assert_eq!(
        index_path("token_cache").as_deref(),
        Some("to/ke/token_cache")
    );
}

#[test]
fn index_paths_refuse_names_that_could_leave_the_index() {
    for bad in ["", "../x", "a/b", "a.b", "é", &"x".repeat(65)] {
        assert_eq!(index_path(bad), None, "{bad:?}");
    }
}

fn publish_json() -> serde_json::Value {
    serde_json::json!({
        "name": "msal-client", "vers": "0.1.0", "description": "d", "license": "MIT",
        "authors": [], "keywords": [], "categories": [], "badges": {},
        "links": null, "rust_version": "1.95",
        "features": { "default": ["pkcs12"], "pkcs12": ["dep:p12-keystore", "core?/pkcs12"], "x": [] },
        "deps": [
            { "name": "msal-oauth2-core", "version_req": "^0.1.0", "features": [], "optional": false,
              "default_features": false, "target": null, "kind": "normal",
              "registry": CRATES_IO_INDEX, "explicit_name_in_toml": "core" },
            { "name": "tokio", "version_req": "^1.47", "features": ["rt"], "optional": true,
              "default_features": true, "target": "cfg(unix)", "kind": "dev",
              "registry": CRATES_IO_INDEX },
            { "name": "other", "version_req": "=2.0.0", "features": [], "optional": false,
              "default_features": true, "target": null, "kind": "build" }
        ]
    })
}

#[test]
fn publish_bodies_are_two_length_prefixed_chunks() {
    let json = publish_json().to_string();
    let body = encode(json.as_bytes(), b"crate bytes");
    let parsed = parse(&body).unwrap();
    assert_eq!(parsed.meta.name, "msal-client");
    assert_eq!(parsed.meta.vers, "0.1.0");
    assert_eq!(parsed.meta.deps.len(), 3);
    assert_eq!(parsed.crate_file, b"crate bytes");
}

#[test]
fn malformed_publish_bodies_are_refused() {
    let json = publish_json().to_string();
    let body = encode(json.as_bytes(), b"crate bytes");
    assert!(parse(&body[..3]).unwrap_err().contains("truncated"));
    assert!(parse(&body[..body.len() - 1])
        .unwrap_err()
        .contains("announces"));
    let mut longer = body.clone();
    longer.push(0);
    assert!(parse(&longer).unwrap_err().contains("after the .crate"));
    let bad_json = encode(b"{", b"");
    assert!(parse(&bad_json).unwrap_err().contains("metadata"));
    let bad_name = publish_json().to_string().replace("msal-client", "../evil");
    assert!(parse(&encode(bad_name.as_bytes(), b""))
        .unwrap_err()
        .contains("name"));
    let bad_version = publish_json().to_string().replace("\"0.1.0\"", "\"one\"");
    assert!(parse(&encode(bad_version.as_bytes(), b""))
        .unwrap_err()
        .contains("version"));
}

fn deps() -> Vec<NewDep> {
    serde_json::from_value(publish_json()["deps"].clone()).unwrap()
}

#[test]
fn renamed_dependencies_keep_the_toml_key_as_name_and_the_package_apart() {
    let deps = deps();
    let dep = index_dep(&deps[0], &BTreeSet::new());
    assert_eq!(dep.name, "core");
    assert_eq!(dep.package.as_deref(), Some("msal-oauth2-core"));
    assert_eq!(dep.req, "^0.1.0");
    assert!(!dep.default_features);
    let dep = index_dep(&deps[1], &BTreeSet::new());
    assert_eq!(dep.name, "tokio");
    assert_eq!(dep.package, None);
    assert_eq!(dep.features, ["rt"]);
    assert!(dep.optional);
    assert_eq!(dep.target.as_deref(), Some("cfg(unix)"));
    assert_eq!(dep.kind, "dev");
}

#[test]
fn crates_io_dependencies_name_crates_io_except_the_stand_in_ones() {
    let deps = deps();
    let stand_in: BTreeSet<String> = ["msal-oauth2-core".to_owned()].into();
    // A workspace crate: it will live on crates.io beside its dependent, so here it is local.
    assert_eq!(index_dep(&deps[0], &stand_in).registry, None);
    assert_eq!(
        index_dep(&deps[0], &BTreeSet::new()).registry.as_deref(),
        Some(CRATES_IO_INDEX)
    );
    // Anything else stays on crates.io.
    assert_eq!(
        index_dep(&deps[1], &stand_in).registry.as_deref(),
        Some(CRATES_IO_INDEX)
    );
    // No registry in the request: the registry published to.
    assert_eq!(index_dep(&deps[2], &stand_in).registry, None);
}

#[test]
fn index_lines_carry_checksum_features2_and_rust_version() {
    let body = encode(publish_json().to_string().as_bytes(), b"abc");
    let parsed = parse(&body).unwrap();
    let line = index_line(&parsed.meta, &sha256_hex(b"abc"), &BTreeSet::new());
    let value = serde_json::to_value(&line).unwrap();
    assert_eq!(
        value["cksum"],
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(value["yanked"], false);
    assert_eq!(value["links"], serde_json::Value::Null);
    assert_eq!(value["rust_version"], "1.95");
    assert_eq!(value["v"], 2);
    assert_eq!(
        value["features"],
        serde_json::json!({ "default": ["pkcs12"], "x": [] })
    );
    assert_eq!(
        value["features2"],
        serde_json::json!({ "pkcs12": ["dep:p12-keystore", "core?/pkcs12"] })
    );
    assert_eq!(value["deps"][0]["name"], "core");
    assert_eq!(value["deps"][0]["package"], "msal-oauth2-core");
    assert!(value["deps"][1].get("package").is_none());
}

#[test]
fn download_paths_are_checked() {
    assert_eq!(
        download_path("/api/v1/crates/Foo-bar/1.2.3/download"),
        Some(("foo-bar".to_owned(), "1.2.3".to_owned()))
    );
    assert_eq!(download_path("/api/v1/crates/../1.2.3/download"), None);
    assert_eq!(download_path("/api/v1/crates/foo/latest/download"), None);
    assert_eq!(download_path("/api/v1/crates/foo/1.2.3"), None);
}

/// Sends one HTTP request to `registry` and returns the status and the body.
fn request(registry: &LocalRegistry, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(registry.addr()).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let status = String::from_utf8_lossy(&response[9..12]).parse().unwrap();
    (status, response[split + 4..].to_vec())
}

#[test]
fn the_server_publishes_indexes_and_serves_downloads_on_loopback() {
    let dir = std::env::temp_dir().join(format!("xtask-registry-test-{}", std::process::id()));
    let registry = LocalRegistry::start(&dir, BTreeSet::new()).unwrap();
    assert!(registry.addr().ip().is_loopback());
    assert!(registry.index_url().starts_with("sparse+http://127.0.0.1:"));

    let (status, config) = request(&registry, "GET", "/index/config.json", b"");
    assert_eq!(status, 200);
    let config: serde_json::Value = serde_json::from_slice(&config).unwrap();
    assert_eq!(config["api"], format!("http://{}", registry.addr()));
    assert_eq!(
        request(&registry, "GET", "/index/ms/al/msal-client", b"").0,
        404
    );

    let body = encode(publish_json().to_string().as_bytes(), b"the crate");
    let (status, answer) = request(&registry, "PUT", "/api/v1/crates/new", &body);
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&answer).contains("invalid_categories"));
    let (status, index) = request(&registry, "GET", "/index/ms/al/msal-client", b"");
    assert_eq!(status, 200);
    let line: serde_json::Value = serde_json::from_slice(index.trim_ascii_end()).unwrap();
    assert_eq!(line["vers"], "0.1.0");
    assert_eq!(line["cksum"], sha256_hex(b"the crate"));
    let download = "/api/v1/crates/msal-client/0.1.0/download";
    assert_eq!(
        request(&registry, "GET", download, b""),
        (200, b"the crate".to_vec())
    );

    let (status, again) = request(&registry, "PUT", "/api/v1/crates/new", &body);
    assert_eq!(status, 400);
    assert!(String::from_utf8_lossy(&again).contains("already uploaded"));
    assert_eq!(
        request(&registry, "GET", "/index/../../etc/passwd", b"").0,
        404
    );
    registry.stop();
    std::fs::remove_dir_all(&dir).unwrap();
}
