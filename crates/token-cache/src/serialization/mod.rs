//! MSAL's unified serialized cache format (the JSON document MSAL Python's
//! `SerializableTokenCache` reads and writes): `CacheDocument`, the keys it writes (`keys`), and
//! the reading (`read`) and writing (`write`) of single `AccessToken` entries.

mod keys;
mod read;
mod scan;
mod write;

use std::collections::{HashMap, HashSet};

use indexmap::IndexMap;
use oauth2_core::{Scopes, SecretString, UnixTime};

use crate::json::{self, Json, Object};
use crate::{CachedAccessToken, Error, PartitionKey};
pub use keys::{access_token_key, ext_cache_key};
use read::Problem;
#[cfg(feature = "file")]
pub(crate) use scan::access_tokens as scan_access_tokens;

/// Name of the access-token section.
const ACCESS_TOKEN: &str = "AccessToken";
/// Name of the application-metadata section.
const APP_METADATA: &str = "AppMetadata";

/// A document in MSAL's unified serialized cache format, the JSON that MSAL Python's
/// `SerializableTokenCache` reads and writes: use it to keep tokens in MSAL's format in a store
/// of your own (a database row, a Redis value) behind a [`TokenCache`](crate::TokenCache).
///
/// A document is one JSON object: section name → {key → entry}. [`parse`](Self::parse) reads
/// the `AccessToken` section into [`CachedAccessToken`]s; [`upsert`](Self::upsert),
/// [`remove`](Self::remove) and [`prune_expired`](Self::prune_expired) change them; and
/// [`to_json`](Self::to_json) writes the document back, keeping everything else as it was: other
/// sections (`RefreshToken`, `Account`, custom ones), entries it does not serve (user tokens,
/// other libraries' `atext` entries, token types it does not know, entries it cannot read) and
/// unknown fields inside the entries it serves all survive a read → write round trip, in their
/// original order. The one exception: an entry of ours whose times are impossible (past the
/// year 9999, or negative) is dropped with a `tracing::warn!`.
///
/// The access tokens served are app-only tokens (`home_account_id` null, `""` or missing) with a
/// `credential_type` of `AccessToken` (or MSAL.NET's `AccessToken_With_AuthScheme`), a token
/// type this library knows, and no `ext_cache_key` other than the one it derives.
///
/// # Keys
///
/// * A Bearer token without a key id is stored exactly as MSAL Python stores an app-only token,
///   `-{environment}-accesstoken-{client_id}-{realm}-{target}`, lower-cased, so MSAL Python finds
///   it with its O(1) probe.
/// * Any other token (an mTLS PoP token, or a Bearer token acquired over mTLS: anything with a
///   key id) is stored in MSAL Python 1.39's `atext` form,
///   `-{environment}-atext-{client_id}-{realm}-{target}-{ext_cache_key}`, lower-cased, with an
///   `ext_cache_key` field derived from the token type and the key id, so two certificates never
///   share a key, and MSAL Python, which skips `ext_cache_key` entries when its query has none,
///   never returns them.
///
/// `target` is the scopes sorted by code point, joined with single spaces. Times are strings of
/// integer Unix seconds; `home_account_id` is JSON `null`. `docs/cache.md` in the repository
/// describes the format in full.
///
/// ```
/// use token_cache::{
///     CacheDocument, CachedAccessToken, PartitionKey, PartitionParts, Scopes, SecretString,
///     TokenType, UnixTime,
/// };
///
/// let token = CachedAccessToken {
///     partition: PartitionKey::new(PartitionParts {
///         environment: "login.microsoftonline.com",
///         client_id: "cid1",
///         tenant: "contoso",
///         token_type: TokenType::Bearer,
///         key_id: None,
///     }),
///     scopes: Scopes::new(["https://graph.microsoft.com/.default"])?,
///     secret: SecretString::new("eyJ0eXAi..."),
///     cached_at: UnixTime::from_secs(1_700_000_000),
///     expires_on: UnixTime::from_secs(1_700_003_600),
///     extended_expires_on: UnixTime::from_secs(1_700_003_600),
///     refresh_on: None,
/// };
/// // tokens → JSON
/// let json = CacheDocument::from_iter([token.clone()]).to_json();
/// // JSON → tokens (a real store would keep the document to preserve what others wrote)
/// let tokens = CacheDocument::parse(json.expose_secret().as_bytes())?.into_access_tokens();
/// assert_eq!(tokens.len(), 1);
/// assert_eq!(tokens[0].expires_on, token.expires_on);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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
    /// When on (the file backend keeps its document between writes): the identities whose
    /// served entry changed since the last [`take_changes`](Self::take_changes).
    journal: Option<Vec<(PartitionKey, Scopes)>>,
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

/// A new document holding `tokens` (later ones replace earlier ones with the same partition and
/// scope set).
impl FromIterator<CachedAccessToken> for CacheDocument {
    fn from_iter<I: IntoIterator<Item = CachedAccessToken>>(tokens: I) -> Self {
        let mut doc = Self::new();
        for token in tokens {
            doc.upsert(token);
        }
        doc
    }
}

impl CacheDocument {
    /// An empty document.
    pub fn new() -> Self {
        Self {
            root: Object::new(),
            ours: IndexMap::new(),
            by_identity: HashMap::new(),
            journal: None,
        }
    }

    /// Parses a serialized cache. Empty input (or only whitespace) gives an empty document, as
    /// in MSAL Python.
    ///
    /// Errors with [`Error::Corrupt`] when the input is not JSON, is not a JSON object, or has an
    /// `AccessToken` or `AppMetadata` section that is not an object. Single entries that cannot
    /// be used are not errors: they are logged with `tracing::warn!` (naming the key and the
    /// field, never a value) and not served. They are kept in the document and written back
    /// unchanged, except entries whose times are impossible (integer seconds past the year
    /// 9999 or negative), which are dropped.
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
            journal: None,
        };
        doc.index_access_tokens();
        Ok(doc)
    }

    fn index_access_tokens(&mut self) {
        let Some(section) = self.root.get(ACCESS_TOKEN).and_then(Json::as_object) else {
            return;
        };
        let mut impossible = Vec::new();
        for (key, entry) in section {
            let token = match read::parse_access_token(entry) {
                Ok(Some(token)) => token,
                Ok(None) => continue,
                Err(Problem::Unusable(problem)) => {
                    tracing::warn!(
                        key = %key,
                        problem = %problem,
                        "ignoring a token cache entry this library cannot read; it is kept in the file unchanged"
                    );
                    continue;
                }
                Err(Problem::ImpossibleTime(problem)) => {
                    tracing::warn!(
                        key = %key,
                        problem = %problem,
                        "ignoring a token cache entry whose times are impossible; it is removed from the file at the next write"
                    );
                    impossible.push(key.clone());
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
        if let Some(section) = self.section_mut(ACCESS_TOKEN) {
            for key in &impossible {
                section.shift_remove(key);
            }
        }
    }

    /// Serializes the document the way MSAL Python does (`json.dumps(indent=4)`: 4-space
    /// indentation, keys in insertion order, non-ASCII escaped as `\uXXXX`).
    ///
    /// The result contains tokens in clear text, hence the [`SecretString`].
    pub fn to_json(&self) -> SecretString {
        let bytes = write::document_bytes(&self.root, 4096);
        SecretString::new(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// The document's bytes (as [`to_json`](Self::to_json)) written into `buffer` (the
    /// previous version's bytes), so a large document needs neither a new buffer nor copies
    /// while it grows.
    pub(crate) fn rewrite_bytes(
        &self,
        buffer: zeroize::Zeroizing<Vec<u8>>,
    ) -> zeroize::Zeroizing<Vec<u8>> {
        json::rewrite_object_python_layout(&self.root, buffer)
    }

    /// Starts recording which identities' served entries change (see
    /// [`take_changes`](Self::take_changes)).
    pub(crate) fn record_changes(&mut self) {
        self.journal.get_or_insert_with(Vec::new);
    }

    /// The identities whose served entry was added, replaced or removed since the last call
    /// (in order, possibly repeated); empty unless [`record_changes`](Self::record_changes)
    /// was called.
    pub(crate) fn take_changes(&mut self) -> Vec<(PartitionKey, Scopes)> {
        self.journal
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    fn changed(&mut self, identity: &(PartitionKey, Scopes)) {
        if let Some(journal) = &mut self.journal {
            journal.push(identity.clone());
        }
    }

    /// Sets the top-level string `key` to `value`, as the document's first key (a marker
    /// that a reader finds in the first bytes of the file).
    pub(crate) fn set_first(&mut self, key: &str, value: String) {
        match self.root.get_index_of(key) {
            Some(0) => self.root[0] = Json::string(value),
            _ => {
                self.root.shift_remove(key);
                self.root
                    .shift_insert(0, key.to_owned(), Json::string(value));
            }
        }
    }

    /// The access tokens this crate serves, in document order.
    pub fn access_tokens(&self) -> impl Iterator<Item = &CachedAccessToken> + '_ {
        self.ours.values()
    }

    /// Takes the access tokens this crate serves out of the document, in document order.
    pub fn into_access_tokens(self) -> Vec<CachedAccessToken> {
        let Self { ours, .. } = self;
        ours.into_values().collect()
    }

    /// The number of access tokens this crate serves.
    pub fn len(&self) -> usize {
        self.ours.len()
    }

    /// `true` when the document holds no access token this crate serves.
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
                self.changed(&displaced);
            }
        }
        self.changed(&identity);
        let entry = write::access_token_entry(&token);
        self.section_or_insert(ACCESS_TOKEN)
            .insert(key.clone(), entry);
        self.ensure_app_metadata(&token.partition);
        self.by_identity.insert(identity, key.clone());
        self.ours.insert(key, token);
    }

    /// Removes the entry for exactly this partition and scope set; `true` if there was one.
    pub fn remove(&mut self, partition: &PartitionKey, scopes: &Scopes) -> bool {
        let identity = (partition.clone(), scopes.clone());
        let Some(key) = self.by_identity.remove(&identity) else {
            return false;
        };
        self.changed(&identity);
        self.ours.shift_remove(&key);
        if let Some(section) = self.section_mut(ACCESS_TOKEN) {
            section.shift_remove(&key);
        }
        true
    }

    /// Removes the access tokens this crate serves whose `expires_on` is before `now`; returns
    /// how many. Foreign entries are left alone.
    pub fn prune_expired(&mut self, now: UnixTime) -> usize {
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
                let identity = (token.partition.clone(), token.scopes.clone());
                self.by_identity.remove(&identity);
                self.changed(&identity);
            }
        }
        let gone: HashSet<&str> = expired.iter().map(String::as_str).collect();
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

/// One `AccessToken` entry in MSAL's schema, as the bytes a shared store keeps for it (the
/// Redis backend's value). Zeroized when dropped.
#[cfg(feature = "redis")]
pub(crate) fn entry_bytes(token: &CachedAccessToken) -> zeroize::Zeroizing<Vec<u8>> {
    json::write_python_style(&write::access_token_entry(token))
}

/// Reads one entry written by [`entry_bytes`] (or by another MSAL): `None`, with a
/// `tracing::warn!` naming the problem (never a value), for bytes that are not an entry this
/// crate serves.
#[cfg(feature = "redis")]
pub(crate) fn entry_from_bytes(bytes: &[u8]) -> Option<CachedAccessToken> {
    let value = match json::parse(bytes) {
        Ok(value) => value,
        Err(e) => {
            tracing::warn!(problem = %e, "ignoring a shared cache entry that is not JSON");
            return None;
        }
    };
    match read::parse_access_token(&value) {
        Ok(token) => token,
        Err(Problem::Unusable(problem) | Problem::ImpossibleTime(problem)) => {
            tracing::warn!(problem = %problem, "ignoring a shared cache entry this library cannot read");
            None
        }
    }
}
