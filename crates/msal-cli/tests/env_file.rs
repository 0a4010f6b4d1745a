//! Acceptance: an app configured only by the environment that `msal emulator --env-file` wrote
//! gets a Bearer and an mTLS PoP token and calls the resource with each, with no code that
//! mentions the emulator (the `from_env` example of msal-client, run as a real process), and
//! `msal token --from-env` does the same from the command line.

mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// `msal emulator --port 0 --env-file …`, killed (by its own handle) when dropped.
struct RunningEmulator {
    child: Child,
    dir: PathBuf,
    env: HashMap<String, String>,
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl RunningEmulator {
    fn start() -> Self {
        let dir = std::env::temp_dir().join(format!("msal-env-file-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let env_file = dir.join("emulator.env");
        let child = Command::new(env!("CARGO_BIN_EXE_msal"))
            .args(["emulator", "--port", "0", "--out-dir"])
            .arg(&dir)
            .arg("--env-file")
            .arg(&env_file)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut running = RunningEmulator {
            child,
            dir,
            env: HashMap::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while !env_file.exists() {
            assert!(Instant::now() < deadline, "no env file after 60 s");
            if let Some(status) = running.child.try_wait().unwrap() {
                panic!("msal emulator exited early: {status}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        running.env = parse_env_file(&env_file);
        running
    }

    /// `command` with a clean environment: only `PATH` and the env file's variables.
    fn configure<'a>(&self, command: &'a mut Command) -> &'a mut Command {
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(&self.env)
    }
}

/// `KEY='value'` lines, `#` comments, as the shell reads them.
fn parse_env_file(path: &Path) -> HashMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the env file is private");
    }
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|line| {
            let (key, value) = line.split_once('=').expect("KEY=value");
            let value = value
                .strip_prefix('\'')
                .and_then(|v| v.strip_suffix('\''))
                .expect("single-quoted value");
            (key.to_owned(), value.to_owned())
        })
        .collect()
}

fn text(output: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn an_unchanged_app_uses_the_emulator_through_the_env_file() {
    let example = support::example("from_env", &[]);
    let emulator = RunningEmulator::start();
    for key in [
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_CERTIFICATE_PATH",
        "AZURE_AUTHORITY_HOST",
        "MSAL_DEV_MODE",
        "MSAL_DEV_HOST_MAP",
        "MSAL_DEV_EXTRA_ROOTS",
    ] {
        assert!(emulator.env.contains_key(key), "{key} missing");
    }
    let map = &emulator.env["MSAL_DEV_HOST_MAP"];
    for host in [
        "login.microsoftonline.com=",
        "mtlsauth.microsoft.com=",
        "*.mtlsauth.microsoft.com=",
        "mtlstb.graph.microsoft.com=",
    ] {
        assert!(map.contains(host), "{host} not mapped in {map}");
    }
    let output = emulator
        .configure(&mut Command::new(&example))
        .output()
        .unwrap();
    let out = text(&output);
    assert!(output.status.success(), "{out}");
    assert!(
        out.contains("Bearer token from https://login.microsoftonline.com/"),
        "{out}"
    );
    assert!(
        out.contains("mtls_pop token from https://mtlsauth.microsoft.com/"),
        "{out}"
    );
    assert_eq!(
        out.matches("resource answered HTTP 200").count(),
        2,
        "{out}"
    );
    // the development setting is never silent
    assert!(out.contains("MSAL_DEV_MODE is on"), "{out}");

    // the CLI from the same environment
    let output = emulator
        .configure(&mut Command::new(env!("CARGO_BIN_EXE_msal")))
        .args([
            "token",
            "--from-env",
            "--mtls-pop",
            "--scope",
            "https://graph.microsoft.com/.default",
        ])
        .output()
        .unwrap();
    let out = text(&output);
    assert!(output.status.success(), "{out}");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["token_type"], "mtls_pop", "{out}");
    assert_eq!(json["schema_version"], 1, "{out}");
    assert_eq!(
        json["binding_certificate"]["x5t#S256"]
            .as_str()
            .map(str::len),
        Some(43),
        "{out}"
    );
    assert!(json["region"]["used"].is_null(), "{out}");
    let refused = emulator
        .configure(&mut Command::new(env!("CARGO_BIN_EXE_msal")))
        .args(["token", "--from-env", "--client-id", "x", "--scope", "s"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));

    // exit code 4: the service refuses the credential, or the resource (AADSTS500011)
    let rejected = emulator
        .configure(&mut Command::new(env!("CARGO_BIN_EXE_msal")))
        .env("AZURE_CLIENT_ID", "22222222-2222-2222-2222-222222222222")
        .env("AZURE_CLIENT_SECRET", "wrong-secret")
        .args([
            "token",
            "--from-env",
            "--scope",
            "https://graph.microsoft.com/.default",
        ])
        .output()
        .unwrap();
    assert_eq!(rejected.status.code(), Some(4), "{}", text(&rejected));
    assert!(
        text(&rejected).contains("invalid_client"),
        "{}",
        text(&rejected)
    );
    let unknown = emulator
        .configure(&mut Command::new(env!("CARGO_BIN_EXE_msal")))
        .args([
            "token",
            "--from-env",
            "--scope",
            "https://nonexistent.example/.default",
        ])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(4), "{}", text(&unknown));
    assert!(
        text(&unknown).contains("AADSTS500011"),
        "{}",
        text(&unknown)
    );

    // the same environment without MSAL_DEV_MODE: the setting is ignored (and says so), so the
    // app would use the real DNS; nothing is sent here because the certificate path is removed
    let mut off = Command::new(&example);
    emulator
        .configure(&mut off)
        .env_remove("MSAL_DEV_MODE")
        .env_remove("AZURE_CLIENT_CERTIFICATE_PATH");
    let output = off.output().unwrap();
    let out = text(&output);
    assert!(!output.status.success(), "{out}");
    assert!(out.contains("are set but ignored"), "{out}");
    assert!(out.contains("no credential in the environment"), "{out}");
}

/// `msal token --watch`: one JSON line per acquisition, the certificate file re-read when it
/// changes; a broken replacement keeps the last good certificate (and says so on stderr).
#[test]
fn token_watch_keeps_running_on_the_certificate_files() {
    use std::io::BufRead as _;
    let emulator = RunningEmulator::start();
    let env = &emulator.env;
    let cert = emulator.dir.join("watched.pem");
    std::fs::copy(&env["AZURE_CLIENT_CERTIFICATE_PATH"], &cert).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_msal"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .args(["token", "--mtls-pop", "--watch", "1", "--count", "2"])
        .args(["--scope", "https://graph.microsoft.com/.default"])
        .args(["--client-id", &env["AZURE_CLIENT_ID"]])
        .arg("--authority")
        .arg(format!(
            "https://login.microsoftonline.com/{}",
            env["AZURE_TENANT_ID"]
        ))
        .arg("--cert")
        .arg(&cert)
        .args(["--ca-file", &env["MSAL_DEV_EXTRA_ROOTS"]]);
    for entry in env["MSAL_DEV_HOST_MAP"].split(',') {
        command.args(["--resolve", entry.trim()]);
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().expect("a first line").unwrap();
    // half-written replacement: the last good certificate stays in use
    std::fs::write(&cert, "-----BEGIN CERTIFICATE-----\ntruncated").unwrap();
    let second = lines.next().expect("a second line").unwrap();
    assert!(lines.next().is_none(), "--count 2 stops after two");
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let (first, second): (serde_json::Value, serde_json::Value) = (
        serde_json::from_str(&first).unwrap(),
        serde_json::from_str(&second).unwrap(),
    );
    assert_eq!(first["token_type"], "mtls_pop");
    assert_eq!(first["token_source"], "IdentityProvider");
    assert_eq!(second["token_source"], "Cache");
    assert_eq!(
        first["binding_certificate"]["x5t#S256"],
        second["binding_certificate"]["x5t#S256"]
    );
    assert!(
        stderr.contains("the certificate source failed"),
        "the broken file was read and reported: {stderr}"
    );
}
