//! Normalized scope lists.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::{Arc, OnceLock};

use crate::Error;

/// A normalized set of scopes: each trimmed, non-empty, deduplicated and sorted by code point
/// (so `B` sorts before `a`, as MSAL's cache `target` does).
///
/// Two `Scopes` built from the same scopes in any order or with repeats are equal and hash the
/// same, so the type can key a token cache.
///
/// Cloning is a reference-count increment: a token cache keeps one copy of each scope set
/// however many indexes refer to it, and a cache hit shares it with the result.
#[derive(Clone)]
pub struct Scopes {
    inner: Arc<Inner>,
}

struct Inner {
    /// Hash of the joined form, computed once with the process's randomly keyed hasher (a
    /// cache lookup takes these 8 bytes, it does not hash the scopes).
    hash: u64,
    scopes: Repr,
}

enum Repr {
    /// A single scope (the usual `{resource}/.default`): kept in place, with no list around it
    /// and no joined copy (the joined form is the scope itself).
    One(String),
    /// Two or more scopes, sorted, and joined with single spaces.
    Many {
        list: Box<[String]>,
        joined: Box<str>,
    },
}

impl Repr {
    fn list(&self) -> &[String] {
        match self {
            Repr::One(scope) => std::slice::from_ref(scope),
            Repr::Many { list, .. } => list,
        }
    }

    fn joined(&self) -> &str {
        match self {
            Repr::One(scope) => scope,
            Repr::Many { joined, .. } => joined,
        }
    }
}

impl PartialEq for Scopes {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
            || (self.inner.hash == other.inner.hash
                && self.inner.scopes.list() == other.inner.scopes.list())
    }
}

impl Eq for Scopes {}

impl Hash for Scopes {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // the joined form determines the list, and `hash` is the joined form's
        state.write_u64(self.inner.hash);
    }
}

impl Scopes {
    /// Normalizes a list of scopes.
    ///
    /// Errors with [`Error::InvalidScope`] when the list is empty, when a scope is empty or only
    /// whitespace, or when a scope contains whitespace inside it (pass `"a b"` as two scopes).
    pub fn new<I, S>(scopes: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut list = Vec::new();
        for scope in scopes {
            let scope = scope.as_ref().trim();
            if scope.is_empty() {
                return Err(Error::invalid_scope(
                    "a scope is empty or only whitespace; remove it",
                ));
            }
            if scope.chars().any(char::is_whitespace) {
                return Err(Error::invalid_scope(format!(
                    "the scope `{scope}` contains whitespace; pass each scope as its own list item"
                )));
            }
            list.push(scope.to_owned());
        }
        if list.is_empty() {
            return Err(Error::invalid_scope(
                "no scopes given; for client credentials ask for `{resource}/.default`, e.g. \
                 `https://graph.microsoft.com/.default`",
            ));
        }
        list.sort_unstable();
        list.dedup();
        // (the list is not empty: refused above)
        let scopes = match <[String; 1]>::try_from(list) {
            Ok([only]) => Repr::One(only),
            Err(list) => Repr::Many {
                joined: list.join(" ").into_boxed_str(),
                list: list.into_boxed_slice(),
            },
        };
        // one randomly keyed hasher per process: equal scope sets, equal value (in this
        // process), and values nobody outside the process can aim at
        static KEYS: OnceLock<RandomState> = OnceLock::new();
        let hash = KEYS.get_or_init(RandomState::new).hash_one(scopes.joined());
        Ok(Scopes {
            inner: Arc::new(Inner { hash, scopes }),
        })
    }

    /// The normalized scopes, sorted.
    pub fn as_slice(&self) -> &[String] {
        self.inner.scopes.list()
    }

    /// The scopes joined with single spaces: the `scope` form field and the cache `target`.
    pub fn joined(&self) -> String {
        self.joined_str().to_owned()
    }

    /// Like [`Scopes::joined`], without allocating.
    pub fn joined_str(&self) -> &str {
        self.inner.scopes.joined()
    }

    /// Iterates over the scopes in sorted order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.inner.scopes.list().iter().map(String::as_str)
    }

    /// Whether every scope in `self` is also in `other` (exact, case-sensitive).
    pub fn is_subset_of(&self, other: &Scopes) -> bool {
        let theirs = other.inner.scopes.list();
        self.as_slice()
            .iter()
            .all(|s| theirs.binary_search(s).is_ok())
    }

    /// The number of distinct scopes (never zero).
    pub fn len(&self) -> usize {
        self.inner.scopes.list().len()
    }

    /// Always `false`: a `Scopes` value holds at least one scope.
    pub fn is_empty(&self) -> bool {
        self.inner.scopes.list().is_empty()
    }
}

impl fmt::Debug for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Scopes")
            .field(&self.inner.scopes.list())
            .finish()
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.joined_str())
    }
}
