//! Whether two `.crate` files hold the same files.
//!
//! The rehearsal publishes with the internal crates patched to the local registry (see
//! [`super::publish`]), so the `Cargo.lock` cargo writes into a published package names the
//! local registry as their source where the package step's names crates.io (with the
//! checksums of the package step's files). A lock file counts as the same when it pins the same
//! packages at the same versions; every other file must match byte for byte.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::cmd;
use super::minimal::locked_versions;

/// The first path (relative to the unpack folder) that one of the `.crate` files `a` and `b`
/// has and the other has not, or has with other contents (for `Cargo.lock`: other packages or
/// versions); `None` when they hold the same files. Both are unpacked below `scratch`.
pub(crate) fn first_difference(
    a: &Path,
    b: &Path,
    scratch: &Path,
) -> Result<Option<String>, String> {
    let (a, b) = (
        unpack(a, &scratch.join("a"))?,
        unpack(b, &scratch.join("b"))?,
    );
    let paths: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let first = paths
        .into_iter()
        .find(|p| !same_file(p, a.get(*p), b.get(*p)))
        .cloned();
    Ok(first)
}

/// Whether two versions of the file `path` count as the same.
fn same_file(path: &str, a: Option<&Vec<u8>>, b: Option<&Vec<u8>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) if path.ends_with("/Cargo.lock") => {
            let pins = |bytes: &[u8]| locked_versions(&String::from_utf8_lossy(bytes));
            pins(a) == pins(b)
        }
        (a, b) => a == b,
    }
}

/// Unpacks `file` into `dir` (emptied first) and reads every file: relative path → bytes.
fn unpack(file: &Path, dir: &Path) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    cmd::capture(
        "tar -xzf",
        Command::new("tar").arg("-xzf").arg(file).arg("-C").arg(dir),
    )?;
    let mut files = BTreeMap::new();
    let mut stack: Vec<PathBuf> = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        let entries =
            fs::read_dir(&next).map_err(|e| format!("cannot read {}: {e}", next.display()))?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .into_owned();
                let bytes =
                    fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                files.insert(rel, bytes);
            }
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `.crate`-like tarball of `files` under `pkg-0.1.0/`.
    fn tarball(dir: &Path, name: &str, files: &[(&str, &str)]) -> PathBuf {
        let src = dir.join(format!("src-{name}"));
        for (path, text) in files {
            let path = src.join("pkg-0.1.0").join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
        let out = dir.join(format!("{name}.crate"));
        let status = Command::new("tar")
            .arg("-czf")
            .arg(&out)
            .arg("-C")
            .arg(&src)
            .arg("pkg-0.1.0")
            .status()
            .unwrap();
        assert!(status.success());
        out
    }

    #[test]
    fn crate_files_compare_by_contents() {
        let dir = std::env::temp_dir().join(format!("xtask-compare-{}", std::process::id()));
        let one = tarball(&dir, "one", &[("Cargo.toml", "a"), ("src/lib.rs", "b")]);
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let same = tarball(&dir, "same", &[("Cargo.toml", "a"), ("src/lib.rs", "b")]);
        let other = tarball(&dir, "other", &[("Cargo.toml", "a"), ("src/lib.rs", "c")]);
        let more = tarball(
            &dir,
            "more",
            &[("Cargo.toml", "a"), ("src/lib.rs", "b"), ("x", "")],
        );
        let scratch = dir.join("scratch");
        assert_eq!(first_difference(&one, &same, &scratch).unwrap(), None);
        assert_eq!(
            first_difference(&one, &other, &scratch).unwrap().as_deref(),
            Some("pkg-0.1.0/src/lib.rs")
        );
        assert_eq!(
            first_difference(&one, &more, &scratch).unwrap().as_deref(),
            Some("pkg-0.1.0/x")
        );
        let lock = |source: &str, version: &str| {
            format!("version = 4\n\n[[package]]\nname = \"a\"\nversion = \"{version}\"\nsource = \"{source}\"\n")
        };
        let crates_io = lock(
            "registry+https://github.com/rust-lang/crates.io-index",
            "1.0.0",
        );
        let local = lock("sparse+http://127.0.0.1:1/index/", "1.0.0");
        let newer = lock("sparse+http://127.0.0.1:1/index/", "1.0.1");
        let a = tarball(&dir, "lock-a", &[("Cargo.lock", &crates_io)]);
        let b = tarball(&dir, "lock-b", &[("Cargo.lock", &local)]);
        let c = tarball(&dir, "lock-c", &[("Cargo.lock", &newer)]);
        assert_eq!(first_difference(&a, &b, &scratch).unwrap(), None);
        assert_eq!(
            first_difference(&a, &c, &scratch).unwrap().as_deref(),
            Some("pkg-0.1.0/Cargo.lock")
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
