//! `acquire_token_for_client`: the request builder and the flow behind it.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::{Duration, SystemTime};

use mtls_transport::HttpRequest;
use oauth2_core::{
    AssertionFlavor, AssertionOptions, AuthorityKind, ClientAuthentication, ClientCertificate,
    ClientCredentialsRequest, ErrorResponse, Scopes, SecretString, TokenResponse, UnixTime,
    JWT_BEARER_ASSERTION_TYPE, JWT_POP_ASSERTION_TYPE,
};
use telemetry::{ApiId, CacheRefreshReason, CurrentRequest, TokenTypeCode};
use token_cache::{CachedAccessToken, PartitionKey, PartitionParts};
use url::Url;

use crate::app::ConfidentialClientApplication;
use crate::credential::{AssertionContext, ClientCredential};
use crate::endpoints;
use crate::headers::token_request_headers;
use crate::metrics::AcquisitionEvent;
use crate::region::RegionDetails;
use crate::{AuthenticationResult, BindingCertificate, Error, ServiceError, TokenSource};

/// A token with less than this left is treated as expired (MSAL's 5-minute margin).
const EXPIRY_MARGIN: Duration = Duration::from_secs(300);

const BEARER: &str = "Bearer";
const MTLS_POP: &str = "mtls_pop";

/// A pending `acquire_token_for_client` call. Configure it, then `.await` it.
#[must_use = "a token request does nothing until it is awaited"]
#[derive(Debug)]
pub struct AcquireTokenForClient<'a> {
    app: &'a ConfidentialClientApplication,
    scopes: Vec<String>,
    force_refresh: bool,
    correlation_id: Option<String>,
    mtls_pop: bool,
}

/// The outcome of a cache lookup.
enum Lookup {
    Hit(Box<AuthenticationResult>),
    Miss(CacheRefreshReason),
}

/// What kind of token one call asks for, decided before the cache is consulted.
struct Plan {
    token_type: &'static str,
    pop: bool,
    /// The certificate presented in TLS (mTLS PoP, Bearer over mTLS, bound assertions); its
    /// `x5t#S256` is the cache key id. For a bound-assertion provider it is the certificate the
    /// provider returned last (the actual one is known only after calling it).
    identity: Option<ClientCertificate>,
}

impl<'a> AcquireTokenForClient<'a> {
    pub(crate) fn new(app: &'a ConfidentialClientApplication, scopes: Vec<String>) -> Self {
        Self {
            app,
            scopes,
            force_refresh: false,
            correlation_id: None,
            mtls_pop: false,
        }
    }

    /// Skip the cache and always ask Entra ID (the new token still replaces the cached one).
    pub fn force_refresh(mut self, force: bool) -> Self {
        self.force_refresh = force;
        self
    }

    /// Use this correlation id (`client-request-id`) instead of a random one.
    pub fn correlation_id(mut self, id: impl Into<String>) -> Self {
        self.correlation_id = Some(id.into());
        self
    }

    /// Ask for an **mTLS Proof-of-Possession** token bound to the application's certificate
    /// (RFC 8705): the request goes over TLS to the `mtlsauth` host presenting the certificate,
    /// carries `token_type=mtls_pop` and no client assertion, and the token's `cnf.x5t#S256` is the
    /// certificate's thumbprint. Requires a certificate credential (`send_x5c` is irrelevant).
    /// Call the resource with [`AuthenticationResult::call_resource`].
    pub fn with_mtls_proof_of_possession(mut self) -> Self {
        self.mtls_pop = true;
        self
    }

    fn plan(&self) -> Result<Plan, Error> {
        let inner = &self.app.inner;
        let identity = match &inner.credential {
            ClientCredential::Certificate {
                certificate,
                over_mtls,
                ..
            } if self.mtls_pop || *over_mtls => Some(certificate.clone()),
            ClientCredential::BoundAssertion(bound) => bound.binding_certificate().cloned(),
            ClientCredential::BoundAssertionProvider(_) => inner
                .last_binding
                .lock()
                .map(|l| l.clone())
                .unwrap_or_default(),
            ClientCredential::Certificate { .. }
            | ClientCredential::Secret(_)
            | ClientCredential::Assertion(_)
            | ClientCredential::AssertionProvider(_) => None,
        };
        if self.mtls_pop {
            let can_bind = match &inner.credential {
                ClientCredential::Certificate { .. }
                | ClientCredential::BoundAssertionProvider(_) => true,
                ClientCredential::BoundAssertion(bound) => bound.binding_certificate().is_some(),
                _ => false,
            };
            if !can_bind {
                return Err(Error::MtlsCertificateNotProvided);
            }
        }
        if self.mtls_pop || identity.is_some() {
            // Authority guards (tenanted, supported cloud and kind) run before the cache and
            // before any certificate leaves the process; the region is applied later.
            mtls_transport::mtls_token_endpoint(&inner.authority, None)?;
        }
        Ok(Plan {
            token_type: if self.mtls_pop { MTLS_POP } else { BEARER },
            pop: self.mtls_pop,
            identity,
        })
    }

    /// The certificate to present and, for bound assertions, the assertion: the provider is
    /// called here, once per network request.
    async fn identity_for_request(
        &self,
        plan: &Plan,
    ) -> Result<(Option<ClientCertificate>, Option<SecretString>), Error> {
        let inner = &self.app.inner;
        match &inner.credential {
            ClientCredential::BoundAssertion(bound) => Ok((
                bound.binding_certificate().cloned(),
                Some(bound.assertion().clone()),
            )),
            ClientCredential::BoundAssertionProvider(provider) => {
                let context = AssertionContext {
                    client_id: inner.client_id.clone(),
                    token_endpoint: inner.authority.token_endpoint().to_string(),
                };
                let bound = provider.bound_assertion(&context).await.map_err(|e| {
                    Error::AssertionProvider {
                        reason: e.to_string(),
                    }
                })?;
                if let Ok(mut last) = inner.last_binding.lock() {
                    last.clone_from(&bound.binding_certificate().cloned());
                }
                Ok((
                    bound.binding_certificate().cloned(),
                    Some(bound.assertion().clone()),
                ))
            }
            _ => Ok((plan.identity.clone(), None)),
        }
    }

    async fn run(self) -> Result<AuthenticationResult, Error> {
        let inner = &self.app.inner;
        let scopes = Scopes::new(&self.scopes)?;
        let plan = self.plan()?;
        let partition = PartitionKey::new(PartitionParts {
            environment: inner.authority.host(),
            client_id: &inner.client_id,
            tenant: inner.authority.tenant(),
            token_type: if plan.pop {
                oauth2_core::TokenType::MtlsPop
            } else {
                oauth2_core::TokenType::Bearer
            },
            key_id: plan.identity.as_ref().map(|c| c.x5t_s256()),
        });

        if self.force_refresh {
            return self
                .request_token(&scopes, &partition, &plan, CacheRefreshReason::ForceRefresh)
                .await;
        }
        let reason = match self.lookup(&partition, &scopes, &plan).await? {
            Lookup::Hit(result) => return Ok(*result),
            Lookup::Miss(reason) => reason,
        };
        // Single flight: concurrent misses for the same token wait for one request, then find
        // its result in the cache.
        let gate = inner.inflight.gate(&partition, &scopes);
        let outcome = {
            let _turn = gate.lock().await;
            match self.lookup(&partition, &scopes, &plan).await {
                Ok(Lookup::Hit(result)) => Ok(*result),
                Ok(Lookup::Miss(_)) => self.request_token(&scopes, &partition, &plan, reason).await,
                Err(e) => Err(e),
            }
        };
        // Every waiter releases, so the gate is forgotten once the last one is done.
        inner.inflight.release(&partition, &scopes, gate);
        outcome
    }

    /// Look in the cache: a usable token (possibly starting a proactive refresh), or why not.
    async fn lookup(
        &self,
        partition: &PartitionKey,
        scopes: &Scopes,
        plan: &Plan,
    ) -> Result<Lookup, Error> {
        let inner = &self.app.inner;
        let now = inner.clock.now();
        // `find_shared`: a hit shares the cached entry instead of copying it.
        let entry = match inner.cache.find_shared(partition, scopes).await? {
            None => {
                tracing::debug!(token_type = plan.token_type, "cache miss: no token");
                return Ok(Lookup::Miss(CacheRefreshReason::NoCachedToken));
            }
            Some(entry) if to_time(entry.expires_on) < now + EXPIRY_MARGIN => {
                tracing::debug!(
                    token_type = plan.token_type,
                    "cache miss: token expires within 5 minutes"
                );
                return Ok(Lookup::Miss(CacheRefreshReason::Expired));
            }
            Some(entry) => entry,
        };
        if entry.refresh_on.is_some_and(|r| to_time(r) <= now) {
            self.refresh_in_background(partition, scopes);
        }
        if let Ok(mut last) = inner.last_requests.lock() {
            last.record_cache_hit();
        }
        tracing::debug!(client_id = %inner.client_id, token_type = plan.token_type, "token served from cache");
        Ok(Lookup::Hit(Box::new(result_from_cache(
            &entry, scopes, plan,
        ))))
    }

    /// The token is past its `refresh_on` but still valid: the caller keeps it, and one
    /// background request replaces it. If that request fails, the cached token keeps serving
    /// until it expires.
    fn refresh_in_background(&self, partition: &PartitionKey, scopes: &Scopes) {
        let inner = &self.app.inner;
        let gate = inner.inflight.gate(partition, scopes);
        let Ok(turn) = gate.clone().try_lock_owned() else {
            return; // a request for this token is already running
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let app = self.app.clone();
        let (scopes, partition, mtls_pop) = (scopes.clone(), partition.clone(), self.mtls_pop);
        let owned_scopes = self.scopes.clone();
        runtime.spawn(async move {
            let request = AcquireTokenForClient {
                app: &app,
                scopes: owned_scopes,
                force_refresh: true,
                correlation_id: None,
                mtls_pop,
            };
            let outcome = match request.plan() {
                Ok(plan) => {
                    request
                        .request_token(&scopes, &partition, &plan, CacheRefreshReason::ProactiveRefresh)
                        .await
                }
                Err(e) => Err(e),
            };
            if let Err(e) = outcome {
                tracing::warn!(error = %e, "proactive token refresh failed; the cached token keeps serving until it expires");
            }
            drop(turn);
            app.inner.inflight.release(&partition, &scopes, gate);
        });
    }

    /// The token endpoint for this request, the realm to cache under, and the region used.
    async fn endpoint(&self, mtls: bool) -> Result<(Url, String, RegionDetails), Error> {
        let inner = &self.app.inner;
        let region = inner.region.resolve(inner.transport.as_ref()).await;
        if mtls {
            let url = mtls_transport::mtls_token_endpoint(&inner.authority, region.region_used())?;
            return Ok((url, inner.authority.tenant().to_owned(), region));
        }
        let resolved = inner
            .endpoints
            .get_or_try_init(|| {
                endpoints::resolve(
                    &inner.authority,
                    inner.validate_authority,
                    inner.transport.as_ref(),
                )
            })
            .await?;
        let url = match region.region_used() {
            Some(r) if inner.authority.kind() == AuthorityKind::Aad => {
                mtls_transport::regional_token_endpoint(&inner.authority, Some(r))
            }
            _ => resolved.token_endpoint.clone(),
        };
        Ok((url, resolved.tenant.clone(), region))
    }

    async fn request_token(
        &self,
        scopes: &Scopes,
        partition: &PartitionKey,
        plan: &Plan,
        reason: CacheRefreshReason,
    ) -> Result<AuthenticationResult, Error> {
        let inner = &self.app.inner;
        if let Some(remaining) = inner
            .throttle
            .remaining(partition, scopes, inner.clock.now())
        {
            tracing::debug!(
                remaining_s = remaining.as_secs(),
                "throttled: no request sent"
            );
            return Err(Error::Throttled {
                remaining,
                service: None,
            });
        }
        let (identity, bound_assertion) = self.identity_for_request(plan).await?;
        if plan.pop && identity.is_none() {
            return Err(Error::MtlsCertificateNotProvided);
        }
        // Stored under the key id of the certificate actually presented.
        let partition = PartitionKey::new(PartitionParts {
            environment: partition.environment(),
            client_id: partition.client_id(),
            tenant: partition.tenant(),
            token_type: partition.token_type(),
            key_id: identity.as_ref().map(|c| c.x5t_s256()),
        });
        let (token_endpoint, tenant, region) = self.endpoint(identity.is_some()).await?;

        let authentication = self
            .client_authentication(
                token_endpoint.as_str(),
                identity.is_some(),
                plan.pop,
                bound_assertion,
            )
            .await?;
        let request = ClientCredentialsRequest {
            client_id: inner.client_id.clone(),
            scopes: scopes.clone(),
            authentication,
            token_type: if plan.pop {
                oauth2_core::TokenType::MtlsPop
            } else {
                oauth2_core::TokenType::Bearer
            },
            extra: Vec::new(),
        };
        let correlation_id = self
            .correlation_id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let current = CurrentRequest {
            region_used: region.region_used().map(str::to_owned),
            region_source: region.source(),
            region_outcome: region.outcome(),
            cache_serialized: inner.cache_serialized,
            ..CurrentRequest::new(
                ApiId::AcquireTokenForClient,
                reason,
                if plan.pop {
                    TokenTypeCode::MtlsPop
                } else {
                    TokenTypeCode::Bearer
                },
            )
        }
        .header_value();
        let last = inner
            .last_requests
            .lock()
            .map(|l| l.header_value())
            .unwrap_or_default();

        let mut http_request =
            HttpRequest::post_form(token_endpoint.clone(), request.to_form_body());
        http_request
            .headers
            .extend(token_request_headers(&correlation_id, &current, &last));

        let span = tracing::debug_span!(
            "acquire_token_for_client",
            client_id = %inner.client_id,
            endpoint = %token_endpoint,
            token_type = plan.token_type,
            region = region.region_used().unwrap_or("global"),
            correlation_id = %correlation_id,
        );
        tracing::debug!(parent: &span, reason = ?reason, "requesting token");
        let started = std::time::Instant::now();
        let response = self
            .send_with_one_retry(http_request, identity.as_ref())
            .await?;
        let status = response.status.as_u16();
        tracing::debug!(
            parent: &span,
            status,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "token response"
        );

        let window = inner.throttle.observe(
            &partition,
            scopes,
            response.status,
            &response.headers,
            inner.clock.now(),
        );
        if !response.status.is_success() {
            let error = match ErrorResponse::parse(&response.body) {
                Some(body) if response.status == http::StatusCode::TOO_MANY_REQUESTS => {
                    if let Ok(mut l) = inner.last_requests.lock() {
                        l.record_failure(
                            ApiId::AcquireTokenForClient,
                            &correlation_id,
                            &body.error,
                        );
                    }
                    Error::Throttled {
                        remaining: window.unwrap_or_default(),
                        service: Some(Box::new(ServiceError {
                            status,
                            body,
                            request_correlation_id: correlation_id.clone(),
                        })),
                    }
                }
                Some(body) => {
                    if let Ok(mut l) = inner.last_requests.lock() {
                        l.record_failure(
                            ApiId::AcquireTokenForClient,
                            &correlation_id,
                            &body.error,
                        );
                    }
                    Error::Service(Box::new(ServiceError {
                        status,
                        body,
                        request_correlation_id: correlation_id.clone(),
                    }))
                }
                None if response.status == http::StatusCode::TOO_MANY_REQUESTS => {
                    Error::Throttled {
                        remaining: window.unwrap_or_default(),
                        service: None,
                    }
                }
                None => Error::InvalidResponse {
                    endpoint: token_endpoint.to_string(),
                    status,
                    reason: format!(
                        "the body is not an OAuth error response: {}",
                        snippet(&response.body)
                    ),
                },
            };
            return Err(error);
        }

        let token = TokenResponse::parse(&response.body).map_err(|e| Error::InvalidResponse {
            endpoint: token_endpoint.to_string(),
            status,
            reason: format!("{e} (body: {})", snippet(&response.body)),
        })?;
        inner.throttle.clear(&partition, scopes);
        // A PoP request must get a PoP token: a downgraded answer is an error and never cached.
        let token_type = match (plan.pop, token.token_type.as_deref()) {
            (true, None) => return Err(Error::TokenTypeMissing),
            (true, Some(t)) if !t.eq_ignore_ascii_case(MTLS_POP) => {
                return Err(Error::TokenTypeMismatch {
                    expected: MTLS_POP.to_owned(),
                    received: t.to_owned(),
                })
            }
            (true, Some(_)) => MTLS_POP.to_owned(),
            // A Bearer request must not be answered with a bound (or any other) token type.
            (false, Some(t)) if !t.eq_ignore_ascii_case(BEARER) => {
                return Err(Error::TokenTypeMismatch {
                    expected: BEARER.to_owned(),
                    received: t.to_owned(),
                })
            }
            (false, _) => BEARER.to_owned(),
        };
        if let Ok(mut l) = inner.last_requests.lock() {
            l.reset();
        }
        let now = UnixTime::from_system_time(inner.clock.now());
        let entry = CachedAccessToken {
            // Cached under the configured authority (host and tenant), even when the token came
            // from a regional or mTLS host, so the next lookup finds it.
            partition: partition.clone(),
            scopes: scopes.clone(),
            secret: token.access_token.clone(),
            cached_at: now,
            expires_on: now.saturating_add_secs(token.expires_in),
            extended_expires_on: now
                .saturating_add_secs(token.ext_expires_in.unwrap_or(token.expires_in)),
            refresh_on: token.refresh_in.map(|r| now.saturating_add_secs(r)),
        };
        inner.cache.store(entry.clone()).await?;

        Ok(AuthenticationResult {
            access_token: token.access_token,
            token_type,
            expires_on: to_time(entry.expires_on),
            ext_expires_on: to_time(entry.extended_expires_on),
            refresh_on: entry.refresh_on.map(to_time),
            scopes: scopes.clone(),
            token_source: TokenSource::IdentityProvider,
            correlation_id: Some(correlation_id),
            tenant_id: tenant,
            token_endpoint: Some(token_endpoint.to_string()),
            binding_certificate: identity.filter(|_| plan.pop).map(BindingCertificate::new),
            region,
        })
    }

    /// Send the token POST; on a 5xx answer without `Retry-After`, or a connection error,
    /// wait a jittered backoff and send it once more (client credentials are idempotent). No
    /// retry on 4xx, on timeouts, or when the service named its own wait.
    async fn send_with_one_retry(
        &self,
        request: HttpRequest,
        identity: Option<&ClientCertificate>,
    ) -> Result<mtls_transport::HttpResponse, Error> {
        let inner = &self.app.inner;
        let first = inner.transport.send(request.clone(), identity).await;
        let retry = match &first {
            Ok(r) => {
                r.status.is_server_error() && !r.headers.contains_key(http::header::RETRY_AFTER)
            }
            // Connection refused/reset or closed mid-response; never a timeout (the budget is
            // spent), a TLS verification failure or an oversized body.
            Err(e) => {
                (e.is_connect() && !e.is_timeout())
                    || matches!(e, mtls_transport::Error::Http { .. })
            }
        };
        if !retry {
            return Ok(first?);
        }
        let delay = jitter(inner.retry_backoff);
        let cause = match &first {
            Ok(r) => format!("HTTP {}", r.status.as_u16()),
            Err(e) => e.code().to_owned(),
        };
        tracing::info!(
            cause = %cause,
            delay_ms = delay.as_millis() as u64,
            "token request failed; retrying once"
        );
        tokio::time::sleep(delay).await;
        Ok(inner.transport.send(request, identity).await?)
    }

    async fn client_authentication(
        &self,
        token_endpoint: &str,
        over_mtls: bool,
        pop: bool,
        bound_assertion: Option<SecretString>,
    ) -> Result<ClientAuthentication, Error> {
        let inner = &self.app.inner;
        Ok(match &inner.credential {
            ClientCredential::Secret(secret) => ClientAuthentication::Secret(secret.clone()),
            // PoP with a certificate: the TLS handshake authenticates; no assertion is sent.
            ClientCredential::Certificate { .. } if pop => {
                ClientAuthentication::TlsClientCertificate
            }
            ClientCredential::Certificate {
                certificate,
                send_x5c,
                ..
            } => {
                let mut options = AssertionOptions::new(&inner.client_id, token_endpoint);
                // Bearer over mTLS always sends the chain (MSAL.NET forces x5c there).
                options.send_x5c = *send_x5c || over_mtls;
                options.flavor = match inner.authority.kind() {
                    AuthorityKind::Adfs => AssertionFlavor::Adfs,
                    _ => AssertionFlavor::Entra,
                };
                let assertion =
                    inner
                        .assertions
                        .get_or_sign(certificate, &options, inner.clock.now())?;
                ClientAuthentication::Assertion {
                    assertion: assertion.jwt().clone(),
                    assertion_type: JWT_BEARER_ASSERTION_TYPE,
                }
            }
            ClientCredential::Assertion(assertion) => ClientAuthentication::Assertion {
                assertion: assertion.clone(),
                assertion_type: JWT_BEARER_ASSERTION_TYPE,
            },
            ClientCredential::AssertionProvider(provider) => {
                let context = AssertionContext {
                    client_id: inner.client_id.clone(),
                    token_endpoint: token_endpoint.to_owned(),
                };
                let jwt = provider.client_assertion(&context).await.map_err(|e| {
                    Error::AssertionProvider {
                        reason: e.to_string(),
                    }
                })?;
                if jwt.trim().is_empty() {
                    return Err(Error::InvalidClientAssertion);
                }
                ClientAuthentication::Assertion {
                    assertion: SecretString::new(jwt),
                    assertion_type: JWT_BEARER_ASSERTION_TYPE,
                }
            }
            ClientCredential::BoundAssertion(_) | ClientCredential::BoundAssertionProvider(_) => {
                let assertion = bound_assertion.unwrap_or_default();
                if assertion.expose_secret().trim().is_empty() {
                    return Err(Error::InvalidClientAssertion);
                }
                ClientAuthentication::Assertion {
                    assertion,
                    // jwt-pop whenever the assertion travels with its binding certificate.
                    assertion_type: if over_mtls {
                        JWT_POP_ASSERTION_TYPE
                    } else {
                        JWT_BEARER_ASSERTION_TYPE
                    },
                }
            }
        })
    }
}

fn result_from_cache(
    entry: &CachedAccessToken,
    scopes: &Scopes,
    plan: &Plan,
) -> AuthenticationResult {
    AuthenticationResult {
        access_token: entry.secret.clone(),
        token_type: plan.token_type.to_owned(),
        expires_on: to_time(entry.expires_on),
        ext_expires_on: to_time(entry.extended_expires_on),
        refresh_on: entry.refresh_on.map(to_time),
        scopes: scopes.clone(),
        token_source: TokenSource::Cache,
        correlation_id: None,
        tenant_id: entry.partition.tenant().to_owned(),
        token_endpoint: None,
        // The key id matched, so the current certificate has the same DER as the bound one.
        binding_certificate: plan
            .identity
            .clone()
            .filter(|_| plan.pop)
            .map(BindingCertificate::new),
        region: RegionDetails::NONE,
    }
}

impl<'a> IntoFuture for AcquireTokenForClient<'a> {
    type Output = Result<AuthenticationResult, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let started = std::time::Instant::now();
            let app = self.app;
            let pop = self.mtls_pop;
            let result = self.run().await;
            let elapsed = started.elapsed();
            let elapsed_us = elapsed.as_micros() as u64;
            if let Some(observer) = &app.inner.observer {
                observer.on_acquisition(&AcquisitionEvent {
                    client_id: app.inner.client_id.clone(),
                    mtls_pop: pop,
                    source: result.as_ref().ok().map(AuthenticationResult::token_source),
                    error_code: result.as_ref().err().map(|e| e.code().to_owned()),
                    duration: elapsed,
                });
            }
            match &result {
                Ok(r) => tracing::debug!(
                    client_id = %app.inner.client_id,
                    token_type = r.token_type(),
                    source = ?r.token_source(),
                    elapsed_us,
                    "token acquired"
                ),
                Err(e) => tracing::debug!(
                    client_id = %app.inner.client_id,
                    mtls_pop = pop,
                    error_code = e.code(),
                    elapsed_us,
                    "token acquisition failed"
                ),
            }
            result
        })
    }
}

/// At most 120 characters of a response body for an error message, with anything that looks
/// like a secret (a word of 24+ characters: tokens, assertions, keys) replaced.
pub(crate) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(512)]);
    let mut out = String::new();
    for word in text.split_inclusive(|c: char| c.is_whitespace() || "\",:{}[]<>=&".contains(c)) {
        let core = word.trim_end_matches(|c: char| c.is_whitespace() || "\",:{}[]<>=&".contains(c));
        if core.chars().count() >= 24 {
            out.push_str("<redacted>");
            out.push_str(&word[core.len()..]);
        } else {
            out.push_str(word);
        }
    }
    let mut shown: String = out
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(120)
        .collect();
    if out.chars().count() > 120 || body.len() > 512 {
        shown.push('…');
    }
    format!("{:?} ({} bytes)", shown, body.len())
}

/// `base` scaled by a random factor in [0.5, 1.5).
fn jitter(base: Duration) -> Duration {
    let random = (uuid::Uuid::new_v4().as_u128() % 1000) as u32;
    base.mul_f64(0.5 + f64::from(random) / 1000.0)
}

fn to_time(t: UnixTime) -> SystemTime {
    t.to_system_time()
}
