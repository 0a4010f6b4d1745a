//! Single-flight gates: one token request at a time per (partition, scopes).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use oauth2_core::Scopes;
use token_cache::PartitionKey;

type Gate = Arc<tokio::sync::Mutex<()>>;

/// Concurrent cache misses for the same token take turns on one gate; the first sends the
/// request, the others then find its token in the cache. Gates are removed when unused.
#[derive(Debug, Default)]
pub(crate) struct InFlight {
    gates: Mutex<HashMap<(PartitionKey, Scopes), Gate>>,
}

impl InFlight {
    /// The gate for this token (created on first use).
    pub(crate) fn gate(&self, partition: &PartitionKey, scopes: &Scopes) -> Gate {
        let mut gates = self.gates.lock().unwrap_or_else(|p| p.into_inner());
        gates
            .entry((partition.clone(), scopes.clone()))
            .or_default()
            .clone()
    }

    /// Drop our handle; forget the gate when nobody else holds it.
    pub(crate) fn release(&self, partition: &PartitionKey, scopes: &Scopes, gate: Gate) {
        let mut gates = self.gates.lock().unwrap_or_else(|p| p.into_inner());
        drop(gate);
        let key = (partition.clone(), scopes.clone());
        if gates.get(&key).is_some_and(|g| Arc::strong_count(g) == 1) {
            gates.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn gates_are_shared_then_forgotten() {
        let inflight = InFlight::default();
        let p = PartitionKey::new(token_cache::PartitionParts {
            environment: "login.microsoftonline.com",
            client_id: "c",
            tenant: "t",
            token_type: token_cache::TokenType::Bearer,
            key_id: None,
        });
        let s = Scopes::new(["a"]).unwrap();
        let first = inflight.gate(&p, &s);
        let second = inflight.gate(&p, &s);
        assert!(Arc::ptr_eq(&first, &second), "one gate per token");
        inflight.release(&p, &s, first);
        assert_eq!(
            inflight.gates.lock().unwrap().len(),
            1,
            "still held by the second"
        );
        inflight.release(&p, &s, second);
        assert!(inflight.gates.lock().unwrap().is_empty());
    }
}
