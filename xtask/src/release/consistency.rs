//! Step 1: the published crates agree with each other and with the changelog.
//!
//! * every published crate's version is the workspace version (`[workspace.package] version`);
//! * `CHANGELOG.md` has a dated, non-empty section for that version;
//! * every dependency of a published crate on another member names a version requirement that
//!   the sibling's version meets, and the sibling is published (a dev-dependency without a
//!   version is dropped by `cargo package`, so it may point at an unpublished member).
//!
//! Crates are checked in dependency order, so the first error is the one to fix first.

use std::fs;
use std::path::Path;

use super::changelog;
use super::workspace::{Package, Workspace};

/// The `version` of `[workspace.package]` in the root `Cargo.toml` text.
pub(crate) fn workspace_version(manifest: &str) -> Result<semver::Version, String> {
    let mut in_section = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_section = line == "[workspace.package]";
            continue;
        }
        if !in_section {
            continue;
        }
        if let Some(value) = line.strip_prefix("version") {
            let value = value.trim_start().strip_prefix('=').map(str::trim);
            let value = value.and_then(|v| v.strip_prefix('"')?.split('"').next());
            let value = value.ok_or("[workspace.package] version is not a string")?;
            return semver::Version::parse(value)
                .map_err(|e| format!("[workspace.package] version {value:?}: {e}"));
        }
    }
    Err("the root Cargo.toml has no [workspace.package] version".to_owned())
}

/// The problems with one crate's dependencies on other members.
pub(crate) fn dependency_problems(pkg: &Package, ws: &Workspace) -> Vec<String> {
    let mut problems = Vec::new();
    for dep in &pkg.internal_deps {
        let Some(target) = ws.member(&dep.name) else {
            continue;
        };
        let what = format!("{} -> {} ({}, {:?})", pkg.name, dep.name, dep.kind, dep.req);
        if dep.req == "*" {
            if dep.kind != "dev" {
                problems.push(format!(
                    "{what}: a path dependency needs a version to be published"
                ));
            }
            continue;
        }
        if dep.kind != "dev" && !target.publishable {
            problems.push(format!("{what}: {} is not published", dep.name));
        }
        match semver::VersionReq::parse(&dep.req) {
            Ok(req) if req.matches(&target.version) => {}
            Ok(_) => problems.push(format!(
                "{what}: the requirement does not accept {} {}",
                dep.name, target.version
            )),
            Err(e) => problems.push(format!("{what}: unreadable requirement: {e}")),
        }
    }
    problems
}

/// Runs the checks; prints one line per crate and returns every problem found.
pub(crate) fn check(ws: &Workspace, order: &[&Package]) -> Result<semver::Version, String> {
    let manifest = read(&ws.root.join("Cargo.toml"))?;
    let version = workspace_version(&manifest)?;
    eprintln!("    workspace version {version}");
    let mut problems = Vec::new();
    match read(&ws.root.join("CHANGELOG.md")).and_then(|t| changelog::release_section(&t, &version))
    {
        Ok(section) => eprintln!(
            "    CHANGELOG.md: [{version}] - {} ({} items)",
            section.date.unwrap_or_default(),
            section.items
        ),
        Err(e) => problems.push(e),
    }
    for pkg in order {
        let mut own = Vec::new();
        if pkg.version != version {
            own.push(format!(
                "{} is at {}, the workspace at {version}",
                pkg.name, pkg.version
            ));
        }
        own.extend(dependency_problems(pkg, ws));
        let deps = pkg.internal_deps.iter().filter(|d| d.req != "*").count();
        if own.is_empty() {
            eprintln!(
                "    {} {}: ok ({deps} internal requirements met)",
                pkg.name, pkg.version
            );
        }
        problems.extend(own);
    }
    if problems.is_empty() {
        Ok(version)
    } else {
        Err(format!("consistency:\n      {}", problems.join("\n      ")))
    }
}

fn read(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::workspace::InternalDep;

    #[test]
    fn the_workspace_version_is_read_from_its_section_only() {
        let toml = "[package]\nversion = \"9.9.9\"\n[workspace.package]\nedition = \"2021\"\nversion = \"0.1.0\"\n[x]\nversion = \"1.0.0\"\n";
        assert_eq!(workspace_version(toml).unwrap().to_string(), "0.1.0");
        assert!(workspace_version("[workspace]\n").is_err());
        assert!(workspace_version("[workspace.package]\nversion = 1\n").is_err());
    }

    fn pkg(name: &str, version: &str, publishable: bool, deps: &[(&str, &str, &str)]) -> Package {
        Package {
            name: name.to_owned(),
            version: semver::Version::parse(version).unwrap(),
            publishable,
            features: Default::default(),
            rust_version: None,
            internal_deps: deps
                .iter()
                .map(|(n, r, k)| InternalDep {
                    name: (*n).to_owned(),
                    req: (*r).to_owned(),
                    kind: (*k).to_owned(),
                })
                .collect(),
            bins: Vec::new(),
        }
    }

    #[test]
    fn requirements_must_accept_the_siblings_version() {
        let ws = Workspace {
            root: Default::default(),
            members: vec![
                pkg("core", "0.1.0", true, &[("scan", "*", "dev")]),
                pkg("scan", "0.1.0", false, &[]),
                pkg("ok", "0.1.0", true, &[("core", "^0.1.0", "normal")]),
                pkg("old", "0.1.0", true, &[("core", "^0.2", "normal")]),
                pkg("bare", "0.1.0", true, &[("core", "*", "build")]),
                pkg("hidden", "0.1.0", true, &[("scan", "0.1.0", "normal")]),
            ],
        };
        let problems = |name: &str| dependency_problems(ws.member(name).unwrap(), &ws);
        assert!(
            problems("core").is_empty(),
            "an unversioned dev-dependency is dropped"
        );
        assert!(problems("ok").is_empty());
        assert!(problems("old")[0].contains("does not accept core 0.1.0"));
        assert!(problems("bare")[0].contains("needs a version"));
        assert!(problems("hidden")[0].contains("scan is not published"));
    }

    #[test]
    fn dependency_order_puts_dependencies_first_and_ignores_unversioned_dev_edges() {
        let members = [
            pkg(
                "facade",
                "0.1.0",
                true,
                &[("cache", "0.1", "normal"), ("emu", "0.1", "dev")],
            ),
            pkg("cache", "0.1.0", true, &[("core", "0.1", "normal")]),
            pkg("core", "0.1.0", true, &[("cli", "*", "dev")]),
            pkg("emu", "0.1.0", true, &[]),
            pkg(
                "cli",
                "0.1.0",
                true,
                &[("facade", "0.1", "normal"), ("emu", "0.1", "build")],
            ),
        ];
        let refs: Vec<&Package> = members.iter().collect();
        let order = crate::release::workspace::topological(&refs).unwrap();
        assert_eq!(order, ["core", "emu", "cache", "facade", "cli"]);
        let cyclic = [
            pkg("a", "0.1.0", true, &[("b", "0.1", "normal")]),
            pkg("b", "0.1.0", true, &[("a", "0.1", "normal")]),
        ];
        let refs: Vec<&Package> = cyclic.iter().collect();
        assert!(crate::release::workspace::topological(&refs)
            .unwrap_err()
            .contains("cycle"));
    }
}
