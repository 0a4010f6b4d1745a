//! `ConfidentialClientApplication` as the Azure SDK's `TokenCredential`: an azure_core pipeline
//! with its bearer-token policy calls the emulator's protected resource with the app's token
//! (the second call from the app's cache), and a PoP request through the trait is refused.

use std::sync::Arc;

use azure_core::credentials::{TokenCredential, TokenRequestOptions};
use azure_core::http::headers::Headers;
use azure_core::http::policies::auth::BearerTokenAuthorizationPolicy;
use azure_core::http::{
    AsyncRawResponse, ClientMethodOptions, ClientOptions, Context, HttpClient, Method, Pipeline,
    Request, Transport as AzureTransport,
};
use msal::transport::{http, HttpRequest, HyperTransport, Transport};
use msal::TokenType;
use msal_e2e_tests::*;

/// azure_core's HTTP client seam over msal's transport (azure_core's own default-features-off
/// build has no HTTP client and no TLS stack).
#[derive(Debug)]
struct MsalHttpClient(Arc<HyperTransport>);

#[async_trait::async_trait]
impl HttpClient for MsalHttpClient {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        let io =
            |e: msal::transport::Error| azure_core::Error::new(azure_core::error::ErrorKind::Io, e);
        assert_eq!(request.method(), Method::Get, "this test only GETs");
        let mut outgoing = HttpRequest::get(request.url().clone());
        for (name, value) in request.headers().iter() {
            outgoing = outgoing.header(
                http::HeaderName::from_bytes(name.as_str().as_bytes()).unwrap(),
                http::HeaderValue::from_str(value.as_str()).unwrap(),
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

#[tokio::test]
async fn an_azure_core_pipeline_calls_the_resource_with_the_apps_bearer_token() {
    let env = TestEnv::start().await;
    let app = env.app(SECRET_APP).client_secret(SECRET).build().unwrap();
    let credential: Arc<dyn TokenCredential> = Arc::new(app);
    let options = ClientOptions {
        transport: Some(AzureTransport::new(Arc::new(MsalHttpClient(
            env.transport.clone(),
        )))),
        ..Default::default()
    };
    let policy = BearerTokenAuthorizationPolicy::new(credential.clone(), [SCOPE]);
    let pipeline = Pipeline::new(
        Some("msal-e2e"),
        Some("0"),
        options,
        Vec::new(),
        vec![Arc::new(policy)],
        None,
    );
    let url: azure_core::http::Url = "https://mtlstb.graph.microsoft.com/v1.0/applications"
        .parse()
        .unwrap();
    for _ in 0..2 {
        let mut request = Request::new(url.clone(), Method::Get);
        let response = pipeline
            .send(&Context::new(), &mut request, None)
            .await
            .unwrap();
        assert_eq!(u16::from(response.status()), 200);
        let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(body["caller_app"], SECRET_APP);
    }
    // the bearer policy caches too, so ask the credential directly once more: msal's cache
    credential.get_token(&[SCOPE], None).await.unwrap();
    assert_eq!(env.emulator.token_requests().len(), 1);
    let resource_calls: Vec<_> = env
        .emulator
        .requests()
        .into_iter()
        .filter(|r| r.host == "mtlstb.graph.microsoft.com")
        .collect();
    assert_eq!(resource_calls.len(), 2);
    for call in &resource_calls {
        let auth = call
            .headers
            .iter()
            .find(|(n, _)| n == "authorization")
            .unwrap();
        assert!(auth.1.starts_with("Bearer "), "{}", auth.1);
        assert_eq!(call.status, 200);
    }
}

#[tokio::test]
async fn a_pop_request_through_the_trait_is_a_clear_error() {
    let env = TestEnv::start().await;
    let app = env.sni_app().build().unwrap();
    let options = TokenRequestOptions {
        method_options: ClientMethodOptions {
            context: Context::new().with_value(TokenType::MtlsPop),
        },
    };
    let err = app.get_token(&[SCOPE], Some(options)).await.unwrap_err();
    assert_eq!(*err.kind(), azure_core::error::ErrorKind::Credential);
    assert!(
        err.to_string().contains("with_mtls_proof_of_possession"),
        "{err}"
    );
    assert!(env.emulator.token_requests().is_empty(), "nothing was sent");
    // a service error keeps its code and says what Entra said
    let wrong = env.app(SECRET_APP).client_secret("wrong").build().unwrap();
    let err = wrong.get_token(&[SCOPE], None).await.unwrap_err();
    assert!(err.to_string().contains("invalid_client"), "{err}");
}
