//! Part of step 6 for the crates with binaries: `cargo install` from the local registry, as a
//! user of the command would, then each installed binary must answer `--help`.
//!
//! `cargo install <crate> --version =X.Y.Z --registry local --locked` uses the lock file packaged
//! with the crate, in the dev profile (`--debug`, to share the dependencies built by the other
//! steps), into a root in the scratch folder. The installed crate is the root of its build, so
//! cargo reads its packaged manifest, whose internal dependencies are crates.io ones: the same
//! `[patch.crates-io]` as for publishing takes them from the local registry.

use std::process::Command;

use super::report::Level;
use super::{cmd, publish, Context};

/// Installs every published crate that has binaries; returns the names installed.
pub(crate) fn run(ctx: &mut Context) -> Result<Vec<String>, String> {
    let root = ctx.work.join("install");
    let index = ctx.index_url()?;
    let crates: Vec<(String, String)> = ctx
        .order
        .iter()
        .map(|p| (p.name.clone(), p.version.to_string()))
        .collect();
    let mut installed = Vec::new();
    for pkg in ctx.order.clone().iter().filter(|p| !p.bins.is_empty()) {
        let mut install = cmd::cargo();
        install
            .current_dir(&ctx.work)
            .args([
                "install",
                &pkg.name,
                "--version",
                &format!("={}", pkg.version),
            ])
            .args(["--registry", "local", "--locked", "--debug", "--root"])
            .arg(&root)
            .arg("--target-dir")
            .arg(ctx.build_target())
            .args(["--config", &format!("registries.local.index={index:?}")])
            .args(publish::patch_args(&crates));
        let result = ctx
            .logs
            .run(&format!("install-{}", pkg.name), &mut install)
            .and_then(|()| {
                pkg.bins.iter().try_for_each(|bin| {
                    let path = root.join("bin").join(bin);
                    let help = format!("{bin} --help");
                    cmd::capture(&help, Command::new(&path).arg("--help"))?;
                    eprintln!(
                        "    installed {} from the registry; `{help}` works",
                        pkg.name
                    );
                    Ok(())
                })
            });
        match result {
            Ok(()) => installed.push(pkg.name.clone()),
            Err(e) => {
                ctx.report.finding(
                    Level::Fail,
                    "consumers",
                    format!("cargo install {}: {e}", pkg.name),
                );
                return Err(format!("cargo install {} failed", pkg.name));
            }
        }
    }
    Ok(installed)
}
