//! A certificate-bound token from any RFC 8705 authorization server (not Entra ID): the issuer's
//! metadata is discovered, the request goes to its mTLS alias when it has one, the client is
//! authenticated by its certificate in TLS (`tls_client_auth` or `self_signed_tls_client_auth`)
//! with `client_id` in the body, and the token's `cnf.x5t#S256` is checked against the
//! certificate.
//!
//! ```text
//! cargo run -p msal-client --example generic_rfc8705 -- \
//!     --issuer https://as.example.com --ca-file ca.pem --cert client.pem --client-id my-client \
//!     [--scope S]... [--resource R]... [--tls-min 1.2|1.3] [--tls-max 1.2|1.3]
//! ```
//!
//! `--cert` is one PEM file with the certificate (chain) and its unencrypted private key;
//! `--ca-file` the CA the server's TLS certificate chains to (the only root trusted). Prints one
//! JSON object (`token_type`, `expires_on`, `cnf_x5t_s256`, `certificate_x5t_s256`, `bound`,
//! `token_source`, `token_endpoint`); on failure prints `{"error": code, "message": ...}` to
//! stderr and exits with status 1.

use std::process::ExitCode;
use std::time::UNIX_EPOCH;

use msal::transport::{HyperTransport, TlsVersion};
use msal::{ClientCertificate, ConfidentialClientApplication};
use oauth2_core::TokenBinding;

#[derive(Debug, Default)]
struct Args {
    issuer: String,
    ca_file: String,
    cert: String,
    client_id: String,
    scopes: Vec<String>,
    resources: Vec<String>,
    tls_min: Option<TlsVersion>,
    tls_max: Option<TlsVersion>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args::default();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--issuer" => args.issuer = value()?,
            "--ca-file" => args.ca_file = value()?,
            "--cert" => args.cert = value()?,
            "--client-id" => args.client_id = value()?,
            "--scope" => args.scopes.push(value()?),
            "--resource" => args.resources.push(value()?),
            "--tls-min" => args.tls_min = Some(tls_version(&value()?)?),
            "--tls-max" => args.tls_max = Some(tls_version(&value()?)?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    for (name, value) in [
        ("--issuer", &args.issuer),
        ("--ca-file", &args.ca_file),
        ("--cert", &args.cert),
        ("--client-id", &args.client_id),
    ] {
        if value.is_empty() {
            return Err(format!("{name} is required"));
        }
    }
    Ok(args)
}

fn tls_version(text: &str) -> Result<TlsVersion, String> {
    match text {
        "1.2" => Ok(TlsVersion::Tls12),
        "1.3" => Ok(TlsVersion::Tls13),
        other => Err(format!("TLS version {other}: use 1.2 or 1.3")),
    }
}

async fn run(args: Args) -> Result<serde_json::Value, msal::Error> {
    let certificate = ClientCertificate::from_pem(&read(&args.cert)?)?;
    let mut transport = HyperTransport::builder()
        .webpki_roots(false)
        .add_root_certificates_pem(&read(&args.ca_file)?)?;
    if let Some(min) = args.tls_min {
        transport = transport.min_tls_version(min);
    }
    if let Some(max) = args.tls_max {
        transport = transport.max_tls_version(max);
    }
    // The generic flow is these lines: issuer, certificate in TLS, scopes and/or resources.
    let app = ConfidentialClientApplication::builder(args.client_id)
        .issuer(args.issuer)
        .tls_client_certificate(certificate.clone())
        .transport(std::sync::Arc::new(transport.build()?))
        .build()?;
    let mut request = app.acquire_token_for_client(args.scopes);
    for resource in args.resources {
        request = request.with_resource(resource);
    }
    let result = request.await?;

    let cnf = match TokenBinding::of(result.access_token().expose_secret()) {
        TokenBinding::Bound(thumbprint) => Some(thumbprint),
        _ => None,
    };
    let expires_on = result
        .expires_on()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Ok(serde_json::json!({
        "token_type": result.token_type().as_str(),
        "expires_on": expires_on,
        "cnf_x5t_s256": cnf,
        "certificate_x5t_s256": certificate.x5t_s256(),
        "bound": cnf.as_deref() == Some(certificate.x5t_s256()),
        "token_source": format!("{:?}", result.token_source()),
        "token_endpoint": result.token_endpoint(),
    }))
}

/// A file's bytes; a missing file is a configuration error naming it.
fn read(path: &str) -> Result<Vec<u8>, msal::Error> {
    std::fs::read(path).map_err(|e| msal::Error::InvalidCredentialMaterial {
        reason: format!("cannot read {path}: {e}"),
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(usage) => {
            eprintln!(
                "{}",
                serde_json::json!({"error": "usage", "message": usage})
            );
            return ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(output) => {
            println!("{output}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            let code = e.code().to_owned();
            eprintln!(
                "{}",
                serde_json::json!({"error": code, "message": e.to_string()})
            );
            ExitCode::FAILURE
        }
    }
}
