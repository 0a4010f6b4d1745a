//! Hostile token answers from the emulator (issue "trust boundary, round 2"), end to end over
//! real TLS: lifetimes that overflow naive time arithmetic, tokens bound to another certificate
//! or to none. Each test is named after the item it proves.

use entra_emulator::Fault;
use msal::{ConfidentialClientApplication, TokenSource};
use msal_e2e_tests::*;

const OTHER_SCOPE: &str = "api://other-resource/.default";

fn pop_app(env: &TestEnv) -> ConfidentialClientApplication {
    env.sni_app().build().unwrap()
}

#[tokio::test]
async fn item1_hostile_lifetimes_neither_panic_nor_poison_a_shared_cache_file() {
    let env = TestEnv::start().await;
    let dir = private_temp_dir("msal-hostile");
    let path = dir.join("cache.json");
    let app = || {
        env.app(SECRET_APP)
            .client_secret(SECRET)
            .token_cache_file(&path)
            .region_environment(no_env())
            .build()
            .unwrap()
    };
    let faults = [
        Fault::hostile_expires_in("9300000000000000000"),
        Fault::hostile_expires_in(r#""18446744073709551615""#),
        Fault::hostile_refresh_in("1e19"),
    ];
    for (i, fault) in faults.into_iter().enumerate() {
        let scope = format!("api://hostile-{i}/.default");
        env.emulator.inject_faults(fault.clone(), 1);
        let first = app().acquire_token_for_client([scope.as_str()]).await;
        let first = first.unwrap_or_else(|e| panic!("{fault:?}: {e}"));
        assert_eq!(first.token_source(), TokenSource::IdentityProvider);
        // A second application on the same file (another process, as far as the cache can
        // tell) reads the entry without panicking and serves it.
        let second = app()
            .acquire_token_for_client([scope.as_str()])
            .await
            .unwrap();
        assert_eq!(second.token_source(), TokenSource::Cache, "{fault:?}");
        // Writes keep working for everyone sharing the file.
        let other = app()
            .acquire_token_for_client([OTHER_SCOPE])
            .force_refresh(true)
            .await;
        other.unwrap_or_else(|e| panic!("{fault:?}: {e}"));
    }
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn item3_tokens_bound_to_another_certificate_or_to_none_are_refused() {
    let env = TestEnv::start().await;
    let app = pop_app(&env);
    for fault in [Fault::WrongBinding, Fault::MissingCnf] {
        env.emulator.inject_faults(fault.clone(), 1);
        let err = app
            .acquire_token_for_client([SCOPE])
            .with_mtls_proof_of_possession()
            .await
            .unwrap_err();
        assert_eq!(err.code(), "token_binding_mismatch", "{fault:?}: {err}");
        assert!(!err.is_retryable());
    }
    // Nothing was cached: the next call asks the service and gets a properly bound token.
    let ok = pop(&app).await;
    assert_eq!(ok.token_source(), TokenSource::IdentityProvider);

    // Bearer over mTLS: a token that carries a cnf must carry ours.
    let over_mtls = env
        .app(THUMBPRINT_APP)
        .certificate(client_certificate(&env.thumbprint_cert))
        .send_certificate_over_mtls(true)
        .region_environment(no_env())
        .build()
        .unwrap();
    env.emulator.inject_faults(Fault::WrongBinding, 1);
    let err = over_mtls
        .acquire_token_for_client([SCOPE])
        .await
        .unwrap_err();
    assert_eq!(err.code(), "token_binding_mismatch", "{err}");
}

#[tokio::test]
async fn item3_an_opaque_pop_token_is_accepted_and_left_to_the_resource() {
    let env = TestEnv::start().await;
    let app = pop_app(&env);
    env.emulator.inject_faults(Fault::OpaqueToken, 1);
    let result = pop(&app).await;
    assert!(!result.access_token().expose_secret().contains('.'));
    assert!(result.binding_certificate().is_some());
}
