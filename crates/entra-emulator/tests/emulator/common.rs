//! A small real-TLS HTTP/1.1 client for the emulator tests, plus a minimal JWT signer.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use bytes::Bytes;
use entra_emulator::pki::{CertRequest, IssuedCertificate, KeyChoice, TestCa};
use entra_emulator::{AppRegistration, Emulator};
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, RsaKeyPair};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore, SupportedProtocolVersion};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

pub const TENANT: &str = "aaaabbbb-0000-1111-2222-333344445555";
pub const DOMAIN: &str = "contoso.onmicrosoft.com";
pub const GRAPH: &str = "https://graph.microsoft.com/.default";

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The emulator CA as the only trust anchor.
pub fn emulator_roots(em: &Emulator) -> RootCertStore {
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from(em.ca_certificate_der()))
        .unwrap();
    roots
}

/// A client TLS config trusting the emulator CA, optionally presenting `identity`.
pub fn client_config(em: &Emulator, identity: Option<&IssuedCertificate>) -> Arc<ClientConfig> {
    client_config_with(em, identity, rustls::DEFAULT_VERSIONS)
}

/// [`client_config`] limited to the TLS `versions`.
pub fn client_config_with(
    em: &Emulator,
    identity: Option<&IssuedCertificate>,
    versions: &[&'static SupportedProtocolVersion],
) -> Arc<ClientConfig> {
    let builder =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_protocol_versions(versions)
            .unwrap()
            .with_root_certificates(emulator_roots(em));
    let mut cfg = match identity {
        Some(id) => {
            let chain: Vec<CertificateDer<'static>> =
                CertificateDer::pem_slice_iter(id.chain_pem.as_bytes())
                    .collect::<Result<_, _>>()
                    .unwrap();
            let key = PrivateKeyDer::from_pem_slice(id.key_pem.as_bytes()).unwrap();
            builder.with_client_auth_cert(chain, key).unwrap()
        }
        None => builder.with_no_client_auth(),
    };
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(cfg)
}

/// One HTTP/1.1 connection over TLS to the emulator with SNI = `host`.
pub struct Conn {
    host: String,
    sender: SendRequest<Full<Bytes>>,
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn error_code(&self) -> u64 {
        self.json()["error_codes"][0].as_u64().unwrap_or(0)
    }

    /// The claims of the answer's `access_token`, verified with `em`'s signing key.
    pub fn verified_claims(&self, em: &Emulator) -> Value {
        em.verify_access_token(self.json()["access_token"].as_str().unwrap())
            .unwrap()
    }

    /// Asserts that the answer is what `want` says, naming `case` in every failure.
    #[track_caller]
    pub fn check(&self, case: &str, want: Expect) {
        assert_eq!(self.status, want.status, "{case}: {}", self.body);
        if let Some(code) = want.code {
            assert_eq!(self.error_code(), code, "{case}: {}", self.body);
        }
        if let Some(error) = want.error {
            assert_eq!(self.json()["error"], error, "{case}: {}", self.body);
        }
        if let Some(text) = want.says {
            let description = self.json()["error_description"]
                .as_str()
                .unwrap_or_else(|| panic!("{case}: no error_description: {}", self.body))
                .to_owned();
            assert!(
                description.contains(text),
                "{case}: {text:?} not said: {}",
                self.body
            );
        }
    }

    /// Asserts a 200 answer whose `token_type` is `want`, or that has none for `None`.
    #[track_caller]
    pub fn check_token_type(&self, case: &str, want: Option<&str>) {
        assert_eq!(self.status, 200, "{case}: {}", self.body);
        assert_eq!(
            self.json().get("token_type"),
            want.map(Value::from).as_ref(),
            "{case}: {}",
            self.body
        );
    }
}

/// What a test wants of an answer; see [`Resp::check`].
#[derive(Clone, Copy, Debug)]
pub struct Expect {
    status: u16,
    code: Option<u64>,
    error: Option<&'static str>,
    says: Option<&'static str>,
}

impl Expect {
    /// 200.
    pub const OK: Expect = Expect::status(200);

    /// This HTTP status.
    pub const fn status(status: u16) -> Expect {
        Expect {
            status,
            code: None,
            error: None,
            says: None,
        }
    }

    /// And this AADSTS number first in `error_codes`.
    pub const fn code(self, code: u64) -> Expect {
        Expect {
            code: Some(code),
            ..self
        }
    }

    /// And this `error`.
    pub const fn error(self, error: &'static str) -> Expect {
        Expect {
            error: Some(error),
            ..self
        }
    }

    /// And an `error_description` that contains `text`.
    pub const fn saying(self, text: &'static str) -> Expect {
        Expect {
            says: Some(text),
            ..self
        }
    }

    /// Whether this wants a 200.
    pub const fn is_ok(&self) -> bool {
        self.status == 200
    }
}

impl Conn {
    pub async fn open(em: &Emulator, host: &str, identity: Option<&IssuedCertificate>) -> Conn {
        Self::open_with(em, host, client_config(em, identity)).await
    }

    pub async fn open_with(em: &Emulator, host: &str, cfg: Arc<ClientConfig>) -> Conn {
        let tcp = TcpStream::connect(em.addr()).await.unwrap();
        let tls = TlsConnector::from(cfg)
            .connect(ServerName::try_from(host.to_owned()).unwrap(), tcp)
            .await
            .unwrap();
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .unwrap();
        tokio::spawn(conn);
        Conn {
            host: host.to_owned(),
            sender,
        }
    }

    /// Sends a request and returns the response head with its streaming body, or hyper's error.
    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        form: Option<&[(&str, &str)]>,
    ) -> hyper::Result<hyper::Response<hyper::body::Incoming>> {
        let mut builder = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("host", &self.host);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let body = match form {
            Some(fields) => {
                builder = builder.header("content-type", "application/x-www-form-urlencoded");
                let mut s = url::form_urlencoded::Serializer::new(String::new());
                for (k, v) in fields {
                    s.append_pair(k, v);
                }
                s.finish()
            }
            None => String::new(),
        };
        self.sender
            .send_request(builder.body(Full::new(Bytes::from(body))).unwrap())
            .await
    }

    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        form: Option<&[(&str, &str)]>,
    ) -> Resp {
        let resp = self.request(method, path, headers, form).await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        Resp {
            status,
            headers,
            body: String::from_utf8(body.to_vec()).unwrap(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Resp {
        self.send("GET", path, &[], None).await
    }

    /// A token POST for `tenant` on this connection.
    pub async fn post_token(&mut self, tenant: &str, form: &[(&str, &str)]) -> Resp {
        self.send(
            "POST",
            &format!("/{tenant}/oauth2/v2.0/token"),
            &[("client-request-id", "11111111-2222-3333-4444-555555555555")],
            Some(form),
        )
        .await
    }
}

/// One request on a fresh connection.
pub async fn get(em: &Emulator, host: &str, path: &str) -> Resp {
    Conn::open(em, host, None).await.get(path).await
}

/// A token POST on a fresh connection.
pub async fn post_token(
    em: &Emulator,
    host: &str,
    tenant: &str,
    identity: Option<&IssuedCertificate>,
    form: &[(&str, &str)],
) -> Resp {
    Conn::open(em, host, identity)
        .await
        .post_token(tenant, form)
        .await
}

/// A leaf certificate for subject `cn` with `key`, issued by `ca`.
pub fn leaf(ca: &TestCa, cn: &str, key: KeyChoice) -> IssuedCertificate {
    ca.issue(&CertRequest::new(cn).with_key(key)).unwrap()
}

/// An emulator for `TENANT` that trusts `ca`, with two certificate apps; see [`cert_apps`].
pub struct CertApps {
    pub em: Emulator,
    pub ca: TestCa,
    /// The certificate registered for `cert-app`.
    pub registered: IssuedCertificate,
    /// Issued by `ca` with the registered certificate's subject but another key: registered
    /// nowhere.
    pub unregistered: IssuedCertificate,
    /// Satisfies `sni-app`'s subject name and issuer.
    pub sni: IssuedCertificate,
}

/// Starts an emulator with `cert-app` (the `registered` certificate, and secret `s`) and
/// `sni-app` (subject name `sni.contoso.test` from a trusted issuer).
pub async fn cert_apps() -> CertApps {
    let ca = TestCa::new("Emulator test CA").unwrap();
    let registered = ca.issue(&CertRequest::new("registered-app")).unwrap();
    let unregistered = leaf(&ca, "registered-app", KeyChoice::Rsa(1));
    let sni = leaf(&ca, "sni.contoso.test", KeyChoice::Rsa(2));
    let em = Emulator::builder()
        .tenant(TENANT, &[DOMAIN])
        .trusted_issuer(ca.certificate_der())
        .app(
            AppRegistration::new("cert-app", TENANT)
                .with_certificate(registered.leaf_der.clone())
                .with_secret("s"),
        )
        .app(AppRegistration::new("sni-app", TENANT).with_subject_name_issuer("sni.contoso.test"))
        .start()
        .await
        .unwrap();
    CertApps {
        em,
        ca,
        registered,
        unregistered,
        sni,
    }
}

pub fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn sha256(der: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, der)
        .as_ref()
        .to_vec()
}

pub fn x5t_s256(der: &[u8]) -> String {
    b64url(&sha256(der))
}

/// What goes into a test client assertion's header.
#[derive(Clone, Copy, Debug)]
pub struct AssertionHeader {
    pub alg: &'static str,
    pub x5t_s256: bool,
    pub x5t_sha1_padded: bool,
    pub x5c: bool,
}

impl Default for AssertionHeader {
    fn default() -> Self {
        AssertionHeader {
            alg: "PS256",
            x5t_s256: true,
            x5t_sha1_padded: false,
            x5c: false,
        }
    }
}

/// Standard claims MSAL sends (aud = token endpoint, iss = sub = client id, 10 min lifetime).
pub fn claims(client_id: &str, aud: &str) -> Value {
    let now = now();
    json!({
        "aud": aud, "iss": client_id, "sub": client_id,
        "exp": now + 600, "iat": now as f64 + 0.25, "jti": "7c0c2f3f-0000-4000-8000-000000000001",
    })
}

/// Signs a client assertion with the key of `cert` (RSA: PS256/RS256; ECDSA: ES256).
pub fn assertion(cert: &IssuedCertificate, header: AssertionHeader, claims: &Value) -> String {
    let mut h = json!({"alg": header.alg, "typ": "JWT"});
    if header.x5t_s256 {
        h["x5t#S256"] = json!(x5t_s256(&cert.leaf_der));
    }
    if header.x5t_sha1_padded {
        let sha1 = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &cert.leaf_der);
        h["x5t"] = json!(base64::engine::general_purpose::URL_SAFE.encode(sha1.as_ref()));
    }
    if header.x5c {
        // PEM bodies with their line breaks kept, as MSAL Python sends them.
        let chain: Vec<String> = cert
            .chain_pem
            .split("-----END CERTIFICATE-----")
            .filter_map(|p| p.split("-----BEGIN CERTIFICATE-----\n").nth(1))
            .map(|b| b.trim_end().to_owned())
            .collect();
        h["x5c"] = json!(chain);
    }
    let input = format!(
        "{}.{}",
        b64url(h.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes())
    );
    let key = PrivateKeyDer::from_pem_slice(cert.key_pem.as_bytes()).unwrap();
    let rng = SystemRandom::new();
    let sig = match header.alg {
        "PS256" | "RS256" => {
            let kp = RsaKeyPair::from_pkcs8(key.secret_der()).unwrap();
            let mut sig = vec![0u8; kp.public().modulus_len()];
            let enc: &dyn ring::signature::RsaEncoding = if header.alg == "PS256" {
                &ring::signature::RSA_PSS_SHA256
            } else {
                &ring::signature::RSA_PKCS1_SHA256
            };
            kp.sign(enc, &rng, input.as_bytes(), &mut sig).unwrap();
            sig
        }
        "ES256" => {
            let kp = EcdsaKeyPair::from_pkcs8(
                &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                key.secret_der(),
                &rng,
            )
            .unwrap();
            kp.sign(&rng, input.as_bytes()).unwrap().as_ref().to_vec()
        }
        other => panic!("test signer does not do {other}"),
    };
    format!("{input}.{}", b64url(&sig))
}

/// Form for a client-assertion token request.
pub fn assertion_form<'a>(client_id: &'a str, jwt: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("client_id", client_id),
        ("grant_type", "client_credentials"),
        ("client_assertion", jwt),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_info", "1"),
        ("scope", GRAPH),
    ]
}
