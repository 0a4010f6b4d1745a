//! `cargo xtask release`: proves a release before it ships, without publishing anywhere.
//!
//! The published crates are whatever `cargo metadata` says (`publish` absent or non-empty), in
//! dependency order. The steps, each printed as it runs:
//!
//! 1. **consistency** ([`consistency`]): versions, changelog, internal requirements;
//! 2. **msrv** ([`msrv`]): `rust-version` names the toolchain this run builds with;
//! 3. **package** ([`package`]): `cargo package --no-verify` of every published crate;
//! 4. **publish** ([`publish`]): a real registry on loopback ([`registry`]: sparse index,
//!    publish API, downloads) and `cargo publish --registry local` of each crate in order;
//! 5. **build from package** ([`package`]): each `.crate` unpacked and built on its own, its
//!    internal dependencies coming from the local registry;
//! 6. **consumers** ([`consumers`]): the projects of `release/consumers/` build and pass their
//!    tests against the registry versions only; their dependency trees are checked; the crates
//!    with binaries install from the registry ([`install`]);
//! 7. **semver** ([`semver_checks`]): cargo-semver-checks against the previous release of
//!    `release/baseline.toml`;
//! 8. **minimal versions** ([`minimal`]): the crates build with every direct dependency at its
//!    lower bound;
//! 9. **feature matrix** ([`features`]): each crate with no default features, each feature
//!    alone and all features.
//!
//! Steps 1 to 6 are a chain: one failing stops the run. Steps 7 to 9 run whatever the others
//! found. The run ends with the per-crate table of [`report`]. Scratch files live in a temporary
//! folder (kept when the run fails); build output in `<target>/xtask-release/`.

mod changelog;
mod cmd;
mod compare;
mod consistency;
mod consumers;
mod features;
mod install;
mod minimal;
mod msrv;
mod package;
mod publish;
pub(crate) mod registry;
mod report;
mod semver_checks;
mod workspace;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use cmd::Logs;
use registry::LocalRegistry;
use report::{Cell, Report, Row};
use workspace::{Package, Workspace};

/// The help text.
pub(crate) const USAGE: &str =
    "usage: cargo xtask release [--dry-run] [--skip-semver] [--keep-target]
  proves a release of the published crates without publishing anywhere:
    consistency (versions, CHANGELOG.md, internal requirements), MSRV, cargo package,
    cargo publish to a local registry on loopback, build of each .crate, consumer projects
    (release/consumers) against the registry, cargo-semver-checks against the previous
    release (release/baseline.toml), minimal dependency versions, feature matrix
  --dry-run      allow a dirty work tree; do not record the release in release/baseline.toml
  --skip-semver  skip cargo-semver-checks
  --keep-target  keep the build output in <target>/xtask-release (faster reruns, 1-2 GB;
                 by default only the logs are kept)";

/// The command line.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Options {
    /// `--dry-run`.
    pub(crate) dry_run: bool,
    /// `--skip-semver`.
    pub(crate) skip_semver: bool,
    /// `--keep-target`.
    pub(crate) keep_target: bool,
}

/// Everything the steps share.
#[derive(Debug)]
pub(crate) struct Context {
    /// The options.
    pub(crate) opts: Options,
    /// The workspace.
    pub(crate) ws: Workspace,
    /// The published crates, in dependency order.
    pub(crate) order: Vec<Package>,
    /// The release version (the workspace version).
    pub(crate) version: ::semver::Version,
    /// Scratch folder of this run (unpacked crates, consumer copies, the registry's files).
    pub(crate) work: PathBuf,
    /// `<target>/xtask-release`: build output kept between runs, and the logs.
    pub(crate) out: PathBuf,
    /// The command logs.
    pub(crate) logs: Logs,
    /// The `.crate` files made by `package`, by crate name.
    pub(crate) crate_files: BTreeMap<String, PathBuf>,
    /// The local registry, while it runs.
    pub(crate) registry: Option<LocalRegistry>,
    /// The report.
    pub(crate) report: Report,
}

impl Context {
    /// The target folder for builds of packaged and registry crates (build from package and
    /// consumers share it).
    pub(crate) fn build_target(&self) -> PathBuf {
        self.out.join("build")
    }

    /// Removes the steps' build output (`<target>/xtask-release/*` but the logs).
    fn remove_build_output(&self) {
        let Ok(entries) = std::fs::read_dir(&self.out) else {
            return;
        };
        for entry in entries.flatten() {
            if entry.file_name() != "logs" {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }

    /// The local registry's index URL; an error before the registry runs.
    pub(crate) fn index_url(&self) -> Result<String, String> {
        self.registry
            .as_ref()
            .map(LocalRegistry::index_url)
            .ok_or_else(|| "the local registry is not running".to_owned())
    }
}

/// One step: its name, whether a failure stops the run, and what it does.
type Step = (&'static str, bool, fn(&mut Context) -> Result<(), String>);

/// The steps in order.
const STEPS: &[Step] = &[
    ("consistency", true, consistency_step),
    ("msrv", true, msrv::check),
    ("package", true, package::package),
    ("publish (local registry)", true, publish::publish_all),
    ("build from package", true, package::build_all),
    ("consumers", true, consumers::run),
    ("semver", false, semver_checks::run),
    ("minimal versions", false, minimal::run),
    ("feature matrix", false, features::run),
];

/// Runs `cargo xtask release`; `args` are the arguments after `release`.
pub(crate) fn run(args: &[String], root: &Path) -> ExitCode {
    let mut opts = Options::default();
    for arg in args {
        match arg.as_str() {
            "--dry-run" => opts.dry_run = true,
            "--skip-semver" => opts.skip_semver = true,
            "--keep-target" => opts.keep_target = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("xtask release: unexpected argument '{other}'\n{USAGE}");
                return ExitCode::FAILURE;
            }
        }
    }
    let started = Instant::now();
    let mut ctx = match Context::new(opts, root) {
        Ok(ctx) => ctx,
        Err(e) => {
            eprintln!("xtask release: {e}");
            return ExitCode::FAILURE;
        }
    };
    let cache = publish::RegistryCache::snapshot();
    run_steps(&mut ctx);
    if let Some(registry) = ctx.registry.take() {
        registry.stop();
    }
    cache.forget_new();
    if !opts.keep_target {
        ctx.remove_build_output();
    }
    finish(&ctx, started)
}

/// Runs the steps, recording each outcome; a failed chain step stops the run.
fn run_steps(ctx: &mut Context) {
    for (i, (name, chain, step)) in STEPS.iter().enumerate() {
        eprintln!("==> release [{}/{}] {name}", i + 1, STEPS.len());
        let start = Instant::now();
        let result = step(ctx);
        if let Err(e) = &result {
            eprintln!("    FAILED: {e}");
        }
        let failed = result.is_err();
        ctx.report
            .steps
            .push(((*name).to_owned(), result, start.elapsed()));
        if failed && *chain {
            eprintln!("    (the steps after `{name}` need it: stopping)");
            break;
        }
    }
}

/// Prints the report, cleans up, and gives the exit code.
fn finish(ctx: &Context, started: Instant) -> ExitCode {
    println!("\n{}", ctx.report.render());
    let took = started.elapsed().as_secs();
    let mode = if ctx.opts.dry_run { " --dry-run" } else { "" };
    if ctx.report.failed() {
        println!(
            "release{mode} {}: FAILED after {}m{:02}s (scratch files kept in {}, logs in {})",
            ctx.version,
            took / 60,
            took % 60,
            ctx.work.display(),
            ctx.out.join("logs").display()
        );
        ExitCode::FAILURE
    } else {
        let _ = std::fs::remove_dir_all(&ctx.work);
        println!(
            "release{mode} {}: OK in {}m{:02}s",
            ctx.version,
            took / 60,
            took % 60
        );
        ExitCode::SUCCESS
    }
}

impl Context {
    /// Reads the workspace, makes the scratch and output folders, and one row per crate.
    fn new(opts: Options, root: &Path) -> Result<Self, String> {
        let ws = Workspace::load(root)?;
        let order: Vec<Package> = ws.publish_order()?.into_iter().cloned().collect();
        if order.is_empty() {
            return Err(
                "no published crate in the workspace (every member has `publish = false`)"
                    .to_owned(),
            );
        }
        let names: Vec<&str> = order.iter().map(|p| p.name.as_str()).collect();
        eprintln!(
            "==> release: published crates in dependency order: {}",
            names.join(", ")
        );
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| ws.root.join("target"));
        let target = if target.is_absolute() {
            target
        } else {
            ws.root.join(target)
        };
        let out = target.join("xtask-release");
        let work = std::env::temp_dir().join(format!("xtask-release-{}", std::process::id()));
        std::fs::create_dir_all(&work)
            .map_err(|e| format!("cannot create {}: {e}", work.display()))?;
        let logs = Logs::new(&out.join("logs"))?;
        let report = Report {
            rows: order
                .iter()
                .map(|p| Row {
                    name: p.name.clone(),
                    version: p.version.to_string(),
                    ..Row::default()
                })
                .collect(),
            ..Report::default()
        };
        let version = order[0].version.clone();
        Ok(Self {
            opts,
            ws,
            order,
            version,
            work,
            out,
            logs,
            crate_files: BTreeMap::new(),
            registry: None,
            report,
        })
    }
}

/// Step 1.
fn consistency_step(ctx: &mut Context) -> Result<(), String> {
    let order: Vec<&Package> = ctx.order.iter().collect();
    ctx.version = consistency::check(&ctx.ws, &order)?;
    Ok(())
}

/// Sets `cell` of every row to `value`.
pub(crate) fn set_all(report: &mut Report, cell: fn(&mut Row) -> &mut Cell, value: &Cell) {
    for row in &mut report.rows {
        *cell(row) = value.clone();
    }
}
