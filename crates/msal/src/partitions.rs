//! The cache partition keys of one application, built once per (token type, key id) and
//! shared by every call, so a cache hit builds no key (no lower-casing, no string copies, no
//! hashing of the parts).

use std::sync::RwLock;

use oauth2_core::TokenType;
use token_cache::PartitionKey;

/// At most this many keys are kept (each certificate rotation adds one); beyond that the
/// oldest key goes, so the table follows the certificates in use after any number of
/// rotations.
const MAX_KEYS: usize = 16;

/// The keys built so far. The environment, client id and tenant are the application's own, so
/// (token type, key id) tells them apart.
#[derive(Debug, Default)]
pub(crate) struct Partitions {
    keys: RwLock<Vec<PartitionKey>>,
}

impl Partitions {
    /// The key for `token_type` and `key_id`, from the table or made by `build`.
    pub(crate) fn get(
        &self,
        token_type: TokenType,
        key_id: Option<&str>,
        build: impl FnOnce() -> PartitionKey,
    ) -> PartitionKey {
        let matches = |k: &PartitionKey| k.token_type() == token_type && k.key_id() == key_id;
        if let Some(key) = self.read().iter().find(|k| matches(k)) {
            return key.clone();
        }
        let key = build();
        let mut keys = self.keys.write().unwrap_or_else(|p| p.into_inner());
        if !keys.iter().any(matches) {
            if keys.len() >= MAX_KEYS {
                keys.remove(0);
            }
            keys.push(key.clone());
        }
        key
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<PartitionKey>> {
        self.keys.read().unwrap_or_else(|p| p.into_inner())
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
        let ids: Vec<String> = (0..MAX_KEYS + 4).map(|i| format!("k{i}")).collect();
        for id in &ids {
            let got = table.get(TokenType::MtlsPop, Some(id), || {
                key(TokenType::MtlsPop, Some(id))
            });
            assert_eq!(got.key_id(), Some(id.as_str()));
        }
        assert_eq!(table.read().len(), MAX_KEYS);
        // the newest keys stay (the certificate in use after many rotations), the oldest went
        let kept: Vec<_> = table
            .read()
            .iter()
            .map(|k| k.key_id().map(str::to_owned))
            .collect();
        assert_eq!(kept.last(), Some(&Some(ids[MAX_KEYS + 3].clone())));
        assert!(!kept.contains(&Some(ids[0].clone())));
        let built = std::cell::Cell::new(false);
        table.get(TokenType::MtlsPop, Some(&ids[MAX_KEYS + 3]), || {
            built.set(true);
            key(TokenType::MtlsPop, None)
        });
        assert!(!built.get(), "the newest key is shared, not built again");
    }
}
