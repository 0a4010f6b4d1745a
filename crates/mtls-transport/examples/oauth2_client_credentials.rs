//! oauth2-rs (the `oauth2` crate, 5.x) running its client-credentials exchange over this
//! transport, presenting a client certificate (RFC 8705 `tls_client_auth` /
//! `self_signed_tls_client_auth`: the certificate in TLS, `client_id` in the body).
//!
//! ```text
//! cargo run -p mtls-transport --features oauth2 --example oauth2_client_credentials -- \
//!     --token-url https://as.example.com/token --ca-file ca.pem --cert client.pem \
//!     --client-id my-client [--scope S]... [--resource R]
//! ```
//!
//! Prints one JSON object: `token_type`, `expires_in`, `cnf_x5t_s256` (read from the JWT),
//! `certificate_x5t_s256` and `bound`; exits with status 1 and the error on failure.

use std::process::ExitCode;
use std::sync::Arc;

use mtls_transport::oauth2::basic::BasicClient;
use mtls_transport::oauth2::{AuthType, ClientId, Scope, TokenResponse as _, TokenUrl};
use mtls_transport::{HyperTransport, Oauth2HttpClient};
use oauth2_core::{ClientCertificate, TokenBinding};

#[derive(Default)]
struct Args {
    token_url: String,
    ca_file: String,
    cert: String,
    client_id: String,
    scopes: Vec<String>,
    resource: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args::default();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--token-url" => args.token_url = value,
            "--ca-file" => args.ca_file = value,
            "--cert" => args.cert = value,
            "--client-id" => args.client_id = value,
            "--scope" => args.scopes.push(value),
            "--resource" => args.resource = Some(value),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if [&args.token_url, &args.ca_file, &args.cert, &args.client_id]
        .iter()
        .any(|v| v.is_empty())
    {
        return Err("--token-url, --ca-file, --cert and --client-id are required".to_owned());
    }
    Ok(args)
}

async fn run(args: Args) -> Result<String, Box<dyn std::error::Error>> {
    let certificate = ClientCertificate::from_pem(&std::fs::read(&args.cert)?)?;
    let transport = HyperTransport::builder()
        .webpki_roots(false)
        .add_root_certificates_pem(&std::fs::read(&args.ca_file)?)?
        .build()?;
    // oauth2-rs sends through the transport, presenting the certificate.
    let http = Oauth2HttpClient::new(Arc::new(transport)).with_identity(certificate.clone());
    let client = BasicClient::new(ClientId::new(args.client_id))
        .set_auth_type(AuthType::RequestBody) // no secret: `client_id` in the body
        .set_token_uri(TokenUrl::new(args.token_url)?);
    let mut request = client.exchange_client_credentials();
    for scope in args.scopes {
        request = request.add_scope(Scope::new(scope));
    }
    if let Some(resource) = &args.resource {
        request = request.add_extra_param("resource", resource);
    }
    let token = request.request_async(&http).await?;
    let cnf = match TokenBinding::of(token.access_token().secret()) {
        TokenBinding::Bound(thumbprint) => Some(thumbprint),
        _ => None,
    };
    let bound = cnf.as_deref() == Some(certificate.x5t_s256());
    Ok(format!(
        r#"{{"token_type":"{}","expires_in":{},"cnf_x5t_s256":{},"certificate_x5t_s256":"{}","bound":{bound}}}"#,
        token.token_type().as_ref(),
        token.expires_in().map_or(0, |d| d.as_secs()),
        cnf.map_or("null".to_owned(), |c| format!("\"{c}\"")),
        certificate.x5t_s256(),
    ))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(usage) => {
            eprintln!("usage: {usage}");
            return ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
