//! The connection to Redis and its health: every command is bounded by a timeout, and after a
//! failure Redis is left alone for a while (a circuit breaker), so an outage costs callers at
//! most one timeout per `retry_after`, never an error.

use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, Cmd, FromRedisValue};

/// One Redis server, reached through a reconnecting connection made on first use (it needs a
/// Tokio runtime, which the cache's constructor may not have).
pub(super) struct Link {
    client: Client,
    manager: OnceLock<ConnectionManager>,
    op_timeout: Duration,
    retry_after: Duration,
    /// `Some(t)`: Redis failed; no command is sent before `t`.
    down_until: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The connection info can hold a password: show the address only.
        f.debug_struct("Link")
            .field(
                "server",
                &self.client.get_connection_info().addr().to_string(),
            )
            .field("op_timeout", &self.op_timeout)
            .field("retry_after", &self.retry_after)
            .finish()
    }
}

impl Link {
    pub(super) fn new(client: Client, op_timeout: Duration, retry_after: Duration) -> Self {
        Self {
            client,
            manager: OnceLock::new(),
            op_timeout,
            retry_after,
            down_until: Mutex::new(None),
        }
    }

    fn manager(&self) -> Option<ConnectionManager> {
        if let Some(manager) = self.manager.get() {
            return Some(manager.clone());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.op_timeout))
            .set_response_timeout(Some(self.op_timeout))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(20))
            .set_max_delay(self.op_timeout);
        match ConnectionManager::new_lazy_with_config(self.client.clone(), config) {
            Ok(manager) => Some(self.manager.get_or_init(|| manager).clone()),
            Err(e) => {
                self.failed("connect", &e);
                None
            }
        }
    }

    /// Runs `cmd`; `None` when Redis is down, failed or did not answer in time (logged once
    /// per outage).
    pub(super) async fn run<T: FromRedisValue>(&self, op: &'static str, cmd: &Cmd) -> Option<T> {
        if self.resting() {
            return None;
        }
        if tokio::runtime::Handle::try_current().is_err() {
            // The connection and the timeouts run on Tokio; elsewhere Redis is out of reach.
            self.failed(
                op,
                &"not called on a Tokio runtime (with IO and time enabled)",
            );
            return None;
        }
        let mut connection = self.manager()?;
        match tokio::time::timeout(self.op_timeout, cmd.query_async::<T>(&mut connection)).await {
            Ok(Ok(value)) => {
                self.succeeded();
                Some(value)
            }
            Ok(Err(e)) => {
                self.failed(op, &e);
                None
            }
            Err(_) => {
                self.failed(op, &"no answer within the operation timeout");
                None
            }
        }
    }

    /// Whether the breaker is open (Redis failed less than `retry_after` ago).
    pub(super) fn resting(&self) -> bool {
        let down = self.lock();
        down.is_some_and(|until| Instant::now() < until)
    }

    fn succeeded(&self) {
        let mut down = self.lock();
        if down.take().is_some() {
            tracing::info!("Redis token cache reachable again; the shared cache is in use");
        }
    }

    fn failed(&self, op: &'static str, problem: &dyn std::fmt::Display) {
        let mut down = self.lock();
        if down.is_none() {
            // Redis error texts name the command and the server's reply, never the arguments.
            tracing::warn!(
                operation = op,
                problem = %problem,
                retry_after_ms = self.retry_after.as_millis() as u64,
                "Redis token cache unavailable; serving from the in-process cache and requesting tokens without the fleet lease until it is back"
            );
        }
        *down = Some(Instant::now() + self.retry_after);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.down_until.lock().unwrap_or_else(|p| p.into_inner())
    }
}
