//! Which pooled client serves a request: one for requests without a client identity, one per
//! identity, at most `max_identities` of them, the least recently used dropped first.
//!
//! A caller that rotates its certificate retires the old identity
//! ([`crate::Transport::retire_identity`]), which drops its pool at once; the bound only limits
//! how many identities that are still in use keep a pool.
//!
//! An identity is the chain a handshake presents (`ClientCertificate::chain_id`), not the leaf
//! alone: the rustls config of a pooled client is fixed, so a client keyed by the leaf would go
//! on presenting the first chain it was built with, a wrong intermediate included, after the
//! caller corrected it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use http_body_util::Full;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use oauth2_core::ClientCertificate;
use rustls::RootCertStore;

use super::builder::Settings;
use super::connect::TimeoutConnector;
use super::proxy::ProxyConnector;
use super::tls;
use crate::Error;

type Connector = TimeoutConnector<HttpsConnector<ProxyConnector>>;

/// A hyper-util client with its own connection pool and rustls configuration.
pub(super) type PooledClient = Client<Connector, Full<Bytes>>;

/// The pooled clients of one transport.
pub(super) struct Pools {
    settings: Settings,
    roots: Arc<RootCertStore>,
    http: ProxyConnector,
    plain: PooledClient,
    identities: Mutex<IdentityPools>,
}

impl Pools {
    /// Builds the client for requests without an identity; identity clients come on first use.
    pub(super) fn new(
        settings: &Settings,
        roots: Arc<RootCertStore>,
        http: ProxyConnector,
    ) -> Result<Self, Error> {
        let plain = build_client(
            settings,
            http.clone(),
            tls::client_config(roots.clone(), &settings.tls_versions, None)?,
        );
        Ok(Self {
            settings: settings.clone(),
            roots,
            http,
            plain,
            identities: Mutex::new(IdentityPools::new(settings.max_identities)),
        })
    }

    /// Number of client identities that currently have their own pool.
    pub(super) fn identity_count(&self) -> usize {
        self.lock_identities().clients.len()
    }

    /// The client for `identity`: the shared plain client for `None`, else the identity's own,
    /// built on first use.
    pub(super) fn client_for(
        &self,
        identity: Option<&ClientCertificate>,
    ) -> Result<PooledClient, Error> {
        let Some(identity) = identity else {
            return Ok(self.plain.clone());
        };
        let key = identity.chain_id();
        if let Some(client) = self.lock_identities().get(key) {
            return Ok(client);
        }
        // Built without holding the lock; a concurrent first use may build one too, and the
        // first inserted wins.
        let config = tls::client_config(
            self.roots.clone(),
            &self.settings.tls_versions,
            Some(identity),
        )?;
        let client = build_client(&self.settings, self.http.clone(), config);
        tracing::debug!(
            identity = %key,
            x5t_s256 = %identity.x5t_s256(),
            subject = %identity.subject(),
            "new identity pool"
        );
        Ok(self.lock_identities().insert(key, client))
    }

    /// Drops the pool of `identity` (its certificate was rotated out), if it has one.
    pub(super) fn retire(&self, identity: &ClientCertificate) {
        let key = identity.chain_id();
        if self.lock_identities().clients.remove(key).is_some() {
            tracing::debug!(identity = %key, "retired identity pool dropped");
        }
    }

    fn lock_identities(&self) -> MutexGuard<'_, IdentityPools> {
        self.identities
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Per-identity clients with least-recently-used eviction.
struct IdentityPools {
    clients: HashMap<String, (PooledClient, u64)>,
    clock: u64,
    max: usize,
}

impl IdentityPools {
    fn new(max: usize) -> Self {
        Self {
            clients: HashMap::new(),
            clock: 0,
            max,
        }
    }

    fn get(&mut self, key: &str) -> Option<PooledClient> {
        self.clock += 1;
        let now = self.clock;
        self.clients.get_mut(key).map(|(client, used)| {
            *used = now;
            client.clone()
        })
    }

    /// Inserts `client` unless another task inserted one for `key` first; returns the one to use.
    fn insert(&mut self, key: &str, client: PooledClient) -> PooledClient {
        if let Some(existing) = self.get(key) {
            return existing;
        }
        while self.clients.len() >= self.max {
            let oldest = self
                .clients
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => {
                    tracing::debug!(identity = %k, "evicting least recently used identity pool");
                    self.clients.remove(&k);
                }
                None => break,
            }
        }
        self.clock += 1;
        self.clients
            .insert(key.to_owned(), (client.clone(), self.clock));
        client
    }
}

fn build_client(
    settings: &Settings,
    http: ProxyConnector,
    config: Arc<rustls::ClientConfig>,
) -> PooledClient {
    // From<(H, C)> gives an https-or-http connector with empty ALPN (HTTP/1.1).
    let https = HttpsConnector::from((http, config));
    let connector = TimeoutConnector::new(https, settings.connect_timeout);
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(settings.pool_idle_timeout)
        .pool_timer(TokioTimer::new())
        .timer(TokioTimer::new())
        .build(connector)
}
