//! Azure Key Vault's rules for `mtls_pop` tokens, applied by
//! [`crate::AuthenticationResult::call_resource`]:
//!
//! - Key Vault answers an `mtls_pop` request without the header `x-ms-tokenboundauth: true`
//!   with 401 ("Client certificate required for using MTLS_POP token"). With the header it asks
//!   for the client certificate **by TLS 1.2 renegotiation after reading the request**, not in
//!   the first handshake. The header is sent only to Key Vault hosts (every cloud's vault and
//!   managed-HSM domains) and only with an `mtls_pop` token, as the Azure SDK for .NET does.
//! - A 401 whose body or challenge carries `[MtlsCnfClaimRequestDataValidationFailed]` is
//!   retried once.
//!
//! rustls implements no renegotiation (by design): it answers the server's `HelloRequest` with
//! a `no_renegotiation` alert, so over this library's rustls transport Key Vault never sees the
//! certificate and refuses the token. docs/resources.md has the whole picture.

use http::HeaderValue;
use mtls_transport::{HttpRequest, HttpResponse, Transport};
use oauth2_core::ClientCertificate;

use crate::Error;

/// The header that makes Key Vault ask for the client certificate.
pub(crate) const TOKEN_BOUND_AUTH: &str = "x-ms-tokenboundauth";

/// The marker of the binding-validation 401 that is retried once.
const CNF_VALIDATION_FAILED: &str = "[MtlsCnfClaimRequestDataValidationFailed]";

/// DNS suffixes of Key Vault and Managed HSM in the public, China, US Government and former
/// German clouds.
const KEY_VAULT_SUFFIXES: &[&str] = &[
    "vault.azure.net",
    "vault.azure.cn",
    "vault.usgovcloudapi.net",
    "vault.microsoftazure.de",
    "managedhsm.azure.net",
    "managedhsm.azure.cn",
    "managedhsm.usgovcloudapi.net",
    "managedhsm.microsoftazure.de",
];

/// True for a Key Vault or Managed HSM host of any cloud (`myvault.vault.azure.net`, …).
pub(crate) fn is_key_vault_host(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    KEY_VAULT_SUFFIXES
        .iter()
        .any(|s| host.strip_suffix(s).is_some_and(|rest| rest.ends_with('.')))
}

/// One call to Key Vault: a TLS alert from the server after the request went out is its
/// refusal of rustls's `no_renegotiation` answer, reported as `renegotiation()`.
pub(crate) async fn send(
    transport: &dyn Transport,
    request: &HttpRequest,
    identity: Option<&ClientCertificate>,
    renegotiation: impl Fn() -> Error,
) -> Result<HttpResponse, Error> {
    match transport.send(request.clone(), identity).await {
        Err(e) if e.is_tls_alert_from_server() => {
            tracing::warn!(error = %e, "Key Vault ended the connection when asking for the client certificate");
            Err(renegotiation())
        }
        other => Ok(other?),
    }
}

/// The header value to add.
pub(crate) fn header_value() -> HeaderValue {
    HeaderValue::from_static("true")
}

/// Key Vault's 401 for an `mtls_pop` call that arrived without a client certificate.
const CERTIFICATE_REQUIRED: &str = "Client certificate required";

/// True when Key Vault's 401 says it got no client certificate: over rustls this is the
/// renegotiation it asked for and did not get.
pub(crate) fn is_certificate_required(response: &HttpResponse) -> bool {
    response.status == http::StatusCode::UNAUTHORIZED
        && response
            .body
            .windows(CERTIFICATE_REQUIRED.len())
            .any(|w| w == CERTIFICATE_REQUIRED.as_bytes())
}

/// True for Key Vault's binding-validation 401, which is retried once.
pub(crate) fn is_cnf_validation_failure(response: &HttpResponse) -> bool {
    let marked = |bytes: &[u8]| {
        bytes
            .windows(CNF_VALIDATION_FAILED.len())
            .any(|w| w == CNF_VALIDATION_FAILED.as_bytes())
    };
    response.status == http::StatusCode::UNAUTHORIZED
        && (marked(&response.body)
            || response
                .headers
                .get_all(http::header::WWW_AUTHENTICATE)
                .iter()
                .any(|v| marked(v.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str, challenge: Option<&str>) -> HttpResponse {
        let mut headers = http::HeaderMap::new();
        if let Some(c) = challenge {
            headers.insert(
                http::header::WWW_AUTHENTICATE,
                HeaderValue::from_str(c).unwrap(),
            );
        }
        HttpResponse {
            status: http::StatusCode::from_u16(status).unwrap(),
            headers,
            body: body.to_owned().into(),
        }
    }

    #[test]
    fn recognises_key_vaults_401s() {
        let marker = "[MtlsCnfClaimRequestDataValidationFailed] cnf mismatch";
        assert!(is_cnf_validation_failure(&response(401, marker, None)));
        assert!(is_cnf_validation_failure(&response(
            401,
            "",
            Some(&format!("Bearer error=\"{marker}\""))
        )));
        assert!(!is_cnf_validation_failure(&response(403, marker, None)));
        assert!(!is_cnf_validation_failure(&response(
            401,
            "other",
            Some("Bearer")
        )));
        let required =
            r#"{"error":{"message":"Client certificate required for using MTLS_POP token"}}"#;
        assert!(is_certificate_required(&response(401, required, None)));
        assert!(!is_certificate_required(&response(200, required, None)));
        assert!(!is_certificate_required(&response(401, marker, None)));
    }

    #[test]
    fn key_vault_hosts_of_every_cloud() {
        for host in [
            "myvault.vault.azure.net",
            "MyVault.Vault.Azure.Net.",
            "v.vault.azure.cn",
            "v.vault.usgovcloudapi.net",
            "v.vault.microsoftazure.de",
            "hsm.managedhsm.azure.net",
        ] {
            assert!(is_key_vault_host(host), "{host}");
        }
        for host in [
            "vault.azure.net",
            "evilvault.azure.net",
            "graph.microsoft.com",
            "myvault.vault.azure.net.evil.example",
        ] {
            assert!(!is_key_vault_host(host), "{host}");
        }
    }
}
