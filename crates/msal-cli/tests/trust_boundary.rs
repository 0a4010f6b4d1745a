//! The `msal` binary at its trust boundary: no token over plain HTTP (item 4), no secret echoed
//! and no world-readable key or secret file (item 7).

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "tok-Zq8vX3-plain-http-test-token";

fn msal(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_msal"));
    cmd.args(args).env_remove("RUST_LOG");
    cmd
}

/// A fresh folder under the system temp folder.
fn temp_dir(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("msal-cli-{what}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(output: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs `msal call <url> <extra> --token-from -` with [`TOKEN`] on standard input.
fn call(url: &str, extra: &[&str]) -> Output {
    let mut child = msal(&["call", url, "--token-from", "-"])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The refusals come before the token is read: standard input may be closed unread.
    let _ = child.stdin.take().unwrap().write_all(TOKEN.as_bytes());
    child.wait_with_output().unwrap()
}

/// A loopback listener that notices any connection.
fn listener() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!(
        "http://{}/v1.0/applications",
        listener.local_addr().unwrap()
    );
    (listener, url)
}

fn assert_nothing_connected(listener: &TcpListener) {
    let e = listener.accept().map(|_| ()).unwrap_err();
    assert_eq!(
        e.kind(),
        std::io::ErrorKind::WouldBlock,
        "a connection was made"
    );
}

#[test]
fn item4_call_refuses_mtls_pop_without_cert() {
    let (listener, url) = listener();
    let https = url.replace("http://", "https://");
    for extra in [&[][..], &["--scheme", "mtls_pop"]] {
        let output = call(&https, extra);
        let all = text(&output);
        assert_eq!(output.status.code(), Some(2), "{all}");
        assert!(all.contains("--scheme mtls_pop needs --cert"), "{all}");
        assert!(!all.contains(TOKEN), "{all}");
    }
    assert_nothing_connected(&listener);
}

#[test]
fn item4_call_refuses_plain_http_without_the_flag() {
    let (listener, url) = listener();
    let output = call(&url, &["--scheme", "Bearer"]);
    let all = text(&output);
    assert_eq!(output.status.code(), Some(2), "{all}");
    assert!(all.contains("pass --allow-insecure-loopback"), "{all}");
    assert!(all.contains("(insecure_url)"), "{all}");
    assert_nothing_connected(&listener);

    let output = call(
        "http://192.0.2.1/",
        &["--scheme", "Bearer", "--allow-insecure-loopback"],
    );
    let all = text(&output);
    assert_eq!(output.status.code(), Some(2), "{all}");
    assert!(all.contains("not a loopback address"), "{all}");
}

#[test]
fn item4_call_sends_bearer_to_loopback_with_the_flag() {
    let (listener, url) = listener();
    listener.set_nonblocking(false).unwrap();
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let mut request = Vec::new();
        let mut buf = [0u8; 1024];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = conn.read(&mut buf).unwrap();
            assert!(n > 0, "connection closed early");
            request.extend_from_slice(&buf[..n]);
        }
        conn.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
            .unwrap();
        String::from_utf8(request).unwrap()
    });
    let output = call(&url, &["--scheme", "Bearer", "--allow-insecure-loopback"]);
    assert!(output.status.success(), "{}", text(&output));
    let request = server.join().unwrap().to_ascii_lowercase();
    assert!(
        request.contains(&format!(
            "authorization: bearer {}",
            TOKEN.to_ascii_lowercase()
        )),
        "{request}"
    );
}

/// Runs `msal token` with a secret given where a variable name belongs.
fn token_with(flag_args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = msal(&[
        "token",
        "--authority",
        "https://login.microsoftonline.com/aaaabbbb-0000-1111-2222-333344445555",
        "--client-id",
        "11111111-1111-1111-1111-111111111111",
        "--scope",
        "https://graph.microsoft.com/.default",
    ]);
    cmd.args(flag_args);
    for (name, value) in env {
        cmd.env(name, value);
    }
    cmd.output().unwrap()
}

#[test]
fn item7_cli_never_echoes_secret_env_value() {
    for secret in [
        "Sup3r~S3cret.Value/with+chars",
        "-Leading-hyphen-S3cret",
        "MSAL_CLI_UNSET_VARIABLE_7Q",
    ] {
        for (flag, extra) in [
            ("--secret-env", &[][..]),
            ("--password-env", &["--pfx", "/nonexistent/app.pfx"][..]),
        ] {
            let mut args = vec![flag, secret];
            args.extend_from_slice(extra);
            let output = token_with(&args, &[]);
            let all = text(&output);
            assert_eq!(output.status.code(), Some(2), "{all}");
            assert!(!all.contains(secret), "{flag} value echoed: {all}");
            assert!(
                all.contains(&format!("environment variable named by {flag}")),
                "{all}"
            );
        }
    }
    // A set but empty variable is refused the same way.
    let output = token_with(&["--secret-env", "MSAL_EMPTY"], &[("MSAL_EMPTY", "")]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
}

/// The mode bits of `path`.
#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[test]
fn item7_emulator_secret_files_are_private() {
    let dir = temp_dir("emulator-files");
    // A file left world-readable by an older version is replaced, not reused.
    let secret_path = dir.join("app-22222222.secret");
    std::fs::write(&secret_path, "old").unwrap();
    assert_eq!(
        mode(&secret_path) & 0o044,
        0o044,
        "umask too strict for this test"
    );

    let mut child = msal(&["emulator", "--port", "0", "--out-dir"])
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    let ready = lines.any(|l| l.unwrap().starts_with("Press Ctrl-C") || Instant::now() > deadline);
    let key_path = dir.join("app-11111111.pem");
    let checks = std::panic::catch_unwind(|| {
        assert!(ready, "the emulator did not start");
        assert_eq!(mode(&key_path), 0o600);
        assert!(std::fs::read_to_string(&key_path)
            .unwrap()
            .contains("PRIVATE KEY"));
        assert_eq!(mode(&secret_path), 0o600);
        assert_ne!(std::fs::read_to_string(&secret_path).unwrap(), "old");
        // The CA certificate is public.
        assert!(dir.join("emulator-ca.pem").exists());
    });
    child.kill().unwrap();
    child.wait().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    if let Err(panic) = checks {
        std::panic::resume_unwind(panic);
    }
}
