//! The [`Emulator`] handle and its builder.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::error::Error;
use crate::fault::{Fault, FaultQueue};
use crate::hosts::{self, Clouds};
use crate::jwt::TokenSigner;
use crate::log::{LoggedRequest, RequestLog};
use crate::misbehavior::Misbehavior;
use crate::pki::TestCa;
use crate::registration::AppRegistration;
use crate::respond::now_secs;
use crate::state::{Directory, State};

/// Configures and starts an [`Emulator`].
#[derive(Debug)]
pub struct EmulatorBuilder {
    bind: SocketAddr,
    apps: Vec<AppRegistration>,
    tenants: Vec<(String, Vec<String>)>,
    custom_hosts: Vec<String>,
    trusted_issuers: Vec<Vec<u8>>,
    token_lifetime: Duration,
    refresh_in: Option<Duration>,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        EmulatorBuilder {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            apps: Vec::new(),
            tenants: Vec::new(),
            custom_hosts: Vec::new(),
            trusted_issuers: Vec::new(),
            token_lifetime: Duration::from_secs(3599),
            refresh_in: None,
        }
    }
}

impl EmulatorBuilder {
    /// Listens on `addr` instead of `127.0.0.1:0` (an OS-chosen port).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = addr;
        self
    }

    /// Registers an app (its tenant is created when unknown).
    pub fn app(mut self, app: AppRegistration) -> Self {
        self.apps.push(app);
        self
    }

    /// Declares a tenant id (normally a GUID) and its domain aliases, such as
    /// `contoso.onmicrosoft.com`; either form is accepted in authority paths.
    pub fn tenant(mut self, tenant_id: &str, domains: &[&str]) -> Self {
        self.tenants.push((
            tenant_id.to_owned(),
            domains.iter().map(|d| (*d).to_owned()).collect(),
        ));
        self
    }

    /// Adds a custom `login.*` authority host (for example `login.contoso-sovereign.test`).
    /// Instance discovery then accepts it, and the server certificate covers it together with
    /// `mtlsauth.*` and `*.mtlsauth.*` of the same suffix.
    pub fn custom_authority_host(mut self, host: &str) -> Self {
        self.custom_hosts.push(host.to_owned());
        self
    }

    /// Trusts `ca_der` as an issuer for subject-name/issuer (SN/I) app authentication.
    pub fn trusted_issuer(mut self, ca_der: Vec<u8>) -> Self {
        self.trusted_issuers.push(ca_der);
        self
    }

    /// Access-token lifetime, reported as `expires_in` and `ext_expires_in` (default 3599 s).
    pub fn token_lifetime(mut self, d: Duration) -> Self {
        self.token_lifetime = d;
        self
    }

    /// Adds `refresh_in` (seconds) to token responses when `Some` (default `None`).
    pub fn refresh_in(mut self, d: Option<Duration>) -> Self {
        self.refresh_in = d;
        self
    }

    /// Generates a fresh CA and server certificate, binds the listener and starts serving.
    ///
    /// Must be called inside a Tokio runtime; the server runs as a background task.
    pub async fn start(self) -> Result<Emulator, Error> {
        let custom_hosts = self.validate()?;
        let ca = TestCa::new("Entra Emulator Test Root CA")?;
        let clouds = Clouds::new(&custom_hosts);
        let server_cert = ca.issue_server(&clouds.certificate_names())?;
        let tls_config = crate::tls::server_config(&server_cert)?;
        let bind = self.bind;
        let state = Arc::new(self.into_state(clouds)?);

        let listener = TcpListener::bind(bind)
            .await
            .map_err(|source| Error::Bind { addr: bind, source })?;
        let addr = listener.local_addr()?;
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let task = tokio::spawn(crate::server::run(
            listener,
            TlsAcceptor::from(tls_config),
            state.clone(),
            shutdown_rx,
        ));
        tracing::info!(%addr, "Entra emulator listening");
        Ok(Emulator {
            inner: Arc::new(Inner {
                state,
                addr,
                ca_der: ca.certificate_der(),
                shutdown: shutdown_tx,
                task: Mutex::new(Some(task)),
            }),
        })
    }

    /// Checks the configuration; returns the custom authority hosts, normalised.
    fn validate(&self) -> Result<Vec<String>, Error> {
        let custom_hosts = self
            .custom_hosts
            .iter()
            .map(|h| hosts::validate_custom_host(h).map_err(Error::InvalidConfig))
            .collect::<Result<Vec<_>, _>>()?;
        for (i, ca) in self.trusted_issuers.iter().enumerate() {
            crate::certs::parse(ca).map_err(|r| {
                Error::InvalidConfig(format!("trusted issuer #{i} is not a DER certificate: {r}"))
            })?;
        }
        if self.token_lifetime.as_secs() == 0 {
            return Err(Error::InvalidConfig(
                "token_lifetime must be at least one second".to_owned(),
            ));
        }
        Ok(custom_hosts)
    }

    /// The server state: the configured tenants and apps, and a fresh token-signing key.
    fn into_state(self, clouds: Clouds) -> Result<State, Error> {
        let mut directory = Directory::default();
        for (id, domains) in &self.tenants {
            let domains: Vec<&str> = domains.iter().map(String::as_str).collect();
            directory.add_tenant(id, &domains);
        }
        for app in self.apps {
            directory.add_app(app);
        }
        Ok(State {
            clouds,
            directory: RwLock::new(directory),
            trusted_issuers: self.trusted_issuers,
            token_lifetime: self.token_lifetime,
            refresh_in: self.refresh_in,
            misbehavior: Mutex::new(Misbehavior::None),
            faults: FaultQueue::default(),
            log: RequestLog::default(),
            signer: TokenSigner::generate()?,
            handshakes: Default::default(),
            connections: Default::default(),
        })
    }
}

struct Inner {
    state: Arc<State>,
    addr: SocketAddr,
    ca_der: Vec<u8>,
    shutdown: watch::Sender<bool>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// A running emulator (HTTPS on loopback). Cloning gives another handle to the same server; the
/// server stops when the last handle is dropped or on [`Emulator::shutdown`].
#[derive(Clone)]
pub struct Emulator {
    inner: Arc<Inner>,
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("addr", &self.inner.addr)
            .field("ca_x5t#S256", &crate::certs::x5t_s256(&self.inner.ca_der))
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// A builder with defaults: `127.0.0.1:0`, no apps, token lifetime 3599 s.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// The listening address (`127.0.0.1:port` by default).
    pub fn addr(&self) -> SocketAddr {
        self.inner.addr
    }

    /// The listening port.
    pub fn port(&self) -> u16 {
        self.inner.addr.port()
    }

    /// PEM of the CA that signed the server certificate; clients add it as an extra root.
    pub fn ca_certificate_pem(&self) -> String {
        crate::pki::pem_encode("CERTIFICATE", &self.inner.ca_der)
    }

    /// DER of the CA that signed the server certificate.
    pub fn ca_certificate_der(&self) -> Vec<u8> {
        self.inner.ca_der.clone()
    }

    /// Exact hostnames the server certificate covers (wildcards, IP addresses and custom hosts
    /// excluded), for building a resolver map to [`Emulator::addr`].
    pub fn hostnames() -> &'static [&'static str] {
        hosts::STATIC_HOSTNAMES
    }

    /// All exact hostnames of this instance: [`Emulator::hostnames`] plus the custom authority
    /// hosts and their `mtlsauth.*` hosts.
    pub fn all_hostnames(&self) -> Vec<String> {
        self.inner
            .state
            .clouds
            .certificate_names()
            .into_iter()
            .filter(|n| !n.starts_with('*') && n.parse::<std::net::IpAddr>().is_err())
            .collect()
    }

    /// Host → address pairs that send a client to this emulator: every hostname its certificate
    /// covers, exact names and `*.` wildcards (regional hosts such as
    /// `eastus.mtlsauth.microsoft.com`), each mapped to [`Emulator::addr`]. Feed them to a
    /// resolver override (e.g. `HyperTransportBuilder::resolve`).
    pub fn resolver_entries(&self) -> Vec<(String, SocketAddr)> {
        self.inner
            .state
            .clouds
            .certificate_names()
            .into_iter()
            .filter(|n| n.parse::<std::net::IpAddr>().is_err())
            .map(|n| (n, self.addr()))
            .collect()
    }

    /// Every HTTP request received so far, in order.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.inner.state.log.snapshot()
    }

    /// Forgets the logged requests.
    pub fn clear_requests(&self) {
        self.inner.state.log.clear();
    }

    /// Only the POSTs to `.../oauth2/v2.0/token`.
    pub fn token_requests(&self) -> Vec<LoggedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/oauth2/v2.0/token"))
            .collect()
    }

    /// Completed TLS handshakes so far (full and resumed), for connection-reuse tests.
    pub fn tls_handshakes(&self) -> u64 {
        self.inner.state.handshake_count()
    }

    /// Verifies an access token issued by this emulator (signature and `exp`) and returns its
    /// claims.
    pub fn verify_access_token(&self, jwt: &str) -> Result<serde_json::Value, Error> {
        self.inner
            .state
            .signer
            .verify(jwt, now_secs())
            .map(serde_json::Value::Object)
            .map_err(Error::invalid_token)
    }

    /// Registers (or replaces) an app while running.
    pub fn register_app(&self, app: AppRegistration) {
        self.inner.state.directory_mut().add_app(app);
    }

    /// Declares a tenant while running.
    pub fn register_tenant(&self, tenant_id: &str, domains: &[&str]) {
        self.inner
            .state
            .directory_mut()
            .add_tenant(tenant_id, domains);
    }

    /// Makes the token endpoint misbehave until reset with [`Misbehavior::None`].
    pub fn set_misbehavior(&self, m: Misbehavior) {
        self.inner.state.set_misbehavior(m);
    }

    /// Queues `count` occurrences of `fault` behind any faults already pending: the next
    /// requests to a token endpoint (`POST …/oauth2/v2.0/token`, any host) take them one by one,
    /// in order, before they are authenticated. Other endpoints are unaffected. Faulted requests
    /// are still logged (status `0` when no response was sent). See [`Fault`].
    pub fn inject_faults(&self, fault: Fault, count: usize) {
        self.inner.state.faults.push(fault, count);
    }

    /// How many token requests will still be faulted.
    pub fn pending_faults(&self) -> usize {
        self.inner.state.faults.len()
    }

    /// Drops every pending fault.
    pub fn clear_faults(&self) {
        self.inner.state.faults.clear();
    }

    /// The `iss` claim of access tokens this emulator issues for `tenant_id` in the public
    /// cloud (use it for [`AppRegistration::with_federated_credential`]).
    pub fn issuer(&self, tenant_id: &str) -> String {
        crate::routes::discovery::issuer(self.inner.state.clouds.get(0), tenant_id)
    }

    /// The `oid`/`sub` claim of access tokens issued to `client_id`.
    pub fn object_id(client_id: &str) -> String {
        crate::registration::object_id(client_id)
    }

    /// Stops accepting connections, closes open ones and waits for the server task to end.
    pub async fn shutdown(self) {
        let _ = self.inner.shutdown.send(true);
        let task = self
            .inner
            .task
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}
