//! `msal token`: acquire a token for a confidential client and print it as JSON.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use msal::transport::HyperTransport;
use msal::{AzureRegion, ClientCertificate, ConfidentialClientApplication};

use crate::{output, CliError};

/// Arguments of `msal token`.
#[derive(Debug, Args)]
pub(crate) struct TokenArgs {
    /// Authority URL, e.g. https://login.microsoftonline.com/<tenant-id>
    #[arg(long)]
    authority: String,
    /// Application (client) id.
    #[arg(long)]
    client_id: String,
    /// PEM file with the certificate chain and its private key.
    #[arg(long, group = "credential")]
    cert: Option<PathBuf>,
    /// Separate PEM file with the private key (with --cert holding only certificates).
    #[arg(long, requires = "cert")]
    key: Option<PathBuf>,
    /// PKCS#12 (.pfx) file with the certificate and key.
    #[arg(long, group = "credential")]
    pfx: Option<PathBuf>,
    /// Environment variable holding the PKCS#12 password.
    #[arg(long, requires = "pfx")]
    password_env: Option<String>,
    /// Environment variable holding the client secret.
    #[arg(long, group = "credential")]
    secret_env: Option<String>,
    /// Send the certificate chain (x5c) for subject name + issuer authentication.
    #[arg(long)]
    send_x5c: bool,
    /// Scope to request (repeatable), e.g. https://graph.microsoft.com/.default
    #[arg(long = "scope", required = true)]
    scopes: Vec<String>,
    /// Ask for an mTLS Proof-of-Possession token bound to the certificate (needs --cert or --pfx).
    #[arg(long)]
    mtls_pop: bool,
    /// Azure region for the token endpoint (e.g. westus3), or `auto` to detect it.
    #[arg(long)]
    region: Option<String>,
    /// Print the access token itself (it is redacted otherwise).
    #[arg(long)]
    show_token: bool,
    /// Extra trusted root CA (PEM), e.g. the emulator's CA.
    #[arg(long)]
    ca_file: Option<PathBuf>,
    /// Connect HOST to ADDR instead of resolving it (HOST=IP:PORT, repeatable), e.g. to reach
    /// the emulator through the real Entra hostnames.
    #[arg(long = "resolve", value_parser = parse_resolve)]
    resolve: Vec<(String, SocketAddr)>,
}

pub(crate) fn parse_resolve(s: &str) -> Result<(String, SocketAddr), String> {
    let (host, addr) = s
        .split_once('=')
        .ok_or_else(|| format!("expected HOST=IP:PORT, got {s}"))?;
    let addr = addr
        .parse()
        .map_err(|e| format!("bad address in {s}: {e}"))?;
    Ok((host.to_owned(), addr))
}

pub(crate) async fn run(args: TokenArgs) -> Result<(), CliError> {
    let mut builder =
        ConfidentialClientApplication::builder(&args.client_id).authority(&args.authority);
    if let Some(path) = &args.cert {
        let certs = read(path)?;
        let certificate = match &args.key {
            Some(key) => ClientCertificate::from_pem_parts(&certs, &read(key)?)?,
            None => ClientCertificate::from_pem(&certs)?,
        };
        builder = builder.certificate(certificate).send_x5c(args.send_x5c);
    } else if let Some(path) = &args.pfx {
        let password = match &args.password_env {
            Some(var) => {
                std::env::var(var).map_err(|_| format!("environment variable {var} is not set"))?
            }
            None => String::new(),
        };
        let certificate = ClientCertificate::from_pkcs12(&read(path)?, &password)?;
        builder = builder.certificate(certificate).send_x5c(args.send_x5c);
    } else if let Some(var) = &args.secret_env {
        let secret =
            std::env::var(var).map_err(|_| format!("environment variable {var} is not set"))?;
        builder = builder.client_secret(secret);
    } else {
        return Err("give one credential: --cert, --pfx or --secret-env".into());
    }

    if let Some(transport) = transport(args.ca_file.as_ref(), &args.resolve)? {
        builder = builder.transport(Arc::new(transport));
    }
    match args.region.as_deref() {
        None => {}
        Some("auto") => builder = builder.azure_region(AzureRegion::AutoDetect),
        Some(name) => builder = builder.azure_region(AzureRegion::Named(name.to_owned())),
    }

    let app = builder.build()?;
    let request = app.acquire_token_for_client(args.scopes.clone());
    let result = if args.mtls_pop {
        request.with_mtls_proof_of_possession().await?
    } else {
        request.await?
    };
    println!(
        "{}",
        serde_json::to_string_pretty(&output::result_json(&result, args.show_token))?
    );
    Ok(())
}

/// A transport with extra roots and host overrides, or None for the default transport.
pub(crate) fn transport(
    ca_file: Option<&PathBuf>,
    resolve: &[(String, SocketAddr)],
) -> Result<Option<HyperTransport>, CliError> {
    if ca_file.is_none() && resolve.is_empty() {
        return Ok(None);
    }
    let mut transport = HyperTransport::builder();
    if let Some(ca) = ca_file {
        transport = transport.add_root_certificates_pem(&read(ca)?)?;
    }
    for (host, addr) in resolve {
        transport = transport.resolve(host, *addr);
    }
    Ok(Some(transport.build()?))
}

pub(crate) fn read(path: &PathBuf) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()).into())
}
