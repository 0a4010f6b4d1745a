//! `msal demo`: the whole flow against the in-process Entra emulator, over real TLS, through the
//! real Entra hostnames (a resolver override maps them to the emulator's loopback port).

use std::sync::Arc;

use entra_emulator::pki::{CertRequest, IssuedCertificate, TestCa};
use entra_emulator::{AppRegistration, Emulator, LoggedRequest};
use msal::transport::{HttpRequest, HyperTransport, Transport};
use msal::{
    AuthenticationResult, ClientCertificate, ConfidentialClientApplication, FederatedLeg1,
    TokenSource,
};

use crate::{output, CliError};

const TENANT: &str = "aaaabbbb-0000-1111-2222-333344445555";
const AUTHORITY: &str = "https://login.microsoftonline.com/aaaabbbb-0000-1111-2222-333344445555";
const SCOPE: &str = "https://graph.microsoft.com/.default";
const CERT_APP: &str = "11111111-1111-1111-1111-111111111111";
const SECRET_APP: &str = "22222222-2222-2222-2222-222222222222";
const DEMO_SECRET: &str = "demo-secret-value-not-for-production";
const LEG2_APP: &str = "33333333-3333-3333-3333-333333333333";
const RESOURCE: &str = "https://mtlstb.graph.microsoft.com/v1.0/applications";

pub(crate) async fn run() -> Result<(), CliError> {
    let demo = Demo::start().await?;
    let app = demo.certificate_step().await?;
    demo.secret_step().await?;
    demo.cache_step(&app).await?;
    demo.wrong_secret_step().await?;
    demo.pop_steps().await?;
    demo.federated_step().await?;
    println!("\ndemo finished: all steps succeeded");
    demo.emulator.shutdown().await;
    Ok(())
}

/// What the steps share: the emulator, the CA that issued the app's certificate, that
/// certificate, and a transport that reaches the emulator through the real Entra hostnames.
struct Demo {
    emulator: Emulator,
    ca: TestCa,
    cert: IssuedCertificate,
    transport: Arc<HyperTransport>,
}

impl Demo {
    /// Issues the app certificate, registers the demo apps and starts the emulator.
    async fn start() -> Result<Self, CliError> {
        let ca = TestCa::new("msal demo issuing CA")?;
        let cert = ca.issue(&CertRequest::new("demo-app.contoso.example"))?;
        let emulator = Emulator::builder()
            .tenant(TENANT, &["contoso.onmicrosoft.com"])
            .trusted_issuer(ca.certificate_der())
            .app(
                AppRegistration::new(CERT_APP, TENANT)
                    .with_subject_name_issuer("demo-app.contoso.example"),
            )
            .app(AppRegistration::new(SECRET_APP, TENANT).with_secret(DEMO_SECRET))
            .app(
                AppRegistration::new(LEG2_APP, TENANT).with_federated_credential(
                    &format!("https://login.microsoftonline.com/{TENANT}/v2.0"),
                    &Emulator::object_id(CERT_APP),
                ),
            )
            .start()
            .await?;
        println!("msal demo: a confidential client against the Entra emulator over real TLS\n");
        println!(
            "Emulator listening on {}; the client reaches it as login.microsoftonline.com through a \
             resolver override and trusts its CA as an extra root.\n",
            emulator.addr()
        );
        let transport = Arc::new(emulator_transport(&emulator)?);
        Ok(Demo {
            emulator,
            ca,
            cert,
            transport,
        })
    }

    /// Step 1: Certificate, subject name + issuer (x5c in the assertion). Returns the app.
    async fn certificate_step(&self) -> Result<ConfidentialClientApplication, CliError> {
        let certificate = client_certificate(&self.cert)?;
        println!("[1] Certificate credential (SN/I: PS256 assertion with x5t#S256 and x5c)");
        println!("    certificate: {certificate:?}");
        let app = ConfidentialClientApplication::builder(CERT_APP)
            .authority(AUTHORITY)
            .certificate(certificate)
            .send_x5c(true)
            .transport(self.transport.clone())
            .build()?;
        self.acquire_and_show(&app).await?;
        Ok(app)
    }

    /// The certificate app with the demo certificate (no `x5c`), over `transport`.
    fn certificate_app(
        &self,
        transport: Arc<HyperTransport>,
    ) -> Result<ConfidentialClientApplication, CliError> {
        Ok(ConfidentialClientApplication::builder(CERT_APP)
            .authority(AUTHORITY)
            .certificate(client_certificate(&self.cert)?)
            .transport(transport)
            .build()?)
    }

    /// Step 2: Client secret.
    async fn secret_step(&self) -> Result<(), CliError> {
        println!("[2] Client secret credential");
        let secret_app = ConfidentialClientApplication::builder(SECRET_APP)
            .authority(AUTHORITY)
            .client_secret(DEMO_SECRET)
            .transport(self.transport.clone())
            .build()?;
        self.acquire_and_show(&secret_app).await
    }

    /// Acquires a Bearer app token with `app`; shows it and the request the emulator saw.
    async fn acquire_and_show(&self, app: &ConfidentialClientApplication) -> Result<(), CliError> {
        let result = app.acquire_token_for_client([SCOPE]).await?;
        print_result(&result);
        print_last_request(&self.emulator);
        Ok(())
    }

    /// Step 3: The cache answers a repeat call of `app`.
    async fn cache_step(&self, app: &ConfidentialClientApplication) -> Result<(), CliError> {
        println!("[3] Same call again");
        let before = self.emulator.token_requests().len();
        let again = app.acquire_token_for_client([SCOPE]).await?;
        let after = self.emulator.token_requests().len();
        println!(
            "    token_source: {:?}; token requests the emulator received meanwhile: {}",
            again.token_source(),
            after - before
        );
        if again.token_source() != TokenSource::Cache || after != before {
            return Err("the repeat call was not served from the cache".into());
        }
        Ok(())
    }

    /// Step 4: A wrong secret is a typed service error.
    async fn wrong_secret_step(&self) -> Result<(), CliError> {
        println!("\n[4] Wrong client secret");
        let wrong = ConfidentialClientApplication::builder(SECRET_APP)
            .authority(AUTHORITY)
            .client_secret("not-the-secret")
            .transport(self.transport.clone())
            .build()?;
        match wrong.acquire_token_for_client([SCOPE]).await {
            Ok(_) => Err("the emulator accepted a wrong secret".into()),
            Err(e) => {
                let service = e.as_service_error().ok_or("expected a service error")?;
                println!(
                    "    error: {} / AADSTS{} / correlation id {}",
                    service.error(),
                    service.aadsts_code().unwrap_or_default(),
                    service.correlation_id()
                );
                Ok(())
            }
        }
    }

    /// Steps 5 and 6, mTLS Proof-of-Possession: the token bound to the certificate, then the
    /// resource call.
    async fn pop_steps(&self) -> Result<(), CliError> {
        println!(
            "\n[5] mTLS Proof-of-Possession: TLS to mtlsauth.microsoft.com presenting the certificate"
        );
        let app = self.certificate_app(Arc::new(self.transport.as_ref().clone()))?;
        let result = app
            .acquire_token_for_client([SCOPE])
            .with_mtls_proof_of_possession()
            .await?;
        print_result(&result);
        let binding = result
            .binding_certificate()
            .ok_or("a PoP result must carry its binding certificate")?;
        println!(
            "    binding certificate: x5t#S256 {} (sha256 {}), {} certificate(s) in x5c",
            binding.x5t_s256(),
            binding.thumbprint_sha256(),
            binding.x5c().len()
        );
        print_last_request(&self.emulator);
        self.resource_step(&app, &result).await
    }

    /// Step 6: The bound token opens the resource with its certificate, and only with it.
    async fn resource_step(
        &self,
        app: &ConfidentialClientApplication,
        result: &AuthenticationResult,
    ) -> Result<(), CliError> {
        println!("[6] Calling the protected resource {RESOURCE}");
        let url: url::Url = RESOURCE.parse()?;
        let ok = result
            .call_resource(app.transport().as_ref(), HttpRequest::get(url.clone()))
            .await?;
        println!(
            "    with the binding certificate and `Authorization: mtls_pop <token>`: HTTP {}",
            ok.status
        );
        if !ok.status.is_success() {
            return Err(format!("the resource refused the bound token: HTTP {}", ok.status).into());
        }
        // The same token from a connection presenting another certificate must be refused.
        let other = client_certificate(
            &self
                .ca
                .issue(&CertRequest::new("someone-else.contoso.example"))?,
        )?;
        let mut header = http::HeaderValue::from_str(&result.authorization_header())?;
        header.set_sensitive(true);
        let stolen = HttpRequest::get(url).header(http::header::AUTHORIZATION, header);
        let refused = app.transport().send(stolen, Some(&other)).await?;
        println!(
            "    the same token presented with another certificate: HTTP {} (expected 401)",
            refused.status
        );
        if refused.status != http::StatusCode::UNAUTHORIZED {
            return Err("the resource accepted a bound token from another certificate".into());
        }
        Ok(())
    }

    /// Step 7, federated two-leg exchange over mTLS: leg 1's bound token is leg 2's `jwt-pop`
    /// assertion.
    async fn federated_step(&self) -> Result<(), CliError> {
        println!(
            "\n[7] Federated two-leg exchange over mTLS (leg 1 PoP token as leg 2's jwt-pop assertion)"
        );
        let leg1 = self.certificate_app(self.transport.clone())?;
        let leg2 = ConfidentialClientApplication::builder(LEG2_APP)
            .authority(AUTHORITY)
            .bound_assertion_provider(Arc::new(FederatedLeg1::new(leg1)))
            .transport(self.transport.clone())
            .build()?;
        let before = self.emulator.token_requests().len();
        let result = leg2
            .acquire_token_for_client([SCOPE])
            .with_mtls_proof_of_possession()
            .await?;
        println!(
            "    leg 2 got an {} token for {} bound to {}",
            result.token_type(),
            LEG2_APP,
            result
                .binding_certificate()
                .map(|b| b.x5t_s256())
                .unwrap_or("-")
        );
        for request in &self.emulator.token_requests()[before..] {
            println!(
                "    the emulator saw: {} scope={} client_assertion_type={} token_type={} (client certificate in TLS: {})",
                request.host,
                request.form_value("scope").unwrap_or_default(),
                request.form_value("client_assertion_type").unwrap_or("-"),
                request.form_value("token_type").unwrap_or("-"),
                if request.client_certificate.is_some() { "yes" } else { "no" }
            );
        }
        Ok(())
    }
}

/// The client credential of an issued test certificate (chain and key).
fn client_certificate(cert: &IssuedCertificate) -> Result<ClientCertificate, CliError> {
    Ok(ClientCertificate::from_pem_parts(
        cert.chain_pem.as_bytes(),
        cert.key_pem.as_bytes(),
    )?)
}

/// A transport that reaches every emulator hostname on its loopback port and trusts its CA.
pub(crate) fn emulator_transport(emulator: &Emulator) -> Result<HyperTransport, CliError> {
    let mut builder = HyperTransport::builder()
        .webpki_roots(false)
        .resolve_overrides_only(true)
        .add_root_certificates_pem(emulator.ca_certificate_pem().as_bytes())?;
    for (host, addr) in emulator.resolver_entries() {
        builder = builder.resolve(&host, addr);
    }
    Ok(builder.build()?)
}

fn print_result(result: &AuthenticationResult) {
    let json = output::result_json(result, false);
    for line in serde_json::to_string_pretty(&json)
        .unwrap_or_default()
        .lines()
    {
        println!("    {line}");
    }
}

fn print_last_request(emulator: &Emulator) {
    let Some(request) = emulator.token_requests().pop() else {
        return;
    };
    println!("    the emulator saw:");
    print_request(&request);
    println!();
}

fn print_request(request: &LoggedRequest) {
    println!(
        "      {} https://{}{}  (client certificate in TLS: {})",
        request.method,
        request.host,
        request.path,
        if request.client_certificate.is_some() {
            "yes"
        } else {
            "no"
        }
    );
    for (name, value) in &request.headers {
        println!("      header {name}: {value}");
    }
    for (name, value) in &request.form {
        let shown = match name.as_str() {
            "client_secret" => "<redacted>".to_owned(),
            "client_assertion" => match value.split('.').next().and_then(|h| {
                use base64::Engine as _;
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(h)
                    .ok()
            }) {
                Some(header) => format!(
                    "<signed JWT, header {}>",
                    summarize_header(&String::from_utf8_lossy(&header))
                ),
                None => "<redacted>".to_owned(),
            },
            _ => value.clone(),
        };
        println!("      form   {name}={shown}");
    }
}

/// The JWT header with the long x5c chain shortened.
fn summarize_header(header: &str) -> String {
    let Ok(mut v) = serde_json::from_str::<serde_json::Value>(header) else {
        return "<unreadable>".to_owned();
    };
    if let Some(x5c) = v.get_mut("x5c").and_then(|x| x.as_array_mut()) {
        let n = x5c.len();
        *x5c = vec![serde_json::Value::String(format!("<{n} certificate(s)>"))];
    }
    v.to_string()
}
