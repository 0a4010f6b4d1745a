//! Project automation: `cargo xtask <task>`.
//!
//! * `ci`: format check, clippy with `-D warnings`, all tests, docs with `-D warnings`.
//! * `lint`: everything in `ci` except the tests.
//! * `test`: the test suite only (`cargo test --workspace`, the README's test command).
#![forbid(unsafe_code)]

use std::process::{Command, ExitCode};

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
        _ => {
            eprintln!("usage: cargo xtask <ci|lint|test>");
            return ExitCode::FAILURE;
        }
    };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    for (name, args, envs) in steps {
        eprintln!("==> xtask {task}: {name}: cargo {}", args.join(" "));
        let mut cmd = Command::new(&cargo);
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

/// The dependency graph must contain neither OpenSSL nor aws-lc: rustls runs on ring only.
fn check_crypto_graph(cargo: &str) -> Result<(), String> {
    eprintln!("==> crypto graph: cargo tree --workspace --edges normal,build --prefix none");
    let out = Command::new(cargo)
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
