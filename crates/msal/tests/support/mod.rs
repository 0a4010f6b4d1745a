//! A scripted `Transport` for the facade's unit tests: it records every request (with the
//! certificate presented) and answers from a script, with no TLS and no emulator.
#![allow(dead_code, unreachable_pub)]

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use entra_emulator::pki::{CertRequest, TestCa};
use msal::transport::{HttpRequest, HttpResponse, Transport};
use msal::ClientCertificate;

/// One request the transport was asked to send.
#[derive(Clone, Debug)]
pub struct Sent {
    pub method: String,
    pub url: String,
    pub form: HashMap<String, String>,
    /// `x5t#S256` of the certificate presented in TLS.
    pub identity: Option<String>,
}

/// A transport that records every request and answers from a script: token POSTs get the
/// next scripted answer, or a valid token of the type the form asked for; discovery GETs get
/// documents pointing back at the same host.
#[derive(Debug, Default)]
pub struct Scripted {
    sent: Mutex<Vec<Sent>>,
    answers: Mutex<VecDeque<(u16, String)>>,
}

impl Scripted {
    pub fn answer(&self, status: u16, body: &str) {
        self.answers
            .lock()
            .unwrap()
            .push_back((status, body.to_owned()));
    }

    pub fn sent(&self) -> Vec<Sent> {
        self.sent.lock().unwrap().clone()
    }

    pub fn posts(&self) -> Vec<Sent> {
        self.sent()
            .into_iter()
            .filter(|s| s.method == "POST")
            .collect()
    }

    fn respond(&self, request: &HttpRequest, form: &HashMap<String, String>) -> (u16, String) {
        if request.method == http::Method::GET {
            return discovery_answer(&request.url);
        }
        if let Some(answer) = self.answers.lock().unwrap().pop_front() {
            return answer;
        }
        let token_type = form.get("token_type").map_or("Bearer", String::as_str);
        let n = self.sent.lock().unwrap().len();
        let body = format!(
            r#"{{"access_token":"token-{n}","token_type":"{token_type}","expires_in":3600}}"#
        );
        (200, body)
    }
}

/// Instance discovery knows only the public cloud's hosts (anything else is `invalid_instance`,
/// as Entra answers); OIDC documents point back at the host asked.
fn discovery_answer(url: &url::Url) -> (u16, String) {
    let host = url.host_str().unwrap_or_default();
    if url.path().ends_with("/discovery/instance") {
        let asked = url
            .query_pairs()
            .find(|(k, _)| k == "authorization_endpoint")
            .and_then(|(_, v)| url::Url::parse(&v).ok())
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        if !asked.ends_with(".microsoftonline.com") {
            return (400, r#"{"error":"invalid_instance"}"#.to_owned());
        }
        let doc = r#"{"tenant_discovery_endpoint":"https://login.microsoftonline.com/t/v2.0/.well-known/openid-configuration"}"#;
        return (200, doc.to_owned());
    }
    (
        200,
        format!(r#"{{"token_endpoint":"https://{host}/adfs/oauth2/token"}}"#),
    )
}

#[async_trait::async_trait]
impl Transport for Scripted {
    async fn send(
        &self,
        request: HttpRequest,
        identity: Option<&ClientCertificate>,
    ) -> Result<HttpResponse, msal::transport::Error> {
        let form: HashMap<String, String> = url::form_urlencoded::parse(&request.body)
            .into_owned()
            .collect();
        let (status, body) = self.respond(&request, &form);
        self.sent.lock().unwrap().push(Sent {
            method: request.method.to_string(),
            url: request.url.to_string(),
            form,
            identity: identity.map(|c| c.x5t_s256().to_owned()),
        });
        Ok(HttpResponse {
            status: http::StatusCode::from_u16(status).unwrap(),
            headers: http::HeaderMap::new(),
            body: bytes::Bytes::from(body),
        })
    }
}

pub fn certificate() -> ClientCertificate {
    let ca = TestCa::new("Engine Test CA").unwrap();
    let issued = ca.issue(&CertRequest::new("engine.contoso.com")).unwrap();
    let pem = format!("{}{}", issued.chain_pem, issued.key_pem);
    ClientCertificate::from_pem(pem.as_bytes()).unwrap()
}
