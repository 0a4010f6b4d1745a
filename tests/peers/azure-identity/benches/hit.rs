//! azure_identity 1.x's cache hit next to msal's, in one run on one emulator.
//!
//! Both credentials first get a real token from the project's Entra emulator (HTTPS on
//! loopback; azure_identity talks to it through an `HttpClient` built on msal's transport,
//! which trusts the emulator's CA only and resolves every Entra host to the emulator's
//! loopback address only). Then each bench asks its credential for the same scope again and
//! again: every call is a cache hit (checked before the bench starts, and the emulator's token
//! request count is checked after it).
//!
//! * `cache_hit/azure_identity_get_token`: `ClientSecretCredential::get_token(&[scope], None)`;
//! * `cache_hit/msal_acquire_token_for_client`: `app.acquire_token_for_client([scope])`;
//! * `cache_hit/msal_token_credential`: msal's app through the same `TokenCredential` trait
//!   (`get_token(&[scope], None)`), which copies the token into azure_core's `AccessToken`.
//!
//! `cargo bench --manifest-path tests/peers/azure-identity/Cargo.toml` (or `cargo xtask bench`,
//! which prints the ratio).
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::sync::Arc;

use azure_core::credentials::{Secret, TokenCredential};
use azure_core::http::headers::Headers;
use azure_core::http::{
    AsyncRawResponse, ClientOptions, HttpClient, Request, Transport as AzureTransport,
};
use azure_identity::{ClientSecretCredential, ClientSecretCredentialOptions};
use criterion::{criterion_group, criterion_main, Criterion};
use msal::transport::{bytes::Bytes, http, HttpRequest, HyperTransport, Transport};
use msal_e2e_tests::{TestEnv, SCOPE, SECRET, SECRET_APP, TENANT};

/// azure_core's HTTP client seam over msal's transport (emulator CA only, loopback only).
#[derive(Debug)]
struct LoopbackHttpClient(Arc<HyperTransport>);

#[async_trait::async_trait]
impl HttpClient for LoopbackHttpClient {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        let io =
            |e: msal::transport::Error| azure_core::Error::new(azure_core::error::ErrorKind::Io, e);
        let method = http::Method::from_bytes(request.method().as_str().as_bytes())
            .map_err(|e| azure_core::Error::new(azure_core::error::ErrorKind::Other, e))?;
        let mut outgoing = HttpRequest::get(request.url().clone());
        outgoing.method = method;
        outgoing.body = Bytes::from(request.body());
        for (name, value) in request.headers().iter() {
            outgoing = outgoing.header(
                http::HeaderName::from_bytes(name.as_str().as_bytes())
                    .map_err(|e| azure_core::Error::new(azure_core::error::ErrorKind::Other, e))?,
                http::HeaderValue::from_str(value.as_str())
                    .map_err(|e| azure_core::Error::new(azure_core::error::ErrorKind::Other, e))?,
            );
        }
        let response = self.0.send(outgoing, None).await.map_err(io)?;
        let mut headers = Headers::new();
        for (name, value) in &response.headers {
            headers.insert(
                name.as_str().to_owned(),
                value.to_str().unwrap_or_default().to_owned(),
            );
        }
        Ok(AsyncRawResponse::from_bytes(
            response.status.as_u16().into(),
            headers,
            response.body,
        ))
    }
}

fn benches(c: &mut Criterion) {
    let rt = msal_e2e_tests::bench_runtime();
    let env = rt.block_on(TestEnv::start());
    let mut options = ClientSecretCredentialOptions::default();
    options.client_options = ClientOptions {
        transport: Some(AzureTransport::new(Arc::new(LoopbackHttpClient(
            env.transport.clone(),
        )))),
        ..Default::default()
    };
    let peer = ClientSecretCredential::new(
        TENANT,
        SECRET_APP.to_owned(),
        Secret::new(SECRET),
        Some(options),
    )
    .expect("azure_identity credential");
    let app = env.app(SECRET_APP).client_secret(SECRET).build().unwrap();
    let (peer_token, ours) = rt.block_on(async {
        let peer_token = peer
            .get_token(&[SCOPE], None)
            .await
            .expect("azure_identity token from the emulator");
        let ours = app.acquire_token_for_client([SCOPE]).await.unwrap();
        (peer_token, ours)
    });
    assert_eq!(
        env.emulator.token_requests().len(),
        2,
        "one real token request each"
    );
    // the same kind of token (same emulator, app and scope): the same copy cost for both
    eprintln!(
        "token lengths: azure_identity {} B, msal {} B",
        peer_token.token.secret().len(),
        ours.access_token().expose_secret().len()
    );
    let credential: Arc<dyn TokenCredential> = Arc::new(app.clone());
    rt.block_on(credential.get_token(&[SCOPE], None)).unwrap();

    let mut group = c.benchmark_group("cache_hit");
    group.bench_function("azure_identity_get_token", |b| {
        b.to_async(&rt)
            .iter(|| async { peer.get_token(&[SCOPE], None).await.unwrap() });
    });
    group.bench_function("msal_acquire_token_for_client", |b| {
        b.to_async(&rt)
            .iter(|| async { app.acquire_token_for_client([SCOPE]).await.unwrap() });
    });
    group.bench_function("msal_token_credential", |b| {
        b.to_async(&rt)
            .iter(|| async { credential.get_token(&[SCOPE], None).await.unwrap() });
    });
    group.finish();
    assert_eq!(
        env.emulator.token_requests().len(),
        2,
        "every benched call was a cache hit"
    );
}

criterion_group!(hit, benches);
criterion_main!(hit);
