//! Unit tests of the checks: small sources in, findings out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::analyze::{check_file_length, manifest_value, CrateSummary, Report, Violation};
use super::api::{public_api, Api, ItemId};
use super::cycles::{dependency_graph, find_cycles};
use super::lengths::measure;
use super::modtree::{load, Module};
use super::paths::absolute;
use super::report::render;

/// A function of `lines` lines in total, named `name`.
fn function(name: &str, lines: usize) -> String {
    let body = "    let _ = 1;\n".repeat(lines - 2);
    format!("fn {name}() {{\n{body}}}\n")
}

/// The functions of `source` with their lengths.
fn lengths(source: &str) -> Vec<(String, usize)> {
    let file = syn::parse_file(source).unwrap();
    let measured = measure(&file, source.lines().count());
    measured
        .functions
        .into_iter()
        .map(|f| (f.name, f.lines))
        .collect()
}

/// Loads a crate from `(path, source)` pairs; the root is `src/lib.rs`.
fn modules(files: &[(&str, &str)]) -> Vec<Module> {
    let map: BTreeMap<PathBuf, String> = files
        .iter()
        .map(|(p, s)| (PathBuf::from(p), (*s).to_owned()))
        .collect();
    let read = |p: &Path| map.get(p).cloned();
    load(Path::new("src/lib.rs"), &read).unwrap()
}

/// The cycles of a crate given as files.
fn cycles(files: &[(&str, &str)]) -> Vec<String> {
    let graph = dependency_graph(&modules(files), &|p| p.display().to_string());
    find_cycles(&graph)
        .0
        .into_iter()
        .map(|c| c.join(" -> "))
        .collect()
}

/// The public API of a crate `c` given as files.
fn api(files: &[(&str, &str)]) -> (Api, Vec<Module>) {
    let modules = modules(files);
    (public_api("c", &modules), modules)
}

/// Each public item's description and paths.
fn items(files: &[(&str, &str)]) -> BTreeMap<String, Vec<String>> {
    let (api, modules) = api(files);
    api.paths
        .iter()
        .map(|(id, paths)| (api.describe(id, &modules), paths.iter().cloned().collect()))
        .collect()
}

#[test]
fn measures_functions_from_fn_keyword_to_closing_brace() {
    let source = format!(
        "/// Docs do not count.\n#[inline]\n{}{}",
        function("long", 90),
        function("short", 3)
    );
    assert_eq!(
        lengths(&source),
        [("long".to_owned(), 90), ("short".to_owned(), 3)]
    );
}

#[test]
fn names_methods_nested_and_trait_default_functions() {
    let source = "impl<T> Foo<T> { pub async fn get(&self) { fn inner() {} } }\n\
                  trait Bar { fn provided(&self) {} fn required(&self); }\n\
                  mod m { fn f() {} }";
    let names: Vec<String> = lengths(source).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        ["Foo::get", "Foo::get::inner", "Bar::provided", "m::f"]
    );
}

#[test]
fn test_code_is_neither_measured_nor_counted() {
    let tests = format!(
        "#[cfg(test)]\nmod tests {{\n{}}}\n",
        function("long_test", 100)
    );
    let rest =
        "#[cfg(all(test, unix))]\nfn helper() {}\nimpl S {\n    #[cfg(test)]\n    fn t() {}\n}\n";
    let source = format!("{}{tests}{rest}", function("f", 3));
    let file = syn::parse_file(&source).unwrap();
    let measured = measure(&file, source.lines().count());
    let names: Vec<&str> = measured.functions.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["f"]);
    // f (3 lines) and the impl block without its test method (2 lines).
    assert_eq!(measured.production_lines, 5);
    let whole = syn::parse_file("#![cfg(test)]\nfn f() {}\n").unwrap();
    assert_eq!(measure(&whole, 2).production_lines, 0);
}

#[test]
fn finds_a_cycle_between_top_level_modules() {
    let files = [
        (
            "src/lib.rs",
            "mod app;\nmod request;\nmod error;\npub use error::Error;",
        ),
        (
            "src/app.rs",
            "use crate::request::Request;\npub struct App;",
        ),
        ("src/request/mod.rs", "mod build;\npub struct Request;"),
        (
            "src/request/build.rs",
            "fn f() -> crate::Error { let _ = super::super::app::App; todo!() }",
        ),
        (
            "src/error.rs",
            "pub struct Error;\nfn f() { let _ = crate::request::Request; }",
        ),
    ];
    assert_eq!(
        cycles(&files),
        ["app -> request -> app", "error -> request -> error"]
    );
}

#[test]
fn self_imports_test_code_and_the_root_make_no_cycle() {
    let files = [
        ("src/lib.rs", "mod a;\nmod b;\npub struct Root;"),
        (
            "src/a.rs",
            "mod x;\nuse crate::a::x::X;\nuse crate::Root;\npub struct A;",
        ),
        (
            "src/a/x.rs",
            "pub struct X;\n\
             fn f() { let _ = super::A; format!(\"{:?}\", crate::b::B); }",
        ),
        (
            "src/b.rs",
            "pub struct B;\n\
             #[cfg(test)]\nmod tests { use crate::a::A; }\n\
             #[cfg(test)]\nuse crate::a::A;",
        ),
    ];
    assert!(cycles(&files).is_empty());
    let graph = dependency_graph(&modules(&files), &|p| p.display().to_string());
    let edges: Vec<(String, String)> = graph.keys().cloned().collect();
    // The path inside `format!` is found too.
    assert_eq!(edges, [("a".to_owned(), "b".to_owned())]);
    assert_eq!(graph[&edges[0]], "src/a/x.rs:2 crate::b::B");
}

#[test]
fn pub_mod_plus_root_reexport_is_a_duplicated_path() {
    let files = [
        (
            "src/lib.rs",
            "pub mod cert;\npub use cert::{Cert, Kind as CertKind};",
        ),
        (
            "src/cert.rs",
            "pub struct Cert;\npub enum Kind {}\npub(crate) fn internal() {}",
        ),
    ];
    let found = items(&files);
    assert_eq!(found["struct cert::Cert"], ["c::Cert", "c::cert::Cert"]);
    assert_eq!(found["enum cert::Kind"], ["c::CertKind", "c::cert::Kind"]);
    assert_eq!(found.len(), 2);
    assert_eq!(api(&files).0.duplicates().count(), 2);
}

#[test]
fn doc_hidden_items_and_modules_are_excluded() {
    let files = [(
        "src/lib.rs",
        "#[doc(hidden)]\npub fn fuzz() {}\n\
         #[doc(hidden)]\npub mod internal { pub struct S; }\n\
         #[doc(hidden)]\npub use internal::S as T;\n\
         pub fn shown() {}\n\
         #[doc(hidden)]\n#[macro_export]\nmacro_rules! m { () => {} }",
    )];
    assert_eq!(items(&files).into_keys().collect::<Vec<_>>(), ["fn shown"]);
}

#[test]
fn reexports_resolve_through_private_modules_self_super_and_globs() {
    let files = [
        (
            "src/lib.rs",
            "mod inner;\nmod glob;\n\
             pub use inner::Thing;\n\
             pub use self::inner::deeper::Deep;\n\
             pub use glob::*;\n\
             #[macro_export]\nmacro_rules! mac { () => {} }",
        ),
        (
            "src/inner.rs",
            "pub mod deeper { pub struct Deep; pub use super::Thing as Again; }\n\
             pub struct Thing;",
        ),
        (
            "src/glob.rs",
            "pub const ONE: u8 = 1;\n\
             pub use crate::inner::deeper::Again;\n\
             fn private() {}",
        ),
    ];
    let found = items(&files);
    assert_eq!(found["struct inner::Thing"], ["c::Again", "c::Thing"]);
    assert_eq!(found["struct inner::deeper::Deep"], ["c::Deep"]);
    assert_eq!(found["const glob::ONE"], ["c::ONE"]);
    assert_eq!(found["macro mac"], ["c::mac"]);
    assert_eq!(found.len(), 4);
}

#[test]
fn external_reexports_are_named_by_their_full_path() {
    let files = [(
        "src/lib.rs",
        "pub use other::{Thing, sub::Other as O};\n\
         pub mod layers { pub use other; }\n\
         use other as _;",
    )];
    let (api, _) = api(&files);
    let ids: BTreeSet<&ItemId> = api.paths.keys().collect();
    let expected =
        ["other", "other::Thing", "other::sub::Other"].map(|p| ItemId::External(p.to_owned()));
    assert_eq!(ids, expected.iter().collect());
    assert_eq!(
        api.notes,
        ["c::layers::other: whole crate re-exported (`pub use other;`)"]
    );
}

#[test]
fn module_files_follow_rustc_rules() {
    let files = [
        (
            "src/lib.rs",
            "pub mod a;\n#[path = \"elsewhere/b_impl.rs\"]\npub mod b;\nmod inline { pub mod c; }",
        ),
        ("src/a.rs", "pub mod nested;"),
        ("src/a/nested/mod.rs", "pub struct N;"),
        ("src/elsewhere/b_impl.rs", "pub struct B;"),
        ("src/inline/c.rs", "#![cfg(test)]\npub struct C;"),
    ];
    let modules = modules(&files);
    let found: Vec<(String, String, bool)> = modules
        .iter()
        .map(|m| (m.path.join("::"), m.file.display().to_string(), m.test))
        .collect();
    let expected = [
        ("", "src/lib.rs", false),
        ("a", "src/a.rs", false),
        ("a::nested", "src/a/nested/mod.rs", false),
        ("b", "src/elsewhere/b_impl.rs", false),
        ("inline", "src/lib.rs", false),
        ("inline::c", "src/inline/c.rs", true),
    ];
    assert_eq!(
        found,
        expected.map(|(p, f, t)| (p.to_owned(), f.to_owned(), t))
    );
}

#[test]
fn paths_become_absolute() {
    let v = |s: &str| {
        s.split("::")
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(absolute(&v("crate::a::B"), &v("x::y")), Some(v("a::B")));
    assert_eq!(absolute(&v("super::super::a"), &v("x::y")), Some(v("a")));
    assert_eq!(absolute(&v("self::z"), &v("x::y")), Some(v("x::y::z")));
    assert_eq!(absolute(&v("super::a"), &[]), None);
    assert_eq!(absolute(&v("std::fmt"), &v("x")), None);
}

#[test]
fn reads_manifest_values() {
    let manifest =
        "[package]\nname = \"my-crate\"\n\n[lib]\nname = \"mine\"\n[dependencies]\nname = \"no\"";
    assert_eq!(
        manifest_value(manifest, "package", "name").as_deref(),
        Some("my-crate")
    );
    assert_eq!(
        manifest_value(manifest, "lib", "name").as_deref(),
        Some("mine")
    );
    assert_eq!(manifest_value(manifest, "lib", "path"), None);
}

#[test]
fn renders_table_violations_and_verdict() {
    let mut report = Report::default();
    report.crates.push(CrateSummary {
        name: "demo".to_owned(),
        public_items: Some(3),
        cycles: 1,
        ..CrateSummary::default()
    });
    let text = render(&report);
    assert!(
        text.starts_with("crate  public items  longest fn (lines)"),
        "{text}"
    );
    assert!(text.contains("demo              3  -"), "{text}");
    assert!(text.ends_with("structure: OK\n"), "{text}");
    report.violations.push(Violation {
        rule: "cycle",
        message: "demo (lib): a -> b -> a".to_owned(),
        details: vec!["a -> b: src/a.rs:1 crate::b".to_owned()],
    });
    let text = render(&report);
    assert!(
        text.contains("violations:\n  cycle          demo (lib): a -> b -> a\n"),
        "{text}"
    );
    assert!(text.ends_with("structure: 1 violation\n"), "{text}");
}

#[test]
fn only_listed_table_files_may_be_longer() {
    let mut report = Report::default();
    let tables = [("crates/x/src/table.rs", "generated lookup table")];
    check_file_length("crates/x/src/table.rs", 900, &tables, &mut report);
    check_file_length("crates/x/src/long.rs", 501, &tables, &mut report);
    check_file_length("crates/x/src/fits.rs", 500, &tables, &mut report);
    assert_eq!(
        report.notes,
        ["crates/x/src/table.rs: 900 production lines, allowed: generated lookup table"]
    );
    let found: Vec<(&str, &str)> = report
        .violations
        .iter()
        .map(|v| (v.rule, v.message.as_str()))
        .collect();
    assert_eq!(
        found,
        [(
            "file-length",
            "crates/x/src/long.rs: 501 production lines (max 500)"
        )]
    );
}
