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

use oauth2_core::{ClientCertificate, TokenType, UnixTime};
use telemetry::CacheRefreshReason;
use token_cache::{CachedAccessToken, Fill, FillLease};

use super::network;
use super::plan::{app_realm, HitKey, Plan};
use super::Options;
use crate::result::{AuthenticationResult, TokenSource};
use crate::state::AppState;
use crate::{BindingCertificate, Error};

/// A token with less than this left is treated as expired (MSAL's 5-minute margin).
pub(crate) const EXPIRY_MARGIN: Duration = Duration::from_secs(300);

/// The outcome of a cache lookup: the usable entry, or why there is none.
enum Lookup {
    Hit(Arc<CachedAccessToken>),
    Miss(CacheRefreshReason),
}

/// How far a call got without waiting ([`acquire_now`]).
pub(crate) enum Now {
    /// Answered: a cache hit, or an error found before anything was looked up.
    Done(Result<AuthenticationResult, Error>),
    /// The call has to wait ([`acquire`]); with the plan and the reason when the cache was
    /// already consulted and missed.
    Wait(Option<(Plan, CacheRefreshReason)>),
}

/// Runs as much of a call as needs no waiting: with no certificate provider to ask and a
/// backend that answers at once (memory), a cache hit is answered here, without a future and
/// with one read of the clock. A repeated call ([`HitKey`]) looks the cache up with the
/// application's shared keys, taking no reference count until the result is built.
pub(crate) fn acquire_now(state: &Arc<AppState>, options: &Options) -> Now {
    if options.force_refresh {
        return Now::Wait(None);
    }
    let now = state.services.clock.now();
    let certificate = match state.certificate_now(now) {
        None => return Now::Wait(None),
        Some(Ok(certificate)) => certificate,
        Some(Err(e)) => return Now::Done(Err(e)),
    };
    let now = UnixTime::from_system_time(now);
    match HitKey::decide(state, options, certificate.as_ref()) {
        Some(Ok(key)) => return hit_now(state, options, &key, certificate.as_ref(), now),
        Some(Err(e)) => return Now::Done(Err(e)),
        None => {}
    }
    let plan = match Plan::decide(state, options, certificate) {
        Ok(plan) => plan,
        Err(e) => return Now::Done(Err(e)),
    };
    let found = match state
        .services
        .cache
        .find_shared_now(&plan.partition, &plan.scopes)
    {
        None => return Now::Wait(None),
        Some(Ok(found)) => found,
        Some(Err(e)) => return Now::Done(Err(e.into())),
    };
    match judge(state, &plan, options, found, now) {
        Lookup::Hit(entry) => Now::Done(Ok(from_cache(&entry, plan))),
        Lookup::Miss(reason) => Now::Wait(Some((plan, reason))),
    }
}

/// The lookup of a [`HitKey`] call. A miss makes the full plan the network request needs.
fn hit_now(
    state: &Arc<AppState>,
    options: &Options,
    key: &HitKey<'_>,
    certificate: Option<&ClientCertificate>,
    now: UnixTime,
) -> Now {
    let found = match state
        .services
        .cache
        .find_shared_now(key.partition, key.scopes)
    {
        None => return Now::Wait(None),
        Some(Err(e)) => return Now::Done(Err(e.into())),
        Some(Ok(found)) => found,
    };
    match fresh(state, found, now, key.token_type) {
        Ok((entry, refresh)) => {
            if refresh {
                // the background request needs the full plan (the checks already passed)
                if let Ok(plan) = Plan::decide(state, options, certificate.cloned()) {
                    refresh_in_background(state, &plan, options);
                }
            }
            Now::Done(Ok(hit_result(state, &entry, key)))
        }
        // a miss: the network request needs the full plan
        Err(reason) => match Plan::decide(state, options, certificate.cloned()) {
            Ok(plan) => Now::Wait(Some((plan, reason))),
            Err(e) => Now::Done(Err(e)),
        },
    }
}

/// Runs a call that has to wait: a certificate or binding provider to ask, a cache backend
/// with I/O, a miss (`known_miss`: [`acquire_now`] already looked), a forced refresh.
pub(crate) async fn acquire(
    state: &Arc<AppState>,
    options: Options,
    known_miss: Option<(Plan, CacheRefreshReason)>,
) -> Result<AuthenticationResult, Error> {
    if let Some((plan, reason)) = known_miss {
        return acquire_further(state, plan, options, Some(reason)).await;
    }
    let certificate = state.current_certificate().await?;
    state.refresh_last_binding().await;
    let plan = Plan::decide(state, &options, certificate)?;
    acquire_further(state, plan, options, None).await
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
    let now = state.services.clock.unix_now();
    Ok(judge(state, plan, options, found, now))
}

/// What the cache found at `now`, judged: a usable token (possibly starting a proactive
/// refresh), or why not.
fn judge(
    state: &Arc<AppState>,
    plan: &Plan,
    options: &Options,
    found: Option<Arc<CachedAccessToken>>,
    now: UnixTime,
) -> Lookup {
    match fresh(state, found, now, plan.token_type) {
        Ok((entry, refresh)) => {
            if refresh {
                refresh_in_background(state, plan, options);
            }
            Lookup::Hit(entry)
        }
        Err(reason) => Lookup::Miss(reason),
    }
}

/// A found token that is still usable at `now` (counted as a hit), with whether it is past its
/// `refresh_on`; or why there is none.
fn fresh(
    state: &AppState,
    found: Option<Arc<CachedAccessToken>>,
    now: UnixTime,
    token_type: TokenType,
) -> Result<(Arc<CachedAccessToken>, bool), CacheRefreshReason> {
    let token_type = token_type.as_str();
    let entry = match found {
        None => {
            tracing::debug!(token_type, "cache miss: no token");
            return Err(CacheRefreshReason::NoCachedToken);
        }
        Some(entry) if entry.expires_on < now.saturating_add(EXPIRY_MARGIN) => {
            tracing::debug!(token_type, "cache miss: token expires within 5 minutes");
            return Err(CacheRefreshReason::Expired);
        }
        Some(entry) => entry,
    };
    let refresh = entry.refresh_on.is_some_and(|r| r <= now);
    state.shared.record_cache_hit();
    tracing::debug!(client_id = %state.config.client_id, token_type, "token served from cache");
    Ok((entry, refresh))
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

/// A cache hit of a [`HitKey`] call as a result: the reference counts taken are the result's
/// own (token, scopes, realm, certificate).
fn hit_result(
    state: &AppState,
    entry: &CachedAccessToken,
    key: &HitKey<'_>,
) -> AuthenticationResult {
    let binding_certificate = key
        .identity
        .filter(|_| key.token_type == TokenType::MtlsPop)
        .map(|certificate| BindingCertificate::new(certificate.clone()));
    AuthenticationResult {
        access_token: entry.secret.clone(),
        token_type: key.token_type,
        expires_on: entry.expires_on,
        ext_expires_on: entry.extended_expires_on,
        refresh_on: entry.refresh_on,
        scopes: key.scopes.clone(),
        token_source: TokenSource::Cache,
        tenant_id: Arc::clone(app_realm(state)),
        binding_certificate,
        request: None,
    }
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
