//! Entra endpoints on the `login.*` and `mtlsauth.*` hosts.

pub(crate) mod client_auth;
pub(crate) mod discovery;
pub(crate) mod token;
mod token_answer;

/// Tenant path segments that are not tenants but are accepted for discovery documents.
pub(crate) const META_TENANTS: &[&str] = &["common", "organizations", "consumers"];
