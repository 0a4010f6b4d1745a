//! Azure region selection for regional token endpoints (ESTS-R, `{region}.login.microsoft.com`;
//! `{region}.mtlsauth.microsoft.com` over mTLS), with the rules MSAL.NET follows:
//!
//! * [`AzureRegion::Named`]: used as given when it is ASCII alphanumeric (`westus3`); anything
//!   else is logged and ignored, and the global endpoint is used. No IMDS call.
//! * [`AzureRegion::AutoDetect`]: env `REGION_NAME` (spaces removed, lower-cased), then IMDS
//!   `GET {imds}/metadata/instance/compute?api-version=2021-02-01` with `Metadata: true`, a 2 s
//!   timeout and no client certificate; the answer (or the failure) is cached for the process.
//!   Failure falls back to the global endpoint.
//! * [`AzureRegion::Disabled`]: never regional, even when `MSAL_FORCE_REGION` is set.
//! * not configured: env `MSAL_FORCE_REGION` if set, else no region.
//!
//! Env `MSAL_DISABLE_REGION` (any non-empty value) switches regions off entirely.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use http::{HeaderName, HeaderValue};
use mtls_transport::{is_valid_region, HttpRequest, Transport};
use serde::Deserialize;
pub use telemetry::{RegionOutcome, RegionSource};
use url::Url;

/// The IMDS base address on Azure VMs. Tests inject a loopback stub instead.
pub const DEFAULT_IMDS_BASE: &str = "http://169.254.169.254";
const IMDS_TIMEOUT: Duration = Duration::from_secs(2);

/// How the application picks an Azure region.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AzureRegion {
    /// This region, e.g. `westus3` (must be ASCII alphanumeric, else ignored).
    Named(String),
    /// Detect it: `REGION_NAME`, then IMDS; fall back to the global endpoint.
    AutoDetect,
    /// Never use a regional endpoint.
    Disabled,
}

/// The region a request used and how it was chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionDetails {
    pub(crate) region: Option<String>,
    pub(crate) source: Option<RegionSource>,
    pub(crate) outcome: Option<RegionOutcome>,
}

impl RegionDetails {
    pub(crate) const NONE: RegionDetails = RegionDetails {
        region: None,
        source: None,
        outcome: None,
    };

    /// The region used, if any (`None` means the global endpoint).
    pub fn region_used(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// Where the region came from (`None` when no region was configured).
    /// [`RegionSource::Cache`] means an IMDS answer another request of this process obtained.
    pub fn source(&self) -> Option<RegionSource> {
        self.source
    }

    /// What came of region selection (`None` when no region was configured).
    pub fn outcome(&self) -> Option<RegionOutcome> {
        self.outcome
    }
}

/// Reads an environment variable; injectable so tests do not touch the process environment.
pub type EnvLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Region configuration of one application.
#[derive(Clone)]
pub(crate) struct RegionConfig {
    pub(crate) region: Option<AzureRegion>,
    pub(crate) imds_base: Url,
    pub(crate) env: EnvLookup,
}

impl fmt::Debug for RegionConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegionConfig")
            .field("region", &self.region)
            .field("imds_base", &self.imds_base.as_str())
            .finish_non_exhaustive()
    }
}

impl RegionConfig {
    pub(crate) fn process_env() -> EnvLookup {
        Arc::new(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// Resolve the region for one request.
    pub(crate) async fn resolve(&self, transport: &dyn Transport) -> RegionDetails {
        if (self.env)("MSAL_DISABLE_REGION").is_some() {
            return RegionDetails::NONE;
        }
        let configured = match &self.region {
            Some(r) => r.clone(),
            None => match (self.env)("MSAL_FORCE_REGION") {
                Some(forced) => AzureRegion::Named(forced),
                None => return RegionDetails::NONE,
            },
        };
        match configured {
            AzureRegion::Disabled => RegionDetails::NONE,
            AzureRegion::Named(name) => {
                if is_valid_region(&name) {
                    RegionDetails {
                        region: Some(name.to_ascii_lowercase()),
                        source: Some(RegionSource::UserProvided),
                        outcome: Some(RegionOutcome::UserProvided),
                    }
                } else {
                    tracing::warn!(
                        "the configured Azure region is not ASCII alphanumeric; it is ignored and the global endpoint is used"
                    );
                    RegionDetails {
                        region: None,
                        source: Some(RegionSource::UserProvided),
                        outcome: Some(RegionOutcome::FallbackToGlobal),
                    }
                }
            }
            AzureRegion::AutoDetect => {
                if let Some(env) = (self.env)("REGION_NAME") {
                    let cleaned: String = env
                        .chars()
                        .filter(|c| !c.is_whitespace())
                        .collect::<String>()
                        .to_ascii_lowercase();
                    if is_valid_region(&cleaned) {
                        return RegionDetails {
                            region: Some(cleaned),
                            source: Some(RegionSource::EnvVariable),
                            outcome: Some(RegionOutcome::AutodetectSuccess),
                        };
                    }
                    tracing::warn!("REGION_NAME is not a valid region name; trying IMDS");
                }
                match imds_region(&self.imds_base, transport).await {
                    (Some(region), cached) => RegionDetails {
                        region: Some(region),
                        source: Some(if cached {
                            RegionSource::Cache
                        } else {
                            RegionSource::Imds
                        }),
                        outcome: Some(RegionOutcome::AutodetectSuccess),
                    },
                    (None, _) => RegionDetails {
                        region: None,
                        source: Some(RegionSource::FailedAutoDiscovery),
                        outcome: Some(RegionOutcome::FallbackToGlobal),
                    },
                }
            }
        }
    }
}

type ImdsCell = Arc<tokio::sync::OnceCell<Option<String>>>;

/// Process-wide IMDS answers, one per IMDS base URL (a real process has one).
fn imds_cache() -> &'static Mutex<HashMap<String, ImdsCell>> {
    static CACHE: OnceLock<Mutex<HashMap<String, ImdsCell>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The region IMDS reports, and whether it came from the process-wide cache.
async fn imds_region(base: &Url, transport: &dyn Transport) -> (Option<String>, bool) {
    let cell = match imds_cache().lock() {
        Ok(mut cache) => cache.entry(base.to_string()).or_default().clone(),
        Err(_) => return (None, false),
    };
    let cached = cell.initialized();
    let region = cell
        .get_or_init(|| query_imds(base, transport))
        .await
        .clone();
    (region, cached)
}

#[derive(Deserialize)]
struct Compute {
    location: Option<String>,
}

#[derive(Deserialize)]
struct VersionError {
    #[serde(rename = "newest-versions")]
    newest_versions: Option<Vec<String>>,
}

async fn query_imds(base: &Url, transport: &dyn Transport) -> Option<String> {
    let first = imds_get(base, Some("2021-02-01"), transport).await?;
    let body = if first.0 == 400 {
        // Old IMDS: ask which versions it supports and retry with the newest one.
        let versions: VersionError = serde_json::from_slice(&first.1).ok()?;
        let newest = versions.newest_versions?.into_iter().next()?;
        let retry = imds_get(base, Some(&newest), transport).await?;
        (retry.0 == 200).then_some(retry.1)?
    } else if first.0 == 200 {
        first.1
    } else {
        tracing::info!(
            status = first.0,
            "IMDS did not return a region; using the global endpoint"
        );
        return None;
    };
    let compute: Compute = serde_json::from_slice(&body).ok()?;
    let region = compute.location?.to_ascii_lowercase();
    if is_valid_region(&region) {
        tracing::debug!(region = %region, "region detected by IMDS");
        Some(region)
    } else {
        tracing::warn!("IMDS returned an invalid region name; using the global endpoint");
        None
    }
}

async fn imds_get(
    base: &Url,
    api_version: Option<&str>,
    transport: &dyn Transport,
) -> Option<(u16, bytes::Bytes)> {
    let mut url = base.join("/metadata/instance/compute").ok()?;
    if let Some(v) = api_version {
        url.query_pairs_mut().append_pair("api-version", v);
    }
    let request = HttpRequest::get(url).header(
        HeaderName::from_static("metadata"),
        HeaderValue::from_static("true"),
    );
    match tokio::time::timeout(IMDS_TIMEOUT, transport.send(request, None)).await {
        Ok(Ok(response)) => Some((response.status.as_u16(), response.body)),
        Ok(Err(e)) => {
            tracing::info!(error = %e, "IMDS unreachable; using the global endpoint");
            None
        }
        Err(_) => {
            tracing::info!("IMDS did not answer within 2 s; using the global endpoint");
            None
        }
    }
}
