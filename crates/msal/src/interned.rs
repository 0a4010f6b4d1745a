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

    /// The number of values held.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.slots.iter().map_while(OnceLock::get).count()
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
}
