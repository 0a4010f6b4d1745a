//! `msal token`: acquire a token for a confidential client and print it as JSON.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use msal::pkcs11::Pkcs11Key;
use msal::transport::HyperTransport;
use msal::{
    AzureRegion, ClientCertificate, ConfidentialClientApplication,
    ConfidentialClientApplicationBuilder, FileCertificateSource, SecretString,
};
use zeroize::Zeroizing;

use crate::secret_input::{env_secret, read_secret_file, EnvName};
use crate::{output, progress, CliError, UsageError};

/// Arguments of `msal token`.
#[derive(Debug, Args)]
pub(crate) struct TokenArgs {
    /// Authority URL, e.g. https://login.microsoftonline.com/<tenant-id>
    #[arg(long, required_unless_present = "from_env")]
    authority: Option<String>,
    /// Application (client) id.
    #[arg(long, required_unless_present = "from_env")]
    client_id: Option<String>,
    /// Take the app's configuration from the environment instead (AZURE_TENANT_ID,
    /// AZURE_CLIENT_ID, AZURE_CLIENT_SECRET / AZURE_CLIENT_CERTIFICATE_PATH /
    /// AZURE_FEDERATED_TOKEN_FILE, ...; see docs/environment.md).
    #[arg(long, conflicts_with_all = ["authority", "client_id", "credential", "send_x5c", "watch"])]
    from_env: bool,
    /// PEM file with the certificate chain and its private key.
    #[arg(long, group = "credential")]
    cert: Option<PathBuf>,
    /// Separate PEM file with the private key (with --cert holding only certificates).
    #[arg(long, requires = "cert")]
    key: Option<PathBuf>,
    /// PKCS#11 module (shared library) whose token holds the private key of --cert, e.g.
    /// /usr/lib/softhsm/libsofthsm2.so; --cert then holds only the certificate chain, and the
    /// key signs inside the token. Needs --pkcs11-token and --pkcs11-key.
    #[arg(
        long,
        value_name = "PATH",
        requires_all = ["cert", "pkcs11_token", "pkcs11_key"],
        conflicts_with_all = ["key", "pfx", "secret_env", "from_env", "watch"]
    )]
    pkcs11_module: Option<PathBuf>,
    /// Label of the PKCS#11 token holding the key (with --pkcs11-module).
    #[arg(long, value_name = "LABEL", requires = "pkcs11_module")]
    pkcs11_token: Option<String>,
    /// Label (CKA_LABEL) of the private key in the token (with --pkcs11-module).
    #[arg(long, value_name = "LABEL", requires = "pkcs11_module")]
    pkcs11_key: Option<String>,
    /// Name of the environment variable holding the token's user PIN (not the PIN); default
    /// MSAL_PKCS11_PIN.
    #[arg(
        long,
        value_name = "VAR",
        allow_hyphen_values = true,
        requires = "pkcs11_module"
    )]
    pkcs11_pin_env: Option<EnvName>,
    /// PKCS#12 (.pfx) file with the certificate and key.
    #[arg(long, group = "credential")]
    pfx: Option<PathBuf>,
    /// Name of the environment variable holding the PKCS#12 password (not the password).
    #[arg(long, allow_hyphen_values = true, value_name = "VAR")]
    password_env: Option<EnvName>,
    /// Name of the environment variable holding the client secret (not the secret).
    #[arg(
        long,
        group = "credential",
        allow_hyphen_values = true,
        value_name = "VAR"
    )]
    secret_env: Option<EnvName>,
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
    /// Seconds allowed for DNS + TCP connect + TLS handshake of each connection (default 10).
    #[arg(long, value_name = "SECS")]
    connect_timeout: Option<u64>,
    /// Seconds allowed for each HTTP request as a whole (default 30).
    #[arg(long, value_name = "SECS")]
    timeout: Option<u64>,
    /// Keep running: acquire a token every SECS seconds and print each result on one line
    /// (JSON), re-reading the --cert/--key or --pfx files when they change (at most once per
    /// SECS), so a renewed certificate is used without a restart. Needs --cert or --pfx.
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    watch: Option<u64>,
    /// With --watch: stop after N acquisitions (default: run until interrupted).
    #[arg(long, value_name = "N", requires = "watch", value_parser = clap::value_parser!(u64).range(1..))]
    count: Option<u64>,
}

/// The `--connect-timeout` / `--timeout` values, in seconds.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Timeouts {
    pub(crate) connect: Option<u64>,
    pub(crate) request: Option<u64>,
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
    let mut builder = match (&args.client_id, &args.authority) {
        (Some(client_id), Some(authority)) if !args.from_env => with_credential(
            ConfidentialClientApplication::builder(client_id).authority(authority),
            &args,
        )?,
        _ => ConfidentialClientApplication::builder_from_env(Arc::new(|name: &str| {
            std::env::var(name).ok()
        }))?,
    };
    let timeouts = Timeouts {
        connect: args.connect_timeout,
        request: args.timeout,
    };
    if let Some(transport) = transport(args.ca_file.as_ref(), &args.resolve, timeouts)? {
        builder = builder.transport(Arc::new(transport));
    }
    match args.region.as_deref() {
        None => {}
        Some("auto") => builder = builder.azure_region(AzureRegion::AutoDetect),
        Some(name) => builder = builder.azure_region(AzureRegion::Named(name.to_owned())),
    }

    let app = builder.build()?;
    let Some(every) = args.watch else {
        let result = acquire(&app, &args).await?;
        let json = output::result_json(&result, args.show_token);
        println!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(());
    };
    // --watch: one line per acquisition, the certificate files re-read when they change
    let mut done = 0;
    loop {
        let result = acquire(&app, &args).await?;
        println!(
            "{}",
            serde_json::to_string(&output::result_json(&result, args.show_token))?
        );
        done += 1;
        if args.count.is_some_and(|count| done >= count) {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_secs(every)).await;
    }
}

/// One acquisition as the arguments ask for it.
async fn acquire(
    app: &ConfidentialClientApplication,
    args: &TokenArgs,
) -> Result<msal::AuthenticationResult, CliError> {
    let request = app.acquire_token_for_client(args.scopes.clone());
    Ok(if args.mtls_pop {
        progress::reported(
            "mTLS PoP token request",
            request.with_mtls_proof_of_possession(),
        )
        .await?
    } else {
        progress::reported("token request", request).await?
    })
}

/// `builder` with the credential the arguments name. Key files, the PKCS#12 password and the
/// client secret are held in zeroizing buffers until the library takes them.
fn with_credential(
    builder: ConfidentialClientApplicationBuilder,
    args: &TokenArgs,
) -> Result<ConfidentialClientApplicationBuilder, CliError> {
    refuse_inapplicable_flags(args)?;
    if let Some(every) = args.watch {
        let source = file_source(args)?.check_interval(std::time::Duration::from_secs(every));
        return Ok(builder
            .certificate_provider(Arc::new(source))
            .send_x5c(args.send_x5c));
    }
    let certificate = if let (Some(module), Some(path)) = (&args.pkcs11_module, &args.cert) {
        pkcs11_certificate(args, module, path)?
    } else if let Some(path) = &args.cert {
        let certs = read_secret_file(path)?;
        match &args.key {
            Some(key) => ClientCertificate::from_pem_parts(&certs, &read_secret_file(key)?)?,
            None => ClientCertificate::from_pem(&certs)?,
        }
    } else if let Some(path) = &args.pfx {
        let password = match &args.password_env {
            Some(var) => env_secret("--password-env", var)?,
            None => Zeroizing::new(String::new()),
        };
        ClientCertificate::from_pkcs12(&read_secret_file(path)?, &password).map_err(|e| {
            match args.password_env {
                Some(_) => CliError::from(e),
                None => format!(
                    "{} cannot be read without a password ({}): pass --password-env VAR, naming the environment variable that holds its password",
                    path.display(),
                    e.code()
                )
                .into(),
            }
        })?
    } else if let Some(var) = &args.secret_env {
        let mut secret = env_secret("--secret-env", var)?;
        // Moves the String into the library's zeroizing SecretString; nothing is copied.
        return Ok(builder.client_secret(std::mem::take(&mut *secret)));
    } else {
        return Err(UsageError::new(
            "missing_credential",
            "give one credential: --cert, --pfx or --secret-env",
        )
        .into());
    };
    Ok(builder.certificate(certificate).send_x5c(args.send_x5c))
}

/// The --cert/--key or --pfx files as a certificate source that re-reads them when they change.
fn file_source(args: &TokenArgs) -> Result<FileCertificateSource, CliError> {
    Ok(match (&args.cert, &args.key, &args.pfx) {
        (Some(cert), Some(key), _) => FileCertificateSource::pem(cert, key)?,
        (Some(bundle), None, _) => FileCertificateSource::pem_bundle(bundle)?,
        (None, _, Some(pfx)) => {
            let mut password = match &args.password_env {
                Some(var) => env_secret("--password-env", var)?,
                None => Zeroizing::new(String::new()),
            };
            FileCertificateSource::pkcs12(pfx, std::mem::take(&mut *password))?
        }
        (None, _, None) => {
            return Err(UsageError::new(
                "flag_not_applicable",
                "--watch re-reads certificate files and needs --cert or --pfx",
            )
            .into())
        }
    })
}

/// The variable holding the PKCS#11 PIN when --pkcs11-pin-env is not given.
const DEFAULT_PIN_ENV: &str = "MSAL_PKCS11_PIN";

/// The certificate chain of `cert` with its key in the PKCS#11 token the arguments name. The
/// PIN moves from the environment into the library's zeroizing `SecretString`.
fn pkcs11_certificate(
    args: &TokenArgs,
    module: &Path,
    cert: &Path,
) -> Result<ClientCertificate, CliError> {
    let var = match &args.pkcs11_pin_env {
        Some(var) => var.clone(),
        None => DEFAULT_PIN_ENV.parse().unwrap_or_else(|e| match e {}),
    };
    let mut pin = env_secret("--pkcs11-pin-env (default MSAL_PKCS11_PIN)", &var)?;
    let (Some(token), Some(key)) = (&args.pkcs11_token, &args.pkcs11_key) else {
        return Err(UsageError::new(
            "missing_pkcs11_key",
            "--pkcs11-module needs --pkcs11-token LABEL and --pkcs11-key LABEL",
        )
        .into());
    };
    let key = Pkcs11Key::builder(module)
        .token_label(token)
        .key_label(key)
        .pin(SecretString::new(std::mem::take(&mut *pin)))
        .open()?;
    Ok(ClientCertificate::from_pem_with_signer(
        &read_secret_file(cert)?,
        key,
    )?)
}

/// Flags that would be ignored with the chosen credential are a usage error naming them.
fn refuse_inapplicable_flags(args: &TokenArgs) -> Result<(), CliError> {
    if args.password_env.is_some() && args.pfx.is_none() {
        return Err(UsageError::new(
            "flag_not_applicable",
            "--password-env names the password of a --pfx file; it does not apply without --pfx",
        )
        .into());
    }
    if args.send_x5c && args.secret_env.is_some() {
        return Err(UsageError::new(
            "flag_not_applicable",
            "--send-x5c sends a certificate chain and needs --cert or --pfx; it does not apply to --secret-env",
        )
        .into());
    }
    Ok(())
}

/// A transport with extra roots, host overrides and timeouts, or None for the default
/// transport (with `--from-env`: the one the environment configures).
pub(crate) fn transport(
    ca_file: Option<&PathBuf>,
    resolve: &[(String, SocketAddr)],
    timeouts: Timeouts,
) -> Result<Option<HyperTransport>, CliError> {
    if ca_file.is_none()
        && resolve.is_empty()
        && timeouts.connect.is_none()
        && timeouts.request.is_none()
    {
        return Ok(None);
    }
    let mut transport = HyperTransport::builder();
    if let Some(secs) = timeouts.connect {
        transport = transport.connect_timeout(std::time::Duration::from_secs(secs));
    }
    if let Some(secs) = timeouts.request {
        transport = transport.request_timeout(std::time::Duration::from_secs(secs));
    }
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
