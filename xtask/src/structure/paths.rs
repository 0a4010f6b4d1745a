//! Paths as lists of names: `use` trees flattened into one entry per imported name, and
//! `crate::` / `self::` / `super::` paths made absolute within the crate.

use syn::ext::IdentExt;
use syn::{Ident, ItemUse, UseTree};

/// What a `use` entry binds in the importing module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Binding {
    /// `use a::b;` binds `b`, `use a::b as c;` binds `c`.
    Name(String),
    /// `use a::*;`
    Glob,
    /// `use a::b as _;`: imported for its traits only, binds no name.
    Underscore,
}

/// One imported path of a `use` item: `use a::{b, c::*};` gives `a::b` and `a::c::*`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct UseEntry {
    /// The path without the glob, e.g. `["crate", "request", "Request"]`.
    pub(crate) segments: Vec<String>,
    /// The name the entry binds.
    pub(crate) binding: Binding,
    /// `use ::a::b;`: always an external crate.
    pub(crate) leading_colon: bool,
}

/// The name of an identifier without a raw prefix (`r#type` is `type`).
pub(crate) fn name(ident: &Ident) -> String {
    ident.unraw().to_string()
}

/// Every path a `use` item imports.
pub(crate) fn flatten_use(item: &ItemUse) -> Vec<UseEntry> {
    let mut out = Vec::new();
    flatten(&item.tree, &mut Vec::new(), &mut out);
    for entry in &mut out {
        entry.leading_colon = item.leading_colon.is_some();
    }
    out
}

/// Adds the entries of `tree` below `prefix` to `out`.
fn flatten(tree: &UseTree, prefix: &mut Vec<String>, out: &mut Vec<UseEntry>) {
    let mut push = |last: &Ident, binding: Option<Binding>| {
        let mut segments = prefix.clone();
        let last = name(last);
        // `a::{self}` imports `a` itself.
        if last != "self" {
            segments.push(last);
        }
        let binding =
            binding.unwrap_or_else(|| Binding::Name(segments.last().cloned().unwrap_or_default()));
        out.push(UseEntry {
            segments,
            binding,
            leading_colon: false,
        });
    };
    match tree {
        UseTree::Path(path) => {
            prefix.push(name(&path.ident));
            flatten(&path.tree, prefix, out);
            prefix.pop();
        }
        UseTree::Name(n) => push(&n.ident, None),
        UseTree::Rename(r) => {
            let rename = name(&r.rename);
            let binding = if rename == "_" {
                Binding::Underscore
            } else {
                Binding::Name(rename)
            };
            push(&r.ident, Some(binding));
        }
        UseTree::Glob(_) => out.push(UseEntry {
            segments: prefix.clone(),
            binding: Binding::Glob,
            leading_colon: false,
        }),
        UseTree::Group(group) => {
            for item in &group.items {
                flatten(item, prefix, out);
            }
        }
    }
}

/// The absolute module path (from the crate root) of a path that starts with `crate`, `self`
/// or `super`, seen from the module at `current`; `None` for any other path (a local name or
/// another crate) and for a `super` above the root.
pub(crate) fn absolute(segments: &[String], current: &[String]) -> Option<Vec<String>> {
    let (first, rest) = segments.split_first()?;
    let mut base = match first.as_str() {
        "crate" => return Some(rest.to_vec()),
        "self" | "super" => current.to_vec(),
        _ => return None,
    };
    let mut rest = if first == "self" { rest } else { segments };
    while let Some(("super", tail)) = rest.split_first().map(|(h, t)| (h.as_str(), t)) {
        base.pop()?;
        rest = tail;
    }
    base.extend(rest.iter().cloned());
    Some(base)
}
