//! The module tree of one crate target, read from its root file the way rustc finds module
//! files: `mod x;` is `x.rs` or `x/mod.rs` next to a `lib.rs` / `main.rs` / `mod.rs`, below
//! `a/` for a file `a.rs`, below the names of enclosing inline modules, or wherever a
//! `#[path = ".."]` attribute says.

use std::path::{Path, PathBuf};

use syn::{Item, ItemMod};

use super::attrs::{is_doc_hidden, is_pub, is_test_only, path_attr};
use super::paths::name;

/// Reads a source file; `None` when it does not exist or cannot be read.
pub(crate) type ReadSource<'a> = &'a dyn Fn(&Path) -> Option<String>;

/// One module of a crate target: the root file, a module file or an inline `mod x { .. }`.
pub(crate) struct Module {
    /// The names from the crate root down to this module; empty for the root.
    pub(crate) path: Vec<String>,
    /// The file the module's items are in.
    pub(crate) file: PathBuf,
    /// Whether the module is a file of its own (the root or `mod x;`) rather than inline.
    pub(crate) own_file: bool,
    /// The parent's index in the module list; `None` for the root.
    pub(crate) parent: Option<usize>,
    /// Declared with plain `pub`.
    pub(crate) is_pub: bool,
    /// `#[doc(hidden)]` on the declaration or `#![doc(hidden)]` inside.
    pub(crate) hidden: bool,
    /// Only compiled for tests: `#[cfg(test)]` on it or on an enclosing module.
    pub(crate) test: bool,
    /// The module's own items. Child modules keep their `mod` item here, emptied: their items
    /// are in their own `Module`.
    pub(crate) items: Vec<Item>,
    /// `(name, index)` of the child modules.
    pub(crate) children: Vec<(String, usize)>,
}

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Module")
            .field("path", &self.path)
            .field("file", &self.file)
            .field("items", &self.items.len())
            .finish_non_exhaustive()
    }
}

/// Where the module files declared inside a module are looked for.
#[derive(Clone, Debug)]
struct Dirs {
    /// The folder of the file the declaration is in (`#[path]` outside inline modules).
    file_dir: PathBuf,
    /// The folder `mod x;` resolves in (and `#[path]` inside inline modules).
    children: PathBuf,
    /// Whether the declaration is inside an inline module.
    inline: bool,
}

/// Reads the module tree from a crate root (`src/lib.rs`, `src/main.rs`, `src/bin/x.rs`).
/// The root is module 0; parents come before their children.
pub(crate) fn load(root: &Path, read: ReadSource<'_>) -> Result<Vec<Module>, String> {
    let file = parse(root, read)?;
    let dir = root.parent().unwrap_or(Path::new("")).to_path_buf();
    let dirs = Dirs {
        file_dir: dir.clone(),
        children: dir,
        inline: false,
    };
    let mut loader = Loader {
        read,
        modules: Vec::new(),
    };
    let root_module = Module {
        path: Vec::new(),
        file: root.to_path_buf(),
        own_file: true,
        parent: None,
        is_pub: true,
        hidden: is_doc_hidden(&file.attrs),
        test: is_test_only(&file.attrs),
        items: Vec::new(),
        children: Vec::new(),
    };
    loader.add(root_module, file.items, &dirs)?;
    Ok(loader.modules)
}

/// Reads and parses one file.
pub(crate) fn parse(path: &Path, read: ReadSource<'_>) -> Result<syn::File, String> {
    let text = read(path).ok_or_else(|| format!("cannot read {}", path.display()))?;
    parse_text(path, &text)
}

/// Parses the source `text` of the file at `path`; an error names the place.
pub(crate) fn parse_text(path: &Path, text: &str) -> Result<syn::File, String> {
    syn::parse_file(text).map_err(|e| {
        let at = e.span().start();
        format!("{}:{}:{}: {e}", path.display(), at.line, at.column + 1)
    })
}

/// Builds the module list.
struct Loader<'a> {
    read: ReadSource<'a>,
    modules: Vec<Module>,
}

impl Loader<'_> {
    /// Adds `module` with `items`, then its child modules; returns its index.
    fn add(&mut self, module: Module, items: Vec<Item>, dirs: &Dirs) -> Result<usize, String> {
        let index = self.modules.len();
        self.modules.push(module);
        let mut kept = Vec::with_capacity(items.len());
        for mut item in items {
            if let Item::Mod(decl) = &mut item {
                let child = self.child(index, decl, dirs)?;
                self.modules[index]
                    .children
                    .push((name(&decl.ident), child));
            }
            kept.push(item);
        }
        self.modules[index].items = kept;
        Ok(index)
    }

    /// Loads the module `decl` declares inside module `parent`.
    fn child(&mut self, parent: usize, decl: &mut ItemMod, dirs: &Dirs) -> Result<usize, String> {
        let ident = name(&decl.ident);
        let up = &self.modules[parent];
        let mut module = Module {
            path: up.path.iter().cloned().chain([ident.clone()]).collect(),
            file: up.file.clone(),
            own_file: false,
            parent: Some(parent),
            is_pub: is_pub(&decl.vis),
            hidden: is_doc_hidden(&decl.attrs),
            test: up.test || is_test_only(&decl.attrs),
            items: Vec::new(),
            children: Vec::new(),
        };
        if let Some((_, items)) = decl.content.as_mut() {
            let inner = Dirs {
                file_dir: dirs.file_dir.clone(),
                children: dirs.children.join(&ident),
                inline: true,
            };
            return self.add(module, std::mem::take(items), &inner);
        }
        let (file, children) = self.locate(decl, &ident, dirs)?;
        let parsed = parse(&file, self.read)?;
        module.hidden |= is_doc_hidden(&parsed.attrs);
        module.test |= is_test_only(&parsed.attrs);
        module.file = file.clone();
        module.own_file = true;
        let inner = Dirs {
            file_dir: file.parent().unwrap_or(Path::new("")).to_path_buf(),
            children,
            inline: false,
        };
        self.add(module, parsed.items, &inner)
    }

    /// The file of `mod ident;` and the folder its own children resolve in.
    fn locate(
        &self,
        decl: &ItemMod,
        ident: &str,
        dirs: &Dirs,
    ) -> Result<(PathBuf, PathBuf), String> {
        if let Some(path) = path_attr(&decl.attrs) {
            let base = if dirs.inline {
                &dirs.children
            } else {
                &dirs.file_dir
            };
            let file = base.join(path);
            let children = file.parent().unwrap_or(Path::new("")).to_path_buf();
            return Ok((file, children));
        }
        let children = dirs.children.join(ident);
        [
            dirs.children.join(format!("{ident}.rs")),
            children.join("mod.rs"),
        ]
        .into_iter()
        .find(|f| (self.read)(f).is_some())
        .map(|file| (file, children))
        .ok_or_else(|| {
            format!(
                "mod {ident}: neither {ident}.rs nor {ident}/mod.rs in {}",
                dirs.children.display()
            )
        })
    }
}
