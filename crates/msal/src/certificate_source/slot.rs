//! The certificate an application uses now: what its source answered last, the rotations
//! (a new certificate retires the previous one's connection pool), failed refreshes (the last
//! good certificate stays), expiry (an expired certificate is an error, never presented) and the
//! warning before it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

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
        self.check_expiry(&certificate, env)?;
        Ok(certificate)
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
    ) -> Result<(), Error> {
        let now = env.clock.now();
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
