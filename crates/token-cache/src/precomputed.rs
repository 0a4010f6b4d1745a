//! Hash maps keyed by values that carry their own hash ([`PartitionKey`](crate::PartitionKey),
//! [`Scopes`](oauth2_core::Scopes)): each writes one 64-bit value, computed once with a
//! randomly keyed hasher when the value was built, and the map takes it as it is instead of
//! hashing it again on every lookup.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A map whose keys hash to their precomputed value.
pub(crate) type PrecomputedMap<K, V> = HashMap<K, V, BuildHasherDefault<Precomputed>>;

/// Passes a precomputed hash through. Any other write is folded in (FNV-1a), so a key type
/// that writes more still hashes correctly, only without the saving.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Precomputed(u64);

impl Hasher for Precomputed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write_u64(&mut self, value: u64) {
        self.0 ^= value;
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PartitionKey, PartitionParts, TokenType};
    use oauth2_core::Scopes;
    use std::hash::{BuildHasher, Hash};

    #[test]
    fn a_key_hashes_to_its_precomputed_value_and_equal_keys_agree() {
        let build = BuildHasherDefault::<Precomputed>::default();
        let a = Scopes::new(["b", "a"]).unwrap();
        let b = Scopes::new(["a", "b", "a"]).unwrap();
        let c = Scopes::new(["a"]).unwrap();
        assert_eq!(build.hash_one(&a), build.hash_one(&b));
        assert_ne!(build.hash_one(&a), build.hash_one(&c));
        let key = |tenant: &str| {
            PartitionKey::new(PartitionParts {
                environment: "login.example",
                client_id: "c",
                tenant,
                token_type: TokenType::Bearer,
                key_id: None,
            })
        };
        assert_eq!(build.hash_one(key("t")), build.hash_one(key("t")));
        assert_ne!(build.hash_one(key("t")), build.hash_one(key("u")));
        // other writes still hash
        let mut other = Precomputed::default();
        "some text".hash(&mut other);
        assert_ne!(other.finish(), 0);
    }

    #[test]
    fn maps_find_what_they_hold() {
        let mut map = PrecomputedMap::default();
        for i in 0..1000 {
            map.insert(Scopes::new([format!("s{i}")]).unwrap(), i);
        }
        for i in 0..1000 {
            assert_eq!(map.get(&Scopes::new([format!("s{i}")]).unwrap()), Some(&i));
        }
    }
}
