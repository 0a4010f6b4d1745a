//! Name resolution inside a crate: what each module defines and imports, and what a `use`
//! path leads to (a definition, a module, or a path into another crate), through private
//! modules, `self`, `super`, `crate`, renames, chains of `use` items and globs.

use syn::{ForeignItem, Item};

use super::attrs::{is_doc_hidden, is_macro_export, is_pub, is_test_only, item_attrs};
use super::modtree::Module;
use super::paths::{flatten_use, name, Binding, UseEntry};

/// How deep re-export chains and module re-exports are followed.
pub(crate) const MAX_DEPTH: usize = 24;

/// An item definition in the crate.
#[derive(Clone, Debug)]
pub(crate) struct Def {
    /// The index of the defining module.
    pub(crate) module: usize,
    /// The item's name.
    pub(crate) name: String,
    /// `struct`, `fn`, `macro`, ...
    pub(crate) kind: &'static str,
    /// Declared with plain `pub` (or `#[macro_export]`).
    pub(crate) is_pub: bool,
    /// `#[doc(hidden)]`.
    pub(crate) hidden: bool,
}

/// What a name leads to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Target {
    /// An item of the crate (an index into the definitions).
    Item(usize),
    /// A module of the crate.
    Module(usize),
    /// A path out of the crate.
    External(String),
}

/// One imported path of a module, with what its `use` item says.
#[derive(Clone, Debug)]
pub(crate) struct Import {
    /// The path and what it binds.
    pub(crate) entry: UseEntry,
    /// The `use` item is plain `pub`.
    pub(crate) is_pub: bool,
    /// The `use` item is `#[doc(hidden)]`.
    pub(crate) hidden: bool,
}

/// Definitions and `use` entries per module.
pub(crate) struct Index<'a> {
    /// The crate's modules.
    pub(crate) modules: &'a [Module],
    /// Every definition of the crate.
    pub(crate) defs: Vec<Def>,
    /// Per module: indexes into `defs`.
    pub(crate) defs_of: Vec<Vec<usize>>,
    /// Per module: each imported path.
    pub(crate) uses_of: Vec<Vec<Import>>,
}

impl<'a> Index<'a> {
    /// Indexes the production items of every module; `#[macro_export]` macros belong to the
    /// root.
    pub(crate) fn new(modules: &'a [Module]) -> Self {
        let mut index = Index {
            modules,
            defs: Vec::new(),
            defs_of: vec![Vec::new(); modules.len()],
            uses_of: vec![Vec::new(); modules.len()],
        };
        for (m, module) in modules.iter().enumerate().filter(|(_, m)| !m.test) {
            for item in module.items.iter().filter(|i| !is_test_only(item_attrs(i))) {
                index.add_item(m, item);
            }
        }
        index
    }

    /// Records the definitions or `use` entries of one item of module `m`.
    fn add_item(&mut self, m: usize, item: &Item) {
        let hidden = is_doc_hidden(item_attrs(item));
        match item {
            Item::Use(u) => {
                let public = is_pub(&u.vis);
                self.uses_of[m].extend(flatten_use(u).into_iter().map(|entry| Import {
                    entry,
                    is_pub: public,
                    hidden,
                }));
            }
            Item::Macro(mac) if is_macro_export(&mac.attrs) => {
                if let Some(ident) = &mac.ident {
                    self.add_def(0, name(ident), "macro", true, hidden);
                }
            }
            Item::ForeignMod(foreign) => {
                for item in &foreign.items {
                    if let Some((ident, kind, public, attrs)) = foreign_item(item) {
                        self.add_def(m, ident, kind, public, hidden || is_doc_hidden(attrs));
                    }
                }
            }
            _ => {
                if let Some((ident, kind, public)) = definition(item) {
                    self.add_def(m, ident, kind, public, hidden);
                }
            }
        }
    }

    /// Adds one definition to module `m`.
    fn add_def(
        &mut self,
        module: usize,
        name: String,
        kind: &'static str,
        is_pub: bool,
        hidden: bool,
    ) {
        self.defs_of[module].push(self.defs.len());
        self.defs.push(Def {
            module,
            name,
            kind,
            is_pub,
            hidden,
        });
    }

    /// What the path of `entry`, a `use` entry written in module `from`, leads to.
    pub(crate) fn resolve(&self, entry: &UseEntry, from: usize, depth: usize) -> Vec<Target> {
        let segments = &entry.segments;
        let Some((first, rest)) = segments.split_first() else {
            return Vec::new();
        };
        if entry.leading_colon || depth > MAX_DEPTH {
            return vec![Target::External(segments.join("::"))];
        }
        let start = match first.as_str() {
            "crate" => Target::Module(0),
            "self" => Target::Module(from),
            "super" => return self.resolve_super(segments, from, depth),
            _ => {
                let found = self.lookup(from, first, depth);
                if found.is_empty() {
                    return vec![Target::External(segments.join("::"))];
                }
                return found
                    .into_iter()
                    .flat_map(|t| self.follow(t, rest, depth))
                    .collect();
            }
        };
        self.follow(start, rest, depth)
    }

    /// Resolves a path starting with one or more `super`.
    fn resolve_super(&self, segments: &[String], from: usize, depth: usize) -> Vec<Target> {
        let mut module = from;
        let mut rest = segments;
        while rest.first().is_some_and(|s| s == "super") {
            let Some(parent) = self.modules[module].parent else {
                return Vec::new();
            };
            module = parent;
            rest = &rest[1..];
        }
        self.follow(Target::Module(module), rest, depth)
    }

    /// Follows the names `rest` from `target`.
    fn follow(&self, target: Target, rest: &[String], depth: usize) -> Vec<Target> {
        let Some((first, tail)) = rest.split_first() else {
            return vec![target];
        };
        match target {
            Target::Module(m) => self
                .lookup(m, first, depth + 1)
                .into_iter()
                .flat_map(|t| self.follow(t, tail, depth + 1))
                .collect(),
            Target::External(path) => {
                vec![Target::External(format!("{path}::{}", rest.join("::")))]
            }
            // An enum variant or an associated item: not an item of its own.
            Target::Item(_) => Vec::new(),
        }
    }

    /// What `name` means inside module `m`: a child module, a definition, an imported name or
    /// a name a glob import brings in.
    fn lookup(&self, m: usize, name: &str, depth: usize) -> Vec<Target> {
        if depth > MAX_DEPTH {
            return Vec::new();
        }
        let module = &self.modules[m];
        let mut found: Vec<Target> = module
            .children
            .iter()
            .filter(|(n, c)| n == name && !self.modules[*c].test)
            .map(|(_, c)| Target::Module(*c))
            .collect();
        found.extend(
            self.defs_of[m]
                .iter()
                .filter(|d| self.defs[**d].name == name)
                .map(|d| Target::Item(*d)),
        );
        for Import { entry, .. } in &self.uses_of[m] {
            if entry.binding == Binding::Name(name.to_owned()) {
                found.extend(self.resolve(entry, m, depth + 1));
            }
        }
        if found.is_empty() {
            found = self.lookup_in_globs(m, name, depth);
        }
        found.sort();
        found.dedup();
        found
    }

    /// `name` as brought in by the glob imports of module `m`.
    fn lookup_in_globs(&self, m: usize, name: &str, depth: usize) -> Vec<Target> {
        let globs = self.uses_of[m]
            .iter()
            .filter(|i| i.entry.binding == Binding::Glob);
        let mut found = Vec::new();
        for Import { entry, .. } in globs {
            for target in self.resolve(entry, m, depth + 1) {
                if let Target::Module(g) = target {
                    found.extend(
                        self.public_names(g, depth + 1)
                            .into_iter()
                            .filter(|(n, _)| n == name)
                            .map(|(_, t)| t),
                    );
                }
            }
        }
        found
    }

    /// The names a glob import of module `m` brings in: its `pub` definitions, `pub` child
    /// modules and `pub use` names (globs included).
    fn public_names(&self, m: usize, depth: usize) -> Vec<(String, Target)> {
        if depth > MAX_DEPTH {
            return Vec::new();
        }
        let module = &self.modules[m];
        let mut names: Vec<(String, Target)> = self.defs_of[m]
            .iter()
            .filter(|d| self.defs[**d].is_pub)
            .map(|d| (self.defs[*d].name.clone(), Target::Item(*d)))
            .collect();
        for (n, c) in &module.children {
            if self.modules[*c].is_pub && !self.modules[*c].test {
                names.push((n.clone(), Target::Module(*c)));
            }
        }
        for Import { entry, .. } in self.uses_of[m].iter().filter(|i| i.is_pub) {
            names.extend(self.use_names(entry, m, depth));
        }
        names
    }

    /// The `(name, target)` pairs one `use` entry of module `m` binds.
    pub(crate) fn use_names(
        &self,
        entry: &UseEntry,
        m: usize,
        depth: usize,
    ) -> Vec<(String, Target)> {
        match &entry.binding {
            Binding::Name(bound) => self
                .resolve(entry, m, depth + 1)
                .into_iter()
                .map(|t| (bound.clone(), t))
                .collect(),
            Binding::Glob => self
                .resolve(entry, m, depth + 1)
                .into_iter()
                .filter_map(|t| match t {
                    Target::Module(g) => Some(self.public_names(g, depth + 1)),
                    _ => None,
                })
                .flatten()
                .collect(),
            Binding::Underscore => Vec::new(),
        }
    }
}

/// Name, kind and `pub`-ness of an item that defines a name (not `use`, `impl`, `mod`, ...).
fn definition(item: &Item) -> Option<(String, &'static str, bool)> {
    let (ident, kind, vis) = match item {
        Item::Const(i) => (&i.ident, "const", &i.vis),
        Item::Enum(i) => (&i.ident, "enum", &i.vis),
        Item::Fn(i) => (&i.sig.ident, "fn", &i.vis),
        Item::Static(i) => (&i.ident, "static", &i.vis),
        Item::Struct(i) => (&i.ident, "struct", &i.vis),
        Item::Trait(i) => (&i.ident, "trait", &i.vis),
        Item::TraitAlias(i) => (&i.ident, "trait", &i.vis),
        Item::Type(i) => (&i.ident, "type", &i.vis),
        Item::Union(i) => (&i.ident, "union", &i.vis),
        _ => return None,
    };
    if ident == "_" {
        return None;
    }
    Some((name(ident), kind, is_pub(vis)))
}

/// Name, kind, `pub`-ness and attributes of an item in an `extern` block.
fn foreign_item(item: &ForeignItem) -> Option<(String, &'static str, bool, &[syn::Attribute])> {
    match item {
        ForeignItem::Fn(i) => Some((name(&i.sig.ident), "fn", is_pub(&i.vis), &i.attrs)),
        ForeignItem::Static(i) => Some((name(&i.ident), "static", is_pub(&i.vis), &i.attrs)),
        ForeignItem::Type(i) => Some((name(&i.ident), "type", is_pub(&i.vis), &i.attrs)),
        _ => None,
    }
}
