//! The exact telemetry headers Entra ID receives (schema 5, see docs/telemetry.md).

use std::sync::Arc;
use std::time::Duration;

use entra_emulator::{Fault, ImdsStub};
use msal::{AzureRegion, ConfidentialClientApplication};
use msal_e2e_tests::*;

const CURRENT: &str = "x-client-current-telemetry";
const LAST: &str = "x-client-last-telemetry";

fn last_request_header(env: &TestEnv, name: &str) -> String {
    env.emulator
        .token_requests()
        .pop()
        .expect("a token request")
        .header(name)
        .expect("header present")
        .to_owned()
}

fn pop_app(
    env: &TestEnv,
    region: Option<AzureRegion>,
    vars: &[(&str, &str)],
    imds: Option<&str>,
) -> ConfidentialClientApplication {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let mut builder = env.sni_app().region_environment(Arc::new(move |name| {
        vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }));
    if let Some(r) = region {
        builder = builder.azure_region(r);
    }
    if let Some(base) = imds {
        builder = builder.imds_endpoint(base);
    }
    builder.build().unwrap()
}

#[tokio::test]
async fn first_pop_call_with_explicit_region() {
    let env = TestEnv::start().await;
    let app = pop_app(
        &env,
        Some(AzureRegion::Named("centralus".into())),
        &[],
        None,
    );
    pop(&app).await;
    assert_eq!(
        last_request_header(&env, CURRENT),
        "5|1004,2,centralus,,6|0,0,6,,,"
    );
    assert_eq!(last_request_header(&env, LAST), "5|0|||");
}

#[tokio::test]
async fn pop_call_with_auto_detected_region() {
    let env = TestEnv::start().await;
    let app = pop_app(
        &env,
        Some(AzureRegion::AutoDetect),
        &[("REGION_NAME", "eastus")],
        None,
    );
    pop(&app).await;
    assert_eq!(
        last_request_header(&env, CURRENT),
        "5|1004,2,eastus,3,4|0,0,6,,,"
    );
}

#[tokio::test]
async fn pop_call_falling_back_to_global() {
    let env = TestEnv::start().await;
    let imds = ImdsStub::start(None).await.unwrap();
    let app = pop_app(
        &env,
        Some(AzureRegion::AutoDetect),
        &[],
        Some(&imds.base_url()),
    );
    pop(&app).await;
    assert_eq!(last_request_header(&env, CURRENT), "5|1004,2,,1,5|0,0,6,,,");
}

#[tokio::test]
async fn bearer_calls_and_a_persisted_cache() {
    let env = TestEnv::start().await;
    let app = env.app(SECRET_APP).client_secret(SECRET).build().unwrap();
    app.acquire_token_for_client([SCOPE]).await.unwrap();
    assert_eq!(last_request_header(&env, CURRENT), "5|1004,2,,,|0,0,1,,,");

    let dir = std::env::temp_dir().join(format!("msal-telemetry-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file_app = env
        .app(SECRET_APP)
        .client_secret(SECRET)
        .token_cache_file(dir.join("cache.json"))
        .build()
        .unwrap();
    file_app
        .acquire_token_for_client(["api://persisted/.default"])
        .await
        .unwrap();
    assert_eq!(last_request_header(&env, CURRENT), "5|1004,2,,,|1,0,1,,,");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn cache_refresh_reasons() {
    // Expired (less than 5 minutes left): reason 3.
    let env = TestEnv::start_with(|b| b.token_lifetime(Duration::from_secs(200))).await;
    let app = env.app(SECRET_APP).client_secret(SECRET).build().unwrap();
    app.acquire_token_for_client([SCOPE]).await.unwrap();
    app.acquire_token_for_client([SCOPE]).await.unwrap();
    assert_eq!(last_request_header(&env, CURRENT), "5|1004,3,,,|0,0,1,,,");
    // Forced: reason 1.
    app.acquire_token_for_client([SCOPE])
        .force_refresh(true)
        .await
        .unwrap();
    assert_eq!(last_request_header(&env, CURRENT), "5|1004,1,,,|0,0,1,,,");
}

#[tokio::test]
async fn last_request_telemetry_after_a_failure_then_a_success() {
    let env = TestEnv::start().await;
    let app = env
        .app(SECRET_APP)
        .client_secret(SECRET)
        .retry_backoff(Duration::from_millis(5))
        .build()
        .unwrap();
    env.emulator.inject_faults(Fault::InternalServerError, 2);
    let err = app.acquire_token_for_client([SCOPE]).await.unwrap_err();
    let error = err.as_service_error().unwrap().error().to_owned();
    let failed_correlation = env.emulator.token_requests()[0]
        .header("client-request-id")
        .unwrap()
        .to_owned();

    // The next request (another scope) reports the failure...
    app.acquire_token_for_client(["api://second/.default"])
        .await
        .unwrap();
    assert_eq!(
        last_request_header(&env, LAST),
        format!("5|0|1004,{failed_correlation}|{error}|")
    );
    // ...and after that success the record is empty again; cache hits are counted.
    app.acquire_token_for_client(["api://second/.default"])
        .await
        .unwrap();
    app.acquire_token_for_client(["api://third/.default"])
        .await
        .unwrap();
    assert_eq!(last_request_header(&env, LAST), "5|1|||");
}
