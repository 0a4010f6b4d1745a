//! `msal demo`: the whole flow against the in-process Entra emulator, over real TLS, through the
//! real Entra hostnames (a resolver override maps them to the emulator's loopback port).

use std::sync::Arc;

use entra_emulator::pki::{CertRequest, TestCa};
use entra_emulator::{AppRegistration, Emulator, LoggedRequest};
use msal::{
    ClientCertificate, ConfidentialClientApplication, FederatedLeg1, HttpRequest, HyperTransport,
    TokenSource, Transport,
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

    // 1. Certificate, subject name + issuer (x5c in the assertion).
    let certificate =
        ClientCertificate::from_pem_parts(cert.chain_pem.as_bytes(), cert.key_pem.as_bytes())?;
    println!("[1] Certificate credential (SN/I: PS256 assertion with x5t#S256 and x5c)");
    println!("    certificate: {certificate:?}");
    let app = ConfidentialClientApplication::builder(CERT_APP)
        .authority(AUTHORITY)
        .certificate(certificate)
        .send_x5c(true)
        .transport(transport.clone())
        .build()?;
    let result = app.acquire_token_for_client([SCOPE]).await?;
    print_result(&result);
    print_last_request(&emulator);

    // 2. Client secret.
    println!("[2] Client secret credential");
    let secret_app = ConfidentialClientApplication::builder(SECRET_APP)
        .authority(AUTHORITY)
        .client_secret(DEMO_SECRET)
        .transport(transport.clone())
        .build()?;
    let result = secret_app.acquire_token_for_client([SCOPE]).await?;
    print_result(&result);
    print_last_request(&emulator);

    // 3. The cache answers a repeat call.
    println!("[3] Same call again");
    let before = emulator.token_requests().len();
    let again = app.acquire_token_for_client([SCOPE]).await?;
    let after = emulator.token_requests().len();
    println!(
        "    token_source: {:?}; token requests the emulator received meanwhile: {}",
        again.token_source(),
        after - before
    );
    if again.token_source() != TokenSource::Cache || after != before {
        return Err("the repeat call was not served from the cache".into());
    }

    // 4. A wrong secret is a typed service error.
    println!("\n[4] Wrong client secret");
    let wrong = ConfidentialClientApplication::builder(SECRET_APP)
        .authority(AUTHORITY)
        .client_secret("not-the-secret")
        .transport(transport.clone())
        .build()?;
    let transport_for_pop = transport;
    match wrong.acquire_token_for_client([SCOPE]).await {
        Ok(_) => return Err("the emulator accepted a wrong secret".into()),
        Err(e) => {
            let service = e.as_service_error().ok_or("expected a service error")?;
            println!(
                "    error: {} / AADSTS{} / correlation id {}",
                service.error(),
                service.aadsts_code().unwrap_or_default(),
                service.correlation_id()
            );
        }
    }
    pop_steps(&emulator, &ca, &cert, transport_for_pop.as_ref()).await?;
    federated_steps(&emulator, &cert, transport_for_pop).await?;

    println!("\ndemo finished: all steps succeeded");
    emulator.shutdown().await;
    Ok(())
}

/// mTLS Proof-of-Possession: the token bound to the certificate, and the resource call.
async fn pop_steps(
    emulator: &Emulator,
    ca: &TestCa,
    cert: &entra_emulator::pki::IssuedCertificate,
    transport: &HyperTransport,
) -> Result<(), CliError> {
    println!(
        "\n[5] mTLS Proof-of-Possession: TLS to mtlsauth.microsoft.com presenting the certificate"
    );
    let certificate =
        ClientCertificate::from_pem_parts(cert.chain_pem.as_bytes(), cert.key_pem.as_bytes())?;
    let app = ConfidentialClientApplication::builder(CERT_APP)
        .authority(AUTHORITY)
        .certificate(certificate)
        .transport(Arc::new(transport.clone()))
        .build()?;
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
    print_last_request(emulator);

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
    let other = ca.issue(&CertRequest::new("someone-else.contoso.example"))?;
    let other =
        ClientCertificate::from_pem_parts(other.chain_pem.as_bytes(), other.key_pem.as_bytes())?;
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

/// Federated two-leg exchange over mTLS: leg 1's bound token is leg 2's `jwt-pop` assertion.
async fn federated_steps(
    emulator: &Emulator,
    cert: &entra_emulator::pki::IssuedCertificate,
    transport: Arc<HyperTransport>,
) -> Result<(), CliError> {
    println!(
        "\n[7] Federated two-leg exchange over mTLS (leg 1 PoP token as leg 2's jwt-pop assertion)"
    );
    let leg1 = ConfidentialClientApplication::builder(CERT_APP)
        .authority(AUTHORITY)
        .certificate(ClientCertificate::from_pem_parts(
            cert.chain_pem.as_bytes(),
            cert.key_pem.as_bytes(),
        )?)
        .transport(transport.clone())
        .build()?;
    let leg2 = ConfidentialClientApplication::builder(LEG2_APP)
        .authority(AUTHORITY)
        .bound_assertion_provider(Arc::new(FederatedLeg1::new(leg1)))
        .transport(transport)
        .build()?;
    let before = emulator.token_requests().len();
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
    for request in &emulator.token_requests()[before..] {
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

fn print_result(result: &msal::AuthenticationResult) {
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
