//! `acquire_token_for_client`: the request builder users configure and await, and the
//! acquisition engine behind it.
//!
//! The engine works in three steps, each in its own module: [`plan`] decides once what one call
//! asks for (token type, TLS identity, cache partition) and refuses what cannot work before
//! anything leaves the process; [`engine`] answers from the cache, or lets one caller per token
//! go to the network (single flight, proactive refresh); [`network`] resolves the endpoint and the
//! client authentication and hands one exchange to the token client.

mod engine;
mod network;
mod plan;
mod route;
mod tenant;

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use oauth2_core::TokenType;

use crate::interned::GivenScopes;
use crate::metrics::AcquisitionEvent;
use crate::state::AppState;
use crate::{AuthenticationResult, Error};

/// What one `acquire_token_for_client` call asks for.
#[derive(Clone, Debug)]
pub(crate) struct Options {
    pub(crate) scopes: GivenScopes,
    /// `resource` values (RFC 8707), for an issuer only.
    pub(crate) resources: Vec<String>,
    pub(crate) token_type: TokenType,
    pub(crate) force_refresh: bool,
    pub(crate) correlation_id: Option<String>,
    pub(crate) tenant: Option<String>,
}

/// A pending `acquire_token_for_client` call. Configure it, then `.await` it.
///
/// ```no_run
/// # async fn run(app: msal::ConfidentialClientApplication) -> Result<(), msal::Error> {
/// let result = app
///     .acquire_token_for_client(["https://graph.microsoft.com/.default"])
///     .with_mtls_proof_of_possession()
///     .correlation_id("5d0e4a9c-0000-0000-0000-000000000000")
///     .await?;
/// assert_eq!(result.token_type(), "mtls_pop");
/// # Ok(()) }
/// ```
#[must_use = "a token request does nothing until it is awaited"]
#[derive(Debug)]
pub struct AcquireTokenForClient<'a> {
    state: &'a Arc<AppState>,
    options: Options,
}

impl<'a> AcquireTokenForClient<'a> {
    pub(crate) fn new(state: &'a Arc<AppState>, scopes: GivenScopes) -> Self {
        Self {
            state,
            options: Options {
                scopes,
                resources: Vec::new(),
                token_type: TokenType::Bearer,
                force_refresh: false,
                correlation_id: None,
                tenant: None,
            },
        }
    }

    /// Skip the cache and always ask Entra ID (the new token still replaces the cached one).
    pub fn force_refresh(mut self, force: bool) -> Self {
        self.options.force_refresh = force;
        self
    }

    /// Use this correlation id (`client-request-id`) instead of a random one.
    pub fn correlation_id(mut self, id: impl Into<String>) -> Self {
        self.options.correlation_id = Some(id.into());
        self
    }

    /// Ask for a token for this resource (RFC 8707 `resource`; call it again for several).
    /// For an [`issuer`](crate::ConfidentialClientApplicationBuilder::issuer) application
    /// only: the scopes may then be empty. Tokens for different resources are cached apart.
    /// With an Entra ID authority the call fails (`invalid_scope`): Entra takes the resource
    /// in the scope (`https://resource/.default`).
    pub fn with_resource(mut self, resource: impl Into<String>) -> Self {
        self.options.resources.push(resource.into());
        self
    }

    /// Request the token from another tenant than the application's authority names (MSAL's
    /// `WithTenantId`), for this call only: a tenant GUID or a domain such as
    /// `fabrikam.onmicrosoft.com`. The tenant goes into the token endpoint path (also on the
    /// `mtlsauth` and regional hosts), the cache key (each tenant's tokens are cached apart) and
    /// the result's [`tenant_id`](AuthenticationResult::tenant_id).
    ///
    /// The same guards as for the configured authority apply, before the cache is consulted
    /// and before anything is sent: only Microsoft Entra ID authorities take a per-request
    /// tenant, anything but a GUID, a domain or `common` / `organizations` / `consumers` is
    /// [`Error::InvalidTenant`], and `common` / `organizations` with mTLS Proof-of-Possession
    /// is [`Error::UnsupportedAuthority`].
    ///
    /// ```no_run
    /// # async fn run(app: msal::ConfidentialClientApplication) -> Result<(), msal::Error> {
    /// let result = app
    ///     .acquire_token_for_client(["https://graph.microsoft.com/.default"])
    ///     .tenant("fabrikam.onmicrosoft.com")
    ///     .await?;
    /// assert_eq!(result.tenant_id(), "fabrikam.onmicrosoft.com");
    /// # Ok(()) }
    /// ```
    pub fn tenant(mut self, tenant: impl Into<String>) -> Self {
        self.options.tenant = Some(tenant.into());
        self
    }

    /// Ask for an **mTLS Proof-of-Possession** token bound to the application's certificate
    /// (RFC 8705): the request goes over TLS to the `mtlsauth` host presenting the certificate,
    /// carries `token_type=mtls_pop` and no client assertion, and the token's `cnf.x5t#S256` is the
    /// certificate's thumbprint. Requires a certificate credential (`send_x5c` is irrelevant).
    /// Call the resource with [`AuthenticationResult::call_resource`].
    pub fn with_mtls_proof_of_possession(mut self) -> Self {
        self.options.token_type = TokenType::MtlsPop;
        self
    }
}

impl<'a> IntoFuture for AcquireTokenForClient<'a> {
    type Output = Result<AuthenticationResult, Error>;
    type IntoFuture = AcquireTokenForClientFuture<'a>;

    fn into_future(self) -> Self::IntoFuture {
        AcquireTokenForClientFuture {
            step: Step::Start(Some(self)),
        }
    }
}

/// The future of an [`AcquireTokenForClient`] call (what `.await` runs).
///
/// Its first poll answers a cache hit on the spot when nothing has to be waited for (no
/// certificate provider to ask, a memory cache): no allocation and no further future. Any
/// other call continues in a boxed future.
///
/// ```no_run
/// # async fn run(app: msal::ConfidentialClientApplication) -> Result<(), msal::Error> {
/// use std::future::IntoFuture;
///
/// let pending: msal::AcquireTokenForClientFuture<'_> = app
///     .acquire_token_for_client(["https://graph.microsoft.com/.default"])
///     .into_future();
/// let result = pending.await?;
/// # drop(result);
/// # Ok(()) }
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct AcquireTokenForClientFuture<'a> {
    step: Step<'a>,
}

type Running<'a> = Pin<Box<dyn Future<Output = Result<AuthenticationResult, Error>> + Send + 'a>>;

enum Step<'a> {
    /// Not polled yet (`None` once it completed on the first poll).
    Start(Option<AcquireTokenForClient<'a>>),
    /// Waiting for a provider, the cache backend or the network.
    Running(Running<'a>),
}

impl Future for AcquireTokenForClientFuture<'_> {
    type Output = Result<AuthenticationResult, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let request = match &mut this.step {
            Step::Running(running) => return running.as_mut().poll(cx),
            Step::Start(request) => request
                .take()
                .expect("AcquireTokenForClientFuture polled after completion"),
        };
        // The clock is read for the duration only when someone looks at it (no cost on a
        // hit otherwise).
        let timed =
            request.state.services.observer.is_some() || tracing::enabled!(tracing::Level::DEBUG);
        let started = timed.then(std::time::Instant::now);
        let known_miss = match engine::acquire_now(request.state, &request.options) {
            engine::Now::Done(result) => {
                finish(request.state, request.options.token_type, &result, started);
                return Poll::Ready(result);
            }
            engine::Now::Wait(known_miss) => known_miss,
        };
        let mut running: Running<'_> = Box::pin(async move {
            let (state, token_type) = (request.state, request.options.token_type);
            let result = engine::acquire(state, request.options, known_miss).await;
            finish(state, token_type, &result, started);
            result
        });
        let poll = running.as_mut().poll(cx);
        this.step = Step::Running(running);
        poll
    }
}

impl fmt::Debug for AcquireTokenForClientFuture<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let step = match &self.step {
            Step::Start(Some(_)) => "not polled",
            Step::Start(None) => "completed",
            Step::Running(_) => "running",
        };
        f.debug_struct("AcquireTokenForClientFuture")
            .field("step", &step)
            .finish()
    }
}

/// Reports the end of a call to the observer and the log, when `started` says someone looks.
fn finish(
    state: &AppState,
    token_type: TokenType,
    result: &Result<AuthenticationResult, Error>,
    started: Option<std::time::Instant>,
) {
    if let Some(started) = started {
        report(state, token_type, result, started.elapsed());
    }
}

/// Tells the observer and the log how an acquisition ended.
fn report(
    state: &AppState,
    token_type: TokenType,
    result: &Result<AuthenticationResult, Error>,
    elapsed: std::time::Duration,
) {
    let client_id = &state.config.client_id;
    if let Some(observer) = &state.services.observer {
        observer.on_acquisition(&AcquisitionEvent {
            client_id: client_id.clone(),
            mtls_pop: token_type == TokenType::MtlsPop,
            source: result.as_ref().ok().map(AuthenticationResult::token_source),
            error_code: result.as_ref().err().map(|e| e.code().to_owned()),
            duration: elapsed,
        });
    }
    let elapsed_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
    match result {
        Ok(r) => tracing::debug!(
            client_id = %client_id,
            token_type = r.token_type().as_str(),
            tenant_id = r.tenant_id(),
            source = ?r.token_source(),
            elapsed_us,
            "token acquired"
        ),
        Err(e) => tracing::debug!(
            client_id = %client_id,
            mtls_pop = token_type == TokenType::MtlsPop,
            error_code = e.code(),
            elapsed_us,
            "token acquisition failed"
        ),
    }
}
