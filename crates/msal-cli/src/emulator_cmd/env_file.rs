//! `msal emulator --env-file PATH`: the environment an unchanged app needs to use the emulator.
//!
//! `AZURE_*` configure the app (`ConfidentialClientApplication::from_env`, or any Azure SDK):
//! the certificate app, whose certificate gives both Bearer (signed assertion) and mTLS PoP.
//! `MSAL_DEV_MODE` / `MSAL_DEV_HOST_MAP` / `MSAL_DEV_EXTRA_ROOTS` are the library's explicit
//! development setting: every hostname of every flow (login, `mtlsauth` and `*.mtlsauth`
//! regional hosts, the `mtlstb.graph` resource) mapped to the emulator, and its CA trusted.

use std::path::{Path, PathBuf};

use entra_emulator::Emulator;

use super::{write_private, DemoFiles};
use crate::CliError;

/// Writes the file (mode 0600, replaced atomically so a reader never sees half of it).
pub(super) fn write(
    path: &Path,
    emulator: &Emulator,
    files: &DemoFiles,
    tenant: &str,
    cert_app: &str,
    secret_app: &str,
) -> Result<(), CliError> {
    let ca = absolute(&files.ca)?;
    let cert = absolute(&files.cert)?;
    let secret = absolute(&files.secret)?;
    let map: Vec<String> = emulator
        .resolver_entries()
        .into_iter()
        .map(|(host, addr)| format!("{host}={addr}"))
        .collect();
    let lines = [
        "# Written by `msal emulator --env-file`: the environment that points an unchanged app at".to_owned(),
        "# the local Entra emulator. Load it with: set -a; . THIS_FILE; set +a".to_owned(),
        "# Never use MSAL_DEV_* in production: they replace DNS and trust the emulator's CA.".to_owned(),
        assignment("AZURE_TENANT_ID", tenant)?,
        assignment("AZURE_CLIENT_ID", cert_app)?,
        assignment("AZURE_CLIENT_CERTIFICATE_PATH", &cert)?,
        assignment("AZURE_CLIENT_SEND_CERTIFICATE_CHAIN", "true")?,
        assignment("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.com")?,
        format!("# The secret app instead: AZURE_CLIENT_ID={secret_app}, AZURE_CLIENT_SECRET from {secret}, and no certificate."),
        assignment("MSAL_DEV_MODE", "true")?,
        assignment("MSAL_DEV_HOST_MAP", &map.join(","))?,
        assignment("MSAL_DEV_EXTRA_ROOTS", &ca)?,
    ];
    let text = lines.join("\n") + "\n";
    let staging = PathBuf::from(format!("{}.partial", path.display()));
    write_private(&staging, &[text.as_bytes()])
        .map_err(|e| format!("--env-file {}: {e}", path.display()))?;
    std::fs::rename(&staging, path)
        .map_err(|e| format!("cannot write --env-file {}: {e}", path.display()).into())
}

/// `KEY='value'`, which a POSIX shell and dotenv readers both take literally.
fn assignment(key: &str, value: &str) -> Result<String, CliError> {
    if value.contains(['\'', '\n', '\r']) {
        return Err(format!(
            "cannot write {key} to --env-file: its value contains a quote or a line break; choose another --out-dir"
        )
        .into());
    }
    Ok(format!("{key}='{value}'"))
}

fn absolute(path: &Path) -> Result<String, CliError> {
    let absolute = std::path::absolute(path)
        .map_err(|e| format!("cannot make {} absolute: {e}", path.display()))?;
    absolute
        .to_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("--out-dir {} is not UTF-8", path.display()).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_single_quoted_and_quotes_refused() {
        assert_eq!(assignment("K", "a b").unwrap(), "K='a b'");
        let err = assignment("K", "it's").unwrap_err();
        assert!(err.to_string().contains("--env-file"), "{err}");
        assert!(assignment("K", "a\nb").is_err());
    }
}
