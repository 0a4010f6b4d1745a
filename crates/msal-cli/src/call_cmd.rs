//! `msal call`: call a resource with a token, over mTLS with the binding certificate.

use std::io::Read as _;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use http::{header::AUTHORIZATION, HeaderValue};
use msal::transport::{HttpRequest, HyperTransport, Transport};
use msal::ClientCertificate;

use crate::token_cmd::{parse_resolve, read, transport};
use crate::CliError;

/// Arguments of `msal call`.
#[derive(Debug, Args)]
pub(crate) struct CallArgs {
    /// The resource URL (GET).
    url: String,
    /// PEM with the certificate chain and key the token is bound to (presented in TLS).
    #[arg(long)]
    cert: Option<PathBuf>,
    /// Separate PEM with the private key.
    #[arg(long, requires = "cert")]
    key: Option<PathBuf>,
    /// File holding the access token (`-` for standard input), e.g. from `msal token --show-token`.
    #[arg(long)]
    token_from: PathBuf,
    /// Authorization scheme: mtls_pop (default) or Bearer.
    #[arg(long, default_value = "mtls_pop")]
    scheme: String,
    /// Extra trusted root CA (PEM).
    #[arg(long)]
    ca_file: Option<PathBuf>,
    /// Connect HOST to ADDR instead of resolving it (HOST=IP:PORT, repeatable).
    #[arg(long = "resolve", value_parser = parse_resolve)]
    resolve: Vec<(String, SocketAddr)>,
}

pub(crate) async fn run(args: CallArgs) -> Result<(), CliError> {
    let raw = if args.token_from.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        s
    } else {
        String::from_utf8(read(&args.token_from)?)?
    };
    // Accept either the bare token or `msal token --show-token` JSON output.
    let token = match serde_json::from_str::<serde_json::Value>(&raw) {
        Ok(v) => v["access_token"]
            .as_str()
            .ok_or("the JSON has no access_token (use msal token --show-token)")?
            .to_owned(),
        Err(_) => raw.trim().to_owned(),
    };
    let identity = match &args.cert {
        Some(path) => Some(match &args.key {
            Some(key) => ClientCertificate::from_pem_parts(&read(path)?, &read(key)?)?,
            None => ClientCertificate::from_pem(&read(path)?)?,
        }),
        None => None,
    };
    let transport = match transport(args.ca_file.as_ref(), &args.resolve)? {
        Some(t) => t,
        None => HyperTransport::new()?,
    };
    let mut value = HeaderValue::from_str(&format!("{} {token}", args.scheme))?;
    value.set_sensitive(true);
    let request = HttpRequest::get(args.url.parse()?).header(AUTHORIZATION, value);
    let response = transport.send(request, identity.as_ref()).await?;
    println!("HTTP {}", response.status);
    println!("{}", String::from_utf8_lossy(&response.body));
    if response.status.is_success() {
        Ok(())
    } else {
        Err(format!("the resource answered HTTP {}", response.status).into())
    }
}
