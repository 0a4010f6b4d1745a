//! The sparse index: where a crate's file lives, and the line a publish adds to it.
//!
//! The line follows cargo's registry index format
//! (<https://doc.rust-lang.org/cargo/reference/registry-index.html>): `name`, `vers`, `deps`,
//! `cksum`, `features`, `yanked`, `links`, `rust_version`, and `features2` with `v: 2` for the
//! features that use the `dep:` or `?` syntax.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::publish::{NewCrate, NewDep};

/// The crates.io index URL: how the publish API and the index name a dependency on crates.io
/// from another registry.
pub(crate) const CRATES_IO_INDEX: &str = "https://github.com/rust-lang/crates.io-index";

/// The path of a crate's index file below the index root: `1/a`, `2/ab`, `3/a/abc`,
/// `ab/cd/abcd...`, lowercased. `None` for a name cargo would not publish (empty, or a character
/// other than ASCII letters, digits, `-` and `_`), so that no name can leave the index folder.
pub(crate) fn index_path(name: &str) -> Option<String> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return None;
    }
    let n = name.to_ascii_lowercase();
    Some(match n.len() {
        1 => format!("1/{n}"),
        2 => format!("2/{n}"),
        3 => format!("3/{}/{n}", &n[..1]),
        _ => format!("{}/{}/{n}", &n[..2], &n[2..4]),
    })
}

/// One dependency in an index line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct IndexDep {
    /// The name the depending crate uses (its `Cargo.toml` key; the rename when renamed).
    pub(crate) name: String,
    /// The version requirement.
    pub(crate) req: String,
    /// Features enabled on it.
    pub(crate) features: Vec<String>,
    /// Whether it is optional.
    pub(crate) optional: bool,
    /// Whether its default features are on.
    pub(crate) default_features: bool,
    /// The `cfg` or target triple it is limited to.
    pub(crate) target: Option<String>,
    /// `normal`, `dev` or `build`.
    pub(crate) kind: String,
    /// The index URL of its registry; absent when it is this registry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) registry: Option<String>,
    /// The real package name, when `name` is a rename.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) package: Option<String>,
}

/// One line of a crate's index file.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct IndexLine {
    pub(crate) name: String,
    pub(crate) vers: String,
    pub(crate) deps: Vec<IndexDep>,
    pub(crate) cksum: String,
    pub(crate) features: BTreeMap<String, Vec<String>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) features2: BTreeMap<String, Vec<String>>,
    pub(crate) yanked: bool,
    pub(crate) links: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) rust_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) v: Option<u32>,
}

/// Maps one dependency of the publish request to its index form.
///
/// The publish API names the real package in `name` and the `Cargo.toml` key in
/// `explicit_name_in_toml` (only when renamed); the index names the key in `name` and the real
/// package in `package`. A dependency on crates.io carries `registry` = [`CRATES_IO_INDEX`],
/// except for the packages in `stand_in`: this registry stands in for crates.io for them (the
/// workspace's own crates, which will live on crates.io beside their dependents), so their
/// entries point here.
pub(crate) fn index_dep(dep: &NewDep, stand_in: &BTreeSet<String>) -> IndexDep {
    let (name, package) = match &dep.explicit_name_in_toml {
        Some(key) => (key.clone(), Some(dep.name.clone())),
        None => (dep.name.clone(), None),
    };
    let registry = match &dep.registry {
        Some(url) if url == CRATES_IO_INDEX && stand_in.contains(&dep.name) => None,
        other => other.clone(),
    };
    IndexDep {
        name,
        req: dep.version_req.clone(),
        features: dep.features.clone(),
        optional: dep.optional,
        default_features: dep.default_features,
        target: dep.target.clone(),
        kind: dep.kind.clone(),
        registry,
        package,
    }
}

/// The index line for a published crate whose `.crate` file has the sha256 `cksum` (hex).
pub(crate) fn index_line(meta: &NewCrate, cksum: &str, stand_in: &BTreeSet<String>) -> IndexLine {
    // Features using `dep:` or `weak?/` syntax go to `features2`, which older cargo skips.
    let (features2, features): (BTreeMap<_, _>, BTreeMap<_, _>) =
        meta.features.clone().into_iter().partition(|(_, values)| {
            values
                .iter()
                .any(|v: &String| v.starts_with("dep:") || v.contains("?/"))
        });
    IndexLine {
        name: meta.name.clone(),
        vers: meta.vers.clone(),
        deps: meta.deps.iter().map(|d| index_dep(d, stand_in)).collect(),
        cksum: cksum.to_owned(),
        v: (!features2.is_empty()).then_some(2),
        features,
        features2,
        yanked: false,
        links: meta.links.clone(),
        rust_version: meta.rust_version.clone(),
    }
}

/// The lowercase hex sha256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
