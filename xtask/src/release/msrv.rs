//! Step 2: the `rust-version` the crates declare is the toolchain this release builds with.
//!
//! A `rust-version` is a promise that the crates build with that compiler. The only promise a
//! release run can check is the toolchain it runs on, so every published crate's
//! `rust-version` must name it (`1.95` or `1.95.0` for rustc 1.95.0). A lower value would name
//! a toolchain nothing here built with; `docs/releasing.md` has the policy.

use std::process::Command;

use super::{cmd, Context};

/// `X.Y.Z` of `rustc -vV`'s `release:` line.
pub(crate) fn rustc_release(verbose_version: &str) -> Option<::semver::Version> {
    let release = verbose_version
        .lines()
        .find_map(|l| l.strip_prefix("release: "))?
        .trim();
    // A nightly or beta release reads `1.97.0-nightly`; the number is what counts here.
    ::semver::Version::parse(release.split('-').next()?).ok()
}

/// Whether `rust_version` (`X.Y` or `X.Y.Z`) names `built_with`.
pub(crate) fn names_toolchain(rust_version: &str, built_with: &::semver::Version) -> bool {
    let parts: Vec<Option<u64>> = rust_version.split('.').map(|p| p.parse().ok()).collect();
    match parts.as_slice() {
        [Some(major), Some(minor)] => *major == built_with.major && *minor == built_with.minor,
        [Some(major), Some(minor), Some(patch)] => {
            *major == built_with.major && *minor == built_with.minor && *patch == built_with.patch
        }
        _ => false,
    }
}

/// Checks every published crate's `rust-version` against the running rustc.
pub(crate) fn check(ctx: &mut Context) -> Result<(), String> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let out = cmd::capture("rustc -vV", Command::new(&rustc).arg("-vV"))?;
    let built_with = rustc_release(&out).ok_or("cannot read the release of `rustc -vV`")?;
    eprintln!("    building with rustc {built_with}");
    let mut problems = Vec::new();
    for pkg in &ctx.order {
        match &pkg.rust_version {
            None => problems.push(format!("{} has no rust-version", pkg.name)),
            Some(v) if names_toolchain(v, &built_with) => {}
            Some(v) => problems.push(format!(
                "{}: rust-version {v} is not the toolchain this release builds with ({built_with}); \
                 installed: {}",
                pkg.name,
                installed_toolchains()
            )),
        }
    }
    if problems.is_empty() {
        eprintln!(
            "    every published crate declares rust-version {}.{}",
            built_with.major, built_with.minor
        );
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// `rustup toolchain list`, on one line.
fn installed_toolchains() -> String {
    Command::new("rustup")
        .args(["toolchain", "list"])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_else(|_| "unknown (no rustup)".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_release_of_rustc_is_read() {
        let out =
            "rustc 1.95.0 (abc 2026-03-21)\nbinary: rustc\nrelease: 1.95.0\nLLVM version: 20\n";
        assert_eq!(rustc_release(out).unwrap().to_string(), "1.95.0");
        let nightly = "release: 1.97.0-nightly\n";
        assert_eq!(rustc_release(nightly).unwrap().to_string(), "1.97.0");
        assert!(rustc_release("rustc 1.95.0\n").is_none());
    }

    #[test]
    fn rust_version_must_name_the_toolchain_built_with() {
        let v = ::semver::Version::parse("1.95.0").unwrap();
        assert!(names_toolchain("1.95", &v));
        assert!(names_toolchain("1.95.0", &v));
        assert!(!names_toolchain("1.89", &v));
        assert!(!names_toolchain("1.95.1", &v));
        assert!(!names_toolchain("1.96", &v));
        assert!(!names_toolchain("1", &v));
        assert!(!names_toolchain("1.x", &v));
    }
}
