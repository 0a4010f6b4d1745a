//! Fault injection at the token endpoint: [`Fault`] and the queue of pending faults. What each
//! fault answers is in [`crate::fault_response`].

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

/// One way the token endpoint fails on purpose, queued with [`crate::Emulator::inject_faults`].
///
/// Faults are taken, in the order they were queued, by the next requests to a token endpoint
/// (`POST …/oauth2/v2.0/token` on any host), before the request is authenticated. Every faulted
/// request is still logged ([`crate::Emulator::requests`]) with the status it was answered with,
/// or status `0` for [`Fault::Stall`] and [`Fault::ResetConnection`]. Other endpoints are never
/// faulted.
///
/// Error bodies have Entra's shape (`error`, `error_description` starting with `AADSTSnnnnn:`,
/// `error_codes`, `trace_id`, `correlation_id`, …):
///
/// | fault | status | `error` | code |
/// |---|---|---|---|
/// | [`TooManyRequests`](Fault::TooManyRequests) | 429 | `temporarily_unavailable` | AADSTS90055 (TenantThrottlingError) |
/// | [`InternalServerError`](Fault::InternalServerError) | 500 | `server_error` | AADSTS90033 |
/// | [`ServiceUnavailable`](Fault::ServiceUnavailable) | 503 | `temporarily_unavailable` | AADSTS90033 |
///
/// # Hostile token answers
/// [`WrongTokenType`](Fault::WrongTokenType), [`HostileLifetime`](Fault::HostileLifetime),
/// [`WrongBinding`](Fault::WrongBinding), [`MissingCnf`](Fault::MissingCnf),
/// [`OpaqueToken`](Fault::OpaqueToken) and [`ExpiredToken`](Fault::ExpiredToken) do not replace the answer: the request is served
/// normally (so it must authenticate, and a request that fails gets its usual error), and only a
/// successful `200` answer is altered. Everything not named in the variant's description stays
/// as usual: the token is signed by the emulator, its `exp` claim is the usual one, and the
/// `token_type` is the one requested.
///
/// The emulator's protected resource (`mtlstb.graph.microsoft.com`) applies its own checks to
/// whatever token it is shown, faults or not: it refuses a wrongly bound token, an unbound token
/// under the `mtls_pop` scheme, and an opaque token.
///
/// ```
/// # async fn demo(emulator: entra_emulator::Emulator) {
/// use entra_emulator::Fault;
/// // The next token answer says `"expires_in": 9300000000000000000`.
/// emulator.inject_faults(Fault::hostile_expires_in("9300000000000000000"), 1);
/// // The next token answer says `"expires_in": "18446744073709551615"` (a JSON string).
/// emulator.inject_faults(Fault::hostile_expires_in(r#""18446744073709551615""#), 1);
/// // The next token answer says `"refresh_in": 1e19`.
/// emulator.inject_faults(Fault::hostile_refresh_in("1e19"), 1);
/// // The next token is bound (`cnf.x5t#S256`) to a certificate nobody holds.
/// emulator.inject_faults(Fault::WrongBinding, 1);
/// // The next `mtls_pop` answer carries a token without a `cnf` claim.
/// emulator.inject_faults(Fault::MissingCnf, 1);
/// // The next answer's `access_token` is an opaque string, not a JWT.
/// emulator.inject_faults(Fault::OpaqueToken, 1);
/// // The next answer's token has an `exp` claim in the past.
/// emulator.inject_faults(Fault::ExpiredToken, 1);
/// # }
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// `429 Too Many Requests` with `Retry-After: {retry_after}` (sent exactly as given: delay
    /// seconds such as `"30"` or an HTTP date) and an Entra-shaped error body. A value that is
    /// not a valid header value is left out.
    TooManyRequests {
        /// The `Retry-After` header value.
        retry_after: String,
    },
    /// `500 Internal Server Error` with an Entra-shaped error body.
    InternalServerError,
    /// `503 Service Unavailable` with an Entra-shaped error body and, when `Some`, a
    /// `Retry-After` header sent as given (invalid header values are left out).
    ServiceUnavailable {
        /// The `Retry-After` header value, if any.
        retry_after: Option<String>,
    },
    /// Reads the request, then sends nothing for this long and closes the connection (a plain
    /// close, no TLS `close_notify`). Ends early when the client closes first or the emulator
    /// shuts down.
    Stall(Duration),
    /// Reads the request, then drops the connection without a response: a TCP reset (`RST`,
    /// `SO_LINGER` 0) with no TLS `close_notify`.
    ResetConnection,
    /// `200 OK` with `content-type: text/html` and a body that is not JSON
    /// (`<html>oops</html>`).
    Garbage,
    /// `200 OK` with `content-type: application/json` and a JSON-looking body of exactly
    /// `bytes` bytes (`{"token_type":"Bearer",…,"access_token":"AAAA…"}`; shorter sizes are a
    /// truncated prefix of it). The body is streamed with chunked transfer encoding, without a
    /// `Content-Length`, so a client has to cap it while reading; the emulator itself does not
    /// hold it in memory.
    OversizedBody {
        /// Body size in bytes.
        bytes: usize,
    },
    /// `200 OK` with a JSON body whose fields have the wrong types:
    /// `{"access_token": 42, "expires_in": "soon", "token_type": ["Bearer"]}`.
    InvalidJsonTypes,
    /// The request is served normally (so it must authenticate), but a successful answer
    /// carries the wrong `token_type`: `Bearer` for an `mtls_pop` request (a downgrade, like
    /// [`crate::Misbehavior::AnswerBearerToPop`]), and `mtls_pop` for a Bearer request. A
    /// request that fails anyway gets its usual error.
    WrongTokenType,
    /// A successful answer carries the given lifetime fields as raw JSON text, written into the
    /// body verbatim (not re-encoded, so `1e19`, `9300000000000000000` or
    /// `"18446744073709551615"` reach the client exactly as given). A field left `None` keeps
    /// its usual value: [`crate::EmulatorBuilder::token_lifetime`] for `expires_in` and
    /// `ext_expires_in`, [`crate::EmulatorBuilder::refresh_in`] for `refresh_in` (absent unless
    /// set). The text is not checked; a value that is not one JSON value makes the body invalid
    /// JSON (the emulator logs a warning). [`Fault::hostile_expires_in`] and
    /// [`Fault::hostile_refresh_in`] build the common cases.
    HostileLifetime {
        /// Raw JSON text for `expires_in`, e.g. `9300000000000000000` or
        /// `"18446744073709551615"` (with the quotes: a JSON string).
        expires_in: Option<String>,
        /// Raw JSON text for `ext_expires_in`.
        ext_expires_in: Option<String>,
        /// Raw JSON text for `refresh_in`, e.g. `1e19`.
        refresh_in: Option<String>,
    },
    /// A successful answer carries a token bound to another certificate: its `cnf.x5t#S256` is
    /// the base64url of 32 random bytes (43 characters, the shape of a SHA-256 thumbprint), not
    /// the thumbprint of the certificate presented. This applies to Bearer requests too (a
    /// Bearer token that unexpectedly carries `cnf`); the `token_type` is the one requested.
    WrongBinding,
    /// A successful `mtls_pop` answer (`token_type` `mtls_pop`) carries a JWT without a `cnf`
    /// claim: the token is not bound to any certificate. A Bearer request is answered as usual
    /// (Bearer tokens have no `cnf` anyway).
    MissingCnf,
    /// A successful answer's `access_token` is not a JWT but an opaque random string (the
    /// base64url of 48 random bytes: 64 characters, no dots). The `token_type` is the one
    /// requested, so an `mtls_pop` request gets an opaque `mtls_pop` token.
    OpaqueToken,
    /// A successful answer carries a token that has already expired: its `exp` claim is ten
    /// minutes in the past (`iat` and `nbf` an hour before that), while `expires_in` keeps its
    /// usual value, so a client caches it and a resource must refuse it.
    ExpiredToken,
}

impl Fault {
    /// [`Fault::HostileLifetime`] with `expires_in` set to the raw JSON text `raw`, e.g.
    /// `Fault::hostile_expires_in("9300000000000000000")` or
    /// `Fault::hostile_expires_in(r#""18446744073709551615""#)`.
    pub fn hostile_expires_in(raw: impl Into<String>) -> Self {
        Fault::HostileLifetime {
            expires_in: Some(raw.into()),
            ext_expires_in: None,
            refresh_in: None,
        }
    }

    /// [`Fault::HostileLifetime`] with `refresh_in` set to the raw JSON text `raw`, e.g.
    /// `Fault::hostile_refresh_in("1e19")`.
    pub fn hostile_refresh_in(raw: impl Into<String>) -> Self {
        Fault::HostileLifetime {
            expires_in: None,
            ext_expires_in: None,
            refresh_in: Some(raw.into()),
        }
    }

    /// True for the faults that only alter a successful token answer (see "Hostile token
    /// answers" above); the request is otherwise served normally.
    pub(crate) fn alters_answer(&self) -> bool {
        matches!(
            self,
            Fault::WrongTokenType
                | Fault::HostileLifetime { .. }
                | Fault::WrongBinding
                | Fault::MissingCnf
                | Fault::OpaqueToken
                | Fault::ExpiredToken
        )
    }
}

/// The pending faults, run-length encoded so a large `count` costs nothing.
#[derive(Debug, Default)]
pub(crate) struct FaultQueue {
    queue: Mutex<VecDeque<(Fault, usize)>>,
}

impl FaultQueue {
    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<(Fault, usize)>> {
        // The queue is consistent at every await-free step; a poisoned lock is still usable.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends `count` occurrences of `fault`.
    pub(crate) fn push(&self, fault: Fault, count: usize) {
        if count == 0 {
            return;
        }
        let mut q = self.lock();
        match q.back_mut() {
            Some((last, n)) if *last == fault => *n = n.saturating_add(count),
            _ => q.push_back((fault, count)),
        }
    }

    /// Takes the next fault, if any.
    pub(crate) fn take(&self) -> Option<Fault> {
        let mut q = self.lock();
        let (fault, n) = q.front_mut()?;
        let fault = fault.clone();
        *n -= 1;
        if *n == 0 {
            q.pop_front();
        }
        Some(fault)
    }

    /// How many faulted requests are still to come (saturating).
    pub(crate) fn len(&self) -> usize {
        self.lock()
            .iter()
            .fold(0usize, |acc, (_, n)| acc.saturating_add(*n))
    }

    pub(crate) fn clear(&self) {
        self.lock().clear();
    }
}

/// True for the requests faults apply to: `POST …/oauth2/v2.0/token` on any host (the same
/// rule as [`crate::Emulator::token_requests`]).
pub(crate) fn applies_to(method: &hyper::Method, path: &str) -> bool {
    method == hyper::Method::POST && path.ends_with("/oauth2/v2.0/token")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_keeps_order_and_counts() {
        let q = FaultQueue::default();
        assert_eq!(q.take(), None);
        q.push(Fault::InternalServerError, 2);
        q.push(Fault::Garbage, 0);
        q.push(Fault::InternalServerError, 1);
        q.push(Fault::Garbage, 1);
        q.push(Fault::InternalServerError, usize::MAX);
        assert_eq!(q.len(), usize::MAX);
        assert_eq!(q.take(), Some(Fault::InternalServerError));
        assert_eq!(q.take(), Some(Fault::InternalServerError));
        assert_eq!(q.take(), Some(Fault::InternalServerError));
        assert_eq!(q.take(), Some(Fault::Garbage));
        assert_eq!(q.len(), usize::MAX);
        assert_eq!(q.take(), Some(Fault::InternalServerError));
        assert_eq!(q.len(), usize::MAX - 1);
        q.clear();
        assert_eq!(q.len(), 0);
        assert_eq!(q.take(), None);
    }

    #[test]
    fn applies_only_to_token_posts() {
        assert!(applies_to(&hyper::Method::POST, "/t/oauth2/v2.0/token"));
        assert!(!applies_to(&hyper::Method::GET, "/t/oauth2/v2.0/token"));
        assert!(!applies_to(&hyper::Method::POST, "/t/oauth2/token"));
        assert!(!applies_to(
            &hyper::Method::POST,
            "/t/v2.0/.well-known/openid-configuration"
        ));
    }
}
