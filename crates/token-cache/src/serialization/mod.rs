//! MSAL's unified serialized cache format (the JSON document MSAL Python's
//! `SerializableTokenCache` reads and writes).
//!
//! A document is one JSON object: section name → {key → entry}. This module reads the
//! `AccessToken` section into [`CachedAccessToken`]s and writes them back, keeping everything
//! else as it was: other sections (`RefreshToken`, `Account`, custom ones), entries it does not
//! understand (user tokens, other libraries' `atext` entries, broken entries) and unknown fields
//! inside the entries it does understand all survive a read → write round trip, in their
//! original order.
//!
//! # Keys
//!
//! * A Bearer token without a key id is stored exactly as MSAL Python stores an app-only token,
//!   `-{environment}-accesstoken-{client_id}-{realm}-{target}`, lower-cased, so MSAL Python finds
//!   it with its O(1) probe.
//! * Any other token (token type other than Bearer, or a key id: mTLS PoP, Bearer over mTLS) is
//!   stored in MSAL Python 1.39's `atext` form,
//!   `-{environment}-atext-{client_id}-{realm}-{target}-{ext_cache_key}`, lower-cased, with an
//!   `ext_cache_key` field. The ext key is derived from the token type and the key id (see
//!   [`ext_cache_key`]), so two certificates never share a key, and MSAL Python, which never
//!   derives an ext key from those fields and skips `ext_cache_key` entries when its query has
//!   none, never returns them.
//!
//! `target` is the scopes sorted by code point, joined with single spaces (sorted before the key
//! is lower-cased). Timestamps are strings of integer Unix seconds; `home_account_id` is JSON
//! `null`.

use std::collections::HashMap;

use base64::Engine as _;
use indexmap::IndexMap;
use oauth2_core::{Scopes, SecretString};

use crate::json::{self, Json, Object};
use crate::{CachedAccessToken, Error, PartitionKey};

/// Name of the access-token section.
const ACCESS_TOKEN: &str = "AccessToken";
/// Name of the application-metadata section.
const APP_METADATA: &str = "AppMetadata";

/// The `token_type` MSAL writes for Bearer tokens.
const BEARER: &str = "Bearer";

/// A parsed MSAL cache document.
///
/// Holds the whole document (so nothing foreign is lost) plus an index of the access tokens this
/// crate understands: app-only tokens (`home_account_id` null, `""` or missing) with a
/// `credential_type` of `AccessToken`, and no `ext_cache_key` other than the one this crate
/// derives.
///
/// `Debug` shows counts only; tokens are zeroized when the document is dropped.
pub struct CacheDocument {
    /// The whole document, in order. The `AccessToken` and `AppMetadata` sections, when present,
    /// are objects.
    root: Object,
    /// AccessToken-section key → the parsed entry, for the entries we understand.
    ours: IndexMap<String, CachedAccessToken>,
    /// (partition, scopes) → AccessToken-section key.
    by_identity: HashMap<(PartitionKey, Scopes), String>,
}

impl std::fmt::Debug for CacheDocument {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheDocument")
            .field("sections", &self.root.keys().collect::<Vec<_>>())
            .field("access_tokens", &self.ours.len())
            .finish()
    }
}

impl Default for CacheDocument {
    fn default() -> Self {
        Self::new()
    }
}

impl CacheDocument {
    /// An empty document.
    pub fn new() -> Self {
        Self {
            root: Object::new(),
            ours: IndexMap::new(),
            by_identity: HashMap::new(),
        }
    }

    /// Parses a serialized cache. Empty input (or only whitespace) gives an empty document, as
    /// in MSAL Python.
    ///
    /// Errors with [`Error::Corrupt`] when the input is not JSON, is not a JSON object, or has an
    /// `AccessToken` or `AppMetadata` section that is not an object. Single entries that cannot
    /// be used are not errors: they are logged with `tracing::warn!`, kept in the document and
    /// written back unchanged.
    pub fn parse(input: &[u8]) -> Result<Self, Error> {
        if input.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self::new());
        }
        let value = json::parse(input).map_err(|e| Error::Corrupt {
            reason: format!("not valid JSON ({e})"),
        })?;
        let Json::Object(root) = value else {
            return Err(Error::Corrupt {
                reason: format!("the top level is {}, not an object", value.type_name()),
            });
        };
        for section in [ACCESS_TOKEN, APP_METADATA] {
            if let Some(v) = root.get(section) {
                if v.as_object().is_none() {
                    return Err(Error::Corrupt {
                        reason: format!(
                            "the `{section}` section is {}, not an object",
                            v.type_name()
                        ),
                    });
                }
            }
        }
        let mut doc = Self {
            root,
            ours: IndexMap::new(),
            by_identity: HashMap::new(),
        };
        doc.index_access_tokens();
        Ok(doc)
    }

    fn index_access_tokens(&mut self) {
        let Some(section) = self.root.get(ACCESS_TOKEN).and_then(Json::as_object) else {
            return;
        };
        for (key, entry) in section {
            let token = match parse_access_token(entry) {
                Ok(Some(token)) => token,
                Ok(None) => continue,
                Err(problem) => {
                    tracing::warn!(
                        key = %key,
                        problem = %problem,
                        "ignoring a token cache entry this library cannot read; it is kept in the file unchanged"
                    );
                    continue;
                }
            };
            let identity = (token.partition.clone(), token.scopes.clone());
            if let Some(previous_key) = self.by_identity.get(&identity) {
                // Two keys for the same token (one under a foreign key): serve the one that lives
                // longer, keep the other one untouched in the document.
                if self.ours[previous_key].expires_on >= token.expires_on {
                    continue;
                }
                self.ours.shift_remove(previous_key);
            }
            self.by_identity.insert(identity, key.clone());
            self.ours.insert(key.clone(), token);
        }
    }

    /// Serializes the document the way MSAL Python does (`json.dumps(indent=4)`: 4-space
    /// indentation, keys in insertion order, non-ASCII escaped as `\uXXXX`).
    ///
    /// The result contains tokens in clear text, hence the [`SecretString`].
    pub fn to_json(&self) -> SecretString {
        let bytes = self.to_bytes();
        SecretString::new(String::from_utf8_lossy(&bytes).into_owned())
    }

    pub(crate) fn to_bytes(&self) -> zeroize::Zeroizing<Vec<u8>> {
        // The root is an object by construction; borrow it as a value without copying.
        struct Root<'a>(&'a Object);
        impl serde::Serialize for Root<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut map = s.serialize_map(Some(self.0.len()))?;
                for (k, v) in self.0 {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
        json::write_python_style(&Root(&self.root))
    }

    /// The access tokens this crate understands, in document order.
    pub fn access_tokens(&self) -> impl Iterator<Item = &CachedAccessToken> + '_ {
        self.ours.values()
    }

    /// Takes the access tokens out, leaving the rest of the document alone.
    pub(crate) fn into_access_tokens(self) -> Vec<CachedAccessToken> {
        let Self { ours, .. } = self;
        ours.into_values().collect()
    }

    /// The number of access tokens this crate understands.
    pub fn len(&self) -> usize {
        self.ours.len()
    }

    /// `true` when the document holds no access token this crate understands.
    pub fn is_empty(&self) -> bool {
        self.ours.is_empty()
    }

    /// The entry stored for exactly this partition and scope set.
    pub fn get(&self, partition: &PartitionKey, scopes: &Scopes) -> Option<&CachedAccessToken> {
        let key = self.by_identity.get(&(partition.clone(), scopes.clone()))?;
        self.ours.get(key)
    }

    /// Adds `token`, replacing the entry for the same partition and scope set (wherever it was
    /// stored) and whatever entry sat under the same key, as MSAL Python does. Also adds the
    /// `AppMetadata` entry for the token's environment and client id if it is missing.
    pub fn upsert(&mut self, token: CachedAccessToken) {
        let key = access_token_key(&token.partition, &token.scopes);
        let identity = (token.partition.clone(), token.scopes.clone());
        if let Some(old_key) = self.by_identity.remove(&identity) {
            if old_key != key {
                self.ours.shift_remove(&old_key);
                if let Some(section) = self.section_mut(ACCESS_TOKEN) {
                    section.shift_remove(&old_key);
                }
            }
        }
        // An entry of another identity under the same key (scopes differing only in case) is
        // overwritten: the key is lower-cased, as in MSAL.
        if let Some(displaced) = self.ours.get(&key) {
            let displaced = (displaced.partition.clone(), displaced.scopes.clone());
            if displaced != identity {
                self.by_identity.remove(&displaced);
            }
        }
        let entry = access_token_entry(&token);
        self.section_or_insert(ACCESS_TOKEN)
            .insert(key.clone(), entry);
        self.ensure_app_metadata(&token.partition);
        self.by_identity.insert(identity, key.clone());
        self.ours.insert(key, token);
    }

    /// Removes the entry for exactly this partition and scope set; `true` if there was one.
    pub fn remove(&mut self, partition: &PartitionKey, scopes: &Scopes) -> bool {
        let Some(key) = self
            .by_identity
            .remove(&(partition.clone(), scopes.clone()))
        else {
            return false;
        };
        self.ours.shift_remove(&key);
        if let Some(section) = self.section_mut(ACCESS_TOKEN) {
            section.shift_remove(&key);
        }
        true
    }

    /// Removes the access tokens this crate understands whose `expires_on` is before `now`
    /// (Unix seconds); returns how many. Foreign entries are left alone.
    pub fn prune_expired(&mut self, now: u64) -> usize {
        let expired: Vec<String> = self
            .ours
            .iter()
            .filter(|(_, t)| t.expires_on < now)
            .map(|(k, _)| k.clone())
            .collect();
        if expired.is_empty() {
            return 0;
        }
        for key in &expired {
            if let Some(token) = self.ours.shift_remove(key) {
                self.by_identity.remove(&(token.partition, token.scopes));
            }
        }
        let gone: std::collections::HashSet<&str> = expired.iter().map(String::as_str).collect();
        if let Some(section) = self.section_mut(ACCESS_TOKEN) {
            section.retain(|k, _| !gone.contains(k.as_str()));
        }
        expired.len()
    }

    fn section_mut(&mut self, name: &str) -> Option<&mut Object> {
        self.root.get_mut(name).and_then(Json::as_object_mut)
    }

    fn section_or_insert(&mut self, name: &str) -> &mut Object {
        let slot = self
            .root
            .entry(name.to_owned())
            .or_insert_with(|| Json::Object(Object::new()));
        if slot.as_object().is_none() {
            // Unreachable for parsed documents (checked in `parse`); keep the invariant anyway.
            *slot = Json::Object(Object::new());
        }
        match slot {
            Json::Object(o) => o,
            _ => unreachable!("the section was just made an object"),
        }
    }

    fn ensure_app_metadata(&mut self, partition: &PartitionKey) {
        let key = format!(
            "appmetadata-{}-{}",
            partition.environment(),
            partition.client_id()
        );
        let section = self.section_or_insert(APP_METADATA);
        if !section.contains_key(&key) {
            let mut entry = Object::new();
            entry.insert("client_id".to_owned(), Json::string(partition.client_id()));
            entry.insert(
                "environment".to_owned(),
                Json::string(partition.environment()),
            );
            section.insert(key, Json::Object(entry));
        }
    }
}

/// Serializes tokens into a new MSAL cache document (see [`CacheDocument::to_json`]).
pub fn serialize<'a>(tokens: impl IntoIterator<Item = &'a CachedAccessToken>) -> SecretString {
    let mut doc = CacheDocument::new();
    for token in tokens {
        doc.upsert(token.clone());
    }
    doc.to_json()
}

/// The access tokens of a serialized MSAL cache that this crate understands (see
/// [`CacheDocument::parse`]; use [`CacheDocument`] itself to keep the rest of the document).
pub fn deserialize(input: &[u8]) -> Result<Vec<CachedAccessToken>, Error> {
    Ok(CacheDocument::parse(input)?.into_access_tokens())
}

/// The `AccessToken`-section key for a token of this partition and scope set (see the
/// [module documentation](self)).
pub fn access_token_key(partition: &PartitionKey, scopes: &Scopes) -> String {
    let key = match ext_cache_key(partition) {
        None => format!(
            "-{}-accesstoken-{}-{}-{}",
            partition.environment(),
            partition.client_id(),
            partition.tenant(),
            scopes.joined_str()
        ),
        Some(ext) => format!(
            "-{}-atext-{}-{}-{}-{}",
            partition.environment(),
            partition.client_id(),
            partition.tenant(),
            scopes.joined_str(),
            ext
        ),
    };
    key.to_lowercase()
}

/// The `ext_cache_key` written for tokens of this partition, `None` for a Bearer token without
/// a key id (which uses MSAL Python's plain key).
///
/// It is MSAL Python 1.39's ext-key algorithm applied to the fields `key_id` (when present) and
/// `token_type` (lower-cased): sort the field names; for each append
/// `<utf8-len(name)>:<name><utf8-len(value)>:<value>`; SHA-256; base64url without padding;
/// lower-case. For `token_type=mtls_pop` and `key_id=K` the input is
/// `6:key_id{len(K)}:K10:token_type8:mtls_pop`. MSAL Python excludes both fields from its own
/// ext key, so it never computes this value.
pub fn ext_cache_key(partition: &PartitionKey) -> Option<String> {
    let token_type = partition.token_type();
    if token_type == "bearer" && partition.key_id().is_none() {
        return None;
    }
    let mut input = String::new();
    if let Some(key_id) = partition.key_id() {
        input.push_str(&format!("6:key_id{}:{key_id}", key_id.len()));
    }
    input.push_str(&format!("10:token_type{}:{token_type}", token_type.len()));
    let digest = ring::digest::digest(&ring::digest::SHA256, input.as_bytes());
    Some(
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(digest.as_ref())
            .to_lowercase(),
    )
}

/// The JSON entry for `token`, fields in MSAL Python's order.
fn access_token_entry(token: &CachedAccessToken) -> Json {
    let p = &token.partition;
    let mut e = Object::with_capacity(14);
    let mut put = |k: &str, v: Json| {
        e.insert(k.to_owned(), v);
    };
    put("credential_type", Json::string(ACCESS_TOKEN));
    put("secret", Json::string(token.secret.expose_secret()));
    put("home_account_id", Json::Null);
    put("environment", Json::string(p.environment()));
    put("client_id", Json::string(p.client_id()));
    put("target", Json::string(token.scopes.joined_str()));
    put("realm", Json::string(p.tenant()));
    let token_type = if p.token_type() == "bearer" {
        BEARER
    } else {
        p.token_type()
    };
    put("token_type", Json::string(token_type));
    put("cached_at", Json::string(token.cached_at.to_string()));
    put("expires_on", Json::string(token.expires_on.to_string()));
    put(
        "extended_expires_on",
        Json::string(token.extended_expires_on.to_string()),
    );
    if let Some(key_id) = p.key_id() {
        put("key_id", Json::string(key_id));
    }
    if let Some(ext) = ext_cache_key(p) {
        put("ext_cache_key", Json::string(ext));
    }
    if let Some(refresh_on) = token.refresh_on {
        put("refresh_on", Json::string(refresh_on.to_string()));
    }
    Json::Object(e)
}

/// Reads one `AccessToken` entry.
///
/// `Ok(None)`: a valid entry that is not ours to serve (a user token, another credential type,
/// a foreign ext key). `Err`: an entry that looks like ours but cannot be used; the message
/// names the field, never its value.
fn parse_access_token(entry: &Json) -> Result<Option<CachedAccessToken>, String> {
    let Some(e) = entry.as_object() else {
        return Err(format!("the entry is {}, not an object", entry.type_name()));
    };
    match e.get("credential_type") {
        Some(Json::String(t))
            if t.eq_ignore_ascii_case("AccessToken")
                || t.eq_ignore_ascii_case("AccessToken_With_AuthScheme") => {}
        Some(Json::String(_)) => return Ok(None),
        Some(other) => {
            return Err(format!(
                "`credential_type` is {}, not a string",
                other.type_name()
            ))
        }
        None => return Err("`credential_type` is missing".to_owned()),
    }
    match e.get("home_account_id") {
        None | Some(Json::Null) => {}
        Some(Json::String(s)) if s.is_empty() => {}
        // A user's token: valid, not an app token.
        Some(Json::String(_)) => return Ok(None),
        Some(other) => {
            return Err(format!(
                "`home_account_id` is {}, not a string or null",
                other.type_name()
            ))
        }
    }
    let secret = required_str(e, "secret")?;
    let environment = required_str(e, "environment")?;
    let client_id = required_str(e, "client_id")?;
    let realm = required_str(e, "realm")?;
    let target = required_str(e, "target")?;
    let scopes = Scopes::new(target.split_whitespace())
        .map_err(|_| "`target` holds no usable scope".to_owned())?;
    let token_type = optional_str(e, "token_type")?.unwrap_or(BEARER);
    // MSAL.NET writes the key id as `kid`.
    let key_id = match optional_str(e, "key_id")? {
        Some(k) => Some(k),
        None => optional_str(e, "kid")?,
    }
    .filter(|k| !k.is_empty());
    let partition = PartitionKey::new(environment, client_id, realm, token_type, key_id);
    if let Some(ext) = optional_str(e, "ext_cache_key")?.filter(|x| !x.is_empty()) {
        // Another application's isolated token (MSAL Python's `fmi_path`, for example).
        if ext_cache_key(&partition).as_deref() != Some(ext) {
            return Ok(None);
        }
    }
    let expires_on = timestamp(e, "expires_on")?.ok_or("`expires_on` is missing")?;
    let token = CachedAccessToken {
        scopes,
        secret: SecretString::new(secret),
        cached_at: timestamp(e, "cached_at")?.unwrap_or(0),
        expires_on,
        extended_expires_on: timestamp(e, "extended_expires_on")?.unwrap_or(expires_on),
        refresh_on: timestamp(e, "refresh_on")?,
        partition,
    };
    Ok(Some(token))
}

fn required_str<'a>(e: &'a Object, field: &str) -> Result<&'a str, String> {
    optional_str(e, field)?.ok_or_else(|| format!("`{field}` is missing"))
}

/// A string field; `null` counts as missing.
fn optional_str<'a>(e: &'a Object, field: &str) -> Result<Option<&'a str>, String> {
    match e.get(field) {
        None | Some(Json::Null) => Ok(None),
        Some(v) => v
            .as_str()
            .map(Some)
            .ok_or_else(|| format!("`{field}` is {}, not a string", v.type_name())),
    }
}

/// A time field: a string of integer seconds (what MSAL writes) or a JSON integer.
fn timestamp(e: &Object, field: &str) -> Result<Option<u64>, String> {
    match e.get(field) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) => s
            .trim()
            .parse::<u64>()
            .map(Some)
            .map_err(|_| format!("`{field}` is not a string of integer seconds")),
        Some(Json::Number(n)) => n
            .as_u64()
            .map(Some)
            .ok_or_else(|| format!("`{field}` is not a non-negative integer")),
        Some(other) => Err(format!(
            "`{field}` is {}, not a string of integer seconds",
            other.type_name()
        )),
    }
}
