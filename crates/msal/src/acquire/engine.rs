//! From a plan to a token: the cache first, then one network request per token at a time.
//!
//! * A cached token with more than [`EXPIRY_MARGIN`] left is returned without a network call;
//!   past its `refresh_on` it is still returned, and one background request replaces it.
//! * Concurrent misses for the same token take tickets on one gate ([`crate::inflight`]): the
//!   first sends the request, the others find its token in the cache when their turn comes.
//! * The gate holder then asks the cache to begin a fill ([`token_cache::TokenCache::begin_fill`]): a cache
//!   shared by several processes (Redis) lets one instance of the fleet request the token and
//!   the others wait until it is stored.

use std::sync::Arc;
use std::time::Duration;

use telemetry::CacheRefreshReason;
use token_cache::{CachedAccessToken, Fill, FillLease};

use super::network;
use super::plan::Plan;
use super::Options;
use crate::result::{AuthenticationResult, TokenSource};
use crate::state::AppState;
use crate::Error;

/// A token with less than this left is treated as expired (MSAL's 5-minute margin).
pub(crate) const EXPIRY_MARGIN: Duration = Duration::from_secs(300);

/// The outcome of a cache lookup: the usable entry, or why there is none.
enum Lookup {
    Hit(Arc<CachedAccessToken>),
    Miss(CacheRefreshReason),
}

/// Runs one call. A hit from a memory backend is answered right here, without another
/// future; everything else (a backend that needs I/O, a miss, a forced refresh) runs in
/// [`acquire_further`], boxed so that this future stays small (it is built and moved on every
/// call, and the network path's state is large).
pub(crate) async fn acquire(
    state: &Arc<AppState>,
    options: Options,
) -> Result<AuthenticationResult, Error> {
    let certificate = state.current_certificate().await?;
    state.refresh_last_binding().await;
    let plan = Plan::decide(state, &options, certificate)?;
    let mut known_miss = None;
    if !options.force_refresh {
        let cache = &state.services.cache;
        if let Some(found) = cache.find_shared_now(&plan.partition, &plan.scopes) {
            match judge(state, &plan, &options, found?) {
                Lookup::Hit(entry) => return Ok(from_cache(&entry, plan)),
                Lookup::Miss(reason) => known_miss = Some(reason),
            }
        }
    }
    Box::pin(acquire_further(state, plan, options, known_miss)).await
}

/// The rest of a call: the cache lookup that needs I/O, then single flight, the fleet lease
/// and the network. `known_miss`: the lookup already made, and why it missed.
async fn acquire_further(
    state: &Arc<AppState>,
    plan: Plan,
    options: Options,
    known_miss: Option<CacheRefreshReason>,
) -> Result<AuthenticationResult, Error> {
    if options.force_refresh {
        return network::request_token(state, &plan, &options, CacheRefreshReason::ForceRefresh)
            .await;
    }
    let reason = match known_miss {
        Some(reason) => reason,
        None => match lookup(state, &plan, &options).await? {
            Lookup::Hit(entry) => return Ok(from_cache(&entry, plan)),
            Lookup::Miss(reason) => reason,
        },
    };
    let ticket = state.shared.inflight.ticket(&plan.partition, &plan.scopes);
    let _turn = ticket.turn().await;
    if let Lookup::Hit(entry) = lookup(state, &plan, &options).await? {
        return Ok(from_cache(&entry, plan));
    }
    let cache = &state.services.cache;
    let lease = match cache.begin_fill(&plan.partition, &plan.scopes).await? {
        Fill::Stored => match lookup(state, &plan, &options).await? {
            Lookup::Hit(entry) => return Ok(from_cache(&entry, plan)),
            Lookup::Miss(_) => FillLease::local(),
        },
        Fill::Request(lease) => lease,
    };
    let result = network::request_token(state, &plan, &options, reason).await;
    lease.release().await;
    result
}

/// Looks in the cache: a usable token (possibly starting a proactive refresh), or why not.
async fn lookup(state: &Arc<AppState>, plan: &Plan, options: &Options) -> Result<Lookup, Error> {
    // `find_shared`: a hit shares the cached entry instead of copying it; a memory backend
    // answers it without a future (`find_shared_now`).
    let cache = &state.services.cache;
    let found = match cache.find_shared_now(&plan.partition, &plan.scopes) {
        Some(found) => found?,
        None => cache.find_shared(&plan.partition, &plan.scopes).await?,
    };
    Ok(judge(state, plan, options, found))
}

/// What the cache found, judged: a usable token (possibly starting a proactive refresh), or
/// why not.
fn judge(
    state: &Arc<AppState>,
    plan: &Plan,
    options: &Options,
    found: Option<Arc<CachedAccessToken>>,
) -> Lookup {
    let now = state.services.clock.unix_now();
    let token_type = plan.token_type.as_str();
    let entry = match found {
        None => {
            tracing::debug!(token_type, "cache miss: no token");
            return Lookup::Miss(CacheRefreshReason::NoCachedToken);
        }
        Some(entry) if entry.expires_on < now.saturating_add(EXPIRY_MARGIN) => {
            tracing::debug!(token_type, "cache miss: token expires within 5 minutes");
            return Lookup::Miss(CacheRefreshReason::Expired);
        }
        Some(entry) => entry,
    };
    if entry.refresh_on.is_some_and(|r| r <= now) {
        refresh_in_background(state, plan, options);
    }
    state.shared.record_cache_hit();
    tracing::debug!(client_id = %state.config.client_id, token_type, "token served from cache");
    Lookup::Hit(entry)
}

/// The token is past its `refresh_on` but still valid: the caller keeps it, and one background
/// request replaces it. If that request fails, the cached token keeps serving until it expires.
fn refresh_in_background(state: &Arc<AppState>, plan: &Plan, options: &Options) {
    let ticket = state.shared.inflight.ticket(&plan.partition, &plan.scopes);
    let Some(turn) = ticket.try_turn() else {
        return; // a request for this token is already running
    };
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let (state, plan, options) = (Arc::clone(state), plan.clone(), options.clone());
    runtime.spawn(async move {
        let reason = CacheRefreshReason::ProactiveRefresh;
        if let Err(e) = network::request_token(&state, &plan, &options, reason).await {
            tracing::warn!(error = %e, "proactive token refresh failed; the cached token keeps serving until it expires");
        }
        drop(turn);
        drop(ticket);
    });
}

/// A cache hit as a result. Takes the plan: its scopes and realm move into the result
/// (shared values: a move, not another reference count).
fn from_cache(entry: &CachedAccessToken, plan: Plan) -> AuthenticationResult {
    // The key id matched, so the current certificate has the same DER as the bound one.
    let binding_certificate = plan.binding_certificate();
    AuthenticationResult {
        access_token: entry.secret.clone(),
        token_type: plan.token_type,
        expires_on: entry.expires_on,
        ext_expires_on: entry.extended_expires_on,
        refresh_on: entry.refresh_on,
        scopes: plan.scopes,
        token_source: TokenSource::Cache,
        tenant_id: plan.realm,
        binding_certificate,
        request: None,
    }
}
