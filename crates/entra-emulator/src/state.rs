//! State shared by the server tasks and the [`crate::Emulator`] handle.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::Duration;

use crate::fault::FaultQueue;
use crate::hosts::Clouds;
use crate::jwt::TokenSigner;
use crate::log::RequestLog;
use crate::misbehavior::Misbehavior;
use crate::registration::AppRegistration;

/// A tenant: its id (normally a GUID) and domain aliases, all lower-case.
#[derive(Debug, Clone)]
pub(crate) struct Tenant {
    pub(crate) id: String,
    pub(crate) domains: Vec<String>,
}

impl Tenant {
    pub(crate) fn matches(&self, name: &str) -> bool {
        self.id.eq_ignore_ascii_case(name)
            || self.domains.iter().any(|d| d.eq_ignore_ascii_case(name))
    }
}

/// Tenants and apps.
#[derive(Debug, Default)]
pub(crate) struct Directory {
    tenants: Vec<Tenant>,
    apps: Vec<AppRegistration>,
}

impl Directory {
    pub(crate) fn add_tenant(&mut self, id: &str, domains: &[&str]) {
        let id = id.to_ascii_lowercase();
        let domains: Vec<String> = domains.iter().map(|d| d.to_ascii_lowercase()).collect();
        if let Some(t) = self.tenants.iter_mut().find(|t| t.id == id) {
            for d in domains {
                if !t.domains.contains(&d) {
                    t.domains.push(d);
                }
            }
        } else {
            self.tenants.push(Tenant { id, domains });
        }
    }

    /// Registers (or replaces) an app; its tenant is created when unknown.
    pub(crate) fn add_app(&mut self, mut app: AppRegistration) {
        let tenant_id = match self.tenant(&app.tenant_id) {
            Some(t) => t.id,
            None => {
                self.add_tenant(&app.tenant_id, &[]);
                app.tenant_id.clone()
            }
        };
        app.tenant_id = tenant_id;
        self.apps
            .retain(|a| !(a.tenant_id == app.tenant_id && a.client_id == app.client_id));
        self.apps.push(app);
    }

    /// Looks a tenant up by id or domain (case-insensitive).
    pub(crate) fn tenant(&self, name: &str) -> Option<Tenant> {
        self.tenants.iter().find(|t| t.matches(name)).cloned()
    }

    /// The app `client_id` in tenant `tenant_id` (a resolved tenant id).
    pub(crate) fn app(&self, tenant_id: &str, client_id: &str) -> Option<AppRegistration> {
        self.apps
            .iter()
            .find(|a| a.tenant_id == tenant_id && a.client_id == client_id)
            .cloned()
    }

    /// All apps in a tenant.
    pub(crate) fn apps_in(&self, tenant_id: &str) -> Vec<AppRegistration> {
        self.apps
            .iter()
            .filter(|a| a.tenant_id == tenant_id)
            .cloned()
            .collect()
    }
}

/// Everything the request handlers need.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) clouds: Clouds,
    pub(crate) directory: RwLock<Directory>,
    pub(crate) trusted_issuers: Vec<Vec<u8>>,
    pub(crate) token_lifetime: Duration,
    pub(crate) refresh_in: Option<Duration>,
    pub(crate) misbehavior: Mutex<Misbehavior>,
    pub(crate) faults: FaultQueue,
    pub(crate) log: RequestLog,
    pub(crate) signer: TokenSigner,
    pub(crate) handshakes: AtomicU64,
    pub(crate) connections: AtomicU64,
}

impl State {
    pub(crate) fn directory(&self) -> std::sync::RwLockReadGuard<'_, Directory> {
        self.directory.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn directory_mut(&self) -> std::sync::RwLockWriteGuard<'_, Directory> {
        self.directory.write().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn misbehavior(&self) -> Misbehavior {
        *self.misbehavior.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn set_misbehavior(&self, m: Misbehavior) {
        *self.misbehavior.lock().unwrap_or_else(|e| e.into_inner()) = m;
    }

    pub(crate) fn next_connection_id(&self) -> u64 {
        self.connections.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub(crate) fn count_handshake(&self) {
        self.handshakes.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn handshake_count(&self) -> u64 {
        self.handshakes.load(Ordering::Relaxed)
    }
}
