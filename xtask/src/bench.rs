//! `cargo xtask bench`: runs the benchmarks of this build side by side in one run and prints
//! one table (figure, median, the command that measured it).
//!
//! * the fleet figures: P processes × T tasks on a cold Redis-backed cache → token requests at
//!   the emulator, and a Redis restart during a fleet run (errors surfaced, requests);
//! * criterion benches: the memory cache hit (`token-cache` `cache`), the facade's cache hit
//!   (`msal-e2e-tests` `acquire_hit`), and a pooled PoP request against a raw hyper POST with
//!   the same rustls configuration (`pop_requests`); their medians are read from criterion's
//!   `estimates.json`;
//! * the facade's own CPU on a PoP acquisition, its exchange answered from a recording
//!   (`facade_cpu`);
//! * the pooled PoP request and the raw POST interleaved in one run (`pop_requests` with
//!   `POP_PAIRED_ROUNDS`), the figure the 1.15 goal is judged by.
//!
//! * the file cache on a 10,000-token file (`token-cache` `cache`: saving one token, opening
//!   the file) and, unless `--no-peers`, MSAL Python on the same file shape
//!   (`tests/peers/msal-python/bench.py`, see [`msal_python`]), with the ratios ours / MSAL
//!   Python.
//!
//! The cache-hit and memory figures with their peers (azure_identity, MSAL Python) come from
//! [`hit`].

mod hit;
mod msal_python;

use std::path::{Path, PathBuf};

/// Criterion's settings for every bench run here.
pub(crate) const CRITERION: &[&str] = &["--warm-up-time", "1", "--measurement-time", "3"];

/// (cargo bench arguments, criterion filter, bench ids to report). An id is criterion's folder
/// under `target/criterion`: the group name with `/` turned into `_`, the function, the input.
const BENCHES: &[(&[&str], &str, &[&str])] = &[
    (
        &["-p", "token-cache", "--bench", "cache"],
        "memory_hit/one_partition",
        &[
            "memory_hit_one_partition/trait_find_shared/1000",
            "memory_hit_one_partition/find_shared/1000",
        ],
    ),
    (
        &["-p", "token-cache", "--bench", "cache"],
        "file_10000_tokens/(store_one|open)",
        &["file_10000_tokens/store_one", "file_10000_tokens/open"],
    ),
    (
        &["-p", "msal-e2e-tests", "--bench", "acquire_hit"],
        "acquire_token_for_client_cache_hit",
        &["acquire_token_for_client_cache_hit/1000"],
    ),
    (
        &["-p", "msal-e2e-tests", "--bench", "pop_requests"],
        "pooled",
        &["pop/pooled_second_request", "raw_hyper/pooled_post"],
    ),
    (
        &["-p", "msal-e2e-tests", "--bench", "facade_cpu"],
        "facade_cpu",
        &["facade_cpu/pop_network_acquisition_without_the_exchange"],
    ),
];

/// One row of the table.
pub(crate) struct Row {
    pub(crate) figure: String,
    pub(crate) value: String,
    pub(crate) command: String,
}

/// Runs the task; `args`: `--fleet P T` (default 8 100), `--fleet-only`, `--no-peers` (no
/// azure_identity or MSAL Python figures), `--hit-only` (only the rows of
/// [`hit`]: the cache hit and memory per token, with their peers), `--file-only` (only the
/// interleaved file rounds against MSAL Python).
pub(crate) fn run(args: &[String], root: &Path, cargo: &str) -> Result<(), String> {
    let mut fleet = (8usize, 100usize);
    let mut fleet_only = false;
    let mut peers = true;
    let mut hit_only = false;
    let mut file_only = false;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--fleet" => {
                let mut number = || rest.next().and_then(|v| v.parse().ok());
                fleet = (
                    number().ok_or("--fleet P T: two numbers")?,
                    number().ok_or("--fleet P T: two numbers")?,
                );
            }
            "--fleet-only" => fleet_only = true,
            "--no-peers" => peers = false,
            "--hit-only" => hit_only = true,
            "--file-only" => file_only = true,
            other => return Err(format!("unexpected argument `{other}`")),
        }
    }
    if hit_only {
        return print_table(&hit::rows(root, cargo, peers)?);
    }
    if file_only {
        return print_table(&msal_python::file_round_rows(root, cargo)?);
    }
    let mut rows = fleet_rows(cargo, fleet)?;
    if !fleet_only {
        for (bench, filter, ids) in BENCHES {
            rows.extend(criterion_rows(root, cargo, bench, filter, ids)?);
        }
        rows.extend(ratio_row(&rows));
        rows.extend(paired_pop_rows(cargo)?);
        if peers {
            let python = msal_python::rows(root, &rows)?;
            rows.extend(python);
            rows.extend(msal_python::file_round_rows(root, cargo)?);
        }
        rows.extend(hit::rows(root, cargo, peers)?);
    }
    print_table(&rows)
}

/// Prints the table.
fn print_table(rows: &[Row]) -> Result<(), String> {
    println!("\n| figure | this build | command |\n|---|---:|---|");
    for row in rows {
        println!(
            "| {} | {} | `{}` |",
            cell(&row.figure),
            cell(&row.value),
            cell(&row.command)
        );
    }
    Ok(())
}

/// `text` as a Markdown table cell: a `|` (a criterion filter such as `(store_one|open)`)
/// would end the cell, so it is escaped (GitHub shows `\|` as `|`, in code spans too).
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// The fleet figures, from the `FIGURE` lines of `tests/tests/redis_fleet.rs`.
fn fleet_rows(cargo: &str, (processes, tasks): (usize, usize)) -> Result<Vec<Row>, String> {
    let args = [
        "test",
        "-p",
        "msal-e2e-tests",
        "--test",
        "redis_fleet",
        "--",
        "--nocapture",
        "--test-threads=1",
    ];
    let command = format!(
        "FLEET_PROCESSES={processes} FLEET_TASKS={tasks} cargo {}",
        args.join(" ")
    );
    eprintln!("==> xtask bench: {command}");
    let output = crate::cargo_command(cargo)
        .args(args)
        .env("FLEET_PROCESSES", processes.to_string())
        .env("FLEET_TASKS", tasks.to_string())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!("the fleet run failed:\n{stdout}"));
    }
    Ok(stdout
        .lines()
        .filter_map(|l| l.find("FIGURE ").map(|at| &l[at + 7..]))
        .map(|figure| {
            let (name, fields) = figure.split_once(' ').unwrap_or((figure, ""));
            Row {
                figure: name.to_owned(),
                value: fields.replace(' ', ", "),
                command: command.clone(),
            }
        })
        .collect())
}

/// Runs one criterion bench and reads the medians of `ids`.
fn criterion_rows(
    root: &Path,
    cargo: &str,
    bench: &[&str],
    filter: &str,
    ids: &[&str],
) -> Result<Vec<Row>, String> {
    let mut args = vec!["bench"];
    args.extend(bench);
    args.push("--");
    args.push(filter);
    args.extend(CRITERION);
    let command = format!("cargo {}", args.join(" "));
    eprintln!("==> xtask bench: {command}");
    let status = crate::cargo_command(cargo)
        .args(&args)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("`{command}` failed"));
    }
    let dir = target_dir(root).join("criterion");
    ids.iter()
        .map(|id| {
            let ns = median_ns(&dir.join(id).join("new/estimates.json"))?;
            Ok(Row {
                figure: (*id).to_owned(),
                value: format_ns(ns),
                command: command.clone(),
            })
        })
        .collect()
}

/// The pooled PoP request over the raw hyper POST of the two criterion runs, when both were
/// measured (drifts with the machine between the runs: [`paired_pop_rows`] is the goal's
/// figure).
fn ratio_row(rows: &[Row]) -> Option<Row> {
    let find = |id: &str| rows.iter().find(|r| r.figure == id);
    let (pop, raw) = (
        find("pop/pooled_second_request")?,
        find("raw_hyper/pooled_post")?,
    );
    let ratio = parse_ns(&pop.value)? / parse_ns(&raw.value)?;
    Some(Row {
        figure: "pooled PoP request / raw hyper POST, two criterion runs".to_owned(),
        value: format!("{ratio:.2}×"),
        command: pop.command.clone(),
    })
}

/// Rounds of the interleaved pooled-PoP measurement (a batch of each side per round).
const PAIRED_ROUNDS: &str = "200";

/// The pooled PoP request and the raw hyper POST interleaved in one run (`pop_requests` with
/// `POP_PAIRED_ROUNDS`): each median, and the median of the rounds' ratios (goal ≤ 1.15).
fn paired_pop_rows(cargo: &str) -> Result<Vec<Row>, String> {
    let command = format!(
        "POP_PAIRED_ROUNDS={PAIRED_ROUNDS} cargo bench -p msal-e2e-tests --bench pop_requests -- paired_only"
    );
    eprintln!("==> xtask bench: {command}");
    // the filter matches no criterion bench: only the interleaved rounds run
    let stdout = stdout_of(
        crate::cargo_command(cargo)
            .args([
                "bench",
                "-p",
                "msal-e2e-tests",
                "--bench",
                "pop_requests",
                "--",
                "paired_only",
            ])
            .env("POP_PAIRED_ROUNDS", PAIRED_ROUNDS),
        &command,
    )?;
    let figure = parse_paired(&stdout).ok_or_else(|| {
        format!("`{command}` printed no FIGURE pooled_pop_over_raw line:\n{stdout}")
    })?;
    let row = |figure: &str, value: String| Row {
        figure: figure.to_owned(),
        value,
        command: command.clone(),
    };
    Ok(vec![
        row(
            "pooled PoP request, interleaved with the raw POST (median of rounds)",
            format!("{:.0} µs", figure.pop_us),
        ),
        row(
            "raw hyper POST, same request, interleaved",
            format!("{:.0} µs", figure.raw_us),
        ),
        row(
            "pooled PoP request / raw hyper POST, interleaved (goal ≤ 1.15)",
            format!("{:.3}×", figure.ratio),
        ),
    ])
}

/// Runs `cmd` (shown as `shown`) and returns its standard output; a failure carries both
/// outputs.
pub(crate) fn stdout_of(cmd: &mut std::process::Command, shown: &str) -> Result<String, String> {
    let output = cmd
        .output()
        .map_err(|e| format!("cannot run `{shown}`: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        return Err(format!(
            "`{shown}` failed:\n{stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(stdout)
}

/// The `FIGURE pooled_pop_over_raw ... pop_us=P raw_us=Q ratio=X` line.
struct Paired {
    pop_us: f64,
    raw_us: f64,
    ratio: f64,
}

fn parse_paired(stdout: &str) -> Option<Paired> {
    let fields = stdout
        .lines()
        .find_map(|l| l.strip_prefix("FIGURE pooled_pop_over_raw "))?;
    let field = |name: &str| -> Option<f64> {
        fields
            .split(' ')
            .find_map(|f| f.strip_prefix(name)?.strip_prefix('='))?
            .parse()
            .ok()
    };
    Some(Paired {
        pop_us: field("pop_us")?,
        raw_us: field("raw_us")?,
        ratio: field("ratio")?,
    })
}

pub(crate) fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

/// Criterion's median point estimate, in nanoseconds.
pub(crate) fn median_ns(path: &Path) -> Result<f64, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    json["median"]["point_estimate"]
        .as_f64()
        .ok_or_else(|| format!("{}: no median", path.display()))
}

pub(crate) fn format_ns(ns: f64) -> String {
    if ns >= 1_000_000.0 {
        format!("{:.2} ms", ns / 1_000_000.0)
    } else if ns >= 1_000.0 {
        format!("{:.2} µs", ns / 1_000.0)
    } else {
        format!("{ns:.0} ns")
    }
}

fn parse_ns(value: &str) -> Option<f64> {
    let (number, unit) = value.split_once(' ')?;
    let number: f64 = number.parse().ok()?;
    let scale = match unit {
        "ms" => 1_000_000.0,
        "µs" => 1_000.0,
        "ns" => 1.0,
        _ => return None,
    };
    Some(number * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interleaved_figure_is_read_and_other_lines_ignored() {
        let out = "Benchmarking...\nFIGURE other ratio=9\n\
                   FIGURE pooled_pop_over_raw rounds=200 batch=20 pop_us=372.5 raw_us=333.3 ratio=1.140\n";
        let paired = parse_paired(out).expect("the line");
        assert_eq!(
            (paired.pop_us, paired.raw_us, paired.ratio),
            (372.5, 333.3, 1.14)
        );
        assert!(parse_paired("FIGURE pooled_pop_over_raw rounds=1 ratio=x\n").is_none());
        assert!(parse_paired("nothing\n").is_none());
    }

    #[test]
    fn pipes_in_cells_are_escaped() {
        assert_eq!(cell("a (b|c) d"), "a (b\\|c) d");
        assert_eq!(cell("plain"), "plain");
    }

    #[test]
    fn durations_round_trip_through_the_table() {
        for ns in [87.0, 1_234.0, 2_500_000.0] {
            let shown = format_ns(ns);
            let back = parse_ns(&shown).unwrap();
            assert!((back - ns).abs() / ns < 0.01, "{ns} → {shown} → {back}");
        }
        assert_eq!(parse_ns("12 parsecs"), None);
    }
}
