//! Project automation: `cargo xtask <task>`; `cargo xtask --help` lists the tasks and
//! `cargo xtask <task> --help` describes one.
//!
//! * `ci`: format check, clippy with `-D warnings`, all tests, docs with `-D warnings`, the
//!   crypto graph check and `structure`.
//! * `lint`: everything in `ci` except the tests.
//! * `test`: the test suite only (`cargo test --workspace`, the README's test command).
//! * `interop`: the token-cache interop tests with MSAL Python: creates a virtualenv at
//!   `target/interop-venv`, installs `msal==1.39.0` from PyPI into it, then runs the ignored tests
//!   of `tests/tests/python_interop.rs` with `MSAL_PYTHON` pointing at the venv's interpreter.
//!   Needs `python3` (with the `venv` module) and access to PyPI (or a pip mirror configured the
//!   usual way).
//! * `fuzz [--seconds N]`: every fuzz target of `fuzz/` for N seconds each (libFuzzer on stable,
//!   see `xtask/src/fuzz.rs`); fails on any crash.
//! * `structure [--report-only]`: function and file length limits, module import cycles and
//!   duplicated public paths (see `xtask/src/structure/mod.rs`).
//! * `release [--dry-run] [--skip-semver] [--keep-target]`: proves a release without publishing anywhere
//!   (consistency, MSRV, package, a local registry on loopback, build from the packages,
//!   consumer projects, semver, minimal versions, feature matrix; see `xtask/src/release/mod.rs`
//!   and `docs/releasing.md`).
#![forbid(unsafe_code)]

mod bench;
mod fuzz;
mod release;
mod structure;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// The MSAL Python release the interop tests run against.
const MSAL_PYTHON_VERSION: &str = "1.39.0";

/// The tasks and their one-line descriptions, for `--help`.
const TASKS: &[(&str, &str)] = &[
    (
        "ci",
        "cargo fmt --check, clippy, docs, the tests, crypto graph, structure",
    ),
    (
        "lint",
        "cargo fmt --check, clippy -D warnings, docs -D warnings, crypto graph, structure",
    ),
    ("test", "cargo test --workspace"),
    (
        "interop",
        "token-cache interop tests with MSAL Python 1.39.0 (venv + pip)",
    ),
    (
        "fuzz",
        "every fuzz target for N seconds (--seconds N, --help)",
    ),
    (
        "bench",
        "benchmarks side by side, one table (--fleet P T, --fleet-only, --no-peers, --hit-only, --file-only)",
    ),
    (
        "structure",
        "function/file length limits, import cycles, duplicated public paths",
    ),
    (
        "release",
        "prove a release without publishing (--dry-run, --skip-semver, --help)",
    ),
];

/// (name, cargo arguments, environment)
type Step = (
    &'static str,
    Vec<&'static str>,
    Vec<(&'static str, &'static str)>,
);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((task, rest)) = args.split_first() else {
        eprintln!("{}", usage());
        return ExitCode::FAILURE;
    };
    match task.as_str() {
        "-h" | "--help" | "help" => {
            println!("{}", usage());
            ExitCode::SUCCESS
        }
        "fuzz" => fuzz::run(rest),
        "structure" => structure::run(rest, &workspace_root()),
        "release" => release::run(rest, &workspace_root()),
        "bench" => {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
            match bench::run(rest, &workspace_root(), &cargo) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("xtask bench: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        "ci" | "lint" | "test" | "interop" => simple_task(task, rest),
        other => {
            eprintln!("xtask: unknown task '{other}'\n{}", usage());
            ExitCode::FAILURE
        }
    }
}

/// The list of tasks.
fn usage() -> String {
    let mut text = String::from("usage: cargo xtask <task> [--help]\ntasks:");
    for (name, about) in TASKS {
        text.push_str(&format!("\n  {name:<10} {about}"));
    }
    text
}

/// Runs a task that takes no arguments but `--help`.
fn simple_task(task: &str, args: &[String]) -> ExitCode {
    if let Some(arg) = args.first() {
        let about = TASKS
            .iter()
            .find(|(name, _)| *name == task)
            .map_or("", |(_, about)| *about);
        let help = format!("usage: cargo xtask {task}\n  {about}");
        if matches!(arg.as_str(), "-h" | "--help") {
            println!("{help}");
            return ExitCode::SUCCESS;
        }
        eprintln!("xtask {task}: unexpected argument '{arg}'\n{help}");
        return ExitCode::FAILURE;
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let result = if task == "interop" {
        interop(&cargo)
    } else {
        checks(task, &cargo)
    };
    match result {
        Ok(()) => {
            eprintln!("xtask {task}: all steps passed");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("xtask {task}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The steps of `lint`.
fn lint_steps() -> Vec<Step> {
    vec![
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
    ]
}

/// `ci`, `lint` or `test`: the cargo steps, then (but for `test`) the crypto graph and the
/// structure checks.
fn checks(task: &str, cargo: &str) -> Result<(), String> {
    let test: Vec<Step> = vec![("tests", vec!["test", "--workspace"], vec![])];
    let steps: Vec<Step> = match task {
        "ci" => lint_steps().into_iter().chain(test).collect(),
        "lint" => lint_steps(),
        _ => test,
    };
    for step in steps {
        run_step(task, cargo, step)?;
    }
    if task != "test" {
        check_crypto_graph(cargo)?;
        eprintln!("==> xtask {task}: structure");
        structure::check(&workspace_root())?;
    }
    Ok(())
}

/// Runs one cargo step.
fn run_step(task: &str, cargo: &str, (name, args, envs): Step) -> Result<(), String> {
    eprintln!("==> xtask {task}: {name}: cargo {}", args.join(" "));
    let mut cmd = cargo_command(cargo);
    cmd.args(&args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let status = cmd.status().map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("step `{name}` failed"))
    }
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
    let python = msal_python_venv(&root)?;
    run_interop_tests(cargo, &root, &python)
}

/// The interpreter of the venv at `target/interop-venv`, with the pinned MSAL Python installed
/// (created and installed first when needed). `interop` and `bench` share it.
fn msal_python_venv(root: &Path) -> Result<PathBuf, String> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let venv = target.join("interop-venv");
    let python = if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    };
    install_msal_python(&venv, &python)?;
    Ok(python)
}

/// Creates the venv unless its interpreter exists, installs the pinned MSAL Python into it and
/// checks that the venv now has exactly that version.
fn install_msal_python(venv: &Path, python: &Path) -> Result<(), String> {
    if !python.exists() {
        let base = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned());
        run(
            "create venv",
            Command::new(&base).arg("-m").arg("venv").arg(venv),
        )
        .map_err(|e| format!("{e}; is `{base}` installed with its venv module?"))?;
    }
    let requirement = format!("msal=={MSAL_PYTHON_VERSION}");
    run(
        "pip install",
        Command::new(python).args([
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
    let out = Command::new(python)
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
    Ok(())
}

/// The ignored interop tests: token-cache's file format tests, then the end-to-end ones.
fn run_interop_tests(cargo: &str, root: &Path, python: &Path) -> Result<(), String> {
    run(
        "token-cache file format tests",
        cargo_command(cargo)
            .current_dir(root)
            .args([
                "test",
                "-p",
                "token-cache",
                "--test",
                "msal_python",
                "--",
                "--ignored",
            ])
            .env("TOKEN_CACHE_MSAL_PYTHON", python),
    )?;
    run(
        "tests",
        cargo_command(cargo)
            .current_dir(root)
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
            .env("MSAL_PYTHON", python),
    )
}
