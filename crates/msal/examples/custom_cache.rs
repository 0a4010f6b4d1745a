//! A custom token cache: the `TokenCache` trait over a map (a Redis or database backend has the
//! same three methods). The second call is answered from it.
//!
//! `cargo run -p msal-client --example custom_cache`
//!
//! Against real Entra ID, drop the emulator and the custom transport.

mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use entra_emulator::pki::TestCa;
use entra_emulator::AppRegistration;
use msal::cache::{CachedAccessToken, Error, PartitionKey, TokenCache};
use msal::{ConfidentialClientApplication, Scopes, TokenSource};
use support::TENANT;

const CLIENT_ID: &str = "22222222-0000-0000-0000-000000000004";
const SECRET: &str = "example-secret-not-a-real-one";

/// Tokens by partition (authority, client, tenant, token type, key id) and scope set.
#[derive(Debug, Default)]
struct MapCache(Mutex<HashMap<(PartitionKey, Scopes), CachedAccessToken>>);

#[msal::async_trait]
impl TokenCache for MapCache {
    async fn find(
        &self,
        partition: &PartitionKey,
        scopes: &Scopes,
    ) -> Result<Option<CachedAccessToken>, Error> {
        // Exact matches only: allowed, it only costs extra token requests.
        let map = self.0.lock().map_err(|_| Error::Poisoned)?;
        Ok(map.get(&(partition.clone(), scopes.clone())).cloned())
    }

    async fn store(&self, token: CachedAccessToken) -> Result<(), Error> {
        let key = (token.partition.clone(), token.scopes.clone());
        self.0
            .lock()
            .map_err(|_| Error::Poisoned)?
            .insert(key, token);
        Ok(())
    }

    async fn remove(&self, partition: &PartitionKey, scopes: &Scopes) -> Result<bool, Error> {
        let mut map = self.0.lock().map_err(|_| Error::Poisoned)?;
        Ok(map.remove(&(partition.clone(), scopes.clone())).is_some())
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let ca = TestCa::new("example CA")?;
    let registration = AppRegistration::new(CLIENT_ID, TENANT).with_secret(SECRET);
    let emulator = support::start_emulator(&ca, [registration]).await?;

    let cache = Arc::new(MapCache::default());
    let app = ConfidentialClientApplication::builder(CLIENT_ID)
        .authority(format!("https://login.microsoftonline.com/{TENANT}"))
        .client_secret(SECRET)
        .token_cache(cache.clone())
        .transport(support::emulator_transport(&emulator)?)
        .build()?;

    let scope = "https://graph.microsoft.com/.default";
    let first = app.acquire_token_for_client([scope]).await?;
    let second = app.acquire_token_for_client([scope]).await?;
    let entries = cache.0.lock().map_err(|_| "poisoned")?.len();
    println!("first call:    {:?}", first.token_source());
    println!("second call:   {:?}", second.token_source());
    println!("cache entries: {entries}");
    if second.token_source() != TokenSource::Cache || entries != 1 {
        return Err("the second call should come from the custom cache".into());
    }
    Ok(())
}
