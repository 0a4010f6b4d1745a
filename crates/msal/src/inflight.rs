//! Single-flight gates: one token request at a time per (partition, scopes).
//!
//! A caller takes a [`Ticket`] for the token it wants; tickets for the same token share one
//! gate, and the caller holding the gate's turn is the only one sending a request. Dropping a
//! ticket releases it on every exit path (success, error, panic, or the future being dropped),
//! and the gate is forgotten when its last ticket is gone, so the table never grows with
//! finished requests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use oauth2_core::Scopes;
use token_cache::PartitionKey;
use tokio::sync::{Mutex as AsyncMutex, MutexGuard, OwnedMutexGuard};

type Gate = Arc<AsyncMutex<()>>;
type Key = (PartitionKey, Scopes);

/// The gates of one application.
#[derive(Debug, Default)]
pub(crate) struct InFlight {
    gates: Mutex<HashMap<Key, Gate>>,
}

/// A claim on the gate of one token; released when dropped.
#[derive(Debug)]
pub(crate) struct Ticket {
    inflight: Arc<InFlight>,
    key: Key,
    gate: Gate,
}

impl InFlight {
    /// A ticket for the gate of (`partition`, `scopes`).
    pub(crate) fn ticket(self: &Arc<Self>, partition: &PartitionKey, scopes: &Scopes) -> Ticket {
        let key = (partition.clone(), scopes.clone());
        let gate = self.lock().entry(key.clone()).or_default().clone();
        Ticket {
            inflight: Arc::clone(self),
            key,
            gate,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Gate>> {
        self.gates.lock().unwrap_or_else(|p| p.into_inner())
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }
}

impl Ticket {
    /// Waits for this token's turn.
    pub(crate) async fn turn(&self) -> MutexGuard<'_, ()> {
        self.gate.lock().await
    }

    /// This token's turn if nobody holds it now (for background refreshes).
    pub(crate) fn try_turn(&self) -> Option<OwnedMutexGuard<()>> {
        Arc::clone(&self.gate).try_lock_owned().ok()
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut gates = self.inflight.lock();
        // The table's reference and ours are the last two: nobody else wants this token.
        if gates
            .get(&self.key)
            .is_some_and(|g| Arc::ptr_eq(g, &self.gate) && Arc::strong_count(g) == 2)
        {
            gates.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oauth2_core::TokenType;
    use token_cache::PartitionParts;

    fn partition() -> PartitionKey {
        PartitionKey::new(PartitionParts {
            environment: "login.microsoftonline.com",
            client_id: "c",
            tenant: "t",
            token_type: TokenType::Bearer,
            key_id: None,
        })
    }

    #[tokio::test]
    async fn gates_are_shared_then_forgotten() {
        let inflight = Arc::new(InFlight::default());
        let (p, s) = (partition(), Scopes::new(["a"]).unwrap());
        let first = inflight.ticket(&p, &s);
        let second = inflight.ticket(&p, &s);
        assert!(Arc::ptr_eq(&first.gate, &second.gate), "one gate per token");
        drop(first);
        assert_eq!(inflight.len(), 1, "still held by the second");
        drop(second);
        assert_eq!(inflight.len(), 0);
    }

    #[tokio::test]
    async fn item1_a_dropped_or_panicking_holder_releases_its_gate() {
        let inflight = Arc::new(InFlight::default());
        let (p, s) = (partition(), Scopes::new(["a"]).unwrap());
        let held = {
            let inflight = Arc::clone(&inflight);
            let (p, s) = (p.clone(), s.clone());
            tokio::spawn(async move {
                let ticket = inflight.ticket(&p, &s);
                let _turn = ticket.turn().await;
                panic!("the request panicked while holding its turn");
            })
        };
        assert!(held.await.unwrap_err().is_panic());
        let pending = {
            let ticket = inflight.ticket(&p, &s);
            let _turn = ticket.try_turn().expect("the panicking holder released");
            let waiter = inflight.ticket(&p, &s);
            let future = Box::pin(async move {
                let _t = waiter.turn().await;
            });
            drop(future); // a cancelled waiter
            inflight.len()
        };
        assert_eq!(pending, 1);
        assert_eq!(inflight.len(), 0, "no leftover gate");
    }
}
