//! Values one application builds once and every call shares (its cache partition keys, the
//! scope sets it is asked for): append-only tables whose reads take no lock, so a cache hit
//! neither builds nor locks anything to find them.

use std::sync::OnceLock;

use oauth2_core::Scopes;

use crate::Error;

/// At most this many values per table (each certificate rotation adds a partition key; each
/// distinct scope list a scope set); beyond that a value is built per call, as it would be
/// without the table.
pub(crate) const SLOTS: usize = 16;
// [`ScopeSets::lookup`] keeps one bit per slot in a `u32`.
const _: () = assert!(SLOTS < 32);

/// An append-only table of at most [`SLOTS`] values. Slots fill in order and are never
/// emptied, so a reader stops at the first empty slot; two callers racing to add equal values
/// may both add theirs (harmless: the first one is found).
#[derive(Debug)]
pub(crate) struct Slots<T> {
    slots: [OnceLock<T>; SLOTS],
}

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Self {
            slots: std::array::from_fn(|_| OnceLock::new()),
        }
    }
}

impl<T> Slots<T> {
    /// The first value `matches` accepts.
    pub(crate) fn find(&self, matches: impl Fn(&T) -> bool) -> Option<&T> {
        self.slots
            .iter()
            .map_while(OnceLock::get)
            .find(|value| matches(value))
    }

    /// Adds `value` in the first empty slot; `false` when the table is full.
    pub(crate) fn push(&self, mut value: T) -> bool {
        for slot in &self.slots {
            match slot.set(value) {
                Ok(()) => return true,
                Err(back) => value = back,
            }
        }
        false
    }

    /// The value in slot `index`, if it is filled.
    pub(crate) fn get(&self, index: usize) -> Option<&T> {
        self.slots.get(index)?.get()
    }

    /// The values held, in the order they were added.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.slots.iter().map_while(OnceLock::get)
    }

    /// The number of values held.
    pub(crate) fn len(&self) -> usize {
        self.iter().count()
    }
}

/// The scope lists an application was asked for, as given, with their normalized form: a
/// repeated call normalizes nothing (no sorting, no copies), it compares the list and shares
/// the [`Scopes`].
#[derive(Debug, Default)]
pub(crate) struct ScopeSets {
    sets: Slots<(Box<[String]>, Scopes)>,
}

impl ScopeSets {
    /// The scope list of a call, read once as the caller gives it: a list asked for before is
    /// found without copying a string ([`GivenScopes::Known`]); any other list is copied
    /// ([`GivenScopes::Listed`], normalized and kept by [`ScopeSets::get`] when the call runs).
    pub(crate) fn lookup<I, S>(&self, given: I) -> GivenScopes
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let held = self.sets.len();
        // bit i: the list given so far is a prefix of the list in slot i
        let mut matching: u32 = (1u32 << held) - 1;
        let mut count = 0;
        let mut listed: Option<Vec<String>> = None;
        for scope in given {
            let scope = scope.as_ref();
            if let Some(list) = &mut listed {
                list.push(scope.to_owned());
                continue;
            }
            let still = self.matching(matching, |raw| {
                raw.get(count).is_some_and(|known| known == scope)
            });
            if still == 0 {
                let mut list = self.prefix(matching, count);
                list.push(scope.to_owned());
                listed = Some(list);
            }
            matching = still;
            count += 1;
        }
        if let Some(list) = listed {
            return GivenScopes::Listed(list);
        }
        let exact = self.matching(matching, |raw| raw.len() == count);
        match exact {
            0 => GivenScopes::Listed(self.prefix(matching, count)),
            _ => GivenScopes::Known(exact.trailing_zeros() as usize),
        }
    }

    /// The normalized set of a [`GivenScopes::Known`] list (`None`: no such slot, which
    /// [`ScopeSets::lookup`] never gives).
    pub(crate) fn known(&self, index: usize) -> Option<&Scopes> {
        self.sets.get(index).map(|(_, scopes)| scopes)
    }

    /// The bits of `mask` whose slot's raw list `keep` accepts.
    fn matching(&self, mask: u32, keep: impl Fn(&[String]) -> bool) -> u32 {
        self.sets
            .iter()
            .enumerate()
            .filter(|(i, (raw, _))| mask & (1 << i) != 0 && keep(raw))
            .fold(0, |bits, (i, _)| bits | (1 << i))
    }

    /// The first `count` scopes of the list in the first slot of `mask` (empty: no slot).
    fn prefix(&self, mask: u32, count: usize) -> Vec<String> {
        match self.sets.iter().nth(mask.trailing_zeros() as usize) {
            Some((raw, _)) if mask != 0 => raw.iter().take(count).cloned().collect(),
            _ => Vec::new(),
        }
    }

    /// The normalized form of `given` (an invalid list is an error, and is not kept).
    pub(crate) fn get(&self, given: &[String]) -> Result<Scopes, Error> {
        if let Some((_, scopes)) = self.sets.find(|(raw, _)| **raw == *given) {
            return Ok(scopes.clone());
        }
        let scopes = Scopes::new(given)?;
        self.sets.push((given.into(), scopes.clone()));
        Ok(scopes)
    }
}

/// The scopes of one call, as [`ScopeSets::lookup`] found them.
#[derive(Clone, Debug)]
pub(crate) enum GivenScopes {
    /// A list the application was asked for before: the slot of its normalized set (no
    /// reference count taken; [`ScopeSets::known`]).
    Known(usize),
    /// Another list, as given.
    Listed(Vec<String>),
}

impl GivenScopes {
    /// The scopes as a list: the normalized set of a known list (normalizing it again gives
    /// the same set), else the list as given.
    pub(crate) fn as_list<'s>(&'s self, sets: &'s ScopeSets) -> &'s [String] {
        match self {
            GivenScopes::Known(index) => sets.known(*index).map_or(&[], Scopes::as_slice),
            GivenScopes::Listed(list) => list,
        }
    }

    /// The normalized set, kept in `sets` for the next call.
    pub(crate) fn normalize(&self, sets: &ScopeSets) -> Result<Scopes, Error> {
        match self.known(sets) {
            Some(scopes) => Ok(scopes.clone()),
            None => sets.get(self.as_list(sets)),
        }
    }

    /// The normalized set of a known list.
    pub(crate) fn known<'s>(&self, sets: &'s ScopeSets) -> Option<&'s Scopes> {
        match self {
            GivenScopes::Known(index) => sets.known(*index),
            GivenScopes::Listed(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_fill_in_order_and_stop_when_full() {
        let slots = Slots::default();
        for i in 0..SLOTS {
            assert!(slots.push(i));
        }
        assert!(!slots.push(SLOTS));
        assert_eq!(slots.len(), SLOTS);
        assert_eq!(slots.find(|v| *v == 3), Some(&3));
        assert_eq!(slots.find(|v| *v == SLOTS), None);
    }

    #[test]
    fn a_repeated_scope_list_shares_its_normalized_set() {
        let sets = ScopeSets::default();
        let given = ["b".to_owned(), "a".to_owned()];
        let first = sets.get(&given).unwrap();
        let again = sets.get(&given).unwrap();
        assert!(std::ptr::eq(first.as_slice(), again.as_slice()));
        assert_eq!(first.joined_str(), "a b");
        // another order is another list, normalized to an equal set
        let other = sets.get(&["a".to_owned(), "b".to_owned()]).unwrap();
        assert_eq!(other, first);
        assert!(sets.get(&["a b".to_owned()]).is_err());
        assert!(sets.get(&[]).is_err());
        assert_eq!(sets.sets.len(), 2, "invalid lists are not kept");
    }

    fn listed(given: GivenScopes) -> Vec<String> {
        match given {
            GivenScopes::Listed(list) => list,
            GivenScopes::Known(index) => panic!("expected a new list, found slot {index}"),
        }
    }

    #[test]
    fn lookup_finds_known_lists_and_copies_new_ones_whole() {
        let sets = ScopeSets::default();
        assert!(listed(sets.lookup(Vec::<String>::new())).is_empty());
        assert_eq!(listed(sets.lookup(["b", "a"])), ["b", "a"]);
        let ba = sets.get(&["b".to_owned(), "a".to_owned()]).unwrap();
        let abc = sets
            .get(&["a".to_owned(), "b".to_owned(), "c".to_owned()])
            .unwrap();
        let found = sets.lookup(["b", "a"]);
        let found = found.known(&sets).expect("a known list");
        assert!(std::ptr::eq(found.as_slice(), ba.as_slice()));
        let found = sets.lookup(vec!["a".to_owned(), "b".to_owned(), "c".to_owned()]);
        let found = found.known(&sets).expect("a known list");
        assert!(std::ptr::eq(found.as_slice(), abc.as_slice()));
        // prefixes, extensions and lists that part ways are copied whole, in order
        assert_eq!(listed(sets.lookup(["b"])), ["b"]);
        assert_eq!(listed(sets.lookup(["a", "b"])), ["a", "b"]);
        assert_eq!(listed(sets.lookup(["b", "a", "d"])), ["b", "a", "d"]);
        assert_eq!(
            listed(sets.lookup(["a", "b", "x", "y"])),
            ["a", "b", "x", "y"]
        );
        assert_eq!(listed(sets.lookup(["x", "a"])), ["x", "a"]);
    }

    #[test]
    fn lookup_with_a_full_table_still_copies_new_lists() {
        let sets = ScopeSets::default();
        for i in 0..SLOTS + 2 {
            sets.get(&[format!("s{i}")]).unwrap();
        }
        assert_eq!(sets.sets.len(), SLOTS);
        assert!(matches!(sets.lookup(["s3"]), GivenScopes::Known(_)));
        assert_eq!(
            listed(sets.lookup([format!("s{}", SLOTS + 1)])),
            [format!("s{}", SLOTS + 1)]
        );
    }
}
