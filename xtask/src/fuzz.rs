//! `cargo xtask fuzz`: builds the libFuzzer targets of `fuzz/` with coverage instrumentation on
//! the stable toolchain and runs each for a fixed time.
//!
//! `cargo fuzz` needs nightly only for its sanitizer flags (`-Zsanitizer=…`). The coverage
//! instrumentation libFuzzer feeds on is LLVM's SanitizerCoverage pass, which stable `rustc`
//! runs with `-C passes=sancov-module` and `-C llvm-args=-sanitizer-coverage-…`; libFuzzer itself
//! is compiled from C++ by the `libfuzzer-sys` crate. So this task builds the targets the way
//! `cargo fuzz build --sanitizer none` does, without nightly and without `cargo-fuzz`, into
//! `fuzz/target/`, and runs each binary with `-max_total_time`.
//!
//! Per target: new interesting inputs go to `fuzz/corpus/<target>/` (kept between runs, not
//! committed), the committed seeds in `fuzz/seeds/<target>/` are read too, findings are written
//! to `fuzz/artifacts/<target>/` and libFuzzer's log to `fuzz/target/logs/<target>.log`.
//! Executions and crashes (crash, timeout, out-of-memory) are printed per target; the task
//! fails if any target crashed or could not be built. libFuzzer stops a target at its first
//! finding, so a target reports at most one crash per run.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The targets: binary name (= seed and corpus folder name) and dictionary file in `fuzz/dicts`.
const TARGETS: &[(&str, &str)] = &[
    ("token_response", "json.dict"),
    ("cache_file", "json.dict"),
    ("certificate", "pem.dict"),
    ("jwt_verifier", "jwt.dict"),
    ("acquisition", "json.dict"),
    ("resource_verifier", "verifier.dict"),
];

/// Seconds per target when `--seconds` is not given.
const DEFAULT_SECONDS: u64 = 30;
/// One input running longer than this is a finding (a hang).
const INPUT_TIMEOUT_SECS: u64 = 10;
/// Memory limit (resident set, and any single allocation) in MiB; above it is a finding.
const RSS_LIMIT_MB: u64 = 2048;

/// SanitizerCoverage flags, as `cargo fuzz build --sanitizer none` passes them, plus debug
/// assertions and overflow checks (an overflow is a finding). `--cfg fuzzing` is left out on
/// purpose: the libraries are fuzzed as they ship.
const RUSTFLAGS: &[&str] = &[
    "-Cpasses=sancov-module",
    "-Cllvm-args=-sanitizer-coverage-level=4",
    "-Cllvm-args=-sanitizer-coverage-inline-8bit-counters",
    "-Cllvm-args=-sanitizer-coverage-pc-table",
    "-Cllvm-args=-sanitizer-coverage-trace-compares",
    "-Cdebug-assertions",
    "-Coverflow-checks",
];

const USAGE: &str = "usage: cargo xtask fuzz [--seconds N] [--target NAME]... [--list]
  --seconds N    run each target for N seconds (default 30)
  --target NAME  run only this target (repeatable); targets: token_response, cache_file,
                 certificate, jwt_verifier, acquisition, resource_verifier
  --list         print the target names and exit";

#[derive(Debug)]
struct Options {
    seconds: u64,
    targets: Vec<&'static str>,
}

/// What one target's run produced.
#[derive(Debug, Default)]
struct Outcome {
    executions: Option<u64>,
    exec_per_sec: Option<u64>,
    coverage: Option<u64>,
    corpus: Option<u64>,
    /// Finding files libFuzzer wrote during this run.
    findings: Vec<PathBuf>,
    /// Set when the run failed for another reason (could not start, unexpected exit).
    error: Option<String>,
}

/// Runs `cargo xtask fuzz`; `args` are the arguments after `fuzz` (a leading `fuzz` is
/// skipped too).
pub(crate) fn run(args: &[String]) -> ExitCode {
    let args = match args.first() {
        Some(first) if first == "fuzz" => &args[1..],
        _ => args,
    };
    let options = match parse_args(args) {
        Ok(Some(options)) => options,
        Ok(None) => return ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask fuzz: {e}\n{USAGE}");
            return ExitCode::FAILURE;
        }
    };
    match fuzz(&options) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("xtask fuzz: {e}");
            ExitCode::FAILURE
        }
    }
}

fn parse_args(args: &[String]) -> Result<Option<Options>, String> {
    let mut seconds = DEFAULT_SECONDS;
    let mut targets = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--seconds" => {
                let value = it.next().ok_or("--seconds needs a value")?;
                seconds = value
                    .parse()
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or_else(|| format!("--seconds: '{value}' is not a positive integer"))?;
            }
            "--target" => {
                let value = it.next().ok_or("--target needs a value")?;
                let name = TARGETS
                    .iter()
                    .map(|(name, _)| *name)
                    .find(|name| name == value)
                    .ok_or_else(|| format!("unknown target '{value}'"))?;
                if !targets.contains(&name) {
                    targets.push(name);
                }
            }
            "--list" => {
                for (name, _) in TARGETS {
                    println!("{name}");
                }
                return Ok(None);
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(None);
            }
            other => return Err(format!("unexpected argument '{other}'")),
        }
    }
    if targets.is_empty() {
        targets = TARGETS.iter().map(|(name, _)| *name).collect();
    }
    Ok(Some(Options { seconds, targets }))
}

/// Builds and runs the targets; `Ok(false)` when a target crashed or failed.
fn fuzz(options: &Options) -> Result<bool, String> {
    let root = workspace_root()?;
    let fuzz_dir = root.join("fuzz");
    let host = host_triple()?;
    let target_dir = fuzz_dir.join("target");
    build_targets(&fuzz_dir, &target_dir, &host, &options.targets)?;

    let bin_dir = target_dir.join(&host).join("release");
    let log_dir = target_dir.join("logs");
    fs::create_dir_all(&log_dir)
        .map_err(|e| format!("cannot create {}: {e}", log_dir.display()))?;
    let mut results = Vec::new();
    for name in &options.targets {
        eprintln!("==> xtask fuzz: {name} for {} s", options.seconds);
        let outcome = run_target(&fuzz_dir, &bin_dir, &log_dir, name, options.seconds);
        results.push((*name, outcome));
    }

    let ok = print_results(&results);
    if ok {
        eprintln!(
            "xtask fuzz: {} target(s), {} s each, no crashes",
            results.len(),
            options.seconds
        );
    } else {
        eprintln!("xtask fuzz: FAILED. Reproduce a finding with `fuzz/target/{host}/release/<target> <finding file>`; logs are in {}", log_dir.display());
    }
    Ok(ok)
}

/// Builds the fuzz targets `targets` with the SanitizerCoverage flags for `host`.
fn build_targets(
    fuzz_dir: &Path,
    target_dir: &Path,
    host: &str,
    targets: &[&str],
) -> Result<(), String> {
    eprintln!("==> xtask fuzz: building the targets with SanitizerCoverage (stable rustc, libFuzzer from libfuzzer-sys)");
    let mut build = cargo_command();
    build
        .arg("build")
        .arg("--release")
        .arg("--manifest-path")
        .arg(fuzz_dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target_dir)
        // An explicit --target keeps RUSTFLAGS away from build scripts and proc macros.
        .arg("--target")
        .arg(host);
    for name in targets {
        build.arg("--bin").arg(name);
    }
    build.env("RUSTFLAGS", RUSTFLAGS.join(" "));
    let status = build
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(
            "building the fuzz targets failed (libfuzzer-sys needs a C++ compiler: g++ or clang++)"
                .to_owned(),
        );
    }
    Ok(())
}

/// Prints the table of outcomes; true when no target crashed or failed.
fn print_results(results: &[(&str, Outcome)]) -> bool {
    println!();
    println!(
        "{:<16} {:>14} {:>10} {:>8} {:>8} {:>8}  result",
        "target", "executions", "exec/s", "cov", "corpus", "crashes"
    );
    let mut ok = true;
    for (name, o) in results {
        let show = |v: Option<u64>| v.map_or_else(|| "?".to_owned(), |v| v.to_string());
        let result = match (&o.error, o.findings.first()) {
            (_, Some(first)) => format!("FINDING: {}", first.display()),
            (Some(e), None) => format!("FAILED: {e}"),
            (None, None) => "ok".to_owned(),
        };
        ok &= o.error.is_none() && o.findings.is_empty();
        println!(
            "{:<16} {:>14} {:>10} {:>8} {:>8} {:>8}  {}",
            name,
            show(o.executions),
            show(o.exec_per_sec),
            show(o.coverage),
            show(o.corpus),
            o.findings.len(),
            result
        );
    }
    println!();
    ok
}

/// The files and folders of one target.
#[derive(Debug)]
struct TargetPaths {
    /// New interesting inputs (kept between runs).
    corpus: PathBuf,
    /// Committed seed inputs, only read.
    seeds: PathBuf,
    /// Where libFuzzer writes findings.
    artifacts: PathBuf,
    /// The dictionary, if the target has one.
    dict: Option<PathBuf>,
    /// libFuzzer's log.
    log: PathBuf,
}

impl TargetPaths {
    fn new(fuzz_dir: &Path, log_dir: &Path, name: &str) -> Self {
        TargetPaths {
            corpus: fuzz_dir.join("corpus").join(name),
            seeds: fuzz_dir.join("seeds").join(name),
            artifacts: fuzz_dir.join("artifacts").join(name),
            dict: TARGETS
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, dict)| fuzz_dir.join("dicts").join(dict)),
            log: log_dir.join(format!("{name}.log")),
        }
    }
}

fn run_target(
    fuzz_dir: &Path,
    bin_dir: &Path,
    log_dir: &Path,
    name: &str,
    seconds: u64,
) -> Outcome {
    let paths = TargetPaths::new(fuzz_dir, log_dir, name);
    for dir in [&paths.corpus, &paths.artifacts] {
        if let Err(e) = fs::create_dir_all(dir) {
            return failed(format!("cannot create {}: {e}", dir.display()));
        }
    }
    let before = findings(&paths.artifacts);
    let log = match fs::File::create(&paths.log) {
        Ok(f) => f,
        Err(e) => return failed(format!("cannot create {}: {e}", paths.log.display())),
    };

    let mut cmd = fuzzer_command(&bin_dir.join(name), &paths, seconds);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(log));
    let child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            return failed(format!(
                "cannot start {}: {e}",
                bin_dir.join(name).display()
            ))
        }
    };
    let status = wait_with_deadline(child, seconds);
    outcome(&paths, &before, status)
}

/// The libFuzzer command line for one target.
fn fuzzer_command(binary: &Path, paths: &TargetPaths, seconds: u64) -> Command {
    let mut cmd = Command::new(binary);
    // The first folder receives new inputs; the seed folder is only read.
    cmd.arg(&paths.corpus).arg(&paths.seeds);
    cmd.arg(format!("-max_total_time={seconds}"))
        .arg(format!("-timeout={INPUT_TIMEOUT_SECS}"))
        .arg(format!("-rss_limit_mb={RSS_LIMIT_MB}"))
        .arg(format!("-malloc_limit_mb={RSS_LIMIT_MB}"))
        .arg("-print_final_stats=1")
        .arg(format!("-artifact_prefix={}/", paths.artifacts.display()));
    if let Some(dict) = paths.dict.as_ref().filter(|d| d.is_file()) {
        cmd.arg(format!("-dict={}", dict.display()));
    }
    cmd
}

/// Waits for the fuzzer, which stops itself after `seconds`; kills it if it is still running
/// 120 s later (only a guard against a wedged process).
fn wait_with_deadline(mut child: Child, seconds: u64) -> Result<ExitStatus, String> {
    let deadline = Instant::now() + Duration::from_secs(seconds + 120);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status),
            Ok(None) if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err("did not stop within 120 s after its time was up; killed".to_owned());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(200)),
            Err(e) => return Err(format!("waiting for the fuzzer failed: {e}")),
        }
    }
}

/// The outcome of a finished run: statistics from the log, new findings, and an error for an
/// unexpected exit (whose log tail is printed).
fn outcome(
    paths: &TargetPaths,
    before: &BTreeSet<PathBuf>,
    status: Result<ExitStatus, String>,
) -> Outcome {
    let text = fs::read_to_string(&paths.log).unwrap_or_default();
    let mut outcome = parse_log(&text);
    outcome.findings = findings(&paths.artifacts)
        .difference(before)
        .cloned()
        .collect();
    match status {
        Ok(status) if status.success() => {}
        Ok(status) => {
            if outcome.findings.is_empty() {
                outcome.error = Some(format!(
                    "libFuzzer exited with {status}; see {}",
                    paths.log.display()
                ));
            }
            // Show the end of the log: the panic message and the input.
            let tail: Vec<&str> = text.lines().rev().take(40).collect();
            for line in tail.into_iter().rev() {
                eprintln!("    {line}");
            }
        }
        Err(e) => outcome.error = Some(e),
    }
    outcome
}

fn failed(error: String) -> Outcome {
    Outcome {
        error: Some(error),
        ..Outcome::default()
    }
}

/// Files libFuzzer writes for a finding.
fn findings(dir: &Path) -> BTreeSet<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return BTreeSet::new();
    };
    entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                ["crash-", "timeout-", "oom-", "leak-"]
                    .iter()
                    .any(|k| n.starts_with(k))
            })
        })
        .collect()
}

/// Reads the final statistics (`-print_final_stats=1`) and the last status line
/// (`#N DONE cov: C ft: F corp: K/…`) from libFuzzer's log.
fn parse_log(text: &str) -> Outcome {
    let stat = |key: &str| {
        text.lines()
            .filter_map(|l| l.strip_prefix(key))
            .filter_map(|v| v.trim().parse::<u64>().ok())
            .next_back()
    };
    let status_field = |line: &str, field: &str| {
        let mut words = line.split_whitespace();
        words.find(|w| *w == field)?;
        words.next()?.split('/').next()?.parse::<u64>().ok()
    };
    let last_status = text
        .lines()
        .rev()
        .find(|l| l.starts_with('#') && l.contains(" cov: "));
    Outcome {
        executions: stat("stat::number_of_executed_units:"),
        exec_per_sec: stat("stat::average_exec_per_sec:"),
        coverage: last_status.and_then(|l| status_field(l, "cov:")),
        corpus: last_status.and_then(|l| status_field(l, "corp:")),
        ..Outcome::default()
    }
}

/// The workspace root: the folder holding `fuzz/Cargo.toml`, found from this crate's location
/// or, failing that, from the current directory upwards.
fn workspace_root() -> Result<PathBuf, String> {
    let has_fuzz = |dir: &Path| dir.join("fuzz").join("Cargo.toml").is_file();
    if let Some(root) = Path::new(env!("CARGO_MANIFEST_DIR")).parent() {
        if has_fuzz(root) {
            return Ok(root.to_path_buf());
        }
    }
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    cwd.ancestors()
        .find(|dir| has_fuzz(dir))
        .map(Path::to_path_buf)
        .ok_or_else(|| "cannot find fuzz/Cargo.toml above the current directory".to_owned())
}

/// The host target triple, from `rustc -vV`.
fn host_triple() -> Result<String, String> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let out = Command::new(&rustc)
        .arg("-vV")
        .output()
        .map_err(|e| format!("cannot run {rustc}: {e}"))?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(|h| h.trim().to_owned())
        .ok_or_else(|| "`rustc -vV` printed no host triple".to_owned())
}

/// `cargo`, without the variables `cargo run` set for this process and without flags that
/// would replace the instrumentation flags.
fn cargo_command() -> Command {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut cmd = Command::new(cargo);
    for (key, _) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        if key.starts_with("CARGO_PKG_")
            || matches!(
                key,
                "CARGO_MANIFEST_DIR"
                    | "CARGO_MANIFEST_PATH"
                    | "CARGO_CRATE_NAME"
                    | "CARGO_BIN_NAME"
                    | "CARGO_PRIMARY_PACKAGE"
                    | "CARGO_TARGET_DIR"
                    | "CARGO_BUILD_TARGET_DIR"
                    | "CARGO_ENCODED_RUSTFLAGS"
                    | "CARGO_BUILD_RUSTFLAGS"
            )
        {
            cmd.env_remove(key);
        }
    }
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn arguments() {
        let o = parse_args(&strings(&[])).unwrap().unwrap();
        assert_eq!(o.seconds, DEFAULT_SECONDS);
        assert_eq!(o.targets.len(), TARGETS.len());
        let o = parse_args(&strings(&[
            "--seconds",
            "5",
            "--target",
            "cache_file",
            "--target",
            "cache_file",
        ]))
        .unwrap()
        .unwrap();
        assert_eq!((o.seconds, o.targets), (5, vec!["cache_file"]));
        assert!(parse_args(&strings(&["--seconds", "0"])).is_err());
        assert!(parse_args(&strings(&["--seconds"])).is_err());
        assert!(parse_args(&strings(&["--target", "nope"])).is_err());
        assert!(parse_args(&strings(&["--frobnicate"])).is_err());
    }

    #[test]
    fn reads_libfuzzer_statistics() {
        let log = "INFO: Seed: 1\n#2\tINITED cov: 10 ft: 11 corp: 1/1b exec/s: 0 rss: 30Mb\n\
                   #4096\tpulse  cov: 120 ft: 300 corp: 40/2Kb lim: 43 exec/s: 2048 rss: 40Mb\n\
                   #9000\tDONE   cov: 123 ft: 310 corp: 42/2Kb lim: 43 exec/s: 4500 rss: 41Mb\n\
                   Done 9000 runs in 2 second(s)\n\
                   stat::number_of_executed_units: 9000\nstat::average_exec_per_sec:     4500\n\
                   stat::new_units_added:          41\n";
        let o = parse_log(log);
        assert_eq!(o.executions, Some(9000));
        assert_eq!(o.exec_per_sec, Some(4500));
        assert_eq!(o.coverage, Some(123));
        assert_eq!(o.corpus, Some(42));
        let empty = parse_log("");
        assert_eq!((empty.executions, empty.coverage), (None, None));
    }
}
