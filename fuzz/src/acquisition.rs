//! The `acquisition` target: the whole acquisition path of the facade, from the token
//! endpoint's answer (status, headers and body from the fuzzer) through a scripted `Transport`
//! into the cache and the result.

use std::sync::{Arc, Mutex, OnceLock};

use msal::transport::{bytes, http, HttpRequest, HttpResponse, Transport};
use msal::{ClientCertificate, ConfidentialClientApplication, TokenSource, TokenType};

/// The client secret of the fuzzed app: it must never appear in an error's text.
const SECRET: &str = "fuzz-Secret-4711";
const SCOPE: &str = "https://graph.microsoft.com/.default";

/// Answers every request with the fuzzer's response (a 5xx is answered twice, for the retry).
#[derive(Debug)]
struct Scripted {
    answer: Mutex<Option<HttpResponse>>,
}

#[msal::async_trait]
impl Transport for Scripted {
    async fn send(
        &self,
        _request: HttpRequest,
        _identity: Option<&ClientCertificate>,
    ) -> Result<HttpResponse, msal::transport::Error> {
        let answer = self.answer.lock().map(|a| a.clone()).unwrap_or_default();
        Ok(answer.unwrap_or_else(|| response(204, &[], &[])))
    }
}

fn response(status: u16, headers: &[(&str, String)], body: &[u8]) -> HttpResponse {
    let mut map = http::HeaderMap::new();
    for (name, value) in headers {
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(value),
        ) {
            map.insert(n, v);
        }
    }
    HttpResponse {
        status: http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK),
        headers: map,
        body: bytes::Bytes::copy_from_slice(body),
    }
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("a current-thread runtime")
    })
}

fn certificate() -> &'static ClientCertificate {
    static CERT: OnceLock<ClientCertificate> = OnceLock::new();
    CERT.get_or_init(|| {
        let ca = entra_emulator::pki::TestCa::new("Fuzz CA").expect("test CA");
        let issued = ca
            .issue(&entra_emulator::pki::CertRequest::new("fuzz.contoso.com"))
            .expect("test certificate");
        let pem = format!("{}{}", issued.chain_pem, issued.key_pem);
        ClientCertificate::from_pem(pem.as_bytes()).expect("test certificate loads")
    })
}

/// Input layout: byte 0 = flags (bit 0: mTLS PoP, bit 1: a certificate credential instead of
/// a secret, bit 2: send a `Retry-After` header), bytes 1-2 = HTTP status (big endian, mapped
/// into 100..=599), byte 3 = `Retry-After` seconds, the rest = the body.
///
/// Properties: no panic; an error's `Display` and `Debug` never contain the client secret (when
/// the app authenticates with it; echoed by the "server" or not); a
/// success has the token type asked for, and a second call for a token with more than the
/// expiry margin left is a cache hit.
pub fn acquisition(data: &[u8]) {
    let [flags, hi, lo, retry, body @ ..] = data else {
        return;
    };
    let status = 100 + u16::from_be_bytes([*hi, *lo]) % 500;
    let headers = match flags & 4 {
        0 => Vec::new(),
        _ => vec![("retry-after", retry.to_string())],
    };
    let transport = Arc::new(Scripted {
        answer: Mutex::new(Some(response(status, &headers, body))),
    });
    let builder = ConfidentialClientApplication::builder("fuzz-client")
        .authority("https://login.microsoftonline.com/contoso.onmicrosoft.com")
        .transport(transport)
        .region_environment(Arc::new(|_| None));
    let builder = match flags & 2 {
        0 => builder.client_secret(SECRET),
        _ => builder.certificate(certificate().clone()),
    };
    let Ok(app) = builder.build() else {
        return;
    };
    let pop = flags & 1 == 1 && flags & 2 == 2;
    let uses_secret = flags & 2 == 0;
    runtime().block_on(check(&app, pop, uses_secret));
}

async fn check(app: &ConfidentialClientApplication, pop: bool, uses_secret: bool) {
    let acquire = || {
        let call = app.acquire_token_for_client([SCOPE]);
        async move {
            if pop {
                call.with_mtls_proof_of_possession().await
            } else {
                call.await
            }
        }
    };
    match acquire().await {
        Err(e) if uses_secret => {
            let text = format!("{e} {e:?}");
            assert!(!text.contains(SECRET), "the client secret leaked: {text}");
        }
        Err(_) => {}
        Ok(result) => {
            let asked = if pop { TokenType::MtlsPop } else { TokenType::Bearer };
            assert_eq!(result.token_type(), asked);
            assert_eq!(result.token_source(), TokenSource::IdentityProvider);
            // A token with more than the 5-minute margin left is served from the cache next.
            let margin = std::time::Duration::from_secs(330);
            let long_lived = result.expires_on() > std::time::SystemTime::now() + margin;
            if let (true, Ok(again)) = (long_lived, acquire().await) {
                assert_eq!(again.token_source(), TokenSource::Cache);
            }
        }
    }
}
