//! The token client: one exchange with the token endpoint. It sends the form with MSAL's
//! headers (retrying once when that is safe), records throttling windows and telemetry, and
//! turns the answer into a checked [`TokenResponse`] or a typed error.

mod response;
mod retry;

use mtls_transport::HttpRequest;
use oauth2_core::{
    ClientAuthentication, ClientCertificate, ClientCredentialsRequest, GenericTokenRequest, Scopes,
    TokenResponse, TokenType,
};
use telemetry::{ApiId, CurrentRequest};
use token_cache::PartitionKey;
use url::Url;

use crate::headers::add_token_request_headers;
use crate::state::AppState;
use crate::Error;

/// The form of one token request: Entra's (with `client_info` and `token_type`), or the plain
/// RFC 6749 §4.4 one (optional `scope`, RFC 8707 `resource`) sent to an issuer.
#[derive(Debug)]
pub(crate) enum TokenForm {
    Entra(ClientCredentialsRequest),
    Generic(GenericTokenRequest),
}

impl TokenForm {
    /// The token type asked for (an issuer's certificate-bound tokens are Bearer tokens).
    fn token_type(&self) -> TokenType {
        match self {
            TokenForm::Entra(request) => request.token_type,
            TokenForm::Generic(_) => TokenType::Bearer,
        }
    }

    fn authentication(&self) -> &ClientAuthentication {
        match self {
            TokenForm::Entra(request) => &request.authentication,
            TokenForm::Generic(request) => &request.authentication,
        }
    }

    fn to_form_body(&self) -> String {
        match self {
            TokenForm::Entra(request) => request.to_form_body(),
            TokenForm::Generic(request) => request.to_form_body(),
        }
    }
}

/// One token request, ready to send.
#[derive(Debug)]
pub(crate) struct Exchange<'a> {
    pub(crate) endpoint: &'a Url,
    pub(crate) request: TokenForm,
    /// The certificate presented in TLS, if any.
    pub(crate) identity: Option<&'a ClientCertificate>,
    /// The throttling key.
    pub(crate) partition: &'a PartitionKey,
    pub(crate) scopes: &'a Scopes,
    pub(crate) correlation_id: &'a str,
    pub(crate) telemetry: CurrentRequest,
}

/// Sends `exchange` and checks the answer.
pub(crate) async fn exchange(
    state: &AppState,
    exchange: Exchange<'_>,
) -> Result<TokenResponse, Error> {
    let token_type = exchange.request.token_type();
    let span = tracing::debug_span!(
        "acquire_token_for_client",
        client_id = %state.config.client_id,
        endpoint = %exchange.endpoint,
        token_type = token_type.as_str(),
        region = exchange.telemetry.region_used.as_deref().unwrap_or("global"),
        correlation_id = %exchange.correlation_id,
    );
    tracing::debug!(parent: &span, reason = ?exchange.telemetry.cache_refresh, "requesting token");
    let started = std::time::Instant::now();
    let response = retry::send_with_one_retry(
        state.services.transport.as_ref(),
        || http_request(state, &exchange),
        exchange.identity,
        state.config.retry_backoff,
    )
    .await?;
    tracing::debug!(
        parent: &span,
        status = response.status.as_u16(),
        elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        "token response"
    );
    let redactor = response::Redactor::for_request(exchange.request.authentication());
    let now = state.services.clock.unix_now();
    let window = state.shared.throttle.observe(
        exchange.partition,
        exchange.scopes,
        response.status,
        &response.headers,
        now,
    );
    if !response.status.is_success() {
        return Err(failed(state, &exchange, &response, window, &redactor));
    }
    let token = response::parse_success(&response, exchange.endpoint, &redactor)?;
    state
        .shared
        .throttle
        .clear(exchange.partition, exchange.scopes);
    response::check_token_type(token_type, token.token_type.as_deref(), &redactor)?;
    response::check_binding(
        token_type,
        exchange.identity,
        &token.access_token,
        &redactor,
    )?;
    state.shared.telemetry(telemetry::LastRequests::reset);
    Ok(token)
}

/// The typed error of a failed answer, remembered for `x-client-last-telemetry` when the
/// service named it.
fn failed(
    state: &AppState,
    exchange: &Exchange<'_>,
    response: &mtls_transport::HttpResponse,
    window: Option<std::time::Duration>,
    redactor: &response::Redactor,
) -> Error {
    let error = response::failure(
        response,
        exchange.endpoint,
        exchange.correlation_id,
        window,
        redactor,
    );
    if let Some(code) = error_code_for_telemetry(&error) {
        state.shared.telemetry(|last| {
            last.record_failure(ApiId::AcquireTokenForClient, exchange.correlation_id, code)
        });
    }
    error
}

/// The OAuth error code a failed request is remembered by in `x-client-last-telemetry`.
fn error_code_for_telemetry(error: &Error) -> Option<&str> {
    match error {
        Error::Service(service) => Some(service.error()),
        Error::Throttled {
            service: Some(service),
            ..
        } => Some(service.error()),
        _ => None,
    }
}

fn http_request(state: &AppState, exchange: &Exchange<'_>) -> HttpRequest {
    let current = exchange.telemetry.header_value();
    let last = state.shared.telemetry(|last| last.header_value());
    let mut request =
        HttpRequest::post_form(exchange.endpoint.clone(), exchange.request.to_form_body());
    add_token_request_headers(
        &mut request.headers,
        exchange.correlation_id,
        &current,
        &last,
    );
    request
}

/// The telemetry number of a token type (`1` Bearer, `6` mtls_pop across MSAL libraries).
pub(crate) fn telemetry_token_type(token_type: TokenType) -> telemetry::TokenTypeCode {
    match token_type {
        TokenType::MtlsPop => telemetry::TokenTypeCode::MtlsPop,
        _ => telemetry::TokenTypeCode::Bearer,
    }
}
