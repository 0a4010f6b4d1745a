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
    let output = msal(&[
        "token",
        "--authority",
        "https://login.microsoftonline.com/aaaabbbb-0000-1111-2222-333344445555",
        "--client-id",
        "c",
        "--secret-env",
        "MSAL_EXIT_TEST_SECRET",
        "--scope",
        "https://graph.microsoft.com/.default",
        "--resolve",
        &format!("login.microsoftonline.com=127.0.0.1:{port}"),
    ]);
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
}

#[test]
fn a_stalled_server_times_out_after_the_connect_timeout_as_transient() {
    // a loopback listener that never accepts: TCP connects (backlog), TLS never answers
    let stalled = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = stalled.local_addr().unwrap();
    let started = std::time::Instant::now();
    let output = msal(&[
        "token",
        "--authority",
        "https://login.microsoftonline.com/aaaabbbb-0000-1111-2222-333344445555",
        "--client-id",
        "c",
        "--secret-env",
        "MSAL_EXIT_TEST_SECRET",
        "--scope",
        "https://graph.microsoft.com/.default",
        "--connect-timeout",
        "1",
        "--resolve",
        &format!("login.microsoftonline.com={addr}"),
    ]);
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("--connect-timeout"),
        "{}",
        stderr(&output)
    );
    // one attempt, no retry after a timeout: about a second, far below the 10 s default
    assert!(
        started.elapsed() < std::time::Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    drop(stalled);
}
