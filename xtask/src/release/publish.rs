//! Step 4: a real registry on loopback, and `cargo publish --registry local` of each crate in
//! dependency order.
//!
//! Cargo is told about the registry on its command line only
//! (`--config registries.local.index="sparse+http://127.0.0.1:PORT/index/"`), with a dummy token;
//! nothing is written to `CARGO_HOME` but cargo's own cache of what it downloaded from the
//! registry, which [`RegistryCache`] removes at the end (each run has a new port, hence a new
//! cache folder, so a later run never sees an earlier run's files).

use std::collections::BTreeSet;
use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use super::registry::{self, LocalRegistry};
use super::report::Cell;
use super::{cmd, compare, Context};

/// Starts the registry and publishes every crate to it, one `cargo publish` per crate in
/// dependency order; each crate's index line is read back.
///
/// A packaged manifest names the crate's internal dependencies as crates.io dependencies (that
/// is where they will be), and cargo resolves them while packaging. Until they are on crates.io
/// that fails ("no matching package named … found"), so each `cargo publish` gets a
/// `[patch.crates-io]` on its command line that takes the crates published before it from the
/// local registry, at exactly this version (see [`patch_args`]). Cargo records those patches in
/// the workspace's `Cargo.lock` as unused; [`LockGuard`] puts the file back as it was.
pub(crate) fn publish_all(ctx: &mut Context) -> Result<(), String> {
    let _lock = LockGuard::save(&ctx.ws.root.join("Cargo.lock"))?;
    let stand_in: BTreeSet<String> = ctx.order.iter().map(|p| p.name.clone()).collect();
    let dir = ctx.work.join("registry");
    let registry = LocalRegistry::start(&dir, stand_in)
        .map_err(|e| format!("cannot start the local registry: {e}"))?;
    eprintln!(
        "    local registry listening on {} only; cargo uses {} (files in {})",
        registry.addr(),
        registry.index_url(),
        dir.display()
    );
    RegistryCache::forget_addr(registry.addr());
    ctx.registry = Some(registry);
    let index = ctx.index_url()?;
    let mut published: Vec<(String, String)> = Vec::new();
    for pkg in ctx.order.clone() {
        let mut publish = cmd::cargo();
        publish
            .current_dir(&ctx.ws.root)
            .env("CARGO_TARGET_DIR", ctx.build_target())
            .env("CARGO_REGISTRIES_LOCAL_TOKEN", "dummy")
            .args([
                "publish",
                "--registry",
                "local",
                "--no-verify",
                "-p",
                &pkg.name,
            ])
            .args(["--config", &format!("registries.local.index={index:?}")])
            .args(patch_args(&published));
        if ctx.opts.dry_run {
            publish.arg("--allow-dirty");
        }
        let version = pkg.version.to_string();
        let cell = match ctx.logs.run(&format!("publish-{}", pkg.name), &mut publish) {
            Ok(()) => check_published(ctx, &pkg.name, &version, &dir),
            Err(e) => Cell::Fail(e),
        };
        let failed = matches!(cell, Cell::Fail(_));
        if let Some(row) = ctx.report.row(&pkg.name) {
            row.published = cell;
        }
        if failed {
            return Err(format!("{} was not published", pkg.name));
        }
        published.push((pkg.name.clone(), version));
    }
    Ok(())
}

/// Restores a file's contents when dropped (after each step, whether it passed or not).
#[derive(Debug)]
struct LockGuard {
    path: PathBuf,
    contents: Vec<u8>,
}

impl LockGuard {
    fn save(path: &Path) -> Result<Self, String> {
        let contents =
            fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Ok(Self {
            path: path.to_path_buf(),
            contents,
        })
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        if fs::read(&self.path).ok().as_deref() != Some(&self.contents[..]) {
            let _ = fs::write(&self.path, &self.contents);
        }
    }
}

/// `--config` arguments patching crates.io's `name` to the local registry's `=version`, for
/// each crate published so far.
pub(crate) fn patch_args(published: &[(String, String)]) -> Vec<String> {
    published
        .iter()
        .flat_map(|(name, version)| {
            [
                "--config".to_owned(),
                format!("patch.crates-io.{name}.registry=\"local\""),
                "--config".to_owned(),
                format!("patch.crates-io.{name}.version=\"={version}\""),
            ]
        })
        .collect()
}

/// Reads back the registry's index line for `name` `vers`, and compares the `.crate` file the
/// registry holds with the one the package step made: the same checksum, or else the same
/// files (a tarball's bytes may differ where the files do not).
fn check_published(ctx: &Context, name: &str, vers: &str, dir: &Path) -> Cell {
    let Some(rel) = registry::index::index_path(name) else {
        return Cell::Fail("invalid name".to_owned());
    };
    let index = fs::read_to_string(dir.join("index").join(rel)).unwrap_or_default();
    let line = index
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|l| l["vers"] == vers);
    let Some(line) = line else {
        return Cell::Fail("not in the index".to_owned());
    };
    let deps = line["deps"].as_array().map_or(0, Vec::len);
    let Some(packaged) = ctx.crate_files.get(name) else {
        return Cell::Ok(format!("ok ({deps} deps)"));
    };
    let published = registry::crate_path(dir, name, vers);
    let sum = fs::read(packaged).map(|bytes| registry::index::sha256_hex(&bytes));
    if sum.is_ok_and(|sum| line["cksum"] == sum.as_str()) {
        return Cell::Ok(format!("ok ({deps} deps, cksum = packaged)"));
    }
    let scratch = ctx.work.join("compare").join(name);
    match compare::first_difference(packaged, &published, &scratch) {
        Ok(None) => Cell::Ok(format!("ok ({deps} deps, files = packaged)")),
        Ok(Some(path)) => Cell::Warn(format!(
            "ok ({deps} deps), {path} differs from the packaged file"
        )),
        Err(e) => Cell::Warn(format!("ok ({deps} deps), not compared: {e}")),
    }
}

/// The folders of cargo's registry cache (`$CARGO_HOME/registry/{index,cache,src}/127.0.0.1-*`)
/// that existed before this run.
#[derive(Debug)]
pub(crate) struct RegistryCache {
    before: BTreeSet<PathBuf>,
}

impl RegistryCache {
    /// Notes the loopback registries' cache folders that exist now.
    pub(crate) fn snapshot() -> Self {
        Self {
            before: loopback_cache_dirs(),
        }
    }

    /// Removes the loopback registries' cache folders made since [`Self::snapshot`].
    pub(crate) fn forget_new(&self) {
        for dir in loopback_cache_dirs().difference(&self.before) {
            let _ = fs::remove_dir_all(dir);
        }
    }

    /// Removes what an earlier run that was killed may have left for a registry at `addr`
    /// (cargo would reuse its `.crate` files without checking them): the cache folders whose
    /// `index/…/config.json` names that address.
    pub(crate) fn forget_addr(addr: SocketAddr) {
        let url = format!("http://{addr}");
        let stale: Vec<PathBuf> = loopback_cache_dirs()
            .into_iter()
            .filter(|dir| {
                fs::read_to_string(dir.join("config.json")).is_ok_and(|c| c.contains(&url))
            })
            .collect();
        for index_dir in stale {
            let Some(name) = index_dir.file_name() else {
                continue;
            };
            for dir in loopback_cache_dirs() {
                if dir.file_name() == Some(name) {
                    let _ = fs::remove_dir_all(dir);
                }
            }
        }
    }
}

/// `$CARGO_HOME/registry/{index,cache,src}/127.0.0.1-*`.
fn loopback_cache_dirs() -> BTreeSet<PathBuf> {
    let Some(home) = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
    else {
        return BTreeSet::new();
    };
    let mut dirs = BTreeSet::new();
    for kind in ["index", "cache", "src"] {
        let Ok(entries) = fs::read_dir(home.join("registry").join(kind)) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry
                .file_name()
                .to_string_lossy()
                .starts_with("127.0.0.1-")
            {
                dirs.insert(entry.path());
            }
        }
    }
    dirs
}
