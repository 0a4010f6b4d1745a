//! Step 7: cargo-semver-checks against the previous release.
//!
//! `release/baseline.toml` lists the releases made, each with the git revision it was tagged
//! at and the crates it published. The previous release is the newest entry older than the
//! version being released; each of its crates that is still published is checked with
//! `cargo semver-checks check-release -p <crate> --baseline-rev <rev>` (cargo-semver-checks
//! builds the baseline from that revision itself, so no rustdoc JSON is kept). Without a
//! previous release there is nothing to compare with: the step says so and installs nothing.
//!
//! A full (not `--dry-run`) release adds its own entry to `release/baseline.toml` once every
//! step passed; commit it with the release and tag the revision.

use std::fs;

use super::report::{Cell, Level};
use super::{cmd, set_all, Context};

/// The cargo-semver-checks release used, installed with `--locked` when missing.
pub(crate) const TOOL_VERSION: &str = "0.51.0";

/// The baseline file, relative to the workspace root.
pub(crate) const BASELINE: &str = "release/baseline.toml";

/// One release of the baseline file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Release {
    /// Its version.
    pub(crate) version: ::semver::Version,
    /// The git revision it was made from (a tag such as `v0.1.0`).
    pub(crate) rev: String,
    /// The crates it published.
    pub(crate) crates: Vec<String>,
}

/// Reads the `[[release]]` tables of the baseline file (`version`, `rev`, `crates` on one line).
pub(crate) fn parse_baseline(text: &str) -> Result<Vec<Release>, String> {
    let mut out: Vec<(Option<String>, Option<String>, Vec<String>)> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        if line == "[[release]]" {
            out.push((None, None, Vec::new()));
            continue;
        }
        let (Some(entry), Some((key, value))) = (out.last_mut(), line.split_once('=')) else {
            return Err(format!("{BASELINE}:{}: unexpected `{line}`", n + 1));
        };
        let strings = quoted(value.trim());
        match key.trim() {
            "version" => entry.0 = strings.into_iter().next(),
            "rev" => entry.1 = strings.into_iter().next(),
            "crates" => entry.2 = strings,
            other => return Err(format!("{BASELINE}:{}: unknown key `{other}`", n + 1)),
        }
    }
    out.into_iter()
        .map(|(version, rev, crates)| {
            let version = version.ok_or(format!("{BASELINE}: a release without version"))?;
            Ok(Release {
                version: ::semver::Version::parse(&version)
                    .map_err(|e| format!("{BASELINE}: version {version:?}: {e}"))?,
                rev: rev.ok_or(format!("{BASELINE}: release {version} has no rev"))?,
                crates,
            })
        })
        .collect()
}

/// The double-quoted strings of a TOML value (a string or an array of strings).
fn quoted(value: &str) -> Vec<String> {
    value
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// The baseline entry for a release.
pub(crate) fn render_release(release: &Release) -> String {
    let crates: Vec<String> = release.crates.iter().map(|c| format!("{c:?}")).collect();
    format!(
        "\n[[release]]\nversion = \"{}\"\nrev = {:?}\ncrates = [{}]\n",
        release.version,
        release.rev,
        crates.join(", ")
    )
}

/// The newest release older than `version`.
pub(crate) fn previous<'a>(
    releases: &'a [Release],
    version: &::semver::Version,
) -> Option<&'a Release> {
    releases
        .iter()
        .filter(|r| &r.version < version)
        .max_by(|a, b| a.version.cmp(&b.version))
}

/// Runs the step.
pub(crate) fn run(ctx: &mut Context) -> Result<(), String> {
    let path = ctx.ws.root.join(BASELINE);
    let text = fs::read_to_string(&path).unwrap_or_default();
    let releases = parse_baseline(&text)?;
    let recorded = releases.iter().any(|r| r.version == ctx.version);
    let Some(prev) = previous(&releases, &ctx.version).cloned() else {
        let note = if recorded {
            "first release, baseline recorded"
        } else {
            "first release, no baseline yet"
        };
        eprintln!("    semver: {note} ({BASELINE})");
        set_all(
            &mut ctx.report,
            |r| &mut r.semver,
            &Cell::Ok("first release".to_owned()),
        );
        return record(ctx, recorded);
    };
    if ctx.opts.skip_semver {
        eprintln!(
            "    semver: skipped (--skip-semver); previous release {}",
            prev.version
        );
        set_all(
            &mut ctx.report,
            |r| &mut r.semver,
            &Cell::Warn("skipped".to_owned()),
        );
        return Ok(());
    }
    ensure_tool(ctx)?;
    let mut failed = Vec::new();
    for pkg in ctx.order.clone() {
        let cell = if prev.crates.contains(&pkg.name) {
            check_crate(ctx, &pkg.name, &prev, &mut failed)
        } else {
            Cell::Ok(format!("new since {}", prev.version))
        };
        if let Some(row) = ctx.report.row(&pkg.name) {
            row.semver = cell;
        }
    }
    if !failed.is_empty() {
        return Err(format!("semver violations in {}", failed.join(", ")));
    }
    record(ctx, recorded)
}

/// cargo-semver-checks for one crate.
fn check_crate(ctx: &mut Context, name: &str, prev: &Release, failed: &mut Vec<String>) -> Cell {
    let mut check = cmd::cargo();
    check
        .current_dir(&ctx.ws.root)
        .env("CARGO_TARGET_DIR", ctx.out.join("semver"))
        .args([
            "semver-checks",
            "check-release",
            "-p",
            name,
            "--baseline-rev",
            &prev.rev,
        ]);
    match ctx.logs.run(&format!("semver-{name}"), &mut check) {
        Ok(()) => Cell::Ok(format!("ok vs {}", prev.version)),
        Err(e) => {
            ctx.report
                .finding(Level::Fail, "semver", format!("{name}: {e}"));
            failed.push(name.to_owned());
            Cell::Fail(format!("vs {}", prev.version))
        }
    }
}

/// Installs cargo-semver-checks [`TOOL_VERSION`] unless it is there.
fn ensure_tool(ctx: &Context) -> Result<(), String> {
    let installed = cmd::cargo()
        .args(["semver-checks", "--version"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    if installed.split_whitespace().any(|w| w == TOOL_VERSION) {
        eprintln!("    {}", installed.trim());
        return Ok(());
    }
    eprintln!("    installing cargo-semver-checks {TOOL_VERSION} (this compiles for a while)");
    ctx.logs.run(
        "install-cargo-semver-checks",
        cmd::cargo().args([
            "install",
            "cargo-semver-checks",
            "--locked",
            "--version",
            TOOL_VERSION,
        ]),
    )
}

/// After a full release run, adds this release to the baseline file (a dry run only says so).
fn record(ctx: &Context, recorded: bool) -> Result<(), String> {
    if recorded {
        return Ok(());
    }
    let release = Release {
        version: ctx.version.clone(),
        rev: format!("v{}", ctx.version),
        crates: ctx.order.iter().map(|p| p.name.clone()).collect(),
    };
    if ctx.opts.dry_run {
        eprintln!(
            "    (--dry-run: {BASELINE} not changed; a full run records {})",
            release.rev
        );
        return Ok(());
    }
    let path = ctx.ws.root.join(BASELINE);
    let mut text = fs::read_to_string(&path).unwrap_or_default();
    text.push_str(&render_release(&release));
    fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    eprintln!(
        "    recorded {} in {BASELINE}: commit it and tag the release {}",
        release.version, release.rev
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# releases\n[[release]]\nversion = \"0.1.0\"\nrev = \"v0.1.0\"\ncrates = [\"a\", \"b\"] # two\n\n[[release]]\nversion = \"0.2.0\"\nrev = \"v0.2.0\"\ncrates = [\"a\"]\n";

    #[test]
    fn the_baseline_lists_releases() {
        let releases = parse_baseline(TEXT).unwrap();
        assert_eq!(releases.len(), 2);
        assert_eq!(releases[0].rev, "v0.1.0");
        assert_eq!(releases[0].crates, ["a", "b"]);
        assert_eq!(parse_baseline("").unwrap(), []);
        assert!(parse_baseline("version = \"1.0.0\"\n").is_err());
        assert!(parse_baseline("[[release]]\nrev = \"x\"\n").is_err());
        assert!(parse_baseline("[[release]]\nversion = \"1.0.0\"\n").is_err());
        let again = parse_baseline(&render_release(&releases[0])).unwrap();
        assert_eq!(again, [releases[0].clone()]);
    }

    #[test]
    fn the_previous_release_is_the_newest_older_one() {
        let releases = parse_baseline(TEXT).unwrap();
        let v = |s| ::semver::Version::parse(s).unwrap();
        assert_eq!(previous(&releases, &v("0.1.0")), None);
        assert_eq!(
            previous(&releases, &v("0.2.0")).unwrap().version,
            v("0.1.0")
        );
        assert_eq!(
            previous(&releases, &v("0.3.0")).unwrap().version,
            v("0.2.0")
        );
    }
}
