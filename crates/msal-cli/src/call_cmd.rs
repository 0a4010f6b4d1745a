//! `msal call`: call a resource with a token, over mTLS with the binding certificate.
//!
//! The target is checked before the token is read: an `mtls_pop` token needs `--cert` and an
//! `https://` URL, and no token is sent over plain `http://` except to a loopback address with
//! `--allow-insecure-loopback`.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use bytes::Bytes;
use clap::Args;
use http::{header::AUTHORIZATION, HeaderValue};
use msal::transport::{HttpRequest, HyperTransport, Transport};
use msal::ClientCertificate;
use serde::Deserialize;
use url::{Host, Url};
use zeroize::Zeroizing;

use crate::secret_input::{read_bounded, read_secret_file, read_stdin};
use crate::token_cmd::{parse_resolve, transport};
use crate::{CliError, UsageError};

/// Largest token input read (`--token-from`): 256 KiB, far above any real token.
const MAX_TOKEN_INPUT: usize = 256 * 1024;

/// Arguments of `msal call`.
#[derive(Debug, Args)]
pub(crate) struct CallArgs {
    /// The resource URL (GET). Must be https://, except with --allow-insecure-loopback.
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
    /// Authorization scheme: mtls_pop (default, needs --cert and https) or Bearer.
    #[arg(long, default_value = "mtls_pop")]
    scheme: String,
    /// Allow a Bearer token over plain http:// to a loopback address (127.0.0.0/8, ::1,
    /// localhost), e.g. a local test server. Tokens are never sent over http:// elsewhere.
    #[arg(long)]
    allow_insecure_loopback: bool,
    /// Extra trusted root CA (PEM).
    #[arg(long)]
    ca_file: Option<PathBuf>,
    /// Connect HOST to ADDR instead of resolving it (HOST=IP:PORT, repeatable).
    #[arg(long = "resolve", value_parser = parse_resolve)]
    resolve: Vec<(String, SocketAddr)>,
}

/// The `Authorization` scheme of `msal call`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scheme {
    MtlsPop,
    Bearer,
}

impl Scheme {
    /// The scheme as sent on the wire.
    fn wire_name(self) -> &'static str {
        match self {
            Scheme::MtlsPop => "mtls_pop",
            Scheme::Bearer => "Bearer",
        }
    }
}

pub(crate) async fn run(args: CallArgs) -> Result<(), CliError> {
    let (url, scheme) = check_target(&args)?;
    let identity = match &args.cert {
        Some(path) => {
            let pem = read_secret_file(path)?;
            Some(match &args.key {
                Some(key) => ClientCertificate::from_pem_parts(&pem, &read_secret_file(key)?)?,
                None => ClientCertificate::from_pem(&pem)?,
            })
        }
        None => None,
    };
    let transport = match transport(
        args.ca_file.as_ref(),
        &args.resolve,
        crate::token_cmd::Timeouts::default(),
    )? {
        Some(t) => t,
        None => HyperTransport::new()?,
    };
    let input = read_token_input(&args.token_from)?;
    let authorization = authorization(scheme, token_in(&input)?)?;
    drop(input);
    let request = HttpRequest::get(url).header(AUTHORIZATION, authorization);
    let response = transport.send(request, identity.as_ref()).await?;
    println!("HTTP {}", response.status);
    println!("{}", String::from_utf8_lossy(&response.body));
    if response.status.is_success() {
        Ok(())
    } else {
        Err(crate::exit::ResourceStatus(response.status.as_u16()).into())
    }
}

/// The URL and scheme to call, once the combination is safe: `mtls_pop` needs `--cert` and
/// https; a token goes over plain http only to a loopback address with
/// `--allow-insecure-loopback`.
fn check_target(args: &CallArgs) -> Result<(Url, Scheme), UsageError> {
    let scheme = parse_scheme(&args.scheme)?;
    if scheme == Scheme::MtlsPop && args.cert.is_none() {
        return Err(UsageError::new(
            "missing_certificate",
            "--scheme mtls_pop needs --cert: an mTLS PoP token is only accepted over a TLS \
             connection presenting the certificate it is bound to (use --scheme Bearer for a \
             Bearer token)",
        ));
    }
    let url = Url::parse(&args.url)
        .map_err(|e| UsageError::new("invalid_url", format!("the URL is not a valid URL: {e}")))?;
    match url.scheme() {
        "https" => Ok((url, scheme)),
        "http" => {
            check_plain_http(&url, scheme, args)?;
            Ok((url, scheme))
        }
        _ => Err(UsageError::new(
            "insecure_url",
            "the URL must be https:// (or http:// to a loopback address with \
             --allow-insecure-loopback)",
        )),
    }
}

/// `mtls_pop` or `Bearer` (any case).
fn parse_scheme(scheme: &str) -> Result<Scheme, UsageError> {
    if scheme.eq_ignore_ascii_case("mtls_pop") {
        Ok(Scheme::MtlsPop)
    } else if scheme.eq_ignore_ascii_case("bearer") {
        Ok(Scheme::Bearer)
    } else {
        Err(UsageError::new(
            "invalid_scheme",
            "--scheme must be mtls_pop or Bearer",
        ))
    }
}

/// Refuses plain http unless the token is a Bearer token without `--cert`, the host is a
/// loopback address and `--allow-insecure-loopback` is given.
fn check_plain_http(url: &Url, scheme: Scheme, args: &CallArgs) -> Result<(), UsageError> {
    let refusal = if scheme == Scheme::MtlsPop {
        (
            "insecure_url",
            "--scheme mtls_pop needs an https:// URL: the certificate the token is bound to is \
             presented in TLS",
        )
    } else if args.cert.is_some() {
        (
            "insecure_url",
            "--cert needs an https:// URL: a client certificate is presented in TLS",
        )
    } else if !is_loopback(url, &args.resolve) {
        (
            "insecure_url",
            "refusing to send a token over plain http:// to a host that is not a loopback \
             address: use https:// (--allow-insecure-loopback allows http:// only to \
             127.0.0.0/8, ::1 and localhost)",
        )
    } else if !args.allow_insecure_loopback {
        (
            "insecure_url",
            "refusing to send a token over plain http://: pass --allow-insecure-loopback to \
             allow it for this loopback address",
        )
    } else {
        return Ok(());
    };
    Err(UsageError::new(refusal.0, refusal.1))
}

/// True when `url`'s host is a loopback IP address or `localhost`, and no `--resolve` entry
/// sends that host anywhere else.
fn is_loopback(url: &Url, resolve: &[(String, SocketAddr)]) -> bool {
    let named_loopback = match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']);
    named_loopback
        && resolve
            .iter()
            .filter(|(name, _)| name.trim_matches(['[', ']']).eq_ignore_ascii_case(host))
            .all(|(_, addr)| IpAddr::is_loopback(&addr.ip()))
}

/// The token input (`-` for standard input) in a zeroizing buffer.
fn read_token_input(path: &PathBuf) -> Result<Zeroizing<Vec<u8>>, CliError> {
    if path.as_os_str() == "-" {
        read_stdin(MAX_TOKEN_INPUT)
            .map_err(|e| format!("cannot read the token from standard input: {e}").into())
    } else {
        let file = std::fs::File::open(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        read_bounded(file, MAX_TOKEN_INPUT)
            .map_err(|e| format!("cannot read {}: {e}", path.display()).into())
    }
}

/// `msal token --show-token` output: only its `access_token`, borrowed from the input.
#[derive(Deserialize)]
struct ShowTokenOutput<'a> {
    #[serde(borrow)]
    access_token: Option<&'a str>,
}

/// The token in `input`: the bare token, or the `access_token` of `msal token --show-token`
/// JSON. Borrowed from `input`, never copied; errors never quote the input.
fn token_in(input: &[u8]) -> Result<&str, CliError> {
    let text = std::str::from_utf8(input).map_err(|_| "the token input is not UTF-8")?;
    let text = text.trim();
    let token = if text.starts_with('{') {
        serde_json::from_str::<ShowTokenOutput<'_>>(text)
            .map_err(|_| {
                "the token input is not usable JSON: expected `msal token --show-token` output \
                 whose access_token is a string without escape sequences"
            })?
            .access_token
            .ok_or("the JSON has no access_token (use msal token --show-token)")?
    } else {
        text
    };
    if token.is_empty() {
        return Err("the token input is empty".into());
    }
    Ok(token)
}

/// The `Authorization` header value `"{scheme} {token}"`, built in one zeroizing buffer that the
/// header then owns (no copy), so it is cleared when the request is dropped.
fn authorization(scheme: Scheme, token: &str) -> Result<HeaderValue, CliError> {
    let name = scheme.wire_name();
    let mut value = Zeroizing::new(Vec::with_capacity(name.len() + 1 + token.len()));
    value.extend_from_slice(name.as_bytes());
    value.push(b' ');
    value.extend_from_slice(token.as_bytes());
    let mut header = HeaderValue::from_maybe_shared(Bytes::from_owner(value))
        .map_err(|_| "the token contains characters not allowed in an HTTP header")?;
    header.set_sensitive(true);
    Ok(header)
}

#[cfg(test)]
mod tests;
