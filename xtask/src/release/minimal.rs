//! Step 8: the published crates build with each direct dependency at the lowest version its
//! requirement allows.
//!
//! A requirement such as `tokio = "1.47"` promises that 1.47.0 works; a user whose lock file
//! holds an older compatible release of something else may get exactly that. The step copies
//! the work tree (the files git knows, as they are on disk) to the scratch folder, lets nightly
//! cargo write a lock file with `-Z direct-minimal-versions` (direct dependencies at their
//! lower bounds, the rest as high as those allow), and checks each published crate with all
//! features against that lock file (`cargo check --locked`) on the toolchain running the
//! release. Each crate that fails is a finding: raise the lower bound in the root `Cargo.toml`.
//!
//! A machine without a nightly toolchain (no other toolchain can be fetched on some) writes
//! the lock file with the stable cargo and `RUSTC_BOOTSTRAP=1`, which lets stable cargo take
//! `-Z` flags: the same resolver code, on the toolchain that is there.

use std::fs;
use std::path::Path;
use std::process::Command;

use super::report::Level;
use super::{cmd, Context};

/// The toolchain that writes the minimal lock file.
const NIGHTLY: &str = "nightly";

/// Runs the step.
pub(crate) fn run(ctx: &mut Context) -> Result<(), String> {
    cmd::capture(
        "the nightly toolchain",
        cmd::cargo_of(NIGHTLY).arg("--version"),
    )
    .map_err(|e| {
        format!("{e}\n      (install it with `rustup toolchain install nightly --profile minimal`)")
    })?;
    let copy = ctx.work.join("minimal");
    copy_tracked(&ctx.ws.root, &copy)?;
    ctx.logs.run(
        "minimal-update",
        cmd::cargo_of(NIGHTLY)
            .current_dir(&copy)
            .args(["update", "-Z", "direct-minimal-versions"]),
    )?;
    let lowered = lowered(&ctx.ws.root.join("Cargo.lock"), &copy.join("Cargo.lock"));
    eprintln!(
        "    {} packages resolved lower than in Cargo.lock",
        lowered.len()
    );
    let target = ctx.out.join("minimal");
    let mut failed = Vec::new();
    for pkg in ctx.order.clone() {
        let mut check = cmd::cargo();
        check
            .current_dir(&copy)
            .env("CARGO_TARGET_DIR", &target)
            .args(["check", "--locked", "--all-features", "-p", &pkg.name]);
        if let Err(e) = ctx.logs.run(&format!("minimal-{}", pkg.name), &mut check) {
            ctx.report.finding(
                Level::Fail,
                "minimal versions",
                format!(
                    "{} does not build with its dependencies' lower bounds: {e}",
                    pkg.name
                ),
            );
            failed.push(pkg.name.clone());
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("{} fail with minimal versions", failed.join(", ")))
    }
}

/// Copies the files git tracks or would track (not ignored) from `root` to `dest`, as they are
/// in the work tree.
fn copy_tracked(root: &Path, dest: &Path) -> Result<(), String> {
    let list = cmd::capture(
        "git ls-files",
        Command::new("git").current_dir(root).args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ]),
    )?;
    if dest.exists() {
        fs::remove_dir_all(dest).map_err(|e| format!("cannot clear {}: {e}", dest.display()))?;
    }
    for rel in list.split('\0').filter(|s| !s.is_empty()) {
        let from = root.join(rel);
        let Ok(meta) = fs::symlink_metadata(&from) else {
            continue; // deleted in the work tree
        };
        let to = dest.join(rel);
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        if meta.file_type().is_symlink() {
            copy_link(&from, &to).map_err(|e| format!("cannot copy the link {rel}: {e}"))?;
        } else if meta.is_file() {
            fs::copy(&from, &to).map_err(|e| format!("cannot copy {rel}: {e}"))?;
        }
    }
    Ok(())
}

/// Recreates the symbolic link `from` at `to` (a crate may link `LICENSE` or `docs` to the
/// workspace's); where links cannot be made, copies what it points to.
#[cfg(unix)]
fn copy_link(from: &Path, to: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(fs::read_link(from)?, to)
}

#[cfg(not(unix))]
fn copy_link(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::copy(from, to).map(|_| ())
}

/// `name version` of each `[[package]]` of a lock file (other tables, such as
/// `[[patch.unused]]`, are skipped).
pub(crate) fn locked_versions(lock: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut in_package = false;
    let mut name = None;
    for line in lock.lines() {
        if line.starts_with('[') {
            in_package = line == "[[package]]";
            name = None;
        } else if !in_package {
            continue;
        } else if let Some(v) = line.strip_prefix("name = ") {
            name = Some(v.trim_matches('"').to_owned());
        } else if let (Some(v), Some(n)) = (line.strip_prefix("version = "), name.take()) {
            out.push((n, v.trim_matches('"').to_owned()));
        }
    }
    out
}

/// The packages whose lowest version in `minimal` is below their lowest in `normal`.
fn lowered(normal: &Path, minimal: &Path) -> Vec<String> {
    let read = |p: &Path| locked_versions(&fs::read_to_string(p).unwrap_or_default());
    let normal = read(normal);
    let lowest = |list: &[(String, String)], name: &str| {
        list.iter()
            .filter(|(n, _)| n == name)
            .filter_map(|(_, v)| ::semver::Version::parse(v).ok())
            .min()
    };
    let minimal = read(minimal);
    let mut names: Vec<String> = minimal.iter().map(|(n, _)| n.clone()).collect();
    names.dedup();
    names
        .into_iter()
        .filter(|n| match (lowest(&minimal, n), lowest(&normal, n)) {
            (Some(m), Some(x)) => m < x,
            _ => false,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_files_are_read_as_name_version_pairs() {
        let lock = "version = 4\n\n[[package]]\nname = \"a\"\nversion = \"1.2.3\"\nsource = \"x\"\n\n[[package]]\nname = \"b\"\nversion = \"0.1.0\"\ndependencies = [\n \"a\",\n]\n\n[[patch.unused]]\nname = \"c\"\nversion = \"0.1.0\"\n";
        assert_eq!(
            locked_versions(lock),
            [
                ("a".to_owned(), "1.2.3".to_owned()),
                ("b".to_owned(), "0.1.0".to_owned())
            ]
        );
    }
}
