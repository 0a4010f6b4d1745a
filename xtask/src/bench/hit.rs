//! The cache-hit and memory figures of `cargo xtask bench`, with their peers in the same run:
//!
//! * azure_identity's cache hit next to the facade's (`tests/peers/azure-identity`, its own
//!   workspace: azure_identity is never part of a default build); `--no-peers` skips it;
//! * memory per cached token (`token-cache` bench `memory`, a counting allocator) next to
//!   MSAL Python's (`tests/peers/msal-python/memory.py`, `tracemalloc`, in the venv
//!   `cargo xtask interop` uses), for the same tokens.

use std::path::Path;
use std::process::Command;

use super::{format_ns, median_ns, target_dir, Row, CRITERION};

/// The tokens of the memory figures, and the secret lengths: a JWT-sized one and a short one
/// (what the cache itself costs).
const MEMORY_TOKENS: &str = "100000";
const SECRET_LENGTHS: [&str; 2] = ["1500", "16"];

/// The criterion ids of the peer bench (`tests/peers/azure-identity/benches/hit.rs`).
const PEER_IDS: [&str; 3] = [
    "cache_hit/azure_identity_get_token",
    "cache_hit/msal_acquire_token_for_client",
    "cache_hit/msal_token_credential",
];

/// The rows: the peer hit bench (unless `peers` is false), then the memory figures (with MSAL
/// Python's unless `peers` is false).
pub(crate) fn rows(root: &Path, cargo: &str, peers: bool) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    if peers {
        rows.extend(peer_hit_rows(root, cargo)?);
    }
    rows.extend(memory_rows(root, cargo, peers)?);
    Ok(rows)
}

/// azure_identity's hit and ours, one criterion run, and their ratio (goal ≤ 0.7).
fn peer_hit_rows(root: &Path, cargo: &str) -> Result<Vec<Row>, String> {
    let manifest = root.join("tests/peers/azure-identity/Cargo.toml");
    let target = target_dir(root);
    let mut args = vec!["bench", "--manifest-path"];
    let manifest_arg = manifest.display().to_string();
    args.push(&manifest_arg);
    args.extend(["--bench", "hit", "--", "cache_hit"]);
    args.extend(CRITERION);
    let command = "cargo bench --manifest-path tests/peers/azure-identity/Cargo.toml --bench hit -- cache_hit --warm-up-time 1 --measurement-time 3";
    eprintln!("==> xtask bench: {command}");
    // the peer workspace shares this build's target directory (and criterion's folder in it)
    let status = crate::cargo_command(cargo)
        .args(&args)
        .env("CARGO_TARGET_DIR", &target)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!(
            "`{command}` failed (run with --no-peers to skip the azure_identity bench)"
        ));
    }
    let mut medians = Vec::new();
    for id in PEER_IDS {
        medians.push(median_ns(
            &target.join("criterion").join(id).join("new/estimates.json"),
        )?);
    }
    let mut rows: Vec<Row> = PEER_IDS
        .iter()
        .zip(&medians)
        .map(|(id, ns)| Row {
            figure: (*id).to_owned(),
            value: format_ns(*ns),
            command: command.to_owned(),
        })
        .collect();
    rows.push(Row {
        figure: "facade hit / azure_identity hit (goal ≤ 0.7)".to_owned(),
        value: format!("{:.2}×", medians[1] / medians[0]),
        command: command.to_owned(),
    });
    Ok(rows)
}

/// Memory per token, ours and (with `peers`) MSAL Python's, per secret length, with ratios.
fn memory_rows(root: &Path, cargo: &str, peers: bool) -> Result<Vec<Row>, String> {
    let mut args = vec![
        "bench",
        "-p",
        "token-cache",
        "--bench",
        "memory",
        "--",
        MEMORY_TOKENS,
    ];
    args.extend(SECRET_LENGTHS);
    let command = format!("cargo {}", args.join(" "));
    eprintln!("==> xtask bench: {command}");
    let ours = figures(crate::cargo_command(cargo).args(&args), &command)?;
    let python = if peers {
        let python = crate::msal_python_venv(root)?;
        let script = root.join("tests/peers/msal-python/memory.py");
        let mut cmd = Command::new(&python);
        cmd.arg(&script).arg(MEMORY_TOKENS).args(SECRET_LENGTHS);
        figures(&mut cmd, "python tests/peers/msal-python/memory.py")?
    } else {
        Vec::new()
    };
    let python_command = format!(
        "target/interop-venv/bin/python tests/peers/msal-python/memory.py {MEMORY_TOKENS} {}",
        SECRET_LENGTHS.join(" ")
    );
    let mut rows = Vec::new();
    for (len, bytes) in &ours {
        rows.push(Row {
            figure: format!("memory per cached token, {MEMORY_TOKENS} tokens, {len}-char secret"),
            value: format!("{bytes} B"),
            command: command.clone(),
        });
        let Some((_, peer)) = python.iter().find(|(l, _)| l == len) else {
            continue;
        };
        rows.push(Row {
            figure: format!("MSAL Python, same tokens, {len}-char secret"),
            value: format!("{peer} B"),
            command: python_command.clone(),
        });
        rows.push(Row {
            figure: format!("memory per token / MSAL Python's, {len}-char secret (goal ≤ 0.6)"),
            value: format!("{:.3}×", *bytes as f64 / (*peer).max(1) as f64),
            command: format!("{command}; {python_command}"),
        });
    }
    Ok(rows)
}

/// Runs `cmd` and reads its `FIGURE memory_per_token secret_len=L tokens=N bytes=B` lines as
/// (L, B).
fn figures(cmd: &mut Command, shown: &str) -> Result<Vec<(String, i64)>, String> {
    let stdout = super::stdout_of(cmd, shown)?;
    let found = parse_figures(&stdout);
    if found.is_empty() {
        return Err(format!("`{shown}` printed no FIGURE line:\n{stdout}"));
    }
    Ok(found)
}

/// The (secret length, bytes) of each `FIGURE memory_per_token` line.
fn parse_figures(stdout: &str) -> Vec<(String, i64)> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("FIGURE memory_per_token "))
        .filter_map(|fields| {
            let field = |name: &str| {
                fields
                    .split(' ')
                    .find_map(|f| f.strip_prefix(name)?.strip_prefix('='))
            };
            Some((
                field("secret_len")?.to_owned(),
                field("bytes")?.parse().ok()?,
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figure_lines_are_read_and_other_lines_ignored() {
        let out =
            "Compiling...\nFIGURE memory_per_token secret_len=1500 tokens=100000 bytes=1747\n\
                   FIGURE memory_per_token secret_len=16 tokens=100000 bytes=263\n\
                   FIGURE memory_per_token secret_len=16 tokens=1 bytes=lots\nFIGURE other x=1\n";
        assert_eq!(
            parse_figures(out),
            [("1500".to_owned(), 1747), ("16".to_owned(), 263)]
        );
    }
}
