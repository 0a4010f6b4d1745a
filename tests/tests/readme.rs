//! The repository README's library example and the facade's README (its crates.io page and
//! rustdoc front page) show the same code, so the example users copy is the one both doctests
//! run.

use std::path::Path;

/// The first ```rust block of a Markdown file.
fn first_rust_block(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let start = text
        .find("```rust")
        .unwrap_or_else(|| panic!("{path:?} has no rust block"));
    let body = &text[start..];
    let body = &body[body.find('\n').expect("a line after the fence") + 1..];
    body[..body.find("```").expect("a closing fence")].to_owned()
}

#[test]
fn repository_and_facade_readmes_share_the_library_example() {
    assert_eq!(
        first_rust_block("../README.md"),
        first_rust_block("../crates/msal/README.md")
    );
}
