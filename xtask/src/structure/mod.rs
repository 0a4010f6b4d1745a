//! `cargo xtask structure`: structural limits on the production source of the workspace.
//!
//! Checks every `crates/*/src/**/*.rs` and `xtask/src/**/*.rs` (tests, benches, examples and
//! fuzz targets are not production source; neither is anything under `#[cfg(test)]`), parsed
//! with `syn`:
//!
//! 1. no function (free, method, trait default, nested) longer than [`MAX_FN_LINES`] lines,
//!    counted from the `fn` keyword to the closing brace;
//! 2. no file with more than [`MAX_FILE_LINES`] production lines, except the data files listed
//!    in [`TABLE_FILES`];
//! 3. no import cycle between the top-level modules of a crate target;
//! 4. no public item of a library reachable by more than one public path.
//!
//! It prints a table of per-crate figures, the violations and `structure: OK` or
//! `structure: N violations`, and fails on any violation unless `--report-only` is given.

mod analyze;
mod api;
mod attrs;
mod cycles;
mod lengths;
mod modtree;
mod paths;
mod report;
mod resolve;
#[cfg(test)]
mod tests;

use std::path::Path;
use std::process::ExitCode;

/// The longest a production function may be, in lines.
pub(crate) const MAX_FN_LINES: usize = 80;

/// The most production lines a file may have.
pub(crate) const MAX_FILE_LINES: usize = 500;

/// Data files ("tables") allowed over [`MAX_FILE_LINES`]: path from the workspace root and why.
pub(crate) const TABLE_FILES: &[(&str, &str)] = &[];

/// The help text of `cargo xtask structure`.
pub(crate) const USAGE: &str = "usage: cargo xtask structure [--report-only]
  checks crates/*/src and xtask/src (test code excluded):
    functions at most 80 lines, files at most 500 production lines,
    no import cycles between top-level modules, one public path per public item
  --report-only  print the report but exit 0 even with violations";

/// Runs `cargo xtask structure`; `args` are the arguments after `structure`.
pub(crate) fn run(args: &[String], root: &Path) -> ExitCode {
    let mut report_only = false;
    for arg in args {
        match arg.as_str() {
            "--report-only" => report_only = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("xtask structure: unexpected argument '{other}'\n{USAGE}");
                return ExitCode::FAILURE;
            }
        }
    }
    match check(root) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) if report_only => ExitCode::SUCCESS,
        Err(_) => ExitCode::FAILURE,
    }
}

/// Checks the workspace at `root` and prints the report; an error when a rule is broken.
pub(crate) fn check(root: &Path) -> Result<(), String> {
    let report = analyze::analyze(root);
    print!("{}", report::render(&report));
    if report.violations.is_empty() {
        Ok(())
    } else {
        Err(report::verdict(report.violations.len()))
    }
}
