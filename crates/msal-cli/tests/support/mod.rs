//! Helpers shared by the msal-cli test binaries.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The newest modification time of the files below `dir`.
fn newest_below(dir: &Path) -> std::time::SystemTime {
    let mut newest = std::time::UNIX_EPOCH;
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let time = if path.is_dir() {
            newest_below(&path)
        } else {
            entry
                .metadata()
                .and_then(|m| m.modified())
                .unwrap_or(newest)
        };
        newest = newest.max(time);
    }
    newest
}

/// The example `name` of msal-client: the one `cargo test --workspace` built, unless it is
/// missing or a library source is newer than it (then it is built here, with `features`).
pub(crate) fn example(name: &str, features: &[&str]) -> PathBuf {
    // this test is <target>/<profile>/deps/<test>-<hash>
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
    let example = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let sources = [
        "msal",
        "mtls-transport",
        "oauth2-core",
        "token-cache",
        "telemetry",
    ]
    .iter()
    .map(|c| newest_below(&crates.join(c)))
    .max()
    .unwrap();
    let built = std::fs::metadata(&example).and_then(|m| m.modified()).ok();
    if built.is_some_and(|b| b > sources) {
        return example;
    }
    let mut build = Command::new(env!("CARGO"));
    build.args(["build", "--quiet", "-p", "msal-client", "--example", name]);
    if !features.is_empty() {
        build.args(["--features", &features.join(",")]);
    }
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        build.arg("--release");
    }
    let status = build
        .env("CARGO_TARGET_DIR", profile_dir.parent().unwrap())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap();
    assert!(status.success(), "building the {name} example failed");
    assert!(example.exists(), "{} missing", example.display());
    example
}
