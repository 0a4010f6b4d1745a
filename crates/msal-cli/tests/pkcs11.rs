//! `msal token --pkcs11-module … --pkcs11-token … --pkcs11-key … --cert chain.pem`, run as a
//! real process against the emulator, with the key generated inside a real SoftHSM2 token: a
//! Bearer token (assertion signed by the token) and an mTLS PoP token (handshake signed by the
//! token). And the usage errors for wrong combinations of the flags.

use std::path::PathBuf;
use std::process::{Command, Output};

use entra_emulator::pki::CertRequest;
use msal::pkcs11::Pkcs11Key;
use msal::SecretString;
use msal_e2e_tests::softhsm::{softhsm, KeyKind, SOFTHSM_MODULE, TOKEN_LABEL, USER_PIN};
use msal_e2e_tests::{private_temp_dir, TestEnv, AUTHORITY, SCOPE, SNI_APP, SNI_SUBJECT};

fn msal() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_msal"));
    command
        .env_remove("RUST_LOG")
        .env_remove("MSAL_PKCS11_PIN")
        .env("SOFTHSM2_CONF", &softhsm().conf);
    command
}

fn text(output: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The files the CLI is given: the certificate chain (no key) and the emulator's CA.
struct Files {
    dir: PathBuf,
    chain: PathBuf,
    ca: PathBuf,
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A P-256 key `label` generated in the token and its SN/I certificate from the emulator's CA.
fn files_for(env: &TestEnv, label: &str) -> Files {
    softhsm().generate(KeyKind::EcP256, label);
    let key = Pkcs11Key::builder(SOFTHSM_MODULE)
        .token_label(TOKEN_LABEL)
        .key_label(label)
        .pin(SecretString::new(USER_PIN))
        .open()
        .unwrap();
    let issued = env
        .ca
        .issue_for_public_key(&CertRequest::new(SNI_SUBJECT), &key.public_key_spki_der())
        .unwrap();
    let dir = private_temp_dir("msal-cli-pkcs11");
    let files = Files {
        chain: dir.join("chain.pem"),
        ca: dir.join("ca.pem"),
        dir,
    };
    std::fs::write(&files.chain, &issued.chain_pem).unwrap();
    std::fs::write(&files.ca, env.emulator.ca_certificate_pem()).unwrap();
    files
}

/// `msal token` for the SN/I app with the token key `label`, plus `extra` flags.
fn token(env: &TestEnv, files: &Files, label: &str, extra: &[&str]) -> Command {
    let mut command = msal();
    command
        .args(["token", "--authority", AUTHORITY, "--client-id", SNI_APP])
        .args(["--scope", SCOPE, "--cert"])
        .arg(&files.chain)
        .arg("--pkcs11-module")
        .arg(SOFTHSM_MODULE)
        .args(["--pkcs11-token", TOKEN_LABEL, "--pkcs11-key", label])
        .arg("--ca-file")
        .arg(&files.ca)
        .args(extra);
    for (host, addr) in env.emulator.resolver_entries() {
        command.arg("--resolve").arg(format!("{host}={addr}"));
    }
    command
}

async fn run(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn token_with_a_key_in_softhsm_bearer_and_mtls_pop() {
    let env = TestEnv::start().await;
    let files = files_for(&env, "cli-ec");

    let mut bearer = token(&env, &files, "cli-ec", &["--send-x5c"]);
    bearer.env("MSAL_PKCS11_PIN", USER_PIN);
    let output = run(bearer).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["token_type"], "Bearer", "{json}");
    assert!(
        !text(&output).contains(USER_PIN),
        "the PIN is never printed"
    );

    let mut pop = token(
        &env,
        &files,
        "cli-ec",
        &["--mtls-pop", "--pkcs11-pin-env", "HSM_PIN"],
    );
    pop.env("HSM_PIN", USER_PIN);
    let output = run(pop).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["token_type"], "mtls_pop", "{json}");
    let request = env.emulator.token_requests().pop().unwrap();
    let chain = std::fs::read(&files.chain).unwrap();
    let leaf = msal::ClientCertificate::from_pem_with_signer(
        &chain,
        Pkcs11Key::builder(SOFTHSM_MODULE)
            .token_label(TOKEN_LABEL)
            .key_label("cli-ec")
            .pin(SecretString::new(USER_PIN))
            .open()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        request.client_certificate.as_deref(),
        Some(leaf.leaf_der()),
        "the CLI presented the token key's certificate in TLS"
    );

    // no PIN in the environment: a usage error naming the flag, nothing sent
    let sent = env.emulator.token_requests().len();
    let output = run(token(&env, &files, "cli-ec", &[])).await;
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        text(&output).contains("--pkcs11-pin-env"),
        "{}",
        text(&output)
    );
    assert_eq!(env.emulator.token_requests().len(), sent);

    // a key label the token does not hold: a configuration error (3) with its code
    let mut missing = token(&env, &files, "no-such-key", &[]);
    missing.env("MSAL_PKCS11_PIN", USER_PIN);
    let output = run(missing).await;
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    assert!(
        text(&output).contains("pkcs11_key_not_found")
            || text(&output).contains("private keys match"),
        "{}",
        text(&output)
    );
}

#[test]
fn wrong_combinations_of_the_pkcs11_flags_are_usage_errors() {
    let base = [
        "token",
        "--authority",
        AUTHORITY,
        "--client-id",
        SNI_APP,
        "--scope",
        SCOPE,
    ];
    for (extra, mentions) in [
        // a token label without the module
        (
            &["--cert", "c.pem", "--pkcs11-token", "t"][..],
            "--pkcs11-module",
        ),
        // the module without --cert
        (
            &[
                "--pkcs11-module",
                "m.so",
                "--pkcs11-token",
                "t",
                "--pkcs11-key",
                "k",
            ][..],
            "--cert",
        ),
        // the module without a key label
        (
            &[
                "--cert",
                "c.pem",
                "--pkcs11-module",
                "m.so",
                "--pkcs11-token",
                "t",
            ][..],
            "--pkcs11-key",
        ),
        // the module with a key file or a PKCS#12 file
        (
            &[
                "--cert",
                "c.pem",
                "--key",
                "k.pem",
                "--pkcs11-module",
                "m.so",
                "--pkcs11-token",
                "t",
                "--pkcs11-key",
                "k",
            ][..],
            "--key",
        ),
        (
            &[
                "--pfx",
                "c.pfx",
                "--pkcs11-module",
                "m.so",
                "--pkcs11-token",
                "t",
                "--pkcs11-key",
                "k",
            ][..],
            "--pfx",
        ),
    ] {
        let output = msal().args(base).args(extra).output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(2),
            "{extra:?}: {}",
            text(&output)
        );
        assert!(
            String::from_utf8_lossy(&output.stderr).contains(mentions),
            "{extra:?} names {mentions}: {}",
            text(&output)
        );
    }
}
