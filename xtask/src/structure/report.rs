//! The printed report: a table of per-crate figures, the violations, the notes and a verdict.

use std::fmt::Write as _;

use super::analyze::{CrateSummary, Report};

/// The column headings of the table.
const HEADINGS: [&str; 5] = [
    "crate",
    "public items",
    "longest fn (lines)",
    "largest file (prod. lines)",
    "cycles",
];

/// The whole report as text.
pub(crate) fn render(report: &Report) -> String {
    let mut out = table(&report.crates);
    out.push('\n');
    if !report.violations.is_empty() {
        out.push_str("violations:\n");
        for v in &report.violations {
            let _ = writeln!(out, "  {:<15}{}", v.rule, v.message);
            for detail in &v.details {
                let _ = writeln!(out, "  {:<15}  {detail}", "");
            }
        }
        out.push('\n');
    }
    if !report.notes.is_empty() {
        out.push_str("notes:\n");
        for note in &report.notes {
            let _ = writeln!(out, "  {note}");
        }
        out.push('\n');
    }
    out.push_str(&verdict(report.violations.len()));
    out.push('\n');
    out
}

/// `structure: OK` or `structure: N violations`.
pub(crate) fn verdict(violations: usize) -> String {
    match violations {
        0 => "structure: OK".to_owned(),
        1 => "structure: 1 violation".to_owned(),
        n => format!("structure: {n} violations"),
    }
}

/// The table of per-crate figures, columns padded to their widest cell.
fn table(crates: &[CrateSummary]) -> String {
    let rows: Vec<[String; 5]> = std::iter::once(HEADINGS.map(str::to_owned))
        .chain(crates.iter().map(row))
        .collect();
    let mut widths = [0; 5];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            let _ = match i {
                1 | 4 => write!(line, "{cell:>w$}  ", w = widths[i]),
                _ => write!(line, "{cell:<w$}  ", w = widths[i]),
            };
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// One crate's cells.
fn row(summary: &CrateSummary) -> [String; 5] {
    let public = summary
        .public_items
        .map_or_else(|| "-".to_owned(), |n| n.to_string());
    let longest = summary.longest_fn.as_ref().map_or_else(
        || "-".to_owned(),
        |(file, f)| format!("{} ({}) {file}", f.name, f.lines),
    );
    let largest = summary.largest_file.as_ref().map_or_else(
        || "-".to_owned(),
        |(file, lines)| format!("{file} ({lines})"),
    );
    [
        summary.name.clone(),
        public,
        longest,
        largest,
        summary.cycles.to_string(),
    ]
}
