//! The workspace as `cargo metadata` describes it: which packages are published, their
//! internal dependencies and the order to publish them in. No package name is hard-coded.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::cmd;

/// One workspace member.
#[derive(Debug, Clone)]
pub(crate) struct Package {
    /// The package name (`[package] name`).
    pub(crate) name: String,
    /// Its version.
    pub(crate) version: semver::Version,
    /// `publish` is absent or names at least one registry.
    pub(crate) publishable: bool,
    /// Its features and what each enables (`default` included).
    pub(crate) features: BTreeMap<String, Vec<String>>,
    /// `rust-version`, when set.
    pub(crate) rust_version: Option<String>,
    /// Its dependencies on other workspace members.
    pub(crate) internal_deps: Vec<InternalDep>,
    /// The names of its binaries.
    pub(crate) bins: Vec<String>,
}

/// A dependency of one workspace member on another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InternalDep {
    /// The package depended on.
    pub(crate) name: String,
    /// The version requirement (`*` for a path dependency without a version).
    pub(crate) req: String,
    /// `normal`, `dev` or `build`.
    pub(crate) kind: String,
}

/// The workspace: its root and its members.
#[derive(Debug, Clone)]
pub(crate) struct Workspace {
    /// The directory of the root `Cargo.toml`.
    pub(crate) root: PathBuf,
    /// Every member, in `cargo metadata` order.
    pub(crate) members: Vec<Package>,
}

/// The parts of `cargo metadata --format-version 1 --no-deps` read here.
#[derive(Deserialize)]
struct Metadata {
    packages: Vec<MetaPackage>,
    workspace_members: Vec<String>,
    workspace_root: PathBuf,
}

#[derive(Deserialize)]
struct MetaPackage {
    id: String,
    name: String,
    version: String,
    manifest_path: PathBuf,
    publish: Option<Vec<String>>,
    features: BTreeMap<String, Vec<String>>,
    rust_version: Option<String>,
    dependencies: Vec<MetaDep>,
    targets: Vec<MetaTarget>,
}

#[derive(Deserialize)]
struct MetaTarget {
    name: String,
    kind: Vec<String>,
}

#[derive(Deserialize)]
struct MetaDep {
    name: String,
    req: String,
    kind: Option<String>,
    path: Option<PathBuf>,
}

impl Workspace {
    /// Runs `cargo metadata` in `root` and reads the members.
    pub(crate) fn load(root: &Path) -> Result<Self, String> {
        let out = cmd::capture(
            "cargo metadata",
            cmd::cargo()
                .current_dir(root)
                .args(["metadata", "--format-version", "1", "--no-deps"]),
        )?;
        Self::parse(&out)
    }

    /// Reads the output of `cargo metadata --format-version 1 --no-deps`.
    pub(crate) fn parse(json: &str) -> Result<Self, String> {
        let meta: Metadata =
            serde_json::from_str(json).map_err(|e| format!("cargo metadata: {e}"))?;
        let member_ids: BTreeSet<&str> =
            meta.workspace_members.iter().map(String::as_str).collect();
        let member_dirs: BTreeSet<PathBuf> = meta
            .packages
            .iter()
            .filter_map(|p| p.manifest_path.parent().map(Path::to_path_buf))
            .collect();
        let mut members = Vec::new();
        for p in meta
            .packages
            .iter()
            .filter(|p| member_ids.contains(p.id.as_str()))
        {
            let version = semver::Version::parse(&p.version)
                .map_err(|e| format!("{}: version {:?}: {e}", p.name, p.version))?;
            let internal_deps = p
                .dependencies
                .iter()
                .filter(|d| {
                    d.path
                        .as_ref()
                        .is_some_and(|path| member_dirs.contains(path))
                })
                .map(|d| InternalDep {
                    name: d.name.clone(),
                    req: d.req.clone(),
                    kind: d.kind.clone().unwrap_or_else(|| "normal".to_owned()),
                })
                .collect();
            members.push(Package {
                name: p.name.clone(),
                version,
                publishable: p.publish.as_ref().is_none_or(|list| !list.is_empty()),
                features: p.features.clone(),
                rust_version: p.rust_version.clone(),
                internal_deps,
                bins: p
                    .targets
                    .iter()
                    .filter(|t| t.kind.iter().any(|k| k == "bin"))
                    .map(|t| t.name.clone())
                    .collect(),
            });
        }
        Ok(Self {
            root: meta.workspace_root,
            members,
        })
    }

    /// A member by name.
    pub(crate) fn member(&self, name: &str) -> Option<&Package> {
        self.members.iter().find(|p| p.name == name)
    }

    /// The published members in dependency order: each after every member it depends on
    /// (see [`topological`]).
    pub(crate) fn publish_order(&self) -> Result<Vec<&Package>, String> {
        let published: Vec<&Package> = self.members.iter().filter(|p| p.publishable).collect();
        let names = topological(&published)?;
        Ok(names
            .iter()
            .filter_map(|n| published.iter().copied().find(|p| &p.name == n))
            .collect())
    }
}

/// Orders `packages` so that each comes after the members of the list it depends on,
/// alphabetically among the ready ones; an error names a cycle's members. Normal and build
/// dependencies count, and so do dev-dependencies with a version (they stay in the published
/// manifest, and a registry may refuse a dependency on a crate it does not have yet);
/// unversioned dev-dependencies are dropped by `cargo package` and do not count.
pub(crate) fn topological(packages: &[&Package]) -> Result<Vec<String>, String> {
    let names: BTreeSet<&str> = packages.iter().map(|p| p.name.as_str()).collect();
    let mut waiting: BTreeMap<&str, BTreeSet<&str>> = packages
        .iter()
        .map(|p| {
            let deps = p
                .internal_deps
                .iter()
                .filter(|d| (d.kind != "dev" || d.req != "*") && names.contains(d.name.as_str()))
                .map(|d| d.name.as_str())
                .collect();
            (p.name.as_str(), deps)
        })
        .collect();
    let mut order = Vec::new();
    while !waiting.is_empty() {
        let ready: Vec<&str> = waiting
            .iter()
            .filter(|(_, deps)| deps.is_empty())
            .map(|(name, _)| *name)
            .collect();
        if ready.is_empty() {
            let stuck: Vec<&str> = waiting.keys().copied().collect();
            return Err(format!("dependency cycle among {stuck:?}"));
        }
        for name in ready {
            waiting.remove(name);
            for deps in waiting.values_mut() {
                deps.remove(name);
            }
            order.push(name.to_owned());
        }
    }
    Ok(order)
}
