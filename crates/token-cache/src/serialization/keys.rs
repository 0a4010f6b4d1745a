//! The `AccessToken`-section keys and `ext_cache_key` values this crate writes.

use base64::Engine as _;
use oauth2_core::{Scopes, TokenType};

use crate::PartitionKey;

/// The `AccessToken`-section key for a token of this partition and scope set: MSAL Python's
/// plain app-only key `-{environment}-accesstoken-{client_id}-{realm}-{target}` for a Bearer
/// token without a key id, the `atext` form
/// `-{environment}-atext-{client_id}-{realm}-{target}-{ext_cache_key}` for any other, the whole
/// key lower-cased (see [`CacheDocument`](crate::CacheDocument)).
#[doc(hidden)]
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
#[doc(hidden)]
pub fn ext_cache_key(partition: &PartitionKey) -> Option<String> {
    let token_type = partition.token_type();
    if token_type == TokenType::Bearer && partition.key_id().is_none() {
        return None;
    }
    let token_type = token_type.cache_key();
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
