//! The development setting: point an unchanged application at a local endpoint (such as
//! `msal emulator`) by mapping hostnames to loopback addresses and trusting an extra root.
//!
//! Off unless `MSAL_DEV_MODE` is `true`/`1`; when it is on, a warning is logged at build time,
//! and while it is off, a set `MSAL_DEV_HOST_MAP` or `MSAL_DEV_EXTRA_ROOTS` is ignored with a
//! warning too, so the setting never acts (or fails to act) silently.

use std::net::SocketAddr;

use mtls_transport::{HyperTransport, HyperTransportBuilder};

use crate::Error;

pub(crate) const DEV_MODE: &str = "MSAL_DEV_MODE";
pub(crate) const DEV_HOST_MAP: &str = "MSAL_DEV_HOST_MAP";
pub(crate) const DEV_EXTRA_ROOTS: &str = "MSAL_DEV_EXTRA_ROOTS";

/// The transport builder of the development setting, or `None` when it is off.
pub(super) fn builder(
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<HyperTransportBuilder>, Error> {
    let enabled = match lookup(DEV_MODE) {
        Some(v) => super::parse_flag(DEV_MODE, &v)?,
        None => false,
    };
    let map = lookup(DEV_HOST_MAP);
    let roots = lookup(DEV_EXTRA_ROOTS);
    if !enabled {
        if map.is_some() || roots.is_some() {
            tracing::warn!(
                "{DEV_HOST_MAP} / {DEV_EXTRA_ROOTS} are set but ignored: {DEV_MODE} is not true"
            );
        }
        return Ok(None);
    }
    let entries = match &map {
        Some(map) => parse_host_map(map)?,
        None => Vec::new(),
    };
    tracing::warn!(
        hosts = entries.len(),
        extra_roots = roots.as_deref().unwrap_or("none"),
        "{DEV_MODE} is on: token requests go only to the mapped development addresses (never to DNS) and trust extra roots; never set it in production"
    );
    let mut builder = HyperTransport::builder().resolve_overrides_only(true);
    for (host, addr) in &entries {
        builder = builder.resolve(host, *addr);
    }
    if let Some(path) = &roots {
        builder = builder
            .add_root_certificates_file(path)
            .map_err(|e| Error::environment(DEV_EXTRA_ROOTS, e.to_string()))?;
    }
    Ok(Some(builder))
}

/// `host=ip:port` entries separated by commas or whitespace; `host` may be `*.suffix`.
pub(crate) fn parse_host_map(map: &str) -> Result<Vec<(String, SocketAddr)>, Error> {
    map.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|e| !e.is_empty())
        .map(|entry| {
            let bad = |why: &str| {
                Error::environment(
                    DEV_HOST_MAP,
                    format!("entry {entry:?} {why}; write host=ip:port, e.g. login.microsoftonline.com=127.0.0.1:8443"),
                )
            };
            let (host, addr) = entry.split_once('=').ok_or_else(|| bad("has no '='"))?;
            let addr: SocketAddr = addr.parse().map_err(|_| bad("has no ip:port after '='"))?;
            let name = host.strip_prefix("*.").unwrap_or(host);
            let valid = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
            if !valid {
                return Err(bad("has an invalid hostname"));
            }
            Ok((host.to_owned(), addr))
        })
        .collect()
}
