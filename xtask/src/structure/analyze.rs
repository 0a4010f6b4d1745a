//! Runs the four checks over the crates of the workspace and gathers the figures and findings.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use super::api::public_api;
use super::cycles::{dependency_graph, find_cycles};
use super::lengths::{measure, FnLength};
use super::modtree::{self, Module};
use super::{MAX_FILE_LINES, MAX_FN_LINES, TABLE_FILES};

/// One crate's figures for the table.
#[derive(Debug, Default)]
pub(crate) struct CrateSummary {
    /// The package name.
    pub(crate) name: String,
    /// Distinct public items of the library; `None` for a crate without `src/lib.rs`.
    pub(crate) public_items: Option<usize>,
    /// The longest production function and its file (relative to the crate).
    pub(crate) longest_fn: Option<(String, FnLength)>,
    /// The file with the most production lines (relative to the crate) and that number.
    pub(crate) largest_file: Option<(String, usize)>,
    /// Import cycles found over all targets.
    pub(crate) cycles: usize,
}

/// A broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Violation {
    /// `fn-length`, `file-length`, `cycle`, `duplicate-path` or `error`.
    pub(crate) rule: &'static str,
    /// The finding, one line.
    pub(crate) message: String,
    /// Further lines (the evidence of a cycle's edges).
    pub(crate) details: Vec<String>,
}

/// Everything the checks found.
#[derive(Debug, Default)]
pub(crate) struct Report {
    /// One summary per crate, in the order checked.
    pub(crate) crates: Vec<CrateSummary>,
    /// Every violation.
    pub(crate) violations: Vec<Violation>,
    /// Remarks that are no violation.
    pub(crate) notes: Vec<String>,
}

impl Report {
    /// Adds a violation.
    fn violation(&mut self, rule: &'static str, message: String, details: Vec<String>) {
        self.violations.push(Violation {
            rule,
            message,
            details,
        });
    }
}

/// Checks every `crates/*` package and `xtask` below the workspace `root`.
pub(crate) fn analyze(root: &Path) -> Report {
    let mut report = Report::default();
    let mut dirs = subdirs(&root.join("crates"));
    dirs.push(root.join("xtask"));
    for dir in dirs.iter().filter(|d| d.join("src").is_dir()) {
        analyze_crate(root, dir, &mut report);
    }
    report
}

/// The entries directly inside `dir` that `keep` accepts, sorted.
fn entries(dir: &Path, keep: fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| keep(p))
        .collect();
    found.sort();
    found
}

/// The folders directly inside `dir`, sorted.
fn subdirs(dir: &Path) -> Vec<PathBuf> {
    entries(dir, Path::is_dir)
}

/// The `.rs` files directly in `dir`, sorted.
fn rust_files_in(dir: &Path) -> Vec<PathBuf> {
    entries(dir, |p| {
        p.is_file() && p.extension().is_some_and(|e| e == "rs")
    })
}

/// Reads a file for the module loader.
fn read_source(path: &Path) -> Option<String> {
    fs::read_to_string(path).ok()
}

/// Checks one package in `dir` (which has a `src/`).
fn analyze_crate(root: &Path, dir: &Path, report: &mut Report) {
    let manifest = fs::read_to_string(dir.join("Cargo.toml")).unwrap_or_default();
    let fallback = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = manifest_value(&manifest, "package", "name").unwrap_or(fallback);
    let mut summary = CrateSummary {
        name: name.clone(),
        ..CrateSummary::default()
    };
    let display = |p: &Path| p.strip_prefix(root).unwrap_or(p).display().to_string();
    let src = dir.join("src");
    let mut test_files = BTreeSet::new();
    for (target, root_file) in target_roots(&src) {
        let modules = match modtree::load(&root_file, &read_source) {
            Ok(modules) => modules,
            Err(e) => {
                report.violation("error", format!("{name} ({target}): {e}"), Vec::new());
                continue;
            }
        };
        test_files.extend(
            modules
                .iter()
                .filter(|m| m.test && m.own_file)
                .map(|m| m.file.clone()),
        );
        summary.cycles += check_cycles(&format!("{name} ({target})"), &modules, &display, report);
        if target == "lib" {
            let lib =
                manifest_value(&manifest, "lib", "name").unwrap_or_else(|| name.replace('-', "_"));
            summary.public_items = Some(check_api(&name, &lib, &modules, report));
        }
    }
    let files = rust_files(&src);
    for file in files.iter().filter(|f| !test_files.contains(*f)) {
        check_file(file, &display(file), dir, &mut summary, report);
    }
    report.crates.push(summary);
}

/// A value `key = "value"` in the `[section]` of a Cargo manifest.
pub(crate) fn manifest_value(manifest: &str, section: &str, key: &str) -> Option<String> {
    let header = format!("[{section}]");
    let mut inside = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            inside = line == header;
        } else if let Some((k, v)) = line.split_once('=').filter(|_| inside) {
            if k.trim() == key {
                return Some(v.trim().trim_matches('"').to_owned());
            }
        }
    }
    None
}

/// The crate roots below `src`: `lib.rs`, `main.rs`, `bin/x.rs` and `bin/x/main.rs`.
fn target_roots(src: &Path) -> Vec<(String, PathBuf)> {
    let mut roots: Vec<(String, PathBuf)> = [("lib", "lib.rs"), ("bin", "main.rs")]
        .into_iter()
        .map(|(kind, file)| (kind.to_owned(), src.join(file)))
        .collect();
    for path in subdirs(&src.join("bin"))
        .into_iter()
        .chain(rust_files_in(&src.join("bin")))
    {
        let file = if path.is_dir() {
            path.join("main.rs")
        } else {
            path.clone()
        };
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        roots.push((format!("bin {stem}"), file));
    }
    roots.retain(|(_, file)| file.is_file());
    roots
}

/// Every `.rs` file below `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = rust_files_in(dir);
    for sub in subdirs(dir) {
        files.extend(rust_files(&sub));
    }
    files.sort();
    files
}

/// Rules 1 and 2 for one production file; updates the crate's longest function and largest
/// file.
fn check_file(
    file: &Path,
    shown: &str,
    crate_dir: &Path,
    summary: &mut CrateSummary,
    report: &mut Report,
) {
    let measured = match read_source(file)
        .ok_or_else(|| format!("{shown}: cannot read"))
        .and_then(|text| Ok((modtree::parse_text(file, &text)?, text.lines().count())))
    {
        Ok((parsed, lines)) => measure(&parsed, lines),
        Err(e) => return report.violation("error", e, Vec::new()),
    };
    let in_crate = file.strip_prefix(crate_dir).unwrap_or(file).display();
    for function in measured.functions {
        check_function(shown, &function, report);
        if summary
            .longest_fn
            .as_ref()
            .is_none_or(|(_, f)| function.lines > f.lines)
        {
            summary.longest_fn = Some((in_crate.to_string(), function));
        }
    }
    let lines = measured.production_lines;
    check_file_length(shown, lines, TABLE_FILES, report);
    if summary
        .largest_file
        .as_ref()
        .is_none_or(|(_, l)| lines > *l)
    {
        summary.largest_file = Some((in_crate.to_string(), lines));
    }
}

/// Rule 1 for one function of the file shown as `shown`.
fn check_function(shown: &str, function: &FnLength, report: &mut Report) {
    if function.lines > MAX_FN_LINES {
        let message = format!(
            "{shown}:{} {}: {} lines (max {MAX_FN_LINES})",
            function.line, function.name, function.lines
        );
        report.violation("fn-length", message, Vec::new());
    }
}

/// Rule 2 for the file shown as `shown`, with `lines` production lines; a file listed in
/// `exceptions` (path, reason) only gets a note.
pub(crate) fn check_file_length(
    shown: &str,
    lines: usize,
    exceptions: &[(&str, &str)],
    report: &mut Report,
) {
    if lines <= MAX_FILE_LINES {
        return;
    }
    match exceptions.iter().find(|(path, _)| *path == shown) {
        Some((_, reason)) => report.notes.push(format!(
            "{shown}: {lines} production lines, allowed: {reason}"
        )),
        None => report.violation(
            "file-length",
            format!("{shown}: {lines} production lines (max {MAX_FILE_LINES})"),
            Vec::new(),
        ),
    }
}

/// Rule 3 for one crate target; returns the number of cycles.
fn check_cycles(
    target: &str,
    modules: &[Module],
    display: &dyn Fn(&Path) -> String,
    report: &mut Report,
) -> usize {
    let graph = dependency_graph(modules, display);
    let (cycles, cut) = find_cycles(&graph);
    for cycle in &cycles {
        let details = cycle
            .windows(2)
            .map(|edge| {
                let evidence = &graph[&(edge[0].clone(), edge[1].clone())];
                format!("{} -> {}: {evidence}", edge[0], edge[1])
            })
            .collect();
        report.violation(
            "cycle",
            format!("{target}: {}", cycle.join(" -> ")),
            details,
        );
    }
    if cut {
        report.notes.push(format!(
            "{target}: only the first {} cycles are listed",
            cycles.len()
        ));
    }
    cycles.len()
}

/// Rule 4 for a library; returns the number of distinct public items.
fn check_api(package: &str, lib: &str, modules: &[Module], report: &mut Report) -> usize {
    let api = public_api(lib, modules);
    for (id, paths) in api.duplicates() {
        let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
        let message = format!(
            "{package}: {} has {} public paths: {}",
            api.describe(id, modules),
            paths.len(),
            paths.join(", ")
        );
        report.violation("duplicate-path", message, Vec::new());
    }
    report
        .notes
        .extend(api.notes.iter().map(|n| format!("{package}: {n}")));
    api.paths.len()
}
