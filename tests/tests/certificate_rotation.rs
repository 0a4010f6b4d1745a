//! Certificates that rotate without a restart (issue #13), end to end against the emulator with
//! real files in a temporary directory: rotation by a provider and by files (same key with a new
//! leaf, and a new key), the old token never served afterwards, the emulator's log showing the
//! new certificate in TLS from the next request on, 200 concurrent acquisitions across a
//! rotation each bound to the certificate it presented, corrupt replacements keeping the last
//! good certificate (reported to the observer), and an expired last good certificate failing.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use entra_emulator::pki::{CertRequest, IssuedCertificate, KeyChoice};
use msal::transport::HttpRequest;
use msal::{
    AcquisitionEvent, AcquisitionObserver, AuthenticationResult, BoxError, CertificateContext,
    CertificateEvent, CertificateEventKind, CertificateProvider, ClientCertificate, Clock,
    ConfidentialClientApplication, FileCertificateSource, TokenSource,
};
use msal_e2e_tests::*;

const RESOURCE: &str = "https://mtlstb.graph.microsoft.com/v1.0/applications";

/// Collects the certificate events.
#[derive(Debug, Default)]
struct Events(Mutex<Vec<CertificateEvent>>);

impl AcquisitionObserver for Events {
    fn on_acquisition(&self, _: &AcquisitionEvent) {}
    fn on_certificate(&self, event: &CertificateEvent) {
        self.0.lock().unwrap().push(event.clone());
    }
}

impl Events {
    fn kinds(&self) -> Vec<CertificateEventKind> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|e| e.kind.clone())
            .collect()
    }
    fn refresh_failures(&self) -> Vec<String> {
        self.kinds()
            .into_iter()
            .filter_map(|k| match k {
                CertificateEventKind::RefreshFailed { error_code, .. } => Some(error_code),
                _ => None,
            })
            .collect()
    }
}

/// A provider whose certificate the test swaps.
#[derive(Debug)]
struct Swappable(RwLock<ClientCertificate>);

#[msal::async_trait]
impl CertificateProvider for Swappable {
    async fn certificate(&self, _: &CertificateContext<'_>) -> Result<ClientCertificate, BoxError> {
        Ok(self.0.read().unwrap().clone())
    }
}

/// A clock the test moves by hand.
#[derive(Debug)]
struct TestClock(Mutex<SystemTime>);

impl Clock for TestClock {
    fn now(&self) -> SystemTime {
        *self.0.lock().unwrap()
    }
}

/// A certificate for the SN/I app (RSA) valid from an hour before `now` to `left` after it.
fn short_lived(env: &TestEnv, now: SystemTime, left: Duration) -> IssuedCertificate {
    env.ca
        .issue(
            &CertRequest::new(SNI_SUBJECT)
                .with_key(KeyChoice::Rsa(1))
                .with_validity(now - Duration::from_secs(3600), now + left),
        )
        .unwrap()
}

/// An mTLS PoP request of `app` whose certificate has expired (on the app's clock): refused
/// with `certificate_expired` before anything is sent, even when the cache holds a token.
async fn refused_as_expired(env: &TestEnv, app: &ConfidentialClientApplication) -> msal::Error {
    env.emulator.clear_requests();
    let err = app
        .acquire_token_for_client([SCOPE])
        .with_mtls_proof_of_possession()
        .await
        .expect_err("an expired certificate is never used, not even for a cache hit");
    assert_eq!(err.code(), "certificate_expired");
    assert!(env.emulator.requests().is_empty(), "nothing was sent");
    err
}

/// A certificate for the SN/I app (same subject, same issuer) with `key`.
fn sni_certificate(env: &TestEnv, key: KeyChoice) -> IssuedCertificate {
    env.ca
        .issue(&CertRequest::new(SNI_SUBJECT).with_key(key))
        .expect("certificate issued")
}

/// Replaces `path` atomically (a temporary file renamed over it), as cert-manager does.
fn replace(path: &Path, content: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, content).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// `cert.pem` and `key.pem` of `cert` in a new private directory.
fn write_files(cert: &IssuedCertificate) -> (PathBuf, PathBuf) {
    let dir = private_temp_dir("msal-rotation");
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    replace(&cert_path, &cert.chain_pem);
    replace(&key_path, &cert.key_pem);
    (cert_path, key_path)
}

/// A file source over `cert.pem` and `key.pem` of `cert`, looking at them at most every
/// `interval`, and the two paths.
fn file_source(
    cert: &IssuedCertificate,
    interval: Duration,
) -> (Arc<FileCertificateSource>, PathBuf, PathBuf) {
    let (cert_path, key_path) = write_files(cert);
    let source = FileCertificateSource::pem(&cert_path, &key_path)
        .unwrap()
        .check_interval(interval);
    (Arc::new(source), cert_path, key_path)
}

fn app_with(
    env: &TestEnv,
    provider: Arc<dyn CertificateProvider>,
    events: &Arc<Events>,
) -> ConfidentialClientApplication {
    env.app(SNI_APP)
        .certificate_provider(provider)
        .region_environment(no_env())
        .acquisition_observer(events.clone())
        .build()
        .unwrap()
}

/// `cnf.x5t#S256` of a token, as the emulator (the issuer) reads it.
fn cnf(env: &TestEnv, result: &AuthenticationResult) -> String {
    let claims = env
        .emulator
        .verify_access_token(result.access_token().expose_secret())
        .expect("the emulator issued this token");
    claims["cnf"]["x5t#S256"].as_str().unwrap().to_owned()
}

/// The checks every rotation passes: before it a token bound to `old` (then served from the
/// cache); after it, without a new app, a new token bound to `new` on the very next call, the
/// old token never served again, every request the emulator sees presenting `new` in TLS, the
/// resource accepting the new token, the old pool dropped, and the observer told.
async fn check_rotation(
    env: &TestEnv,
    app: &ConfidentialClientApplication,
    events: &Events,
    old: &IssuedCertificate,
    new: &IssuedCertificate,
    rotate: impl FnOnce(),
) {
    assert_ne!(old.x5t_s256(), new.x5t_s256());
    let before = pop(app).await;
    assert_eq!(cnf(env, &before), old.x5t_s256());
    assert_eq!(pop(app).await.token_source(), TokenSource::Cache);
    assert_eq!(env.transport.pooled_identities(), 1);

    rotate();
    env.emulator.clear_requests();
    let after = pop(app).await;
    assert_eq!(after.token_source(), TokenSource::IdentityProvider);
    assert_ne!(
        after.access_token().expose_secret(),
        before.access_token().expose_secret(),
        "the first call after the rotation never returns the old token"
    );
    let binding = after.binding_certificate().expect("bound");
    assert_eq!(binding.x5t_s256(), new.x5t_s256());
    assert_eq!(cnf(env, &after), new.x5t_s256());
    for _ in 0..3 {
        let again = pop(app).await;
        assert_eq!(again.token_source(), TokenSource::Cache);
        assert_eq!(
            again.access_token().expose_secret(),
            after.access_token().expose_secret()
        );
    }
    let response = after
        .call_resource(
            app.transport().as_ref(),
            HttpRequest::get(RESOURCE.parse().unwrap()),
        )
        .await
        .unwrap();
    assert!(response.status.is_success(), "{}", response.status);

    let requests = env.emulator.requests();
    assert_eq!(env.emulator.token_requests().len(), 1);
    assert!(requests.len() >= 2, "token request and resource call");
    for request in &requests {
        assert_eq!(
            request.client_certificate.as_deref(),
            Some(new.leaf_der.as_slice()),
            "{} {} must present the new certificate, never the old one",
            request.host,
            request.path
        );
    }
    assert_eq!(
        env.transport.pooled_identities(),
        1,
        "the old pool is dropped"
    );
    assert!(events.kinds().contains(&CertificateEventKind::Rotated {
        previous_x5t_s256: old.x5t_s256()
    }));
    assert!(events.refresh_failures().is_empty());
}

#[tokio::test]
async fn rotation_by_file_same_key_new_leaf() {
    let env = TestEnv::start().await;
    let (old, new) = (&env.sni_cert, &sni_certificate(&env, KeyChoice::Rsa(1)));
    assert_eq!(old.key_pem, new.key_pem, "same key, new leaf");
    let (source, cert_path, _) = file_source(old, Duration::ZERO);
    let events = Arc::new(Events::default());
    let app = app_with(&env, source, &events);
    check_rotation(&env, &app, &events, old, new, || {
        replace(&cert_path, &new.chain_pem);
    })
    .await;
}

#[tokio::test]
async fn rotation_by_file_new_key() {
    let env = TestEnv::start().await;
    let (old, new) = (&env.sni_cert, &sni_certificate(&env, KeyChoice::EcdsaP256));
    let (source, cert_path, key_path) = file_source(old, Duration::ZERO);
    let events = Arc::new(Events::default());
    let app = app_with(&env, source, &events);
    check_rotation(&env, &app, &events, old, new, || {
        // the key first, then the certificate: both renames land before the next call
        replace(&key_path, &new.key_pem);
        replace(&cert_path, &new.chain_pem);
    })
    .await;
}

#[tokio::test]
async fn rotation_by_provider_same_key_and_new_key() {
    let env = TestEnv::start().await;
    let old = env.sni_cert.clone();
    let same_key = sni_certificate(&env, KeyChoice::Rsa(1));
    let new_key = sni_certificate(&env, KeyChoice::Rsa(2));
    let provider = Arc::new(Swappable(RwLock::new(client_certificate(&old))));
    let events = Arc::new(Events::default());
    let app = app_with(&env, provider.clone(), &events);
    check_rotation(&env, &app, &events, &old, &same_key, || {
        *provider.0.write().unwrap() = client_certificate(&same_key);
    })
    .await;
    check_rotation(&env, &app, &events, &same_key, &new_key, || {
        *provider.0.write().unwrap() = client_certificate(&new_key);
    })
    .await;
}

#[tokio::test]
async fn the_file_source_looks_at_the_files_once_per_interval() {
    let env = TestEnv::start().await;
    let new = sni_certificate(&env, KeyChoice::Rsa(1));
    let (source, cert_path, _) = file_source(&env.sni_cert, Duration::from_secs(3600));
    let events = Arc::new(Events::default());
    let app = app_with(&env, source, &events);
    let before = pop(&app).await;
    replace(&cert_path, &new.chain_pem);
    let within = pop(&app).await;
    assert_eq!(
        within.access_token().expose_secret(),
        before.access_token().expose_secret(),
        "within the interval the files are not read again"
    );
    assert!(events.kinds().is_empty());
}

#[tokio::test]
async fn concurrent_acquisitions_across_a_rotation_are_each_bound_to_what_they_presented() {
    let env = TestEnv::start().await;
    let old = env.sni_cert.clone();
    let new = sni_certificate(&env, KeyChoice::EcdsaP256);
    let dir = private_temp_dir("msal-rotation-concurrent");
    let bundle = dir.join("bundle.pem");
    replace(&bundle, &format!("{}{}", old.chain_pem, old.key_pem));
    let source = FileCertificateSource::pem_bundle(&bundle)
        .unwrap()
        .check_interval(Duration::ZERO);
    let events = Arc::new(Events::default());
    let app = app_with(&env, Arc::new(source), &events);

    let mut tasks = Vec::new();
    for i in 0..200 {
        if i == 100 {
            replace(&bundle, &format!("{}{}", new.chain_pem, new.key_pem));
        }
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            app.acquire_token_for_client([SCOPE])
                .with_mtls_proof_of_possession()
                .await
        }));
        if i % 20 == 0 {
            tokio::task::yield_now().await;
        }
    }
    let mut bound_to_new = 0;
    for task in tasks {
        let result = task.await.unwrap().expect("every acquisition succeeds");
        let presented = result.binding_certificate().expect("bound").x5t_s256();
        assert_eq!(
            cnf(&env, &result),
            presented,
            "cnf matches what it presented"
        );
        assert!(presented == old.x5t_s256() || presented == new.x5t_s256());
        bound_to_new += usize::from(presented == new.x5t_s256());
    }
    assert!(
        bound_to_new >= 100,
        "every call after the rotation: {bound_to_new}"
    );
    let after = pop(&app).await;
    assert_eq!(cnf(&env, &after), new.x5t_s256());
    assert!(events.refresh_failures().is_empty());
}

#[tokio::test]
async fn a_corrupt_replacement_keeps_the_last_good_certificate() {
    let env = TestEnv::start().await;
    let good = env.sni_cert.clone();
    let (source, cert_path, _) = file_source(&good, Duration::ZERO);
    let events = Arc::new(Events::default());
    let app = app_with(&env, source, &events);
    pop(&app).await;

    let other_key = sni_certificate(&env, KeyChoice::EcdsaP256);
    let now = SystemTime::now();
    let expired = env
        .ca
        .issue(
            &CertRequest::new(SNI_SUBJECT)
                .with_key(KeyChoice::Rsa(1))
                .with_validity(
                    now - Duration::from_secs(7200),
                    now - Duration::from_secs(3600),
                ),
        )
        .unwrap();
    let half = &good.chain_pem[..good.chain_pem.len() / 2];
    let corruptions = [
        (half.to_owned(), "half-written"),
        (other_key.chain_pem.clone(), "key_mismatch"),
        (expired.chain_pem.clone(), "certificate_expired"),
    ];
    for (content, what) in &corruptions {
        replace(&cert_path, content);
        env.emulator.clear_requests();
        for _ in 0..2 {
            let result = app
                .acquire_token_for_client([SCOPE])
                .with_mtls_proof_of_possession()
                .force_refresh(true)
                .await
                .unwrap_or_else(|e| panic!("{what}: the last good certificate serves: {e}"));
            assert_eq!(cnf(&env, &result), good.x5t_s256(), "{what}");
        }
        for request in env.emulator.requests() {
            assert_eq!(
                request.client_certificate.as_deref(),
                Some(good.leaf_der.as_slice()),
                "{what}"
            );
        }
    }
    let failures = events.refresh_failures();
    assert_eq!(
        failures.len(),
        3,
        "one report per bad content: {failures:?}"
    );
    assert_eq!(failures[1], "key_mismatch");
    assert_eq!(failures[2], "certificate_expired");
    assert!(!events
        .kinds()
        .iter()
        .any(|k| matches!(k, CertificateEventKind::Rotated { .. })));

    // a good replacement afterwards is picked up
    let next = sni_certificate(&env, KeyChoice::Rsa(1));
    replace(&cert_path, &next.chain_pem);
    assert_eq!(cnf(&env, &pop(&app).await), next.x5t_s256());
}

#[tokio::test]
async fn an_expired_last_good_certificate_is_an_error_and_expiry_is_warned_once() {
    let env = TestEnv::start().await;
    let now = SystemTime::now();
    let short = short_lived(&env, now, Duration::from_secs(7200));
    let (source, cert_path, _) = file_source(&short, Duration::ZERO);
    let clock = Arc::new(TestClock(Mutex::new(now)));
    let events = Arc::new(Events::default());
    let app = env
        .app(SNI_APP)
        .certificate_provider(source)
        .region_environment(no_env())
        .acquisition_observer(events.clone())
        .clock(clock.clone())
        .build()
        .unwrap();
    pop(&app).await;
    pop(&app).await;
    let warnings = events
        .kinds()
        .into_iter()
        .filter(|k| matches!(k, CertificateEventKind::ExpiresSoon { .. }))
        .count();
    assert_eq!(
        warnings, 1,
        "expiry within the window is reported once per certificate"
    );

    // the replacement is broken, and time passes beyond the last good certificate's end
    replace(&cert_path, "-----BEGIN CERTIFICATE-----\ntruncated");
    *clock.0.lock().unwrap() = now + Duration::from_secs(3 * 3600);
    let err = refused_as_expired(&env, &app).await;
    assert!(!err.is_retryable());
    assert!(err.to_string().contains(&short.x5t_s256()), "{err}");
    assert_eq!(events.refresh_failures(), ["invalid_certificate"]);
}

/// Leg 2 of a federated exchange (`FederatedLeg1`) follows leg 1's rotation on its very next
/// call: the provider tells the certificate its next assertion is bound to, so the token bound
/// to the previous certificate is not served from the cache.
#[tokio::test]
async fn a_federated_leg2_follows_leg1_rotation_on_the_next_call() {
    const LEG2_APP: &str = "20000000-0000-0000-0000-000000000002";
    let env = TestEnv::start_with(|b| {
        b.app(
            entra_emulator::AppRegistration::new(LEG2_APP, TENANT).with_federated_credential(
                &format!("https://login.microsoftonline.com/{TENANT}/v2.0"),
                &entra_emulator::Emulator::object_id(SNI_APP),
            ),
        )
    })
    .await;
    let new = sni_certificate(&env, KeyChoice::Rsa(1));
    let provider = Arc::new(Swappable(RwLock::new(client_certificate(&env.sni_cert))));
    let events = Arc::new(Events::default());
    let leg1 = app_with(&env, provider.clone(), &events);
    let leg2 = env
        .app(LEG2_APP)
        .bound_assertion_provider(Arc::new(msal::FederatedLeg1::new(leg1)))
        .region_environment(no_env())
        .build()
        .unwrap();
    let before = pop(&leg2).await;
    assert_eq!(cnf(&env, &before), env.sni_cert.x5t_s256());
    assert_eq!(pop(&leg2).await.token_source(), TokenSource::Cache);

    *provider.0.write().unwrap() = client_certificate(&new);
    let after = pop(&leg2).await;
    assert_eq!(after.token_source(), TokenSource::IdentityProvider);
    assert_eq!(cnf(&env, &after), new.x5t_s256());
    assert_eq!(
        after.binding_certificate().unwrap().x5t_s256(),
        new.x5t_s256()
    );
    assert_eq!(pop(&leg2).await.token_source(), TokenSource::Cache);
}

/// A static certificate's cache hits are answered on the first poll (no provider to ask): a
/// hit still presents the certificate (the same key id, bound result), a repeated scope is the
/// same token, and once the clock passes the certificate's end the cached token, still valid
/// itself, is no longer served: `certificate_expired`, nothing sent.
#[tokio::test]
async fn static_certificate_hits_are_checked_for_expiry_like_every_call() {
    let env = TestEnv::start().await;
    let now = SystemTime::now();
    let short = short_lived(&env, now, Duration::from_secs(30 * 60));
    let clock = Arc::new(TestClock(Mutex::new(now)));
    let app = env
        .app(SNI_APP)
        .certificate(client_certificate(&short))
        .region_environment(no_env())
        .clock(clock.clone())
        .build()
        .unwrap();
    let first = pop(&app).await;
    assert_eq!(first.token_source(), TokenSource::IdentityProvider);
    for scopes in [vec![SCOPE], vec![SCOPE, SCOPE]] {
        let hit = app
            .acquire_token_for_client(scopes)
            .with_mtls_proof_of_possession()
            .await
            .unwrap();
        assert_eq!(hit.token_source(), TokenSource::Cache);
        assert_eq!(
            hit.access_token().expose_secret(),
            first.access_token().expose_secret()
        );
        assert_eq!(
            hit.binding_certificate().expect("bound").x5t_s256(),
            short.x5t_s256()
        );
    }
    assert_eq!(env.emulator.token_requests().len(), 1, "two cache hits");

    // the token (an hour) outlives the certificate (half an hour): past the certificate's end
    // the token would still be served from the cache, but the certificate may not be used
    let expires_on = first.expires_on();
    let later = now + Duration::from_secs(31 * 60);
    assert!(
        expires_on > later + Duration::from_secs(10 * 60),
        "the cached token is still good then: {expires_on:?}"
    );
    *clock.0.lock().unwrap() = later;
    refused_as_expired(&env, &app).await;
}
