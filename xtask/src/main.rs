//! Project automation: `cargo xtask <task>`.
//!
//! * `ci`: format check, clippy with `-D warnings`, all tests, docs with `-D warnings`.
//! * `lint`: everything in `ci` except the tests.
//! * `test`: the test suite only (`cargo test --workspace`, the README's test command).
//! * `interop`: the token-cache interop tests with MSAL Python: creates a virtualenv at
//!   `target/interop-venv`, installs `msal==1.39.0` from PyPI into it, then runs the ignored tests
//!   of `tests/tests/python_interop.rs` with `MSAL_PYTHON` pointing at the venv's interpreter.
//!   Needs `python3` (with the `venv` module) and access to PyPI (or a pip mirror configured the
//!   usual way).
//! * `fuzz [--seconds N]`: every fuzz target of `fuzz/` for N seconds each (libFuzzer on stable,
//!   see `xtask/src/fuzz.rs`); fails on any crash.
#![forbid(unsafe_code)]

mod fuzz;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// The MSAL Python release the interop tests run against.
const MSAL_PYTHON_VERSION: &str = "1.39.0";

/// (name, cargo arguments, environment)
type Step = (
    &'static str,
    Vec<&'static str>,
    Vec<(&'static str, &'static str)>,
);

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let lint: Vec<Step> = vec![
        ("format", vec!["fmt", "--all", "--", "--check"], vec![]),
        (
            "clippy",
            vec![
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
            vec![],
        ),
        (
            "docs",
            vec!["doc", "--workspace", "--no-deps"],
            vec![("RUSTDOCFLAGS", "-D warnings")],
        ),
    ];
    let test: Vec<Step> = vec![("tests", vec!["test", "--workspace"], vec![])];
    let steps: Vec<Step> = match task.as_str() {
        "ci" => lint.into_iter().chain(test).collect(),
        "lint" => lint,
        "test" => test,
        "fuzz" => {
            let args: Vec<String> = std::env::args().skip(2).collect();
            return fuzz::run(&args);
        }
        "interop" => {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
            return match interop(&cargo) {
                Ok(()) => {
                    eprintln!("xtask interop: all steps passed");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("xtask interop: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        _ => {
            eprintln!("usage: cargo xtask <ci|lint|test|interop|fuzz [--seconds N]>");
            return ExitCode::FAILURE;
        }
    };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    for (name, args, envs) in steps {
        eprintln!("==> xtask {task}: {name}: cargo {}", args.join(" "));
        let mut cmd = cargo_command(&cargo);
        cmd.args(&args);
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let status = match cmd.status() {
            Ok(s) => s,
            Err(e) => {
                eprintln!("xtask: cannot run cargo: {e}");
                return ExitCode::FAILURE;
            }
        };
        if !status.success() {
            eprintln!("xtask {task}: step `{name}` failed");
            return ExitCode::FAILURE;
        }
    }
    if task != "test" {
        if let Err(e) = check_crypto_graph(&cargo) {
            eprintln!("xtask {task}: {e}");
            return ExitCode::FAILURE;
        }
    }
    eprintln!("xtask {task}: all steps passed");
    ExitCode::SUCCESS
}

/// A `cargo` command without the package variables `cargo run` gave this process
/// (`CARGO_PKG_NAME=xtask`, `CARGO_MANIFEST_DIR`, ...). Build scripts such as ring's declare
/// `rerun-if-env-changed` on those names, so passing them on would rerun those scripts and rebuild
/// their dependents on every xtask run, and again on the next plain `cargo` run.
fn cargo_command(cargo: &str) -> Command {
    let mut cmd = Command::new(cargo);
    for (name, _) in std::env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        if name.starts_with("CARGO_PKG_")
            || name.starts_with("CARGO_MANIFEST_")
            || matches!(
                name,
                "CARGO_CRATE_NAME" | "CARGO_BIN_NAME" | "CARGO_PRIMARY_PACKAGE"
            )
        {
            cmd.env_remove(name);
        }
    }
    cmd
}

/// The dependency graph must contain neither OpenSSL nor aws-lc: rustls runs on ring only.
fn check_crypto_graph(cargo: &str) -> Result<(), String> {
    eprintln!("==> crypto graph: cargo tree --workspace --edges normal,build --prefix none");
    let out = cargo_command(cargo)
        .args([
            "tree",
            "--workspace",
            "--edges",
            "normal,build,dev",
            "--prefix",
            "none",
        ])
        .output()
        .map_err(|e| format!("cannot run cargo tree: {e}"))?;
    if !out.status.success() {
        return Err("cargo tree failed".to_owned());
    }
    let tree = String::from_utf8_lossy(&out.stdout);
    let forbidden: Vec<&str> = tree
        .lines()
        .filter(|l| {
            let name = l.split_whitespace().next().unwrap_or_default();
            name.starts_with("openssl") || name.starts_with("aws-lc")
        })
        .collect();
    if !forbidden.is_empty() {
        return Err(format!(
            "forbidden crypto crates in the graph: {forbidden:?}"
        ));
    }
    if !tree.lines().any(|l| l.starts_with("ring ")) {
        return Err("ring is not in the dependency graph".to_owned());
    }
    eprintln!("    no openssl, no aws-lc; ring present");
    Ok(())
}

/// The workspace root (the parent of this crate's directory).
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_path_buf()
}

/// Runs `cmd`, echoing it first; an error says which step failed and how.
fn run(step: &str, cmd: &mut Command) -> Result<(), String> {
    eprintln!("==> xtask interop: {step}: {cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| format!("step `{step}`: cannot start {:?}: {e}", cmd.get_program()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("step `{step}` failed ({status})"))
    }
}

/// `cargo xtask interop`: venv + `pip install msal==1.39.0`, then the Python interop tests.
fn interop(cargo: &str) -> Result<(), String> {
    let root = workspace_root();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let venv = target.join("interop-venv");
    let python = if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    };

    if !python.exists() {
        let base = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned());
        run(
            "create venv",
            Command::new(&base).arg("-m").arg("venv").arg(&venv),
        )
        .map_err(|e| format!("{e}; is `{base}` installed with its venv module?"))?;
    }
    let requirement = format!("msal=={MSAL_PYTHON_VERSION}");
    run(
        "pip install",
        Command::new(&python).args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--quiet",
            &requirement,
        ]),
    )
    .map_err(|e| format!("{e}; pip could not install {requirement} (is PyPI reachable?)"))?;

    // The installed version must be the pinned one, whatever the venv held before.
    let out = Command::new(&python)
        .args(["-c", "import msal; print(msal.__version__)"])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    let installed = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if !out.status.success() || installed != MSAL_PYTHON_VERSION {
        return Err(format!(
            "the venv at {} has msal {installed:?}, expected {MSAL_PYTHON_VERSION}: {}",
            venv.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    eprintln!("    MSAL Python {installed} in {}", venv.display());

    run(
        "token-cache file format tests",
        cargo_command(cargo)
            .current_dir(&root)
            .args([
                "test",
                "-p",
                "token-cache",
                "--test",
                "msal_python",
                "--",
                "--ignored",
            ])
            .env("TOKEN_CACHE_MSAL_PYTHON", &python),
    )?;
    run(
        "tests",
        cargo_command(cargo)
            .current_dir(&root)
            .args([
                "test",
                "-p",
                "msal-e2e-tests",
                "--test",
                "python_interop",
                "--",
                "--ignored",
                "--test-threads=1",
            ])
            .env("MSAL_PYTHON", &python),
    )
}
