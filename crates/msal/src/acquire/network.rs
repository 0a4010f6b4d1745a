//! One network acquisition: throttling check, the request's TLS identity (a bound-assertion
//! provider is called here), the route, client authentication, the exchange with the token
//! client, and the cache write.

use oauth2_core::{
    ClientCredentialsRequest, GenericTokenRequest, TokenResponse, TokenType, UnixTime,
};
use telemetry::{ApiId, CacheRefreshReason, CurrentRequest};
use token_cache::CachedAccessToken;

use super::plan::Plan;
use super::route::{route, Route};
use super::Options;
use crate::credential::{AssertionContext, AuthenticationContext, RequestIdentity};
use crate::result::{AuthenticationResult, RequestDetails, TokenSource};
use crate::state::AppState;
use crate::token_client::{self, telemetry_token_type, Exchange, TokenForm};
use crate::Error;

/// Requests a token for `plan` from the identity provider and caches it.
pub(crate) async fn request_token(
    state: &AppState,
    plan: &Plan,
    options: &Options,
    reason: CacheRefreshReason,
) -> Result<AuthenticationResult, Error> {
    check_throttle(state, plan)?;
    let identity = request_identity(state, plan).await?;
    if plan.token_type == TokenType::MtlsPop && identity.certificate.is_none() {
        return Err(Error::MtlsCertificateNotProvided);
    }
    let plan = plan.presenting(state, identity.certificate.as_ref());
    let route = route(state, plan.authority(state), plan.over_mtls()).await?;
    let correlation_id = options
        .correlation_id
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let request = form(state, &plan, &route, identity.bound_assertion).await?;
    let token = token_client::exchange(
        state,
        Exchange {
            endpoint: &route.endpoint,
            request,
            identity: plan.identity.as_ref(),
            partition: &plan.partition,
            scopes: &plan.scopes,
            correlation_id: &correlation_id,
            telemetry: current_telemetry(state, &plan, &route, reason),
        },
    )
    .await?;
    let entry = store(state, &plan, &token).await?;
    Ok(AuthenticationResult {
        access_token: token.access_token,
        token_type: plan.token_type,
        expires_on: entry.expires_on,
        ext_expires_on: entry.extended_expires_on,
        refresh_on: entry.refresh_on,
        scopes: plan.scopes.clone(),
        token_source: TokenSource::IdentityProvider,
        tenant_id: route.tenant.into(),
        binding_certificate: plan.binding_certificate(),
        request: Some(Box::new(RequestDetails {
            correlation_id,
            token_endpoint: route.endpoint.to_string(),
            region: route.region,
        })),
    })
}

/// Inside a `Retry-After` window for this token: fail fast, nothing sent.
fn check_throttle(state: &AppState, plan: &Plan) -> Result<(), Error> {
    let now = state.services.clock.unix_now();
    match state
        .shared
        .throttle
        .remaining(&plan.partition, &plan.scopes, now)
    {
        Some(remaining) => {
            tracing::debug!(
                remaining_s = remaining.as_secs(),
                "throttled: no request sent"
            );
            Err(Error::Throttled {
                remaining,
                service: None,
            })
        }
        None => Ok(()),
    }
}

/// The certificate this request presents and the bound assertion that travels with it.
async fn request_identity(state: &AppState, plan: &Plan) -> Result<RequestIdentity, Error> {
    let config = &state.config;
    // built only for a bound-assertion provider (the one credential told about the request)
    let context = || AssertionContext {
        client_id: config.client_id.clone(),
        token_endpoint: plan.authority(state).token_endpoint().to_string(),
    };
    let identity = config
        .credential
        .request_identity(plan.identity.as_ref(), context)
        .await?;
    if config.credential.has_bound_assertion_provider() {
        state.shared.set_last_binding(identity.certificate.as_ref());
    }
    Ok(identity)
}

/// The client-credentials form for this request.
async fn form(
    state: &AppState,
    plan: &Plan,
    route: &Route,
    bound_assertion: Option<oauth2_core::SecretString>,
) -> Result<TokenForm, Error> {
    let config = &state.config;
    let context = AuthenticationContext {
        client_id: &config.client_id,
        token_endpoint: route.endpoint.as_str(),
        authority_kind: config.authority.kind(),
        token_type: plan.token_type,
        over_mtls: plan.over_mtls(),
        certificate: plan.certificate.as_ref(),
        assertions: &state.shared.assertions,
        now: state.services.clock.now(),
    };
    let authentication = config
        .credential
        .authentication(&context, bound_assertion)
        .await?;
    if plan.issuer {
        let mut request = GenericTokenRequest::new(config.client_id.clone(), authentication);
        request.scopes.clone_from(&plan.request_scopes);
        request.resources.clone_from(&plan.resources);
        return Ok(TokenForm::Generic(request));
    }
    Ok(TokenForm::Entra(ClientCredentialsRequest {
        client_id: config.client_id.clone(),
        scopes: plan.scopes.clone(),
        authentication,
        token_type: plan.token_type,
        extra: Vec::new(),
    }))
}

/// `x-client-current-telemetry` of this request.
fn current_telemetry(
    state: &AppState,
    plan: &Plan,
    route: &Route,
    reason: CacheRefreshReason,
) -> CurrentRequest {
    CurrentRequest {
        region_used: route.region.region_used().map(str::to_owned),
        region_source: route.region.source(),
        region_outcome: route.region.outcome(),
        cache_serialized: state.config.cache_serialized,
        ..CurrentRequest::new(
            ApiId::AcquireTokenForClient,
            reason,
            telemetry_token_type(plan.token_type),
        )
    }
}

/// Caches the token under the plan's partition; lifetimes are added with saturating time
/// arithmetic, so no number a server sends can overflow.
async fn store(
    state: &AppState,
    plan: &Plan,
    token: &TokenResponse,
) -> Result<CachedAccessToken, Error> {
    let now: UnixTime = state.services.clock.unix_now();
    let entry = CachedAccessToken {
        partition: plan.partition.clone(),
        scopes: plan.scopes.clone(),
        secret: token.access_token.clone(),
        cached_at: now,
        expires_on: now.saturating_add_secs(token.expires_in),
        extended_expires_on: now
            .saturating_add_secs(token.ext_expires_in.unwrap_or(token.expires_in)),
        refresh_on: token.refresh_in.map(|r| now.saturating_add_secs(r)),
    };
    state.services.cache.store(entry.clone()).await?;
    Ok(entry)
}
