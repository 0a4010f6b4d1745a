//! The cache partition keys of one application, built once per (token type, key id) and
//! shared by every call, so a cache hit builds no key (no lower-casing, no string copies, no
//! hashing of the parts, no lock).
//!
//! The first [`SLOTS`] keys live in a lock-free append-only table. Each certificate rotation
//! adds keys, so after many rotations the newer keys go to a small overflow list behind a
//! lock, newest kept, oldest dropped: the certificate in use keeps a shared key after any
//! number of rotations, at the price of a read lock on its hits.

use std::collections::VecDeque;
use std::sync::RwLock;

use oauth2_core::TokenType;
use token_cache::PartitionKey;

use crate::interned::{Slots, SLOTS};

/// The keys built so far. The environment, client id and tenant are the application's own, so
/// (token type, key id) tells them apart.
#[derive(Debug, Default)]
pub(crate) struct Partitions {
    keys: Slots<PartitionKey>,
    /// Keys made once `keys` was full, at most [`SLOTS`], the oldest dropped first.
    overflow: RwLock<VecDeque<PartitionKey>>,
}

impl Partitions {
    /// The key for `token_type` and `key_id` if the lock-free table has it (borrowed: no
    /// reference count taken).
    pub(crate) fn find(
        &self,
        token_type: TokenType,
        key_id: Option<&str>,
    ) -> Option<&PartitionKey> {
        self.keys
            .find(|k| k.token_type() == token_type && k.key_id() == key_id)
    }

    /// The key for `token_type` and `key_id`, from the table or made by `build`.
    pub(crate) fn get(
        &self,
        token_type: TokenType,
        key_id: Option<&str>,
        build: impl FnOnce() -> PartitionKey,
    ) -> PartitionKey {
        let matches = |k: &PartitionKey| k.token_type() == token_type && k.key_id() == key_id;
        if let Some(key) = self.keys.find(matches) {
            return key.clone();
        }
        let read = self.overflow.read().unwrap_or_else(|p| p.into_inner());
        if let Some(key) = read.iter().find(|k| matches(k)) {
            return key.clone();
        }
        drop(read);
        let key = build();
        if !self.keys.push(key.clone()) {
            let mut overflow = self.overflow.write().unwrap_or_else(|p| p.into_inner());
            if !overflow.iter().any(matches) {
                if overflow.len() >= SLOTS {
                    overflow.pop_front();
                }
                overflow.push_back(key.clone());
            }
        }
        key
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use token_cache::PartitionParts;

    fn key(token_type: TokenType, key_id: Option<&str>) -> PartitionKey {
        PartitionKey::new(PartitionParts {
            environment: "login.microsoftonline.com",
            client_id: "c",
            tenant: "t",
            token_type,
            key_id,
        })
    }

    #[test]
    fn one_key_per_token_type_and_key_id_then_shared() {
        let table = Partitions::default();
        let built = std::cell::Cell::new(0);
        let get = |token_type, key_id| {
            table.get(token_type, key_id, || {
                built.set(built.get() + 1);
                key(token_type, key_id)
            })
        };
        let bearer = get(TokenType::Bearer, None);
        let pop = get(TokenType::MtlsPop, Some("k1"));
        let bearer_mtls = get(TokenType::Bearer, Some("k1"));
        let pop2 = get(TokenType::MtlsPop, Some("k2"));
        assert_eq!(built.get(), 4);
        for (again, first) in [
            (get(TokenType::Bearer, None), &bearer),
            (get(TokenType::MtlsPop, Some("k1")), &pop),
            (get(TokenType::Bearer, Some("k1")), &bearer_mtls),
            (get(TokenType::MtlsPop, Some("k2")), &pop2),
        ] {
            assert_eq!(&again, first);
        }
        assert_eq!(built.get(), 4, "no key built twice");
        assert_ne!(pop, pop2);
        assert_ne!(bearer, bearer_mtls);
    }

    #[test]
    fn the_table_is_bounded() {
        let table = Partitions::default();
        let ids: Vec<String> = (0..SLOTS + 4).map(|i| format!("k{i}")).collect();
        for id in &ids {
            let got = table.get(TokenType::MtlsPop, Some(id), || {
                key(TokenType::MtlsPop, Some(id))
            });
            assert_eq!(got.key_id(), Some(id.as_str()));
        }
        assert_eq!(table.keys.len(), SLOTS);
        let overflow = table.overflow.read().unwrap();
        assert_eq!(overflow.len(), 4);
        assert_eq!(
            overflow.back().and_then(PartitionKey::key_id),
            Some(ids[SLOTS + 3].as_str())
        );
        drop(overflow);
        let built = std::cell::Cell::new(false);
        table.get(TokenType::MtlsPop, Some(&ids[SLOTS + 3]), || {
            built.set(true);
            key(TokenType::MtlsPop, None)
        });
        assert!(!built.get(), "the newest key is shared, not built again");
    }

    #[test]
    fn the_overflow_keeps_the_newest_keys() {
        let table = Partitions::default();
        let ids: Vec<String> = (0..3 * SLOTS).map(|i| format!("k{i}")).collect();
        for id in &ids {
            table.get(TokenType::MtlsPop, Some(id), || {
                key(TokenType::MtlsPop, Some(id))
            });
        }
        let overflow = table.overflow.read().unwrap();
        assert_eq!(overflow.len(), SLOTS, "bounded");
        assert_eq!(
            overflow.front().and_then(PartitionKey::key_id),
            Some(ids[2 * SLOTS].as_str())
        );
    }
}
