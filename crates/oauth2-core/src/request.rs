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

/// A client-credentials token request (`grant_type=client_credentials`).
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
        match &self.authentication {
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
        if let Some(token_type) = self.token_type.request_parameter() {
            fields.push(("token_type", token_type));
        }
        fields.extend(self.extra.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        fields.retain(|(_, v)| !v.is_empty());
        fields
    }

    /// The `application/x-www-form-urlencoded` request body of [`form_fields`](Self::form_fields).
    ///
    /// Contains the secret or assertion: do not log it.
    pub fn to_form_body(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(self.form_fields())
            .finish()
    }
}
