//! The exit codes of README's table, one test each (4, credential rejected, needs the emulator:
//! it is in `env_file.rs`; 1 is covered by the unit tests of `exit`).

use std::process::{Command, Output};

fn msal(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_msal"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("MSAL_EXIT_TEST_SECRET", "not-a-real-secret")
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn usage_is_2() {
    let output = msal(&["token", "--scope", "https://graph.microsoft.com/.default"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("--authority"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn configuration_is_3_and_names_the_variable() {
    let output = msal(&[
        "token",
        "--from-env",
        "--scope",
        "https://graph.microsoft.com/.default",
    ]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("AZURE_TENANT_ID"),
        "{}",
        stderr(&output)
    );
    let output = msal(&[
        "token",
        "--authority",
        "https://login.microsoftonline.com/t",
        "--client-id",
        "c",
        "--cert",
        "/nonexistent/app.pem",
        "--scope",
        "https://graph.microsoft.com/.default",
    ]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("/nonexistent/app.pem"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn transient_is_5() {
    // a loopback port nobody listens on: the connection is refused (then retried once)
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let resolve = format!("login.microsoftonline.com=127.0.0.1:{port}");
    let output = secret_token(&["--resolve", &resolve]);
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
}

#[test]
fn a_stalled_server_times_out_after_the_connect_timeout_as_transient() {
    let started = std::time::Instant::now();
    let output = stalled_token(&["--connect-timeout", "1"]);
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("--connect-timeout"),
        "{}",
        stderr(&output)
    );
    // a step under two seconds prints no progress line
    assert!(
        !stderr(&output).contains("still waiting"),
        "{}",
        stderr(&output)
    );
    // one attempt, no retry after a timeout: about a second, far below the 10 s default
    assert!(
        started.elapsed() < std::time::Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn watch_needs_certificate_files_and_count_needs_watch() {
    for extra in [&["--watch", "5"][..], &["--count", "2"], &["--watch", "0"]] {
        let output = secret_token(extra);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{extra:?}: {}",
            stderr(&output)
        );
        assert!(stderr(&output).contains("--watch"), "{}", stderr(&output));
    }
}

/// `msal token` with a secret for a well-formed app, plus `extra` flags.
fn secret_token(extra: &[&str]) -> Output {
    let mut args = vec![
        "token",
        "--authority",
        "https://login.microsoftonline.com/aaaabbbb-0000-1111-2222-333344445555",
        "--client-id",
        "c",
        "--secret-env",
        "MSAL_EXIT_TEST_SECRET",
        "--scope",
        "https://graph.microsoft.com/.default",
    ];
    args.extend_from_slice(extra);
    msal(&args)
}

/// [`secret_token`] against a loopback listener that never accepts: TCP connects (backlog),
/// TLS never answers.
fn stalled_token(extra: &[&str]) -> Output {
    let stalled = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let resolve = format!(
        "login.microsoftonline.com={}",
        stalled.local_addr().unwrap()
    );
    let mut args = vec!["--resolve", resolve.as_str()];
    args.extend_from_slice(extra);
    let output = secret_token(&args);
    drop(stalled);
    output
}

#[test]
fn a_step_over_two_seconds_prints_a_progress_line_on_stderr() {
    let output = stalled_token(&["--connect-timeout", "3"]);
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("msal: still waiting for the token request (2s;"),
        "{err}"
    );
    assert!(output.stdout.is_empty(), "progress never goes to stdout");
}

#[test]
fn flags_that_do_not_apply_to_a_secret_are_usage_errors_naming_them() {
    for (flags, named) in [
        (
            &["--password-env", "MSAL_EXIT_TEST_SECRET"][..],
            "--password-env",
        ),
        (&["--send-x5c"][..], "--send-x5c"),
    ] {
        let output = stalled_token(flags);
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        let err = stderr(&output);
        assert!(
            err.contains(named) && err.contains("flag_not_applicable"),
            "{err}"
        );
        assert!(!err.contains("not-a-real-secret"), "{err}");
    }
}

#[test]
fn a_pfx_without_password_env_names_the_flag() {
    // a password-protected PKCS#12 file of oauth2-core's fixtures (password "password")
    let pfx = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../oauth2-core/tests/fixtures/leaf.p12");
    let output = msal(&[
        "token",
        "--authority",
        "https://login.microsoftonline.com/aaaabbbb-0000-1111-2222-333344445555",
        "--client-id",
        "c",
        "--pfx",
        pfx.to_str().unwrap(),
        "--scope",
        "https://graph.microsoft.com/.default",
    ]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("pass --password-env VAR"), "{err}");
}
