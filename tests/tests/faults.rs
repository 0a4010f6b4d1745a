//! The hardened HTTP path against the emulator's fault injection: retry, throttling,
//! timeouts, size limits, malformed answers. Every case leaves the cache intact.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use entra_emulator::Fault;
use msal::{Clock, ConfidentialClientApplication, Error, TokenSource};
use msal_e2e_tests::*;

const OTHER_SCOPE: &str = "api://other-resource/.default";

/// A clock the test moves by hand.
#[derive(Debug)]
struct TestClock(Mutex<SystemTime>);

impl TestClock {
    fn new() -> Arc<Self> {
        Arc::new(Self(Mutex::new(SystemTime::now())))
    }
    fn advance(&self, d: Duration) {
        *self.0.lock().unwrap() += d;
    }
}

impl Clock for TestClock {
    fn now(&self) -> SystemTime {
        *self.0.lock().unwrap()
    }
}

fn app(env: &TestEnv, clock: Arc<TestClock>) -> ConfidentialClientApplication {
    env.app(SECRET_APP)
        .client_secret(SECRET)
        .clock(clock)
        .retry_backoff(Duration::from_millis(5))
        .build()
        .unwrap()
}

/// A token cached for OTHER_SCOPE must survive every fault.
async fn assert_cache_intact(app: &ConfidentialClientApplication, env: &TestEnv) {
    let before = env.emulator.token_requests().len();
    let r = app.acquire_token_for_client([OTHER_SCOPE]).await.unwrap();
    assert_eq!(r.token_source(), TokenSource::Cache);
    assert_eq!(env.emulator.token_requests().len(), before);
}

#[tokio::test]
async fn service_unavailable_then_success_is_retried_once() {
    let env = TestEnv::start().await;
    let app = app(&env, TestClock::new());
    env.emulator
        .inject_faults(Fault::ServiceUnavailable { retry_after: None }, 1);
    let result = app.acquire_token_for_client([SCOPE]).await.unwrap();
    assert_eq!(result.token_source(), TokenSource::IdentityProvider);
    let requests = env.emulator.token_requests();
    assert_eq!(requests.len(), 2, "one failure, one retry");
    assert_eq!(requests[0].status, 503);
    assert_eq!(requests[1].status, 200);
}

#[tokio::test]
async fn persistent_server_errors_are_retried_once_then_fail_fast() {
    let env = TestEnv::start().await;
    let clock = TestClock::new();
    let app = app(&env, clock.clone());
    app.acquire_token_for_client([OTHER_SCOPE]).await.unwrap();
    env.emulator.inject_faults(Fault::InternalServerError, 2);
    let err = app.acquire_token_for_client([SCOPE]).await.unwrap_err();
    let service = err.as_service_error().expect("the 500's OAuth error");
    assert_eq!(service.status(), 500);
    assert_eq!(
        env.emulator.token_requests().len(),
        3,
        "first call, one retry"
    );
    // The service is unhealthy: for MSAL Python's default 5 s the same token fails fast.
    let err = app.acquire_token_for_client([SCOPE]).await.unwrap_err();
    assert_eq!(err.code(), "throttled");
    assert_eq!(env.emulator.token_requests().len(), 3);
    clock.advance(Duration::from_secs(6));
    app.acquire_token_for_client([SCOPE]).await.unwrap();
    assert_cache_intact(&app, &env).await;
}

#[tokio::test]
async fn too_many_requests_honours_retry_after() {
    let env = TestEnv::start().await;
    let clock = TestClock::new();
    let app = app(&env, clock.clone());
    app.acquire_token_for_client([OTHER_SCOPE]).await.unwrap();
    env.emulator.inject_faults(
        Fault::TooManyRequests {
            retry_after: "30".into(),
        },
        1,
    );

    let err = app.acquire_token_for_client([SCOPE]).await.unwrap_err();
    let Error::Throttled { remaining, service } = &err else {
        panic!("expected throttled, got {err:?}");
    };
    assert_eq!(*remaining, Duration::from_secs(30));
    assert!(service.is_some(), "the 429's OAuth error is kept");
    assert!(err.to_string().contains("30s"), "{err}");
    assert_eq!(env.emulator.token_requests().len(), 2, "no retry on 429");

    clock.advance(Duration::from_secs(10));
    let err = app.acquire_token_for_client([SCOPE]).await.unwrap_err();
    match err {
        Error::Throttled { remaining, .. } => assert_eq!(remaining, Duration::from_secs(20)),
        other => panic!("expected throttled, got {other:?}"),
    }
    assert_eq!(
        env.emulator.token_requests().len(),
        2,
        "nothing sent inside the window"
    );
    assert_cache_intact(&app, &env).await;

    clock.advance(Duration::from_secs(21));
    let ok = app.acquire_token_for_client([SCOPE]).await.unwrap();
    assert_eq!(ok.token_source(), TokenSource::IdentityProvider);
    assert_eq!(env.emulator.token_requests().len(), 3);
}

#[tokio::test]
async fn retry_after_as_an_http_date() {
    let env = TestEnv::start().await;
    let clock = TestClock::new();
    let app = app(&env, clock.clone());
    let date = httpdate::fmt_http_date(clock.now() + Duration::from_secs(90));
    env.emulator
        .inject_faults(Fault::TooManyRequests { retry_after: date }, 1);
    let err = app.acquire_token_for_client([SCOPE]).await.unwrap_err();
    match err {
        Error::Throttled { remaining, .. } => {
            assert!(
                remaining <= Duration::from_secs(90) && remaining >= Duration::from_secs(88),
                "{remaining:?}"
            );
        }
        other => panic!("expected throttled, got {other:?}"),
    }
}

#[tokio::test]
async fn a_stalled_response_times_out() {
    let env = TestEnv::start().await;
    let transport = transport_for(&env.emulator)
        .request_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let app = env
        .app(SECRET_APP)
        .client_secret(SECRET)
        .transport(Arc::new(transport))
        .build()
        .unwrap();
    app.acquire_token_for_client([OTHER_SCOPE]).await.unwrap();
    env.emulator
        .inject_faults(Fault::Stall(Duration::from_secs(5)), 1);
    let err = app.acquire_token_for_client([SCOPE]).await.unwrap_err();
    match &err {
        Error::Transport(t) => assert!(t.is_timeout(), "{t}"),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert_eq!(
        env.emulator.token_requests().len(),
        2,
        "no retry after a timeout"
    );
    assert_cache_intact(&app, &env).await;
}

#[tokio::test]
async fn an_oversized_body_is_refused() {
    let env = TestEnv::start().await;
    let app = app(&env, TestClock::new());
    app.acquire_token_for_client([OTHER_SCOPE]).await.unwrap();
    env.emulator.inject_faults(
        Fault::OversizedBody {
            bytes: 8 * 1024 * 1024,
        },
        1,
    );
    let err = app.acquire_token_for_client([SCOPE]).await.unwrap_err();
    assert_eq!(err.code(), "response_too_large", "{err}");
    assert_cache_intact(&app, &env).await;
}

#[tokio::test]
async fn garbage_and_wrongly_typed_json_are_typed_errors() {
    let env = TestEnv::start().await;
    let app = app(&env, TestClock::new());
    app.acquire_token_for_client([OTHER_SCOPE]).await.unwrap();
    for fault in [Fault::Garbage, Fault::InvalidJsonTypes] {
        env.emulator.inject_faults(fault.clone(), 1);
        let err = app.acquire_token_for_client([SCOPE]).await.unwrap_err();
        match &err {
            Error::InvalidResponse { status, reason, .. } => {
                assert_eq!(*status, 200, "{fault:?}");
                assert!(
                    reason.contains("bytes)"),
                    "a snippet with the size: {reason}"
                );
            }
            other => panic!("{fault:?}: expected InvalidResponse, got {other:?}"),
        }
    }
    assert_cache_intact(&app, &env).await;
    // Nothing was cached for the failed scope.
    let ok = app.acquire_token_for_client([SCOPE]).await.unwrap();
    assert_eq!(ok.token_source(), TokenSource::IdentityProvider);
}

#[tokio::test]
async fn a_reset_connection_is_retried_once() {
    let env = TestEnv::start().await;
    let app = app(&env, TestClock::new());
    env.emulator.inject_faults(Fault::ResetConnection, 1);
    let ok = app.acquire_token_for_client([SCOPE]).await.unwrap();
    assert_eq!(ok.token_source(), TokenSource::IdentityProvider);
    assert_eq!(env.emulator.token_requests().len(), 2);

    env.emulator.inject_faults(Fault::ResetConnection, 2);
    let err = app
        .acquire_token_for_client([OTHER_SCOPE])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
}

#[tokio::test]
async fn a_wrong_token_type_for_pop_is_not_cached() {
    let env = TestEnv::start().await;
    let app = env
        .sni_app()
        .region_environment(Arc::new(|_| None))
        .build()
        .unwrap();
    env.emulator.inject_faults(Fault::WrongTokenType, 1);
    let err = app
        .acquire_token_for_client([SCOPE])
        .with_mtls_proof_of_possession()
        .await
        .unwrap_err();
    assert_eq!(err.code(), "token_type_mismatch");
    let ok = pop(&app).await;
    assert_eq!(ok.token_source(), TokenSource::IdentityProvider);
}

#[tokio::test]
async fn a_bearer_request_answered_with_another_token_type_is_an_error() {
    let env = TestEnv::start().await;
    let app = app(&env, TestClock::new());
    env.emulator.inject_faults(Fault::WrongTokenType, 1);
    let before = env.emulator.token_requests().len();
    match app.acquire_token_for_client([SCOPE]).await {
        // The emulator's WrongTokenType answers a Bearer request with mtls_pop.
        Err(e) => assert_eq!(e.code(), "token_type_mismatch", "{e}"),
        Ok(r) => panic!("accepted a {} token for a Bearer request", r.token_type()),
    }
    assert_eq!(env.emulator.token_requests().len(), before + 1);
    let ok = app.acquire_token_for_client([SCOPE]).await.unwrap();
    assert_eq!(
        ok.token_source(),
        TokenSource::IdentityProvider,
        "nothing was cached"
    );
}
