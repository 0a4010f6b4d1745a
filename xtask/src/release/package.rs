//! Steps 3 and 5: `cargo package` of the published crates, and a build of each `.crate` file
//! on its own.
//!
//! The build unpacks the `.crate` files into a scratch workspace outside the work tree and
//! runs `cargo build` there. A packaged manifest names its internal dependencies as crates.io
//! dependencies (that is where they will be); the scratch workspace's `[patch.crates-io]` takes
//! those from the local registry instead, at exactly this version. So each crate is built from
//! what was packaged, against what was published, and nothing from the work tree.

use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;
use std::process::Command;

use super::report::{Cell, Level};
use super::{cmd, Context};

/// `cargo package --no-verify` of every published crate, in one command (so that cargo can
/// resolve a binary crate's lock file against the crates packaged with it).
pub(crate) fn package(ctx: &mut Context) -> Result<(), String> {
    let target = ctx.build_target();
    let mut package = cmd::cargo();
    package
        .current_dir(&ctx.ws.root)
        .env("CARGO_TARGET_DIR", &target)
        .args(["package", "--no-verify", "--locked"]);
    if ctx.opts.dry_run {
        package.arg("--allow-dirty");
    }
    for pkg in &ctx.order {
        package.args(["-p", &pkg.name]);
    }
    ctx.logs.run("package", &mut package)?;
    let dest = ctx.work.join("crates");
    fs::create_dir_all(&dest).map_err(|e| format!("cannot create {}: {e}", dest.display()))?;
    for pkg in ctx.order.clone() {
        let file_name = format!("{}-{}.crate", pkg.name, pkg.version);
        let made = target.join("package").join(&file_name);
        let kept = dest.join(&file_name);
        fs::copy(&made, &kept).map_err(|e| format!("no {}: {e}", made.display()))?;
        let size = fs::metadata(&kept).map(|m| m.len()).unwrap_or(0);
        let files = cmd::capture("tar -tzf", Command::new("tar").arg("-tzf").arg(&kept))?
            .lines()
            .filter(|l| !l.ends_with('/'))
            .count();
        let note = format!("{}, {files} files", human_size(size));
        eprintln!("    {file_name}: {note}");
        if let Some(row) = ctx.report.row(&pkg.name) {
            row.packaged = Cell::Ok(note);
        }
        ctx.crate_files.insert(pkg.name.clone(), kept);
    }
    Ok(())
}

/// `1234` → `1.2 KiB`.
pub(crate) fn human_size(bytes: u64) -> String {
    if bytes < 1024 {
        format!("{bytes} B")
    } else if bytes < 1024 * 1024 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
    }
}

/// The manifest of the scratch workspace of unpacked crates: its members, and the internal
/// crates patched to come from the local registry at exactly this version.
pub(crate) fn scratch_manifest(crates: &[(&str, String)]) -> String {
    let members: Vec<String> = crates
        .iter()
        .map(|(name, version)| format!("\"{name}-{version}\""))
        .collect();
    let mut text = format!(
        "# The unpacked .crate files, built together (cargo xtask release).\n[workspace]\nresolver = \"2\"\nmembers = [{}]\n\n[patch.crates-io]\n",
        members.join(", ")
    );
    for (name, version) in crates {
        let _ = writeln!(
            text,
            "{name} = {{ version = \"={version}\", registry = \"local\" }}"
        );
    }
    text
}

/// The crates named by `error: could not compile `name`` lines of a cargo log.
pub(crate) fn failed_crates(log: &str) -> Vec<String> {
    log.lines()
        .filter_map(|l| l.trim().strip_prefix("error: could not compile `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_owned)
        .collect()
}

/// Unpacks every `.crate` into a scratch workspace outside the work tree and builds them all
/// with one `cargo build --workspace --keep-going`: one resolution, each dependency built once.
/// The members' internal dependencies come from the local registry, not from the sibling
/// folders. Building each crate with only its own features is the feature matrix's job.
pub(crate) fn build_all(ctx: &mut Context) -> Result<(), String> {
    let root = ctx.work.join("unpacked");
    let crates: Vec<(&str, String)> = ctx
        .order
        .iter()
        .map(|p| (p.name.as_str(), p.version.to_string()))
        .collect();
    let files: Vec<PathBuf> = ctx
        .order
        .iter()
        .filter_map(|p| ctx.crate_files.get(&p.name).cloned())
        .collect();
    fs::create_dir_all(root.join(".cargo"))
        .map_err(|e| format!("cannot create {}: {e}", root.display()))?;
    for file in &files {
        cmd::capture(
            "tar -xzf",
            Command::new("tar")
                .arg("-xzf")
                .arg(file)
                .arg("-C")
                .arg(&root),
        )?;
    }
    let index = ctx.index_url()?;
    let write = |path: PathBuf, text: String| {
        fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    write(root.join("Cargo.toml"), scratch_manifest(&crates))?;
    write(
        root.join(".cargo/config.toml"),
        format!("[registries.local]\nindex = {index:?}\n"),
    )?;
    let mut build = cmd::cargo();
    build
        .current_dir(&root)
        .env("CARGO_TARGET_DIR", ctx.build_target())
        .args(["build", "--workspace", "--keep-going"]);
    let result = ctx.logs.run("build-from-package", &mut build);
    let log = fs::read_to_string(ctx.out.join("logs/build-from-package.log")).unwrap_or_default();
    let failed = failed_crates(&log);
    if let Err(e) = &result {
        let names = if failed.is_empty() {
            "the scratch workspace".to_owned()
        } else {
            failed.join(", ")
        };
        ctx.report
            .finding(Level::Fail, "build from package", format!("{names}: {e}"));
    }
    for row in &mut ctx.report.rows {
        row.built = if failed.contains(&row.name) {
            Cell::Fail("see log".to_owned())
        } else if result.is_ok() {
            Cell::Ok("ok".to_owned())
        } else {
            Cell::Warn("not reached".to_owned())
        };
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_human() {
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(3 * 1024 * 1024), "3.0 MiB");
    }

    #[test]
    fn the_scratch_workspace_patches_the_internal_crates_to_the_local_registry() {
        let text = scratch_manifest(&[("a-b", "0.1.0".to_owned()), ("c", "0.1.0".to_owned())]);
        assert!(text.contains("members = [\"a-b-0.1.0\", \"c-0.1.0\"]"));
        assert!(text.contains("a-b = { version = \"=0.1.0\", registry = \"local\" }"));
    }

    #[test]
    fn failed_crates_are_read_from_the_log() {
        let log = "error[E0425]: x\nerror: could not compile `msal` (lib) due to 1 previous error\nerror: could not compile `b`\n";
        assert_eq!(failed_crates(log), ["msal", "b"]);
    }
}
