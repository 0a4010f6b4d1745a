//! Rule 4: the public paths of a library crate, and the items reachable by more than one.
//!
//! The walk starts at the crate root and follows `pub mod` (not `#[doc(hidden)]`, not test-only),
//! collecting the `pub` items of each public module and the targets of its `pub use` items.
//! A `pub use` is resolved inside the crate to the defining item (through private modules,
//! `self`, `super`, `crate`, renames, further `use` items and globs); a path that leaves the
//! crate is an external item named by its full path (`other_crate::Item`). Methods, fields and
//! enum variants are not items here.

use std::collections::{BTreeMap, BTreeSet};

use super::modtree::Module;
use super::paths::{Binding, UseEntry};
use super::resolve::{Def, Index, Target, MAX_DEPTH};

/// A public item: defined in this crate (an index into [`Api::defs`]) or in another crate.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ItemId {
    /// Defined in this crate.
    Local(usize),
    /// Re-exported from another crate, by its full path (`oauth2_core::Authority`).
    External(String),
}

/// The public API of a library crate.
#[derive(Debug, Default)]
pub(crate) struct Api {
    /// Every definition of the crate.
    pub(crate) defs: Vec<Def>,
    /// Each public item and the public paths that reach it.
    pub(crate) paths: BTreeMap<ItemId, BTreeSet<String>>,
    /// Remarks that are no violation: whole crates re-exported, globs not followed.
    pub(crate) notes: Vec<String>,
}

impl Api {
    /// The items reachable by more than one public path.
    pub(crate) fn duplicates(&self) -> impl Iterator<Item = (&ItemId, &BTreeSet<String>)> {
        self.paths.iter().filter(|(_, paths)| paths.len() > 1)
    }

    /// The defining path of an item inside its crate (`certificate::ClientCertificate`), or
    /// the full path of an external one.
    pub(crate) fn describe(&self, id: &ItemId, modules: &[Module]) -> String {
        match id {
            ItemId::Local(i) => {
                let def = &self.defs[*i];
                let module = &modules[def.module].path;
                let path: Vec<&str> = module
                    .iter()
                    .map(String::as_str)
                    .chain([def.name.as_str()])
                    .collect();
                format!("{} {}", def.kind, path.join("::"))
            }
            ItemId::External(path) => format!("external {path}"),
        }
    }
}

/// The public API of the crate whose modules are `modules` (module 0 is `lib.rs`); public
/// paths start with `crate_name`.
pub(crate) fn public_api(crate_name: &str, modules: &[Module]) -> Api {
    let index = Index::new(modules);
    let mut walk = Walk {
        index: &index,
        paths: BTreeMap::new(),
        notes: Vec::new(),
        stack: Vec::new(),
    };
    if !modules.is_empty() && !modules[0].hidden {
        walk.module(0, crate_name);
    }
    Api {
        paths: walk.paths,
        notes: walk.notes,
        defs: index.defs,
    }
}

/// The walk over the public module tree.
struct Walk<'a> {
    index: &'a Index<'a>,
    paths: BTreeMap<ItemId, BTreeSet<String>>,
    notes: Vec<String>,
    /// The modules being walked, against re-export loops.
    stack: Vec<usize>,
}

impl Walk<'_> {
    /// Collects what public module `m`, reached as `prefix`, makes public.
    fn module(&mut self, m: usize, prefix: &str) {
        if self.stack.contains(&m) || self.stack.len() > MAX_DEPTH {
            return;
        }
        self.stack.push(m);
        let index = self.index;
        for &d in &index.defs_of[m] {
            let def = &index.defs[d];
            if def.is_pub && !def.hidden {
                self.add(ItemId::Local(d), format!("{prefix}::{}", def.name));
            }
        }
        for (n, c) in &index.modules[m].children {
            let child = &index.modules[*c];
            if child.is_pub && !child.hidden && !child.test {
                self.module(*c, &format!("{prefix}::{n}"));
            }
        }
        for import in &index.uses_of[m] {
            if import.is_pub && !import.hidden {
                self.reexport(&import.entry, m, prefix);
            }
        }
        self.stack.pop();
    }

    /// Collects what one `pub use` entry of module `m` makes public.
    fn reexport(&mut self, entry: &UseEntry, m: usize, prefix: &str) {
        if entry.binding == Binding::Glob {
            let targets = self.index.resolve(entry, m, 0);
            for target in &targets {
                if let Target::External(path) = target {
                    self.notes.push(format!(
                        "{prefix}: glob re-export `{path}::*` of another crate not followed"
                    ));
                }
            }
        }
        for (bound, target) in self.index.use_names(entry, m, 0) {
            let whole_crate = entry.segments.len() == 1 && matches!(target, Target::External(_));
            if whole_crate {
                self.notes.push(format!(
                    "{prefix}::{bound}: whole crate re-exported (`pub use {};`)",
                    entry.segments[0]
                ));
            }
            self.export(target, format!("{prefix}::{bound}"));
        }
    }

    /// Makes `target` public at `path`.
    fn export(&mut self, target: Target, path: String) {
        match target {
            Target::Item(d) if !self.index.defs[d].hidden => self.add(ItemId::Local(d), path),
            Target::Item(_) => {}
            Target::Module(m) if !self.index.modules[m].hidden => self.module(m, &path),
            Target::Module(_) => {}
            Target::External(full) => self.add(ItemId::External(full), path),
        }
    }

    /// Records one public path of an item.
    fn add(&mut self, id: ItemId, path: String) {
        self.paths.entry(id).or_default().insert(path);
    }
}
