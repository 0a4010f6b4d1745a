//! The release report: one row per published crate, the findings, and how long each step took.

use std::fmt::Write as _;
use std::time::Duration;

/// What one step found out about one crate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum Cell {
    /// The step did not run (or not for this crate).
    #[default]
    NotRun,
    /// Passed, with a short note.
    Ok(String),
    /// Passed with a warning.
    Warn(String),
    /// Failed.
    Fail(String),
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::NotRun => "-".to_owned(),
            Cell::Ok(s) => s.clone(),
            Cell::Warn(s) => format!("WARN {s}"),
            Cell::Fail(s) => format!("FAIL {s}"),
        }
    }
}

/// One published crate's row.
#[derive(Debug, Clone, Default)]
pub(crate) struct Row {
    /// The package name.
    pub(crate) name: String,
    /// Its version.
    pub(crate) version: String,
    /// The `.crate` file: size and number of files.
    pub(crate) packaged: Cell,
    /// `cargo build` of the unpacked `.crate` against the local registry.
    pub(crate) built: Cell,
    /// `cargo publish` to the local registry.
    pub(crate) published: Cell,
    /// The consumer projects whose graph has the crate, when they built and passed.
    pub(crate) consumers: Cell,
    /// cargo-semver-checks against the previous release.
    pub(crate) semver: Cell,
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    /// Reported; the release still passes.
    Warn,
    /// The release fails.
    Fail,
}

/// Something a step found that is not a per-crate cell.
#[derive(Debug, Clone)]
pub(crate) struct Finding {
    /// How serious.
    pub(crate) level: Level,
    /// The step.
    pub(crate) step: String,
    /// What was found.
    pub(crate) text: String,
}

/// The whole report.
#[derive(Debug, Clone, Default)]
pub(crate) struct Report {
    /// One row per published crate, in publish order.
    pub(crate) rows: Vec<Row>,
    /// Findings, in the order found.
    pub(crate) findings: Vec<Finding>,
    /// Each step run: name, outcome, duration.
    pub(crate) steps: Vec<(String, Result<(), String>, Duration)>,
}

impl Report {
    /// The row of `name`.
    pub(crate) fn row(&mut self, name: &str) -> Option<&mut Row> {
        self.rows.iter_mut().find(|r| r.name == name)
    }

    /// Records a finding (and prints it).
    pub(crate) fn finding(&mut self, level: Level, step: &str, text: impl Into<String>) {
        let text = text.into();
        let tag = match level {
            Level::Warn => "WARN",
            Level::Fail => "FAIL",
        };
        eprintln!("    {tag}: {text}");
        self.findings.push(Finding {
            level,
            step: step.to_owned(),
            text,
        });
    }

    /// Whether anything failed: a step, a finding or a cell.
    pub(crate) fn failed(&self) -> bool {
        self.steps.iter().any(|(_, r, _)| r.is_err())
            || self.findings.iter().any(|f| f.level == Level::Fail)
    }

    /// The table, the findings and the step times, as printed at the end.
    pub(crate) fn render(&self) -> String {
        let header = [
            "crate",
            "version",
            "packaged",
            "built from package",
            "local registry",
            "consumers built+tested",
            "semver",
        ];
        let cells: Vec<[String; 7]> = self
            .rows
            .iter()
            .map(|r| {
                [
                    r.name.clone(),
                    r.version.clone(),
                    r.packaged.text(),
                    r.built.text(),
                    r.published.text(),
                    r.consumers.text(),
                    r.semver.text(),
                ]
            })
            .collect();
        let mut out = table(&header, &cells);
        if !self.findings.is_empty() {
            out.push_str("\nfindings:\n");
            for f in &self.findings {
                let tag = if f.level == Level::Warn {
                    "WARN"
                } else {
                    "FAIL"
                };
                let _ = writeln!(out, "  {tag} [{}] {}", f.step, f.text);
            }
        }
        out.push_str("\nsteps:\n");
        for (name, result, took) in &self.steps {
            let outcome = if result.is_ok() { "ok" } else { "FAILED" };
            let _ = writeln!(
                out,
                "  {name:<26} {outcome:<7} {:>6.1} s",
                took.as_secs_f64()
            );
        }
        out
    }
}

/// A plain-text table with columns as wide as their widest cell.
fn table<const N: usize>(header: &[&str; N], rows: &[[String; N]]) -> String {
    let mut widths = header.map(str::len);
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut text = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            let sep = if i + 1 == N { "" } else { " | " };
            let pad = w.saturating_sub(cell.chars().count());
            let _ = write!(text, "{cell}{}{sep}", " ".repeat(pad));
        }
        text.trim_end().to_owned() + "\n"
    };
    let mut out = line(header.to_vec());
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    out.push_str(&line(rule.iter().map(String::as_str).collect()));
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_aligns_columns_and_lists_findings() {
        let mut report = Report::default();
        report.rows.push(Row {
            name: "a".to_owned(),
            version: "0.1.0".to_owned(),
            packaged: Cell::Ok("1.0 KiB, 3 files".to_owned()),
            built: Cell::Fail("error".to_owned()),
            ..Row::default()
        });
        report.finding(Level::Warn, "consumers", "tokio with rt");
        report
            .steps
            .push(("package".to_owned(), Ok(()), Duration::from_millis(1500)));
        let text = report.render();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("crate | version | packaged         | built from package"));
        assert!(lines[2].starts_with("a     | 0.1.0   | 1.0 KiB, 3 files | FAIL error"));
        assert!(text.contains("WARN [consumers] tokio with rt"));
        assert!(text.contains("package"));
        assert!(!report.failed());
        report.finding(Level::Fail, "x", "y");
        assert!(report.failed());
    }
}
