//! Rules 1 and 2: how long each function is and how many production lines a file has. Items
//! under `#[cfg(test)]` are neither functions to measure nor production lines.

use syn::visit::{self, Visit};
use syn::{
    Block, ImplItem, ImplItemFn, Item, ItemFn, ItemImpl, ItemMod, ItemTrait, Signature, TraitItem,
    TraitItemFn, Type,
};

use super::attrs::{impl_item_attrs, is_test_only, item_attrs, line_range, trait_item_attrs};
use super::paths::name;

/// One function: its name (`Type::method`, `outer::nested`), first line and length.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FnLength {
    /// The name, qualified by the enclosing `impl` type, trait, module or function.
    pub(crate) name: String,
    /// The line of the `fn` keyword.
    pub(crate) line: usize,
    /// Lines from the `fn` keyword to the closing brace, both included.
    pub(crate) lines: usize,
}

/// What a file measures.
#[derive(Debug, Default)]
pub(crate) struct FileMeasure {
    /// Lines of the file that are not inside a `#[cfg(test)]` item.
    pub(crate) production_lines: usize,
    /// Every production function, in source order.
    pub(crate) functions: Vec<FnLength>,
}

/// Measures a parsed file of `total_lines` lines.
pub(crate) fn measure(file: &syn::File, total_lines: usize) -> FileMeasure {
    if is_test_only(&file.attrs) {
        return FileMeasure::default();
    }
    let mut measurer = Measurer::default();
    measurer.visit_file(file);
    FileMeasure {
        production_lines: total_lines.saturating_sub(covered_lines(&mut measurer.test_ranges)),
        functions: measurer.functions,
    }
}

/// The number of lines in the union of inclusive line ranges.
fn covered_lines(ranges: &mut [(usize, usize)]) -> usize {
    ranges.sort_unstable();
    let mut total = 0;
    let mut next_uncounted = 0;
    for &(start, end) in ranges.iter() {
        let start = start.max(next_uncounted);
        if end >= start {
            total += end - start + 1;
            next_uncounted = end + 1;
        }
    }
    total
}

/// Walks a file: records test-only items' line ranges (without entering them) and functions.
#[derive(Debug, Default)]
struct Measurer {
    /// Names of the enclosing modules, `impl` types, traits and functions.
    scope: Vec<String>,
    test_ranges: Vec<(usize, usize)>,
    functions: Vec<FnLength>,
}

impl Measurer {
    /// Records a function and visits its body with the function's name in scope.
    fn function(&mut self, sig: &Signature, block: &Block, visit_inner: impl FnOnce(&mut Self)) {
        let ident = name(&sig.ident);
        let qualified = self
            .scope
            .iter()
            .chain([&ident])
            .cloned()
            .collect::<Vec<_>>()
            .join("::");
        let line = sig.fn_token.span.start().line;
        let end = block.brace_token.span.close().end().line;
        self.functions.push(FnLength {
            name: qualified,
            line,
            lines: end + 1 - line,
        });
        self.scoped(ident, visit_inner);
    }

    /// Runs `visit_inner` with `name` pushed on the scope.
    fn scoped(&mut self, name: String, visit_inner: impl FnOnce(&mut Self)) {
        self.scope.push(name);
        visit_inner(self);
        self.scope.pop();
    }

    /// Records a test-only item's lines; true if it was one (and must not be entered).
    fn skip_test(&mut self, attrs: &[syn::Attribute], node: &impl syn::spanned::Spanned) -> bool {
        let test = is_test_only(attrs);
        if test {
            self.test_ranges.push(line_range(node));
        }
        test
    }
}

/// The last name of a type's path (`Foo` for `crate::a::Foo<T>`), or `_`.
fn type_name(ty: &Type) -> String {
    match ty {
        Type::Path(p) => p
            .path
            .segments
            .last()
            .map_or_else(|| "_".to_owned(), |s| name(&s.ident)),
        Type::Reference(r) => type_name(&r.elem),
        _ => "_".to_owned(),
    }
}

impl<'ast> Visit<'ast> for Measurer {
    fn visit_item(&mut self, item: &'ast Item) {
        if !self.skip_test(item_attrs(item), item) {
            visit::visit_item(self, item);
        }
    }

    fn visit_impl_item(&mut self, item: &'ast ImplItem) {
        if !self.skip_test(impl_item_attrs(item), item) {
            visit::visit_impl_item(self, item);
        }
    }

    fn visit_trait_item(&mut self, item: &'ast TraitItem) {
        if !self.skip_test(trait_item_attrs(item), item) {
            visit::visit_trait_item(self, item);
        }
    }

    fn visit_item_mod(&mut self, item: &'ast ItemMod) {
        self.scoped(name(&item.ident), |v| visit::visit_item_mod(v, item));
    }

    fn visit_item_impl(&mut self, item: &'ast ItemImpl) {
        self.scoped(type_name(&item.self_ty), |v| {
            visit::visit_item_impl(v, item);
        });
    }

    fn visit_item_trait(&mut self, item: &'ast ItemTrait) {
        self.scoped(name(&item.ident), |v| visit::visit_item_trait(v, item));
    }

    fn visit_item_fn(&mut self, item: &'ast ItemFn) {
        self.function(&item.sig, &item.block, |v| visit::visit_item_fn(v, item));
    }

    fn visit_impl_item_fn(&mut self, item: &'ast ImplItemFn) {
        self.function(&item.sig, &item.block, |v| {
            visit::visit_impl_item_fn(v, item);
        });
    }

    fn visit_trait_item_fn(&mut self, item: &'ast TraitItemFn) {
        let Some(block) = &item.default else {
            return visit::visit_trait_item_fn(self, item);
        };
        self.function(&item.sig, block, |v| visit::visit_trait_item_fn(v, item));
    }
}
