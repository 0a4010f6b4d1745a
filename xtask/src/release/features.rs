//! Step 9: every published crate checks with no default features, with each feature alone and
//! with all features (`cargo check -p <crate>`, in one target folder). Each failing
//! combination is a finding.

use std::collections::BTreeMap;

use super::report::Level;
use super::{cmd, Context};

/// The feature arguments to check a crate with: `--no-default-features`, then each feature
/// (but `default`) alone, then `--all-features`.
pub(crate) fn combinations(features: &BTreeMap<String, Vec<String>>) -> Vec<Vec<String>> {
    let mut out = vec![vec!["--no-default-features".to_owned()]];
    for name in features.keys().filter(|f| *f != "default") {
        out.push(vec![
            "--no-default-features".to_owned(),
            "--features".to_owned(),
            name.clone(),
        ]);
    }
    out.push(vec!["--all-features".to_owned()]);
    out
}

/// Runs the matrix.
pub(crate) fn run(ctx: &mut Context) -> Result<(), String> {
    let target = ctx.out.join("check");
    let mut failures = Vec::new();
    let mut total = 0;
    for pkg in ctx.order.clone() {
        for args in combinations(&pkg.features) {
            total += 1;
            let label = format!("{} {}", pkg.name, args.join(" "));
            let mut check = cmd::cargo();
            check
                .current_dir(&ctx.ws.root)
                .env("CARGO_TARGET_DIR", &target)
                .args(["check", "--locked", "-p", &pkg.name])
                .args(&args);
            let log = format!("features-{}-{}", pkg.name, total);
            if let Err(e) = ctx.logs.run(&log, &mut check) {
                ctx.report
                    .finding(Level::Fail, "feature matrix", format!("{label}: {e}"));
                failures.push(label);
            }
        }
    }
    eprintln!(
        "    {} of {total} combinations check",
        total - failures.len()
    );
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} combinations fail: {}",
            failures.len(),
            failures.join("; ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_matrix_is_none_each_alone_and_all() {
        let features: BTreeMap<String, Vec<String>> = [
            ("default".to_owned(), vec!["file".to_owned()]),
            ("file".to_owned(), vec!["dep:tokio".to_owned()]),
            ("pkcs12".to_owned(), vec![]),
        ]
        .into();
        let got: Vec<String> = combinations(&features)
            .iter()
            .map(|a| a.join(" "))
            .collect();
        assert_eq!(
            got,
            [
                "--no-default-features",
                "--no-default-features --features file",
                "--no-default-features --features pkcs12",
                "--all-features",
            ]
        );
    }
}
