//! The fuzz targets of msal for Rust, as plain functions over arbitrary bytes.
//!
//! Each `fuzz_targets/<name>.rs` binary hands libFuzzer's input to the function of the same
//! name. A target must never panic, hang or exhaust memory on any input: every such finding is
//! a bug in the library under test, not in the harness. Besides "does not panic", the targets
//! check a few properties the libraries promise (documented on each function); a failed
//! property is a panic and so a finding too.
//!
//! Run them with `cargo xtask fuzz --seconds N` (see `docs/reliability.md`).

mod acquisition;
mod resource_verifier;

use std::time::{Duration, UNIX_EPOCH};

pub use acquisition::acquisition;
pub use resource_verifier::resource_verifier;

use oauth2_core::{
    ClientCertificate, ErrorResponse, SecretString, SigningAlgorithm, TokenResponse,
};
use token_cache::{CacheDocument, UnixTime};

/// The password the `certificate` target tries PKCS#12 input with (the fixtures' password, so
/// the seed files decrypt and the fuzzer reaches the key and certificate parsers).
pub const PKCS12_PASSWORD: &str = "password";

/// The names of the targets, as the binaries and the seed folders are called.
pub const TARGETS: &[&str] = &[
    "token_response",
    "cache_file",
    "certificate",
    "jwt_verifier",
    "acquisition",
    "resource_verifier",
];

/// Runs target `name` on `data`; `false` for an unknown name.
pub fn run(name: &str, data: &[u8]) -> bool {
    match name {
        "token_response" => token_response(data),
        "cache_file" => cache_file(data),
        "certificate" => certificate(data),
        "jwt_verifier" => jwt_verifier(data),
        "acquisition" => acquisition(data),
        "resource_verifier" => resource_verifier(data),
        _ => return false,
    }
    true
}

/// `TokenResponse::parse` and `ErrorResponse::parse` on a response body.
///
/// Properties: an accepted token response has a non-empty access token, and its `Debug` output
/// does not show the access token.
pub fn token_response(data: &[u8]) {
    if let Ok(response) = TokenResponse::parse(data) {
        let token = response.access_token.expose_secret().to_owned();
        assert!(
            !token.is_empty(),
            "TokenResponse::parse accepted an empty access_token"
        );
        let shown = format!("{response:?}");
        // The same response with a placeholder token: if the token text appears in the real
        // Debug output but not in this one, it came from the token field.
        let placeholder = TokenResponse {
            access_token: SecretString::new("\u{1}"),
            ..response.clone()
        };
        let baseline = format!("{placeholder:?}");
        assert!(
            !shown.contains(&token) || baseline.contains(&token),
            "TokenResponse's Debug output shows the access token"
        );
    }
    if let Some(error) = ErrorResponse::parse(data) {
        let _ = format!("{error:?}");
    }
}

/// `CacheDocument::parse` on a cache file, then a write/re-read round trip.
///
/// Properties: whatever parses is written back as JSON that parses again to a document with
/// the same tokens, and writing that second document gives the same text (serialisation is
/// stable: floats included, since serde_json's `float_roundtrip` is on); pruning and writing
/// again also re-reads.
pub fn cache_file(data: &[u8]) {
    let Ok(mut doc) = CacheDocument::parse(data) else {
        return;
    };
    let written = doc.to_json();
    let again = match CacheDocument::parse(written.expose_secret().as_bytes()) {
        Ok(again) => again,
        Err(e) => panic!("the cache's own output does not parse again: {e}"),
    };
    assert_eq!(
        again.len(),
        doc.len(),
        "a round trip changed the number of tokens"
    );
    assert!(
        again.to_json().expose_secret() == written.expose_secret(),
        "writing a re-read document gives different text"
    );
    for (a, b) in doc.access_tokens().zip(again.access_tokens()) {
        assert!(
            a.partition == b.partition
                && a.scopes == b.scopes
                && a.expires_on == b.expires_on
                && a.cached_at == b.cached_at
                && a.secret.expose_secret() == b.secret.expose_secret(),
            "a round trip changed a token"
        );
    }
    doc.prune_expired(UnixTime::from_secs(1_700_000_000));
    if let Err(e) = CacheDocument::parse(doc.to_json().expose_secret().as_bytes()) {
        panic!("the pruned cache does not parse again: {e}");
    }
}

/// `ClientCertificate::from_pem` on the input, `from_pem_parts` on the input split at its
/// first NUL byte (certificate PEM before, key PEM after), and `from_pkcs12` with
/// [`PKCS12_PASSWORD`]. Loaded certificates are used: accessors, validity, and a signature.
pub fn certificate(data: &[u8]) {
    use_certificate(ClientCertificate::from_pem(data));
    let split = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let key = data.get(split + 1..).unwrap_or_default();
    use_certificate(ClientCertificate::from_pem_parts(&data[..split], key));
    use_certificate(ClientCertificate::from_pkcs12(data, PKCS12_PASSWORD));
}

fn use_certificate(loaded: Result<ClientCertificate, oauth2_core::Error>) {
    let cert = match loaded {
        Ok(cert) => cert,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let _ = (
        cert.x5t(),
        cert.x5t_s256(),
        cert.x5c(),
        cert.subject(),
        cert.issuer(),
    );
    let _ = (cert.thumbprint_sha1_hex(), cert.thumbprint_sha256_hex());
    let _ = (cert.not_before(), cert.not_after(), cert.tls_chain());
    let _ = cert.check_validity_at(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
    let _ = format!("{cert:?}");
    let alg = match cert.key_algorithm() {
        oauth2_core::KeyAlgorithm::Rsa => SigningAlgorithm::Ps256,
        oauth2_core::KeyAlgorithm::EcdsaP256 => SigningAlgorithm::Es256,
        _ => SigningAlgorithm::Es384,
    };
    let _ = cert.sign(alg, b"fuzz");
}

/// The Entra emulator's client-assertion parsing and verification
/// (`entra_emulator::fuzz_parse_jwt`).
pub fn jwt_verifier(data: &[u8]) {
    entra_emulator::fuzz_parse_jwt(data);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every committed seed runs through its target without panicking (no instrumentation
    /// needed: `cargo test --manifest-path fuzz/Cargo.toml`).
    #[test]
    fn seeds_do_not_panic() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
        for target in TARGETS {
            let dir = root.join(target);
            let mut n = 0;
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                let data = std::fs::read(&path).unwrap();
                assert!(run(target, &data), "{target}");
                n += 1;
            }
            assert!(n > 0, "no seeds in {}", dir.display());
        }
    }
}
