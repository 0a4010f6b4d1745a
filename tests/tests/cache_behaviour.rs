//! Cache behaviour of the facade against the emulator: single flight, proactive refresh,
//! expiry margin.

use std::sync::Arc;
use std::time::{Duration, Instant};

use entra_emulator::Misbehavior;
use msal::TokenSource;
use msal_e2e_tests::*;

async fn wait_for_token_requests(env: &TestEnv, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while env.emulator.token_requests().len() < n {
        assert!(Instant::now() < deadline, "expected {n} token requests");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_calls_on_a_cold_cache_send_one_request() {
    let env = TestEnv::start().await;
    let app = env.app(SECRET_APP).client_secret(SECRET).build().unwrap();
    let mut tasks = Vec::new();
    for _ in 0..1000 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            app.acquire_token_for_client([SCOPE]).await.unwrap()
        }));
    }
    let mut from_network = 0;
    let mut tokens = std::collections::HashSet::new();
    for task in tasks {
        let result = task.await.unwrap();
        if result.token_source() == TokenSource::IdentityProvider {
            from_network += 1;
        }
        tokens.insert(result.access_token().expose_secret().to_owned());
    }
    assert_eq!(env.emulator.token_requests().len(), 1);
    assert_eq!(from_network, 1);
    assert_eq!(tokens.len(), 1, "everyone got the same token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_on_serves_the_cached_token_and_refreshes_once_in_the_background() {
    // refresh_in 0: the token is valid for an hour but due for refresh at once.
    let env = TestEnv::start_with(|b| b.refresh_in(Some(Duration::ZERO))).await;
    let app = env.app(SECRET_APP).client_secret(SECRET).build().unwrap();
    let first = app.acquire_token_for_client([SCOPE]).await.unwrap();
    assert!(first.refresh_on().is_some());

    let second = app.acquire_token_for_client([SCOPE]).await.unwrap();
    assert_eq!(second.token_source(), TokenSource::Cache);
    assert_eq!(
        second.access_token().expose_secret(),
        first.access_token().expose_secret(),
        "the caller gets the cached token at once"
    );
    wait_for_token_requests(&env, 2).await;
    let refresh = &env.emulator.token_requests()[1];
    assert_eq!(
        refresh.header("x-client-current-telemetry"),
        Some("5|1004,4,,,|0,0,1,,,")
    );
    // Give a duplicate refresh every chance to show up; there must be none.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        env.emulator.token_requests().len(),
        2,
        "exactly one background request"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_proactive_refresh_keeps_the_cached_token() {
    let env = TestEnv::start_with(|b| b.refresh_in(Some(Duration::ZERO))).await;
    let app = env
        .sni_app()
        .region_environment(Arc::new(|_| None))
        .build()
        .unwrap();
    let first = pop(&app).await;
    env.emulator.set_misbehavior(Misbehavior::AnswerBearerToPop);
    let second = pop(&app).await;
    wait_for_token_requests(&env, 2).await;
    assert_eq!(second.token_source(), TokenSource::Cache);
    // The refresh failed (downgraded answer, not cached): the old token still serves.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let third = pop(&app).await;
    assert_eq!(third.token_type(), "mtls_pop");
    assert_eq!(
        third.access_token().expose_secret(),
        first.access_token().expose_secret()
    );
}

#[tokio::test]
async fn tokens_within_five_minutes_of_expiry_are_a_miss() {
    let env = TestEnv::start_with(|b| b.token_lifetime(Duration::from_secs(299))).await;
    let app = env.app(SECRET_APP).client_secret(SECRET).build().unwrap();
    app.acquire_token_for_client([SCOPE]).await.unwrap();
    let second = app.acquire_token_for_client([SCOPE]).await.unwrap();
    assert_eq!(second.token_source(), TokenSource::IdentityProvider);
    let requests = env.emulator.token_requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[1].header("x-client-current-telemetry"),
        Some("5|1004,3,,,|0,0,1,,,")
    );

    // 301 s left is still a hit.
    let env = TestEnv::start_with(|b| b.token_lifetime(Duration::from_secs(400))).await;
    let app = env.app(SECRET_APP).client_secret(SECRET).build().unwrap();
    app.acquire_token_for_client([SCOPE]).await.unwrap();
    let second = app.acquire_token_for_client([SCOPE]).await.unwrap();
    assert_eq!(second.token_source(), TokenSource::Cache);
}

#[derive(Debug, Default)]
struct Counters(std::sync::Mutex<Vec<msal::AcquisitionEvent>>);

impl msal::AcquisitionObserver for Counters {
    fn on_acquisition(&self, event: &msal::AcquisitionEvent) {
        self.0.lock().unwrap().push(event.clone());
    }
}

#[tokio::test]
async fn an_observer_sees_every_acquisition() {
    let env = TestEnv::start().await;
    let counters = Arc::new(Counters::default());
    let app = env
        .app(SECRET_APP)
        .client_secret(SECRET)
        .acquisition_observer(counters.clone())
        .build()
        .unwrap();
    app.acquire_token_for_client([SCOPE]).await.unwrap();
    app.acquire_token_for_client([SCOPE]).await.unwrap();
    let _ = app.acquire_token_for_client(["", " "]).await.unwrap_err();
    let events = counters.0.lock().unwrap().clone();
    assert_eq!(events.len(), 3);
    assert_eq!(events[0].source, Some(TokenSource::IdentityProvider));
    assert_eq!(events[1].source, Some(TokenSource::Cache));
    assert_eq!(events[2].source, None);
    assert_eq!(events[2].error_code.as_deref(), Some("invalid_scope"));
    assert!(events
        .iter()
        .all(|e| e.client_id == SECRET_APP && !e.mtls_pop));
}
