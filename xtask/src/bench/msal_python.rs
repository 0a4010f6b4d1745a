//! The MSAL Python side of `cargo xtask bench`: runs `tests/peers/msal-python/bench.py` (MSAL
//! Python pinned as `cargo xtask interop` pins it, in the same venv) in the same run as our
//! benches, prints its figures and the ratios ours / MSAL Python.

use std::path::Path;
use std::process::Command;

use super::{format_ns, median_ns, parse_ns, stdout_of, target_dir, Row, CRITERION};

/// Our figures compared with MSAL Python's: (our criterion id, the script's field, the ratio's
/// figure text).
const RATIOS: &[(&str, &str, &str)] = &[
    (
        "file_10000_tokens/store_one",
        "save_ns",
        "file save, 10,000 tokens: ours / MSAL Python serialize + write, one run each",
    ),
    (
        "file_10000_tokens/open",
        "open_ns",
        "file open, 10,000 tokens: ours / MSAL Python read + deserialize, one run each",
    ),
    (
        "acquire_token_for_client_cache_hit/1000",
        "hit_ns",
        "facade cache hit: ours / MSAL Python acquire_token_for_client from the cache",
    ),
];

/// MSAL Python's rows and the ratios to `ours` (the rows measured so far in this run).
pub(super) fn rows(root: &Path, ours: &[Row]) -> Result<Vec<Row>, String> {
    let python = crate::msal_python_venv(root)?;
    let script = root.join("tests/peers/msal-python/bench.py");
    let command = "python tests/peers/msal-python/bench.py (target/interop-venv)".to_owned();
    eprintln!("==> xtask bench: {command}");
    let output = Command::new(&python)
        .arg(&script)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if !output.status.success() {
        return Err(format!(
            "the MSAL Python bench failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    rows_from(stdout.lines().last().unwrap_or_default(), ours, &command)
}

/// Rounds of the interleaved file comparison.
const FILE_ROUNDS: usize = 7;

/// The file figures, ours and MSAL Python's, in [`FILE_ROUNDS`] interleaved rounds (our
/// criterion bench, then the script with `--file-only`), and the median of each round's ratio
/// (the goals' figures: a drift of the machine between the two sides of one round is smaller
/// than between two runs a minute apart).
pub(super) fn file_round_rows(root: &Path, cargo: &str) -> Result<Vec<Row>, String> {
    let python = crate::msal_python_venv(root)?;
    let script = root.join("tests/peers/msal-python/bench.py");
    let criterion_dir = target_dir(root).join("criterion/file_10000_tokens");
    let ours_command = format!(
        "cargo bench -p token-cache --bench cache -- 'file_10000_tokens/(store_one|open)' {}",
        CRITERION.join(" ")
    );
    let python_command = "python tests/peers/msal-python/bench.py --file-only";
    let command = format!("{FILE_ROUNDS} rounds of: {ours_command}; {python_command}");
    eprintln!("==> xtask bench: {command}");
    let (mut save, mut open) = (Vec::new(), Vec::new());
    for _ in 0..FILE_ROUNDS {
        stdout_of(
            crate::cargo_command(cargo)
                .args(["bench", "-p", "token-cache", "--bench", "cache", "--"])
                .arg("file_10000_tokens/(store_one|open)")
                .args(CRITERION),
            &ours_command,
        )?;
        let our_save = median_ns(&criterion_dir.join("store_one/new/estimates.json"))?;
        let our_open = median_ns(&criterion_dir.join("open/new/estimates.json"))?;
        let line = stdout_of(
            Command::new(&python).arg(&script).arg("--file-only"),
            python_command,
        )?;
        let figures: serde_json::Value = serde_json::from_str(line.trim())
            .map_err(|e| format!("`{python_command}` printed {line:?}: {e}"))?;
        let field = |name: &str| {
            figures[name]
                .as_f64()
                .filter(|ns| *ns > 0.0)
                .ok_or_else(|| format!("`{python_command}` gave no `{name}`"))
        };
        save.push(our_save / field("save_ns")?);
        open.push(our_open / field("open_ns")?);
    }
    let row = |figure: &str, ratios: &mut Vec<f64>| {
        ratios.sort_by(f64::total_cmp);
        let each: Vec<String> = ratios.iter().map(|r| format!("{r:.2}")).collect();
        Row {
            figure: figure.to_owned(),
            value: format!(
                "{:.2}× (rounds: {})",
                ratios[ratios.len() / 2],
                each.join(", ")
            ),
            command: command.clone(),
        }
    };
    Ok(vec![
        row(
            "file save, 10,000 tokens: ours / MSAL Python, median of interleaved rounds (goal ≤ 0.33)",
            &mut save,
        ),
        row(
            "file open, 10,000 tokens: ours / MSAL Python, median of interleaved rounds (goal ≤ 0.5)",
            &mut open,
        ),
    ])
}

/// The rows for the script's output `line`, and the ratios to `ours`.
fn rows_from(line: &str, ours: &[Row], command: &str) -> Result<Vec<Row>, String> {
    let command = command.to_owned();
    let figures: serde_json::Value = serde_json::from_str(line)
        .map_err(|e| format!("the MSAL Python bench printed {line:?}: {e}"))?;
    let field = |name: &str| {
        figures[name]
            .as_f64()
            .ok_or_else(|| format!("the MSAL Python bench gave no `{name}`"))
    };
    let version = figures["msal_version"].as_str().unwrap_or("?");
    let mut rows = vec![];
    for (name, what) in [
        (
            "save_ns",
            "save one token into a 10,000-token file (serialize + write, no fsync)",
        ),
        ("open_ns", "open that file (read + deserialize)"),
        ("hit_ns", "acquire_token_for_client from the cache"),
    ] {
        rows.push(Row {
            figure: format!("MSAL Python {version}: {what}"),
            value: format_ns(field(name)?),
            command: command.clone(),
        });
    }
    rows.push(Row {
        figure: format!(
            "MSAL Python {version}: memory per cached token ({} tokens, {}-character secrets, tracemalloc)",
            field("memory_tokens")?,
            field("memory_secret_len")?
        ),
        value: format!("{} B", field("memory_per_token_bytes")?),
        command: command.clone(),
    });
    for (id, name, figure) in RATIOS {
        let Some(our) = ours.iter().find(|r| r.figure == *id) else {
            continue;
        };
        let Some(our_ns) = parse_ns(&our.value) else {
            continue;
        };
        rows.push(Row {
            figure: (*figure).to_owned(),
            value: format!("{:.2}×", our_ns / field(name)?),
            command: format!("{} + {command}", our.command),
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_divide_our_figures_by_msal_pythons() {
        let ours = [
            Row {
                figure: "file_10000_tokens/store_one".to_owned(),
                value: "50.00 ms".to_owned(),
                command: "cargo bench".to_owned(),
            },
            Row {
                figure: "file_10000_tokens/open".to_owned(),
                value: "30.00 ms".to_owned(),
                command: "cargo bench".to_owned(),
            },
        ];
        let line = r#"{"msal_version": "1.39.0", "tokens": 10000, "file_bytes": 1, "save_ns": 200000000, "add_ns": 1, "open_ns": 120000000, "hit_ns": 30000, "memory_tokens": 100000, "memory_secret_len": 1500, "memory_per_token_bytes": 2900}"#;
        let rows = rows_from(line, &ours, "python bench.py").unwrap();
        let value = |prefix: &str| {
            rows.iter()
                .find(|r| r.figure.starts_with(prefix))
                .map(|r| r.value.clone())
                .unwrap_or_else(|| panic!("no row {prefix}"))
        };
        assert_eq!(value("file save"), "0.25×");
        assert_eq!(value("file open"), "0.25×");
        assert_eq!(value("MSAL Python 1.39.0: open"), "120.00 ms");
        assert_eq!(value("MSAL Python 1.39.0: memory"), "2900 B");
        // no facade figure of ours in this run: no ratio for it
        assert!(!rows.iter().any(|r| r.figure.starts_with("facade")));
        assert!(rows_from("Traceback (most recent call last)", &ours, "x").is_err());
        assert!(rows_from(r#"{"msal_version": "1"}"#, &ours, "x").is_err());
    }
}
