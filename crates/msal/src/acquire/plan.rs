//! The plan of one call, decided once before the cache is consulted: which token type, which
//! certificate goes into TLS, and which cache partition answers. Configurations that cannot work
//! (PoP without a certificate, an authority that cannot bind tokens) fail here, before anything
//! leaves the process.

use oauth2_core::{Authority, ClientCertificate, Scopes, TokenType};
use token_cache::{PartitionKey, PartitionParts};

use crate::state::AppState;
use crate::Error;

/// What one call asks for.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    pub(crate) token_type: TokenType,
    pub(crate) scopes: Scopes,
    /// The certificate presented in TLS (mTLS PoP, Bearer over mTLS, bound assertions), as far
    /// as it is known before a provider is called; its `x5t#S256` is the cache key id.
    pub(crate) identity: Option<ClientCertificate>,
    pub(crate) partition: PartitionKey,
    /// The application's authority with the call's tenant ([`super::tenant`]), if one was given.
    pub(crate) tenant_authority: Option<Authority>,
}

impl Plan {
    /// Decides the plan of a `token_type` call for `scopes`.
    pub(crate) fn decide(
        state: &AppState,
        token_type: TokenType,
        scopes: Scopes,
        tenant: Option<&str>,
    ) -> Result<Plan, Error> {
        let config = &state.config;
        let credential = &config.credential;
        let tenant_authority = tenant
            .map(|t| super::tenant::override_tenant(&config.authority, t))
            .transpose()?;
        let authority = tenant_authority.as_ref().unwrap_or(&config.authority);
        if token_type == TokenType::MtlsPop && !credential.can_bind() {
            return Err(Error::MtlsCertificateNotProvided);
        }
        let identity = credential.planned_identity(token_type, || state.shared.last_binding());
        if token_type == TokenType::MtlsPop || identity.is_some() {
            // Authority guards (tenanted, a cloud with an mTLS endpoint, a kind that can bind)
            // run before the cache and before any certificate leaves the process; the region
            // is applied later.
            match &tenant_authority {
                Some(a) => mtls_transport::mtls_token_endpoint(a, None).map(drop)?,
                None => state
                    .shared
                    .mtls_guard
                    .get_or_init(|| {
                        mtls_transport::mtls_token_endpoint(&config.authority, None).map(drop)
                    })
                    .clone()?,
            }
        }
        let partition = partition_for(state, authority, token_type, identity.as_ref());
        Ok(Plan {
            token_type,
            scopes,
            identity,
            partition,
            tenant_authority,
        })
    }

    /// The plan for a network request that presents `certificate` (a bound-assertion provider
    /// may return another one than planned): tokens are stored under the key id of the
    /// certificate actually presented.
    pub(crate) fn presenting(
        &self,
        state: &AppState,
        certificate: Option<&ClientCertificate>,
    ) -> Plan {
        Plan {
            partition: partition_for(state, self.authority(state), self.token_type, certificate),
            identity: certificate.cloned(),
            ..self.clone()
        }
    }

    /// The authority of this call: the application's, or the one with the call's tenant.
    pub(crate) fn authority<'s>(&'s self, state: &'s AppState) -> &'s Authority {
        self.tenant_authority
            .as_ref()
            .unwrap_or(&state.config.authority)
    }

    /// Whether the request goes over mTLS (a certificate is presented in TLS).
    pub(crate) fn over_mtls(&self) -> bool {
        self.identity.is_some()
    }
}

/// The cache partition: the call's authority (host and tenant, even when the token comes
/// from a regional or mTLS host, as MSAL does), the client, the token type and the key id.
fn partition_for(
    state: &AppState,
    authority: &Authority,
    token_type: TokenType,
    identity: Option<&ClientCertificate>,
) -> PartitionKey {
    PartitionKey::new(PartitionParts {
        environment: authority.host(),
        client_id: &state.config.client_id,
        tenant: authority.tenant(),
        token_type,
        key_id: identity.map(ClientCertificate::x5t_s256),
    })
}
