//! The body of `PUT /api/v1/crates/new`
//! (<https://doc.rust-lang.org/cargo/reference/registry-web-api.html#publish>): a 32-bit
//! little-endian length, that many bytes of JSON metadata, a 32-bit little-endian length and
//! that many bytes of `.crate` file.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The metadata fields of a publish request that the index needs.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct NewCrate {
    /// The package name.
    pub(crate) name: String,
    /// Its version.
    pub(crate) vers: String,
    /// Its dependencies (dev-dependencies included).
    pub(crate) deps: Vec<NewDep>,
    /// Its features.
    #[serde(default)]
    pub(crate) features: BTreeMap<String, Vec<String>>,
    /// The native library it links, if any.
    #[serde(default)]
    pub(crate) links: Option<String>,
    /// Its `rust-version`, if any.
    #[serde(default)]
    pub(crate) rust_version: Option<String>,
}

/// One dependency of a publish request.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct NewDep {
    /// The real package name.
    pub(crate) name: String,
    /// The version requirement.
    pub(crate) version_req: String,
    /// Features enabled on it.
    #[serde(default)]
    pub(crate) features: Vec<String>,
    /// Whether it is optional.
    #[serde(default)]
    pub(crate) optional: bool,
    /// Whether its default features are on.
    #[serde(default = "yes")]
    pub(crate) default_features: bool,
    /// The `cfg` or target it is limited to.
    #[serde(default)]
    pub(crate) target: Option<String>,
    /// `normal`, `dev` or `build`.
    #[serde(default = "normal")]
    pub(crate) kind: String,
    /// The index URL of its registry; absent when it is the registry published to.
    #[serde(default)]
    pub(crate) registry: Option<String>,
    /// The key in `Cargo.toml` when the dependency is renamed.
    #[serde(default)]
    pub(crate) explicit_name_in_toml: Option<String>,
}

fn yes() -> bool {
    true
}

fn normal() -> String {
    "normal".to_owned()
}

/// A parsed publish request.
#[derive(Debug, Clone)]
pub(crate) struct PublishBody {
    /// The metadata.
    pub(crate) meta: NewCrate,
    /// The `.crate` file.
    pub(crate) crate_file: Vec<u8>,
}

/// Reads a publish request body; an error says which part is malformed.
pub(crate) fn parse(body: &[u8]) -> Result<PublishBody, String> {
    let (json, rest) = take_chunk(body, "metadata")?;
    let (crate_file, rest) = take_chunk(rest, ".crate file")?;
    if !rest.is_empty() {
        return Err(format!("{} bytes after the .crate file", rest.len()));
    }
    let meta: NewCrate =
        serde_json::from_slice(json).map_err(|e| format!("publish metadata: {e}"))?;
    semver::Version::parse(&meta.vers).map_err(|e| format!("version {:?}: {e}", meta.vers))?;
    if super::index::index_path(&meta.name).is_none() {
        return Err(format!("invalid crate name {:?}", meta.name));
    }
    Ok(PublishBody {
        meta,
        crate_file: crate_file.to_vec(),
    })
}

/// Splits a u32-LE-length-prefixed chunk off `bytes`.
fn take_chunk<'a>(bytes: &'a [u8], what: &str) -> Result<(&'a [u8], &'a [u8]), String> {
    let Some((len, rest)) = bytes.split_first_chunk::<4>() else {
        return Err(format!("truncated before the {what} length"));
    };
    let len = u32::from_le_bytes(*len) as usize;
    if rest.len() < len {
        return Err(format!(
            "{what} announces {len} bytes, {} remain",
            rest.len()
        ));
    }
    Ok(rest.split_at(len))
}

/// A publish request body, as cargo sends it (for tests and for the reader's benefit).
#[cfg(test)]
pub(crate) fn encode(json: &[u8], crate_file: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    for chunk in [json, crate_file] {
        body.extend_from_slice(&u32::try_from(chunk.len()).unwrap().to_le_bytes());
        body.extend_from_slice(chunk);
    }
    body
}
