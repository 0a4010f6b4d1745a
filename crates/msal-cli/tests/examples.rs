//! Every flow example of msal-client (`crates/msal/examples`) runs as a real process against
//! its embedded emulator on loopback, exits 0 and prints what it claims. (The `from_env`
//! example runs in `env_file.rs`, against `msal emulator --env-file`.) An example that does
//! not see what it shows (a cache hit, a PoP token) exits non-zero.

mod support;

use std::process::Command;

/// Example, cargo features it needs, lines its output must contain.
const EXAMPLES: &[(&str, &[&str], &[&str])] = &[
    (
        "client_secret",
        &[],
        &["token type:   Bearer", "second call:  Cache"],
    ),
    ("certificate_pem", &[], &["token type:   Bearer"]),
    (
        "certificate_pfx",
        &["pkcs12"],
        &["first token:  Bearer", "second token: mtls_pop"],
    ),
    ("mtls_pop", &[], &["token type:      mtls_pop"]),
    (
        "certificate_rotation",
        &[],
        &[
            "key ids differ: true",
            "emulator saw the new certificate in TLS: true",
            "rotation: ok",
        ],
    ),
    ("file_cache", &["file-cache"], &["second instance:   Cache"]),
    (
        "custom_cache",
        &[],
        &["second call:   Cache", "cache entries: 1"],
    ),
    (
        "azure_core",
        &["azure-core"],
        &["second call: the same token (from the cache)"],
    ),
];

#[test]
fn every_flow_example_runs_against_its_emulator() {
    for (name, features, expected) in EXAMPLES {
        let example = support::example(name, features);
        let output = Command::new(&example)
            // the examples reach only their in-process emulator, never a proxy
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "example {name} failed:\n{stdout}\n{stderr}"
        );
        for line in *expected {
            assert!(
                stdout.contains(line),
                "example {name}: no {line:?} in\n{stdout}"
            );
        }
    }
}
