//! Writing: `AccessToken` entries in MSAL Python's field order, and the whole document.

use zeroize::Zeroizing;

use super::{ext_cache_key, ACCESS_TOKEN};
use crate::json::{self, Json, Object};
use crate::CachedAccessToken;

/// The JSON entry for `token`, fields in MSAL Python's order. Times are strings of integer
/// seconds, as MSAL writes them.
pub(super) fn access_token_entry(token: &CachedAccessToken) -> Json {
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
    put("token_type", Json::string(p.token_type().as_str()));
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

/// The document `root` as MSAL Python's `json.dumps(indent=4)` writes it, into a buffer of
/// `capacity` bytes to start with.
pub(super) fn document_bytes(root: &Object, capacity: usize) -> Zeroizing<Vec<u8>> {
    json::write_object_python_layout(root, capacity)
}
