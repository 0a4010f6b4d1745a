//! The certificate an application uses now: what its source answered last, the rotations
//! (a new certificate retires the previous one's connection pool), failed refreshes (the last
//! good certificate stays), expiry (an expired certificate is an error, never presented) and the
//! warning before it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use mtls_transport::Transport;
use oauth2_core::{ClientCertificate, Clock};

use super::{CertificateContext, CertificateProvider, CertificateSource};
use crate::error::BoxError;
use crate::metrics::{AcquisitionObserver, CertificateEvent, CertificateEventKind};
use crate::Error;

/// What deciding the current certificate needs from the application.
pub(crate) struct SourceEnv<'a> {
    pub(crate) client_id: &'a str,
    pub(crate) clock: &'a dyn Clock,
    pub(crate) transport: &'a dyn Transport,
    pub(crate) observer: Option<&'a dyn AcquisitionObserver>,
    /// Warn when the certificate expires within this window.
    pub(crate) expiry_warning: Duration,
}

/// The last good certificate of one application.
#[derive(Debug, Default)]
pub(crate) struct CertificateSlot {
    /// How many times the provider was asked (each ask takes the next number).
    asked: AtomicU64,
    state: Mutex<SlotState>,
}

#[derive(Debug, Default)]
struct SlotState {
    /// The certificate the provider answered last (the last good one).
    current: Option<ClientCertificate>,
    /// The number of the ask that answered `current`: an older answer that arrives later (a
    /// slow call that overlapped a rotation) is used by its own call but never replaces it.
    answered: u64,
    /// `x5t#S256` of the certificate the expiry warning was given for (once per certificate).
    warned: Option<String>,
}

impl CertificateSlot {
    /// The certificate this acquisition uses: the static one, or the provider's answer (its
    /// last good one when it fails). Expired: [`Error::CertificateExpired`].
    pub(crate) async fn resolve(
        &self,
        source: &CertificateSource,
        env: &SourceEnv<'_>,
    ) -> Result<ClientCertificate, Error> {
        let certificate = match source {
            CertificateSource::Static(certificate) => certificate.clone(),
            CertificateSource::Provider(provider) => self.ask(provider.as_ref(), env).await?,
        };
        self.check_expiry(&certificate, env, env.clock.now())?;
        Ok(certificate)
    }

    /// [`Self::resolve`] when it needs no waiting (a static certificate), with the time of the
    /// call read once by the caller; `None`: a provider has to be asked.
    pub(crate) fn resolve_now(
        &self,
        source: &CertificateSource,
        env: &SourceEnv<'_>,
        now: SystemTime,
    ) -> Option<Result<ClientCertificate, Error>> {
        let CertificateSource::Static(certificate) = source else {
            return None;
        };
        Some(
            self.check_expiry(certificate, env, now)
                .map(|()| certificate.clone()),
        )
    }

    async fn ask(
        &self,
        provider: &dyn CertificateProvider,
        env: &SourceEnv<'_>,
    ) -> Result<ClientCertificate, Error> {
        let ask = self.asked.fetch_add(1, Ordering::Relaxed) + 1;
        let context = CertificateContext {
            client_id: env.client_id,
        };
        let answer = provider.certificate(&context).await;
        let mut state = self.lock();
        match answer {
            Ok(certificate) => {
                if ask > state.answered {
                    state.answered = ask;
                    let previous = state.current.replace(certificate.clone());
                    drop(state);
                    if let Some(previous) = previous {
                        if previous.chain_id() != certificate.chain_id() {
                            rotated(&previous, &certificate, env);
                        }
                    }
                }
                Ok(certificate)
            }
            Err(error) => {
                let last_good = state.current.clone();
                drop(state);
                refresh_failed(&error, last_good.as_ref(), env);
                last_good.ok_or(Error::CertificateProvider { source: error })
            }
        }
    }

    /// An expired certificate is an error; one that expires within the warning window is
    /// logged and reported, once per certificate.
    fn check_expiry(
        &self,
        certificate: &ClientCertificate,
        env: &SourceEnv<'_>,
        now: SystemTime,
    ) -> Result<(), Error> {
        let not_after = certificate.not_after();
        let Ok(left) = not_after.duration_since(now) else {
            return Err(Error::CertificateExpired {
                x5t_s256: certificate.x5t_s256().to_owned(),
                not_after: httpdate::fmt_http_date(not_after),
            });
        };
        if env.expiry_warning.is_zero() || left > env.expiry_warning {
            return Ok(());
        }
        let x5t_s256 = certificate.x5t_s256();
        {
            let mut state = self.lock();
            if state.warned.as_deref() == Some(x5t_s256) {
                return Ok(());
            }
            state.warned = Some(x5t_s256.to_owned());
        }
        tracing::warn!(
            x5t_s256,
            subject = certificate.subject(),
            not_after = %httpdate::fmt_http_date(not_after),
            days_left = left.as_secs() / 86_400,
            "the client certificate expires soon: renew it (a certificate source picks up the renewed one)"
        );
        report(
            env,
            Some(certificate),
            CertificateEventKind::ExpiresSoon { not_after },
        );
        Ok(())
    }

    fn lock(&self) -> MutexGuard<'_, SlotState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The source answered with another certificate: the previous one's transport state goes.
fn rotated(previous: &ClientCertificate, current: &ClientCertificate, env: &SourceEnv<'_>) {
    tracing::info!(
        previous_x5t_s256 = previous.x5t_s256(),
        x5t_s256 = current.x5t_s256(),
        subject = current.subject(),
        "client certificate rotated: new requests present the new one"
    );
    env.transport.retire_identity(previous);
    report(
        env,
        Some(current),
        CertificateEventKind::Rotated {
            previous_x5t_s256: previous.x5t_s256().to_owned(),
        },
    );
}

/// The source failed: warn, and report it with the certificate kept (if any).
fn refresh_failed(error: &BoxError, kept: Option<&ClientCertificate>, env: &SourceEnv<'_>) {
    let error_code = error
        .downcast_ref::<Error>()
        .map_or("certificate_provider_failed", Error::code)
        .to_owned();
    tracing::warn!(
        error_code,
        error = %error,
        kept_x5t_s256 = kept.map(ClientCertificate::x5t_s256),
        "the certificate source failed; the last good certificate stays in use"
    );
    report(
        env,
        kept,
        CertificateEventKind::RefreshFailed {
            error_code,
            reason: error.to_string(),
        },
    );
}

fn report(
    env: &SourceEnv<'_>,
    certificate: Option<&ClientCertificate>,
    kind: CertificateEventKind,
) {
    if let Some(observer) = env.observer {
        observer.on_certificate(&CertificateEvent {
            client_id: env.client_id.to_owned(),
            x5t_s256: certificate.map(|c| c.x5t_s256().to_owned()),
            kind,
        });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;
    use std::time::SystemTime;

    use entra_emulator::pki::{CertRequest, KeyChoice, TestCa};
    use mtls_transport::{HttpRequest, HttpResponse};
    use oauth2_core::SystemClock;
    use tokio::sync::Notify;

    use super::*;
    use crate::metrics::AcquisitionEvent;

    /// Records the identities retired.
    #[derive(Debug, Default)]
    struct Retiring(Mutex<Vec<String>>);

    #[async_trait::async_trait]
    impl Transport for Retiring {
        async fn send(
            &self,
            _: HttpRequest,
            _: Option<&ClientCertificate>,
        ) -> Result<HttpResponse, mtls_transport::Error> {
            Err(mtls_transport::Error::ClientIdentityNotSupported {
                transport: "Retiring".to_owned(),
            })
        }
        fn retire_identity(&self, identity: &ClientCertificate) {
            self.0.lock().unwrap().push(identity.x5t_s256().to_owned());
        }
    }

    #[derive(Debug, Default)]
    struct Events(Mutex<Vec<CertificateEventKind>>);

    impl AcquisitionObserver for Events {
        fn on_acquisition(&self, _: &AcquisitionEvent) {}
        fn on_certificate(&self, event: &CertificateEvent) {
            self.0.lock().unwrap().push(event.kind.clone());
        }
    }

    /// Answers from `answers` in call order; call `slow` waits for `release` first.
    #[derive(Debug)]
    struct Scripted {
        answers: Vec<Option<ClientCertificate>>,
        calls: AtomicUsize,
        slow: usize,
        release: Notify,
    }

    #[async_trait::async_trait]
    impl CertificateProvider for Scripted {
        async fn certificate(
            &self,
            _: &CertificateContext<'_>,
        ) -> Result<ClientCertificate, BoxError> {
            let call = self.calls.fetch_add(1, Ordering::SeqCst);
            if call == self.slow {
                self.release.notified().await;
            }
            self.answers[call]
                .clone()
                .ok_or_else(|| "provider down".into())
        }
    }

    fn certificate(
        ca: &TestCa,
        key: KeyChoice,
        not_after: Option<SystemTime>,
    ) -> ClientCertificate {
        let mut request = CertRequest::new("app.example").with_key(key);
        if let Some(end) = not_after {
            request = request.with_validity(SystemTime::now() - Duration::from_secs(60), end);
        }
        let issued = ca.issue(&request).unwrap();
        ClientCertificate::from_pem_parts(issued.chain_pem.as_bytes(), issued.key_pem.as_bytes())
            .unwrap()
    }

    struct Fixture {
        transport: Retiring,
        events: Events,
        clock: Arc<dyn Clock>,
    }

    impl Fixture {
        fn new(clock: Arc<dyn Clock>) -> Self {
            Self {
                transport: Retiring::default(),
                events: Events::default(),
                clock,
            }
        }
        fn env(&self) -> SourceEnv<'_> {
            SourceEnv {
                client_id: "c",
                clock: self.clock.as_ref(),
                transport: &self.transport,
                observer: Some(&self.events),
                expiry_warning: Duration::from_secs(3600),
            }
        }
        fn events(&self) -> Vec<CertificateEventKind> {
            self.events.0.lock().unwrap().clone()
        }
    }

    #[tokio::test]
    async fn a_late_older_answer_never_replaces_a_newer_certificate() {
        let ca = TestCa::new("ca").unwrap();
        let a = certificate(&ca, KeyChoice::Rsa(0), None);
        let b = certificate(&ca, KeyChoice::Rsa(0), None);
        let provider = Arc::new(Scripted {
            answers: vec![Some(a.clone()), Some(a.clone()), Some(b.clone()), None],
            calls: AtomicUsize::new(0),
            slow: 1,
            release: Notify::new(),
        });
        let source = CertificateSource::Provider(provider.clone());
        let fixture = Fixture::new(Arc::new(SystemClock));
        let (slot, env) = (CertificateSlot::default(), fixture.env());
        assert_eq!(
            slot.resolve(&source, &env).await.unwrap().x5t_s256(),
            a.x5t_s256()
        );

        // ask 2 answers late (the old certificate), ask 3 answers first (the new one)
        let (slow, fast) = tokio::join!(slot.resolve(&source, &env), async {
            let fast = slot.resolve(&source, &env).await;
            provider.release.notify_one();
            fast
        });
        assert_eq!(
            slow.unwrap().x5t_s256(),
            a.x5t_s256(),
            "its own call uses it"
        );
        assert_eq!(fast.unwrap().x5t_s256(), b.x5t_s256());
        let rotated = CertificateEventKind::Rotated {
            previous_x5t_s256: a.x5t_s256().to_owned(),
        };
        assert_eq!(fixture.events(), [rotated], "no flip back to the old one");
        assert_eq!(*fixture.transport.0.lock().unwrap(), [a.x5t_s256()]);

        // the provider fails: the newer certificate (the last good) stays
        assert_eq!(
            slot.resolve(&source, &env).await.unwrap().x5t_s256(),
            b.x5t_s256()
        );
        assert!(matches!(
            fixture.events().last(),
            Some(CertificateEventKind::RefreshFailed { error_code, .. })
                if error_code == "certificate_provider_failed"
        ));
    }

    #[tokio::test]
    async fn a_provider_failing_before_any_answer_is_an_error() {
        let provider = Scripted {
            answers: vec![None],
            calls: AtomicUsize::new(0),
            slow: usize::MAX,
            release: Notify::new(),
        };
        let source = CertificateSource::Provider(Arc::new(provider));
        let fixture = Fixture::new(Arc::new(SystemClock));
        let err = CertificateSlot::default()
            .resolve(&source, &fixture.env())
            .await
            .unwrap_err();
        assert_eq!(err.code(), "certificate_provider_failed");
        assert!(err.to_string().contains("provider down"), "{err}");
    }

    #[derive(Debug)]
    struct At(SystemTime);

    impl Clock for At {
        fn now(&self) -> SystemTime {
            self.0
        }
    }

    #[tokio::test]
    async fn expiry_is_warned_once_then_an_error() {
        let ca = TestCa::new("ca").unwrap();
        let end = SystemTime::now() + Duration::from_secs(1800); // inside the one-hour window
        let cert = certificate(&ca, KeyChoice::EcdsaP256, Some(end));
        let source = CertificateSource::Static(cert.clone());
        let slot = CertificateSlot::default();
        let fixture = Fixture::new(Arc::new(SystemClock));
        for _ in 0..3 {
            slot.resolve(&source, &fixture.env()).await.unwrap();
        }
        assert_eq!(
            fixture.events(),
            [CertificateEventKind::ExpiresSoon {
                not_after: cert.not_after()
            }],
            "once per certificate"
        );
        let later = Fixture::new(Arc::new(At(end + Duration::from_secs(5))));
        let err = slot.resolve(&source, &later.env()).await.unwrap_err();
        assert_eq!(err.code(), "certificate_expired");
        assert!(!err.is_retryable());
        assert!(err.to_string().contains(cert.x5t_s256()), "{err}");
    }
}
