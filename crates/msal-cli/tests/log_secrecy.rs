//! Runs the whole demo with every log on (trace level, all crates) as a real process and checks
//! that no access token, assertion, client secret or private key appears in anything it wrote.

use std::process::Command;

/// A JWT: `eyJ` + base64url, a dot, more base64url, a dot (header.payload.).
fn find_jwt(text: &str) -> Option<&str> {
    let is_b64 = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let mut rest = text;
    while let Some(i) = rest.find("eyJ") {
        let candidate = &rest[i..];
        let header_len = candidate
            .find(|c: char| !is_b64(c))
            .unwrap_or(candidate.len());
        if header_len >= 16 && candidate[header_len..].starts_with('.') {
            let after = &candidate[header_len + 1..];
            let payload_len = after.find(|c: char| !is_b64(c)).unwrap_or(after.len());
            if payload_len >= 16 && after[payload_len..].starts_with('.') {
                return Some(&candidate[..(header_len + 1 + payload_len + 1).min(candidate.len())]);
            }
        }
        rest = &rest[i + 3..];
    }
    None
}

#[test]
fn a_full_demo_at_trace_level_leaks_no_secret() {
    let output = Command::new(env!("CARGO_BIN_EXE_msal"))
        .args(["-vv", "demo"])
        .env("RUST_LOG", "trace")
        .output()
        .expect("run msal demo");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "demo failed:\n{stdout}\n{stderr}");
    let all = format!("{stdout}\n{stderr}");
    // The logs really are at trace level and cover the flow.
    assert!(stderr.contains("TRACE"), "no trace output captured");
    assert!(
        stderr.contains("requesting token"),
        "the msal flow is logged"
    );
    assert!(stderr.lines().count() > 100, "expected a verbose log");

    if let Some(jwt) = find_jwt(&all) {
        panic!(
            "a JWT (token or assertion) was printed: {}...",
            &jwt[..jwt.len().min(40)]
        );
    }
    for secret in ["demo-secret-value-not-for-production", "not-the-secret"] {
        assert!(!all.contains(secret), "client secret {secret} was printed");
    }
    for index in 0..entra_emulator::pki::bundled_rsa_key_count() {
        let pem = entra_emulator::pki::bundled_rsa_key_pem(index).unwrap();
        for line in pem
            .lines()
            .filter(|l| l.len() >= 40 && !l.starts_with("-----"))
        {
            assert!(
                !all.contains(line),
                "private key material of bundled key {index} was printed"
            );
        }
    }
    assert!(
        !all.contains("PRIVATE KEY"),
        "a PEM private key was printed"
    );
}

#[test]
fn the_jwt_detector_works() {
    let jwt = "eyJhbGciOiJQUzI1NiJ9.eyJhdWQiOiJodHRwczovL2xvZ2luIn0.c2lnbmF0dXJl";
    assert!(find_jwt(&format!("token={jwt} end")).is_some());
    assert!(find_jwt("eyJhbGciOiJF... (1070 chars, redacted)").is_none());
}
