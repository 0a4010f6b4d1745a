//! Rule 3: import cycles between the top-level modules of a crate target.
//!
//! A module's dependencies are the `crate::` / `self::` / `super::` paths in its `use` items,
//! in its code and in macro invocations. A path counts for the top-level module it names
//! (`crate::request::x::Y` is module `request`); a path to a name the root re-exports
//! (`crate::Error` with `pub use error::Error;` in `lib.rs`) counts for the module it comes
//! from. The root itself is no node, and test-only code is left out.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{Spacing, TokenStream, TokenTree};
use syn::visit::{self, Visit};
use syn::{ImplItem, Item, ItemUse, Macro, Path, TraitItem, VisRestricted};

use super::attrs::{impl_item_attrs, is_test_only, item_attrs, trait_item_attrs};
use super::modtree::Module;
use super::paths::{absolute, flatten_use, name, Binding};

/// At most this many cycles are listed per crate target.
const MAX_CYCLES: usize = 50;

/// Where a dependency was seen first: `file:line` and the path.
pub(crate) type Evidence = String;

/// The dependencies between top-level modules: `(from, to)` → where it was seen first.
pub(crate) type Graph = BTreeMap<(String, String), Evidence>;

/// A cycle of top-level modules, first module repeated at the end.
pub(crate) type Cycle = Vec<String>;

/// The dependency graph of a crate target's top-level modules. `display` turns a file path
/// into the form used in evidence.
pub(crate) fn dependency_graph(
    modules: &[Module],
    display: &dyn Fn(&std::path::Path) -> String,
) -> Graph {
    let Some(root) = modules.first() else {
        return Graph::new();
    };
    let top: BTreeSet<&str> = root.children.iter().map(|(n, _)| n.as_str()).collect();
    let reexports = root_reexports(root, &top);
    let mut graph = Graph::new();
    for module in modules.iter().filter(|m| !m.test && !m.path.is_empty()) {
        let mut collector = References {
            current: &module.path,
            found: Vec::new(),
        };
        for item in &module.items {
            collector.visit_item(item);
        }
        for (path, line) in collector.found {
            let Some(target) = top_module(&path, &top, &reexports) else {
                continue;
            };
            if target != module.path[0] {
                let evidence = format!("{}:{line} {}", display(&module.file), path_text(&path));
                graph
                    .entry((module.path[0].clone(), target))
                    .or_insert(evidence);
            }
        }
    }
    graph
}

/// `crate::a::b` for an absolute path.
fn path_text(path: &[String]) -> String {
    std::iter::once("crate")
        .chain(path.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join("::")
}

/// Names the root imports from a top-level module (`use error::Error;` maps `Error` to
/// `error`), so that `crate::Error` counts as a dependency on `error`.
fn root_reexports(root: &Module, top: &BTreeSet<&str>) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for item in &root.items {
        let Item::Use(item) = item else { continue };
        if is_test_only(&item.attrs) {
            continue;
        }
        for entry in flatten_use(item) {
            let Binding::Name(bound) = entry.binding else {
                continue;
            };
            let segments = absolute(&entry.segments, &[]).unwrap_or(entry.segments);
            if let Some(first) = segments.first().filter(|f| top.contains(f.as_str())) {
                map.insert(bound, first.clone());
            }
        }
    }
    map
}

/// The top-level module an absolute path leads into, if any.
fn top_module(
    path: &[String],
    top: &BTreeSet<&str>,
    reexports: &BTreeMap<String, String>,
) -> Option<String> {
    let first = path.first()?;
    if top.contains(first.as_str()) {
        return Some(first.clone());
    }
    reexports.get(first).cloned()
}

/// Collects the absolute in-crate paths a module's items mention, with their lines.
struct References<'a> {
    current: &'a [String],
    found: Vec<(Vec<String>, usize)>,
}

impl References<'_> {
    /// Records `segments` if it is a `crate` / `self` / `super` path.
    fn record(&mut self, segments: &[String], line: usize) {
        if let Some(path) = absolute(segments, self.current) {
            self.found.push((path, line));
        }
    }

    /// Records the `crate::..` and `super::..` paths written inside macro input.
    fn scan_tokens(&mut self, tokens: TokenStream) {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        let mut i = 0;
        while i < trees.len() {
            match &trees[i] {
                TokenTree::Group(group) => self.scan_tokens(group.stream()),
                TokenTree::Ident(ident) if ident == "crate" || ident == "super" => {
                    let (segments, used) = token_path(&trees[i..]);
                    if segments.len() > 1 {
                        self.record(&segments, ident.span().start().line);
                    }
                    i += used.saturating_sub(1);
                }
                _ => {}
            }
            i += 1;
        }
    }
}

/// The path `a::b::c` at the start of `trees`, and how many token trees it took.
fn token_path(trees: &[TokenTree]) -> (Vec<String>, usize) {
    let mut segments = Vec::new();
    let mut i = 0;
    while let Some(TokenTree::Ident(ident)) = trees.get(i) {
        segments.push(ident.to_string());
        i += 1;
        match (trees.get(i), trees.get(i + 1)) {
            (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)))
                if a.as_char() == ':' && a.spacing() == Spacing::Joint && b.as_char() == ':' =>
            {
                i += 2;
            }
            _ => break,
        }
    }
    (segments, i.max(1))
}

impl<'ast> Visit<'ast> for References<'_> {
    fn visit_item(&mut self, item: &'ast Item) {
        if !is_test_only(item_attrs(item)) {
            visit::visit_item(self, item);
        }
    }

    fn visit_impl_item(&mut self, item: &'ast ImplItem) {
        if !is_test_only(impl_item_attrs(item)) {
            visit::visit_impl_item(self, item);
        }
    }

    fn visit_trait_item(&mut self, item: &'ast TraitItem) {
        if !is_test_only(trait_item_attrs(item)) {
            visit::visit_trait_item(self, item);
        }
    }

    fn visit_item_use(&mut self, item: &'ast ItemUse) {
        let line = item.use_token.span.start().line;
        for entry in flatten_use(item).into_iter().filter(|e| !e.leading_colon) {
            self.record(&entry.segments, line);
        }
    }

    fn visit_path(&mut self, path: &'ast Path) {
        if path.leading_colon.is_none() {
            let segments: Vec<String> = path.segments.iter().map(|s| name(&s.ident)).collect();
            let line = path
                .segments
                .first()
                .map_or(0, |s| s.ident.span().start().line);
            self.record(&segments, line);
        }
        visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast Macro) {
        self.scan_tokens(mac.tokens.clone());
        visit::visit_macro(self, mac);
    }

    /// `pub(super)` and `pub(in crate::a)` name no dependency.
    fn visit_vis_restricted(&mut self, _: &'ast VisRestricted) {}
}

/// Every elementary cycle of the graph (at most [`MAX_CYCLES`]), each starting at its
/// smallest module; the flag says whether the list was cut.
pub(crate) fn find_cycles(graph: &Graph) -> (Vec<Cycle>, bool) {
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (from, to) in graph.keys() {
        next.entry(from.as_str()).or_default().push(to.as_str());
    }
    let mut search = CycleSearch {
        next: &next,
        path: Vec::new(),
        cycles: Vec::new(),
    };
    for &start in next.keys() {
        search.path = vec![start];
        search.extend(start);
        if search.cycles.len() >= MAX_CYCLES {
            search.cycles.truncate(MAX_CYCLES);
            return (search.cycles, true);
        }
    }
    (search.cycles, false)
}

/// Depth-first search for the cycles through `path[0]` that use only modules after it.
struct CycleSearch<'a> {
    next: &'a BTreeMap<&'a str, Vec<&'a str>>,
    path: Vec<&'a str>,
    cycles: Vec<Cycle>,
}

impl<'a> CycleSearch<'a> {
    /// Follows every edge out of `node`.
    fn extend(&mut self, node: &'a str) {
        let start = self.path[0];
        for &to in self.next.get(node).into_iter().flatten() {
            if self.cycles.len() >= MAX_CYCLES {
                return;
            }
            if to == start {
                let cycle = self
                    .path
                    .iter()
                    .chain([&start])
                    .map(|s| (*s).to_owned())
                    .collect();
                self.cycles.push(cycle);
            } else if to > start && !self.path.contains(&to) {
                self.path.push(to);
                self.extend(to);
                self.path.pop();
            }
        }
    }
}
