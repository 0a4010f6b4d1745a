//! Questions about attributes and items that every check asks: is this test-only code, is it
//! `#[doc(hidden)]`, where does `#[path]` point, and where are an item's attributes.

use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, ImplItem, Item, Lit, Meta, Token, TraitItem, Visibility};

/// Whether `attrs` hold `#[cfg(test)]` or `#[cfg(all(.., test, ..))]`: code that exists only in
/// test builds.
pub(crate) fn is_test_only(attrs: &[Attribute]) -> bool {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("cfg"))
        .any(|a| a.parse_args::<Meta>().is_ok_and(|m| cfg_requires_test(&m)))
}

/// Whether a `cfg` predicate can only hold in test builds.
fn cfg_requires_test(meta: &Meta) -> bool {
    match meta {
        Meta::Path(path) => path.is_ident("test"),
        Meta::List(list) if list.path.is_ident("all") => list
            .parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)
            .is_ok_and(|inner| inner.iter().any(cfg_requires_test)),
        _ => false,
    }
}

/// Whether `attrs` hold `#[doc(hidden)]`.
pub(crate) fn is_doc_hidden(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| match &a.meta {
        Meta::List(list) if list.path.is_ident("doc") => list
            .parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)
            .is_ok_and(|inner| inner.iter().any(|m| m.path().is_ident("hidden"))),
        _ => false,
    })
}

/// Whether `attrs` hold `#[macro_export]`.
pub(crate) fn is_macro_export(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| a.path().is_ident("macro_export"))
}

/// The value of a `#[path = "..."]` attribute, if there is one.
pub(crate) fn path_attr(attrs: &[Attribute]) -> Option<String> {
    attrs.iter().find_map(|a| match &a.meta {
        Meta::NameValue(nv) if nv.path.is_ident("path") => match &nv.value {
            Expr::Lit(expr) => match &expr.lit {
                Lit::Str(s) => Some(s.value()),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    })
}

/// Whether a visibility is plain `pub` (not `pub(crate)`, `pub(super)` or `pub(in ..)`).
pub(crate) fn is_pub(vis: &Visibility) -> bool {
    matches!(vis, Visibility::Public(_))
}

/// Defines `fn $name(item: &$enum) -> &[Attribute]`: the attributes of the listed variants,
/// none for the others (verbatim tokens).
macro_rules! attrs_fn {
    ($(#[$doc:meta])* $name:ident($enum:ident): $($variant:ident),+) => {
        $(#[$doc])*
        pub(crate) fn $name(item: &$enum) -> &[Attribute] {
            match item {
                $($enum::$variant(i) => &i.attrs,)+
                _ => &[],
            }
        }
    };
}

attrs_fn!(
    /// The attributes of an item.
    item_attrs(Item): Const, Enum, ExternCrate, Fn, ForeignMod, Impl, Macro, Mod, Static,
        Struct, Trait, TraitAlias, Type, Union, Use
);
attrs_fn!(
    /// The attributes of an item inside an `impl` block.
    impl_item_attrs(ImplItem): Const, Fn, Type, Macro
);
attrs_fn!(
    /// The attributes of an item inside a `trait` block.
    trait_item_attrs(TraitItem): Const, Fn, Type, Macro
);

/// The first and last source line (1-based, inclusive) that a syntax node covers, attributes
/// and doc comments included.
pub(crate) fn line_range(node: &impl Spanned) -> (usize, usize) {
    let span = node.span();
    (span.start().line, span.end().line)
}
