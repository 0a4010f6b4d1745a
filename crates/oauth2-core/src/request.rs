//! The client-credentials token request (`grant_type=client_credentials`) and its form body.

use crate::{Scopes, SecretString, TokenType};

/// `client_assertion_type` for a JWT client assertion: the value
/// [RFC 7523](https://www.rfc-editor.org/rfc/rfc7523) defines for a client that authenticates
/// with a signed JWT in `client_assertion`.
pub const JWT_BEARER_ASSERTION_TYPE: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// `client_assertion_type` for a proof-of-possession assertion (a Microsoft extension, not
/// defined by RFC 7523): sent with an assertion whose token is bound to the certificate the
/// client presents in TLS, such as the second leg of a federated-identity-credential flow.
pub const JWT_POP_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-pop";

/// How the client proves its identity to the token endpoint.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum ClientAuthentication {
    /// `client_secret` in the form body.
    Secret(SecretString),
    /// `client_assertion` + `client_assertion_type` in the form body.
    Assertion {
        /// The assertion (usually a signed JWT).
        assertion: SecretString,
        /// [`JWT_BEARER_ASSERTION_TYPE`] or [`JWT_POP_ASSERTION_TYPE`].
        assertion_type: &'static str,
    },
    /// Nothing in the body: the client is authenticated by its TLS client certificate
    /// (RFC 8705 mutual-TLS client authentication: the token endpoint identifies the client by
    /// the certificate it presents in the TLS handshake, so neither `client_secret` nor
    /// `client_assertion` is sent; Entra's mTLS proof of possession works this way).
    TlsClientCertificate,
}

/// `fields` followed by `extra`, without the fields whose value is empty.
fn with_extra<'a>(
    mut fields: Vec<(&'a str, &'a str)>,
    extra: &'a [(String, String)],
) -> Vec<(&'a str, &'a str)> {
    fields.extend(extra.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    fields.retain(|(_, v)| !v.is_empty());
    fields
}

/// `fields` as an `application/x-www-form-urlencoded` body.
fn form_body(fields: Vec<(&str, &str)>) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

impl ClientAuthentication {
    /// Appends this authentication's form fields (nothing for TLS client authentication).
    fn push_fields<'a>(&'a self, fields: &mut Vec<(&'a str, &'a str)>) {
        match self {
            ClientAuthentication::Secret(secret) => {
                fields.push(("client_secret", secret.expose_secret()));
            }
            ClientAuthentication::Assertion {
                assertion,
                assertion_type,
            } => {
                fields.push(("client_assertion_type", assertion_type));
                fields.push(("client_assertion", assertion.expose_secret()));
            }
            ClientAuthentication::TlsClientCertificate => {}
        }
    }
}

/// Entra ID's client-credentials token request (`grant_type=client_credentials`), with MSAL's
/// `client_info=1` and Entra's `token_type`; [`GenericTokenRequest`] is the plain RFC 6749
/// §4.4 request for any OAuth 2.0 server.
///
/// `Debug` shows the secret or assertion redacted.
#[derive(Clone, Debug)]
pub struct ClientCredentialsRequest {
    /// The application (client) id.
    pub client_id: String,
    /// The requested scopes.
    pub scopes: Scopes,
    /// How the client authenticates.
    pub authentication: ClientAuthentication,
    /// The token type asked for; `token_type` is sent only for types other than Bearer.
    pub token_type: TokenType,
    /// Additional form fields, appended last, in order.
    pub extra: Vec<(String, String)>,
}

impl ClientCredentialsRequest {
    /// The form fields in wire order: `client_id`, `grant_type`, `scope`, `client_info=1`, then
    /// `client_secret` or `client_assertion_type` + `client_assertion` (nothing for TLS client
    /// authentication), then `token_type` if set, then [`extra`](Self::extra).
    /// Fields with empty values are left out.
    ///
    /// The result contains the secret or assertion in clear text: do not log it.
    pub fn form_fields(&self) -> Vec<(&str, &str)> {
        let mut fields: Vec<(&str, &str)> = vec![
            ("client_id", self.client_id.as_str()),
            ("grant_type", "client_credentials"),
            ("scope", self.scopes.joined_str()),
            ("client_info", "1"),
        ];
        self.authentication.push_fields(&mut fields);
        if let Some(token_type) = self.token_type.request_parameter() {
            fields.push(("token_type", token_type));
        }
        with_extra(fields, &self.extra)
    }

    /// The `application/x-www-form-urlencoded` request body of [`form_fields`](Self::form_fields).
    ///
    /// Contains the secret or assertion: do not log it.
    pub fn to_form_body(&self) -> String {
        form_body(self.form_fields())
    }
}

/// A client-credentials token request (RFC 6749 §4.4) for any OAuth 2.0 server: an optional
/// `scope`, zero or more `resource` indicators (RFC 8707), and nothing Entra-specific (no
/// `client_info`, no `token_type`).
///
/// With [`ClientAuthentication::TlsClientCertificate`] this is the RFC 8705 §2 request: the
/// client is authenticated by its TLS certificate (`tls_client_auth` or
/// `self_signed_tls_client_auth`) and names itself with `client_id` in the body.
///
/// ```
/// use oauth2_core::{ClientAuthentication, GenericTokenRequest};
///
/// let request = GenericTokenRequest::new("my-client", ClientAuthentication::TlsClientCertificate)
///     .with_resource("https://api.example.com");
/// assert_eq!(
///     request.to_form_body(),
///     "grant_type=client_credentials&client_id=my-client&resource=https%3A%2F%2Fapi.example.com"
/// );
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct GenericTokenRequest {
    /// The client id, sent as `client_id`.
    pub client_id: String,
    /// The requested scopes (`scope`); `None` sends no `scope`.
    pub scopes: Option<Scopes>,
    /// The target resources, one `resource` field each, in order (RFC 8707).
    pub resources: Vec<String>,
    /// How the client authenticates.
    pub authentication: ClientAuthentication,
    /// Additional form fields, appended last, in order.
    pub extra: Vec<(String, String)>,
}

impl GenericTokenRequest {
    /// A request for `client_id` with no scope and no resource.
    pub fn new(client_id: impl Into<String>, authentication: ClientAuthentication) -> Self {
        GenericTokenRequest {
            client_id: client_id.into(),
            scopes: None,
            resources: Vec::new(),
            authentication,
            extra: Vec::new(),
        }
    }

    /// Asks for `scopes`.
    pub fn with_scopes(mut self, scopes: Scopes) -> Self {
        self.scopes = Some(scopes);
        self
    }

    /// Adds a `resource` indicator (RFC 8707).
    pub fn with_resource(mut self, resource: impl Into<String>) -> Self {
        self.resources.push(resource.into());
        self
    }

    /// The form fields in wire order: `grant_type`, `client_id`, `scope` (when set), each
    /// `resource`, the client authentication's fields, then [`extra`](Self::extra). Fields with
    /// empty values are left out.
    ///
    /// The result contains the secret or assertion in clear text: do not log it.
    pub fn form_fields(&self) -> Vec<(&str, &str)> {
        let mut fields: Vec<(&str, &str)> = vec![
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
        ];
        if let Some(scopes) = &self.scopes {
            fields.push(("scope", scopes.joined_str()));
        }
        fields.extend(self.resources.iter().map(|r| ("resource", r.as_str())));
        self.authentication.push_fields(&mut fields);
        with_extra(fields, &self.extra)
    }

    /// The `application/x-www-form-urlencoded` body of [`form_fields`](Self::form_fields).
    ///
    /// Contains the secret or assertion: do not log it.
    pub fn to_form_body(&self) -> String {
        form_body(self.form_fields())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_requests_carry_scope_and_resources_but_no_entra_fields() {
        let scopes = Scopes::new(["read", "write"]).unwrap();
        let both = GenericTokenRequest::new("c", ClientAuthentication::TlsClientCertificate)
            .with_scopes(scopes)
            .with_resource("https://a")
            .with_resource("https://b");
        assert_eq!(
            both.form_fields(),
            [
                ("grant_type", "client_credentials"),
                ("client_id", "c"),
                ("scope", "read write"),
                ("resource", "https://a"),
                ("resource", "https://b"),
            ]
        );
        let secret = GenericTokenRequest::new(
            "c",
            ClientAuthentication::Secret(SecretString::new("s3".to_owned())),
        );
        assert_eq!(
            secret.to_form_body(),
            "grant_type=client_credentials&client_id=c&client_secret=s3"
        );
        assert!(
            !format!("{secret:?}").contains("s3"),
            "Debug redacts the secret"
        );
    }
}
