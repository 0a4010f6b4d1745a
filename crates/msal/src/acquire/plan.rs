//! The plan of one call, decided once before the cache is consulted: which token type, which
//! certificate goes into TLS, and which cache partition answers. Configurations that cannot work
//! (PoP without a certificate, an authority that cannot bind tokens) fail here, before anything
//! leaves the process.

use std::sync::Arc;

use oauth2_core::{Authority, AuthorityKind, ClientCertificate, Scopes, TokenType};
use token_cache::{PartitionKey, PartitionParts};

use super::Options;
use crate::state::AppState;
use crate::{BindingCertificate, Error};

/// What one call asks for.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    pub(crate) token_type: TokenType,
    /// The scopes tokens are cached under: the scopes asked for, and for an issuer also the
    /// `resource` values.
    pub(crate) scopes: Scopes,
    /// The certificate presented in TLS (mTLS PoP, Bearer over mTLS, bound assertions), as far
    /// as it is known before a provider is called; its `x5t#S256` is the cache key id.
    pub(crate) identity: Option<ClientCertificate>,
    /// The certificate credential's certificate for this call (from its source, decided once
    /// per call): it is the TLS identity (PoP, Bearer over mTLS) and signs the assertion.
    pub(crate) certificate: Option<ClientCertificate>,
    pub(crate) partition: PartitionKey,
    /// The authority is an RFC 8414 issuer (not Entra ID): plain form, discovered endpoints,
    /// Bearer tokens bound to the certificate in TLS.
    pub(crate) issuer: bool,
    /// Issuer only: the `scope` sent (`None`: no `scope` field).
    pub(crate) request_scopes: Option<Scopes>,
    /// Issuer only: the `resource` values sent (RFC 8707).
    pub(crate) resources: Vec<String>,
    /// The realm results report (the call's tenant; an issuer's path).
    pub(crate) realm: Arc<str>,
    /// The application's authority with the call's tenant ([`super::tenant`]), if one was given
    /// (boxed: the plan is built on every call and the authority is large).
    pub(crate) tenant_authority: Option<Box<Authority>>,
}

impl Plan {
    /// Decides the plan of a call; `certificate` is the certificate credential's current
    /// certificate ([`AppState::current_certificate`]).
    pub(crate) fn decide(
        state: &AppState,
        options: &Options,
        certificate: Option<ClientCertificate>,
    ) -> Result<Plan, Error> {
        let config = &state.config;
        let token_type = options.token_type;
        let credential = &config.credential;
        let issuer = config.authority.kind() == AuthorityKind::Issuer;
        let tenant_authority = options
            .tenant
            .as_deref()
            .map(|t| super::tenant::override_tenant(&config.authority, t).map(Box::new))
            .transpose()?;
        if token_type == TokenType::MtlsPop && !credential.can_bind() {
            return Err(Error::MtlsCertificateNotProvided);
        }
        let identity = credential.planned_identity(token_type, certificate.as_ref(), || {
            state.shared.last_binding()
        });
        guard_authority(
            state,
            tenant_authority.as_deref(),
            token_type,
            identity.is_some(),
        )?;
        let (scopes, request_scopes) = scopes_of(state, issuer, options)?;
        let partition = partition_for(
            state,
            tenant_authority.as_deref(),
            token_type,
            identity.as_ref(),
            &options.resources,
        );
        Ok(Plan {
            token_type,
            scopes,
            partition,
            identity,
            certificate,
            issuer,
            request_scopes,
            resources: options.resources.clone(),
            realm: realm_of(state, tenant_authority.as_deref()),
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
            partition: partition_for(
                state,
                self.tenant_authority.as_deref(),
                self.token_type,
                certificate,
                &self.resources,
            ),
            identity: certificate.cloned(),
            ..self.clone()
        }
    }

    /// The authority of this call: the application's, or the one with the call's tenant.
    pub(crate) fn authority<'s>(&'s self, state: &'s AppState) -> &'s Authority {
        self.tenant_authority
            .as_deref()
            .unwrap_or(&state.config.authority)
    }

    /// Whether the request goes over mTLS (a certificate is presented in TLS).
    pub(crate) fn over_mtls(&self) -> bool {
        self.identity.is_some()
    }

    /// The certificate results present to resources: the PoP certificate, or for an issuer
    /// the certificate its Bearer tokens are bound to.
    pub(crate) fn binding_certificate(&self) -> Option<BindingCertificate> {
        self.identity
            .clone()
            .filter(|_| self.token_type == TokenType::MtlsPop || self.issuer)
            .map(BindingCertificate::new)
    }
}

/// What a cache hit needs to know of a call, borrowed from the application's shared tables:
/// a call with the application's own tenant, no `resource`, a scope list asked for before and a
/// partition key built before (every repeated call but an issuer's or one with a per-request
/// tenant). Deciding it takes no reference count and builds nothing; the checks are the
/// plan's.
pub(crate) struct HitKey<'s> {
    pub(crate) token_type: TokenType,
    pub(crate) scopes: &'s Scopes,
    pub(crate) partition: &'s PartitionKey,
    /// The certificate presented in TLS (its `x5t#S256` is the partition's key id).
    pub(crate) identity: Option<&'s ClientCertificate>,
}

impl<'s> HitKey<'s> {
    /// The hit key of a call (`certificate`: the certificate credential's current one);
    /// `None` when the call needs a full [`Plan`], `Some(Err)` when the plan's checks refuse
    /// it.
    pub(crate) fn decide(
        state: &'s AppState,
        options: &'s Options,
        certificate: Option<&'s ClientCertificate>,
    ) -> Option<Result<HitKey<'s>, Error>> {
        let scopes = options.scopes.known(&state.shared.scope_sets)?;
        let config = &state.config;
        if options.tenant.is_some()
            || !options.resources.is_empty()
            || config.authority.kind() == AuthorityKind::Issuer
            || config.credential.has_bound_assertion_provider()
        {
            return None;
        }
        let token_type = options.token_type;
        if token_type == TokenType::MtlsPop && !config.credential.can_bind() {
            return Some(Err(Error::MtlsCertificateNotProvided));
        }
        let identity = config.credential.known_identity(token_type, certificate);
        if let Err(e) = guard_authority(state, None, token_type, identity.is_some()) {
            return Some(Err(e));
        }
        let key_id = identity.map(ClientCertificate::x5t_s256);
        let partition = state.shared.partitions.find(token_type, key_id)?;
        Some(Ok(HitKey {
            token_type,
            scopes,
            partition,
            identity,
        }))
    }
}

/// The authority checks of a call that presents a certificate or asks for PoP (tenanted, a
/// cloud with an mTLS endpoint, a kind that can bind), before the cache and before any
/// certificate leaves the process; the region is applied later. An issuer has no `mtls_pop`
/// (it binds Bearer tokens), so asking it for PoP fails here as unsupported.
fn guard_authority(
    state: &AppState,
    tenant_authority: Option<&Authority>,
    token_type: TokenType,
    has_identity: bool,
) -> Result<(), Error> {
    let config = &state.config;
    let issuer = config.authority.kind() == AuthorityKind::Issuer;
    let binds = token_type == TokenType::MtlsPop || (has_identity && !issuer);
    if !binds {
        return Ok(());
    }
    match tenant_authority {
        Some(a) => mtls_transport::mtls_token_endpoint(a, None).map(drop)?,
        None => state
            .shared
            .mtls_guard
            .get_or_init(|| mtls_transport::mtls_token_endpoint(&config.authority, None).map(drop))
            .clone()?,
    }
    Ok(())
}

/// The realm results report (the application's own, shared).
pub(crate) fn app_realm(state: &AppState) -> &Arc<str> {
    state
        .shared
        .realm
        .get_or_init(|| Arc::from(state.config.authority.tenant()))
}

/// The realm results report: the call's tenant, else the application's (built once, shared).
fn realm_of(state: &AppState, tenant_authority: Option<&Authority>) -> Arc<str> {
    match tenant_authority {
        Some(authority) => Arc::from(authority.tenant()),
        None => Arc::clone(app_realm(state)),
    }
}

/// The cache scopes and, for an issuer, the `scope` to send. Entra ID needs scopes and takes
/// no `resource`; an issuer needs a scope or a resource.
fn scopes_of(
    state: &AppState,
    issuer: bool,
    options: &Options,
) -> Result<(Scopes, Option<Scopes>), Error> {
    if !issuer {
        if !options.resources.is_empty() {
            return Err(Error::Configuration(oauth2_core::Error::InvalidScope {
                reason: "`resource` is for an .issuer(...); Entra ID takes the resource in the \
                         scope (`https://resource/.default`)"
                    .to_owned(),
            }));
        }
        return Ok((options.scopes.normalize(&state.shared.scope_sets)?, None));
    }
    let given = options.scopes.as_list(&state.shared.scope_sets);
    if given.is_empty() && options.resources.is_empty() {
        return Err(Error::Configuration(oauth2_core::Error::InvalidScope {
            reason: "neither a scope nor a resource: ask an issuer for at least one scope \
                     (`acquire_token_for_client([\"read\"])`) or resource (`.with_resource(...)`)"
                .to_owned(),
        }));
    }
    let cached = Scopes::new(given.iter().chain(&options.resources))?;
    let sent = if given.is_empty() {
        None
    } else {
        Some(Scopes::new(given)?)
    };
    Ok((cached, sent))
}

/// The cache partition: the call's authority (the application's, or the one with the call's
/// tenant: host and tenant, even when the token comes from a regional or mTLS host, as MSAL
/// does), the client, the token type and the key id. For
/// an issuer, the environment keeps the port and the realm carries the `resource` values
/// (`{path}#resource={r1} {r2}`), so a token for one audience never answers a request for
/// another or for the server's default one. With the application's authority and without
/// `resource` values the key is built once per (token type, key id) and shared afterwards (no
/// allocation on a cache hit).
fn partition_for(
    state: &AppState,
    tenant_authority: Option<&Authority>,
    token_type: TokenType,
    identity: Option<&ClientCertificate>,
    resources: &[String],
) -> PartitionKey {
    let key_id = identity.map(ClientCertificate::x5t_s256);
    match tenant_authority {
        None if resources.is_empty() => state.shared.partitions.get(token_type, key_id, || {
            build_partition(
                state,
                &state.config.authority,
                token_type,
                key_id,
                resources,
            )
        }),
        None => build_partition(
            state,
            &state.config.authority,
            token_type,
            key_id,
            resources,
        ),
        Some(authority) => build_partition(state, authority, token_type, key_id, resources),
    }
}

fn build_partition(
    state: &AppState,
    authority: &Authority,
    token_type: TokenType,
    key_id: Option<&str>,
    resources: &[String],
) -> PartitionKey {
    let (environment, tenant) = if authority.kind() == AuthorityKind::Issuer {
        let mut tenant = authority.tenant().to_owned();
        if !resources.is_empty() {
            tenant = format!("{tenant}#resource={}", resources.join(" "));
        }
        (authority.host_and_port(), tenant)
    } else {
        (authority.host().to_owned(), authority.tenant().to_owned())
    };
    PartitionKey::new(PartitionParts {
        environment: &environment,
        client_id: &state.config.client_id,
        tenant: &tenant,
        token_type,
        key_id,
    })
}
