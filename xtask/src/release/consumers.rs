//! Step 6: projects that use the crates the way users will, from the registry only.
//!
//! Each folder of `release/consumers/` is a project template: its `Cargo.toml` depends on the
//! published crates as `{ version = "=@VERSION@", registry = "local" }` and its
//! `.cargo/config.toml` names the registry's index as `@INDEX@`. The step copies each to the
//! scratch folder with those filled in, then runs `cargo build` and `cargo test` there: no path
//! into the work tree, so only what was published is used.
//!
//! Crates with binaries are then installed from the registry (see [`install`]).
//!
//! A template may hold a `forbid.txt`: one package per line (`name`, or `name[feature]` for a
//! package only when built with that feature) that its normal dependency graph
//! (`cargo tree -e normal`) must not contain. What is found anyway is a warning in the report.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use super::report::{Cell, Level};
use super::{cmd, install, Context};

/// Where the templates are, relative to the workspace root.
pub(crate) const TEMPLATES: &str = "release/consumers";

/// One node of `cargo tree --prefix none -f '{p}|{f}'`: name and enabled features.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Node {
    /// The package name.
    pub(crate) name: String,
    /// Its features in this graph.
    pub(crate) features: BTreeSet<String>,
}

/// Reads `cargo tree --prefix none -f '{p}|{f}'` output.
pub(crate) fn parse_tree(text: &str) -> Vec<Node> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim_end().trim_end_matches("(*)").trim_end();
            let (package, features) = line.split_once('|')?;
            Some(Node {
                name: package.split_whitespace().next()?.to_owned(),
                features: features
                    .split(',')
                    .map(str::trim)
                    .filter(|f| !f.is_empty())
                    .map(str::to_owned)
                    .collect(),
            })
        })
        .collect()
}

/// The lines of a `forbid.txt` that `nodes` break, each with what was found.
pub(crate) fn forbidden(rules: &str, nodes: &[Node]) -> Vec<String> {
    let mut found = Vec::new();
    for rule in rules
        .lines()
        .map(|l| l.split('#').next().unwrap_or_default().trim())
    {
        if rule.is_empty() {
            continue;
        }
        let (name, feature) = match rule.split_once('[') {
            Some((name, rest)) => (name, Some(rest.trim_end_matches(']'))),
            None => (rule, None),
        };
        let hit = nodes
            .iter()
            .any(|n| n.name == name && feature.is_none_or(|f| n.features.contains(f)));
        if hit {
            found.push(match feature {
                Some(f) => format!("{name} with feature `{f}`"),
                None => name.to_owned(),
            });
        }
    }
    found.dedup();
    found
}

/// Copies `from` to `to`, replacing `@VERSION@` and `@INDEX@` in every file.
fn instantiate(from: &Path, to: &Path, version: &str, index: &str) -> Result<(), String> {
    fs::create_dir_all(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    let entries = fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    for entry in entries.flatten() {
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if src.is_dir() {
            instantiate(&src, &dst, version, index)?;
        } else {
            let text = fs::read_to_string(&src)
                .map_err(|e| format!("cannot read {}: {e}", src.display()))?;
            let text = text.replace("@VERSION@", version).replace("@INDEX@", index);
            fs::write(&dst, text).map_err(|e| format!("cannot write {}: {e}", dst.display()))?;
        }
    }
    Ok(())
}

/// Builds and tests every consumer; fills the consumers column.
pub(crate) fn run(ctx: &mut Context) -> Result<(), String> {
    let templates = ctx.ws.root.join(TEMPLATES);
    let mut names: Vec<String> = fs::read_dir(&templates)
        .map_err(|e| format!("cannot read {}: {e}", templates.display()))?
        .flatten()
        .filter(|e| e.path().join("Cargo.toml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut used_by: Vec<(String, BTreeSet<String>, bool)> = Vec::new();
    for name in &names {
        eprintln!("    consumer {name}");
        let outcome = consumer(ctx, &templates, name);
        let ok = outcome.is_ok();
        let crates = match outcome {
            Ok(crates) => crates,
            Err(e) => {
                ctx.report
                    .finding(Level::Fail, "consumers", format!("{name}: {e}"));
                BTreeSet::new()
            }
        };
        used_by.push((name.clone(), crates, ok));
    }
    // The crates with binaries have users of another kind: `cargo install`.
    let installed = install::run(ctx);
    let ok = installed.is_ok();
    used_by.push((
        "cargo install".to_owned(),
        installed.unwrap_or_default().into_iter().collect(),
        ok,
    ));
    fill_column(ctx, &used_by);
    let failed: Vec<&str> = used_by
        .iter()
        .filter(|u| !u.2)
        .map(|u| u.0.as_str())
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("consumers failing: {}", failed.join(", ")))
    }
}

/// One consumer: instantiate, build, test, check its tree. Returns the published crates in
/// its graph.
fn consumer(ctx: &mut Context, templates: &Path, name: &str) -> Result<BTreeSet<String>, String> {
    let dir = ctx.work.join("consumers").join(name);
    instantiate(
        &templates.join(name),
        &dir,
        &ctx.version.to_string(),
        &ctx.index_url()?,
    )?;
    let target = ctx.build_target();
    for action in ["build", "test"] {
        let mut command = cmd::cargo();
        command
            .current_dir(&dir)
            .env("CARGO_TARGET_DIR", &target)
            .arg(action);
        ctx.logs
            .run(&format!("consumer-{name}-{action}"), &mut command)?;
    }
    let tests = passed_tests(
        &ctx.out
            .join("logs")
            .join(format!("consumer-{name}-test.log")),
    );
    eprintln!("      built, {tests} tests passed");
    let tree = |edges: &str| {
        cmd::capture(
            "cargo tree",
            cmd::cargo()
                .current_dir(&dir)
                .env("CARGO_TARGET_DIR", &target)
                .args(["tree", "-e", edges, "--prefix", "none", "-f", "{p}|{f}"]),
        )
        .map(|t| parse_tree(&t))
    };
    let normal = tree("normal")?;
    let rules = fs::read_to_string(dir.join("forbid.txt")).unwrap_or_default();
    let found = forbidden(&rules, &normal);
    if found.is_empty() && !rules.trim().is_empty() {
        eprintln!("      dependency tree: none of forbid.txt");
    }
    for what in found {
        ctx.report.finding(
            Level::Warn,
            "consumers",
            format!("{name}: the normal dependency tree has {what} (forbid.txt)"),
        );
    }
    let ours: BTreeSet<String> = ctx.order.iter().map(|p| p.name.clone()).collect();
    Ok(tree("normal,dev")?
        .into_iter()
        .map(|n| n.name)
        .filter(|n| ours.contains(n))
        .collect())
}

/// The sum of `N passed` over a test log's `test result:` lines.
pub(crate) fn passed_tests(log: &Path) -> usize {
    let text = fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .filter_map(|l| l.strip_prefix("test result: ")?.split("; ").next())
        .filter_map(|l| l.split_whitespace().nth(1)?.parse::<usize>().ok())
        .sum()
}

/// The consumers column: which consumers have each crate in their graph (and all passed).
fn fill_column(ctx: &mut Context, used_by: &[(String, BTreeSet<String>, bool)]) {
    for row in &mut ctx.report.rows {
        let users: Vec<&str> = used_by
            .iter()
            .filter(|(_, crates, _)| crates.contains(&row.name))
            .map(|(name, _, _)| name.as_str())
            .collect();
        row.consumers = if used_by.iter().any(|u| !u.2) {
            Cell::Fail(format!(
                "{} failing",
                used_by.iter().filter(|u| !u.2).count()
            ))
        } else if users.is_empty() {
            Cell::Warn("used by none".to_owned())
        } else {
            Cell::Ok(users.join(", "))
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TREE: &str = "cache-alone v0.1.0 (/tmp/x)|\ntoken-cache v0.1.0 (registry `local`)|\ntokio v1.47.1|bytes,default,sync\nrustls-pki-types v1.12.0|std (*)\n";

    #[test]
    fn trees_are_read_with_features() {
        let nodes = parse_tree(TREE);
        assert_eq!(nodes.len(), 4);
        assert_eq!(nodes[1].name, "token-cache");
        assert!(nodes[1].features.is_empty());
        assert_eq!(
            nodes[2].features,
            ["bytes", "default", "sync"].map(str::to_owned).into()
        );
        assert_eq!(nodes[3].features, ["std".to_owned()].into());
    }

    #[test]
    fn forbidden_packages_and_features_are_found() {
        let nodes = parse_tree(TREE);
        let rules = "# comment\ntokio[rt]\ntokio[sync]\nrustls\nrustls-pki-types # types only\nx509-parser\n";
        assert_eq!(
            forbidden(rules, &nodes),
            ["tokio with feature `sync`", "rustls-pki-types"]
        );
        assert!(forbidden("", &nodes).is_empty());
    }

    #[test]
    fn passed_tests_are_summed() {
        let dir = std::env::temp_dir().join(format!("xtask-passed-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let log = dir.join("t.log");
        fs::write(&log, "test result: ok. 2 passed; 0 failed; 0 ignored\nx\ntest result: ok. 0 passed; 0 failed\ntest result: ok. 3 passed; 0 failed\n").unwrap();
        assert_eq!(passed_tests(&log), 5);
        fs::remove_dir_all(&dir).unwrap();
    }
}
