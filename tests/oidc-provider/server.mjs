// oidc-provider (panva, pinned in package.json) configured as an RFC 8705 authorization server for
// the end-to-end tests. Loopback only. Started by tests/src/oidc_provider.rs with one argument: a
// JSON configuration file it wrote (certificates, clients, TLS versions). Prints one JSON line on
// stdout once every listener is up: {"issuer", "alias", "resource_url", "resource"}.
//
// Listeners (all on 127.0.0.1, port 0 = chosen by the OS):
//   main   https://127.0.0.1:P/        the provider (discovery, /token, /jwks)
//   alias  https://127.0.0.1:A/        the same provider, published as mtls_endpoint_aliases
//   check  GET https://127.0.0.1:P/check  a protected resource: 200 when the Bearer JWT verifies
//          with the provider's key and its cnf.x5t#S256 equals the SHA-256 thumbprint of the
//          client certificate presented in this TLS connection, 401 otherwise; the 200 body
//          names the client, the thumbprint and the TLS version of the connection.
//
// oidc-provider does not terminate TLS itself: node's https server does, asking for a client
// certificate (requestCert) without rejecting any (rejectUnauthorized: false), so the provider
// decides: tls_client_auth needs a certificate that chains to the test CA (socket.authorized)
// and whose subject DN equals the registered one; self_signed_tls_client_auth needs a
// certificate whose SHA-256 equals the x5t#S256 of one of the client's registered JWKs.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';

import Provider, { errors } from 'oidc-provider';
import { createLocalJWKSet, jwtVerify } from 'jose';

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));

const tls = {
  cert: config.server_cert_pem,
  key: config.server_key_pem,
  ca: config.ca_pem,
  requestCert: true,
  rejectUnauthorized: false,
  minVersion: config.min_tls || 'TLSv1.2',
  maxVersion: config.max_tls || 'TLSv1.3',
};

function listen(server) {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(server.address().port));
  });
}

let provider;
let checkHandler;
const main = https.createServer(tls, (req, res) => {
  if (req.url === '/check' || req.url.startsWith('/check?')) {
    checkHandler(req, res);
  } else {
    provider.callback()(req, res);
  }
});
const alias = https.createServer(tls, (req, res) => provider.callback()(req, res));
const mainPort = await listen(main);
const aliasPort = await listen(alias);
const issuer = `https://127.0.0.1:${mainPort}`;
const aliasBase = `https://127.0.0.1:${aliasPort}`;

// The provider's signing key (RS256), generated per run.
const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingJwk = { ...privateKey.export({ format: 'jwk' }), kid: 'e2e-signing', alg: 'RS256', use: 'sig' };
const publicJwk = { kty: signingJwk.kty, n: signingJwk.n, e: signingJwk.e, kid: signingJwk.kid, alg: 'RS256', use: 'sig' };

function jwkOfCertificate(pem) {
  const x509 = new crypto.X509Certificate(pem);
  const jwk = x509.publicKey.export({ format: 'jwk' });
  return { ...jwk, use: 'sig', x5c: [x509.raw.toString('base64')] };
}

const clients = config.clients.map((c) => {
  const client = {
    client_id: c.client_id,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: 'read write',
    token_endpoint_auth_method: c.auth,
    tls_client_certificate_bound_access_tokens: true,
  };
  if (c.auth === 'tls_client_auth') {
    client.tls_client_auth_subject_dn = c.subject_dn;
  } else {
    client.jwks = { keys: [jwkOfCertificate(c.certificate_pem)] };
  }
  return client;
});

// Node's X509Certificate.subject lists the RDNs one per line ("CN=x\nO=y"); the registered DN is
// written "CN=x,O=y" (RFC 4514 order is the reverse; the tests use a single CN).
function subjectDn(cert) {
  return cert.subject.split('\n').join(',');
}

provider = new Provider(issuer, {
  clients,
  jwks: { keys: [signingJwk] },
  clientAuthMethods: ['tls_client_auth', 'self_signed_tls_client_auth'],
  scopes: ['read', 'write'],
  // config.alias === false: no alias published (clients then use token_endpoint over mTLS)
  discovery: config.alias === false ? {} : {
    mtls_endpoint_aliases: { token_endpoint: `${aliasBase}/token` },
  },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: false },
    revocation: { enabled: false },
    mTLS: {
      enabled: true,
      certificateBoundAccessTokens: true,
      tlsClientAuth: true,
      selfSignedTlsClientAuth: true,
      getCertificate(ctx) {
        const cert = ctx.socket.getPeerX509Certificate();
        return cert || undefined;
      },
      certificateAuthorized(ctx) {
        return ctx.socket.authorized === true;
      },
      certificateSubjectMatches(ctx, property, expected) {
        if (property !== 'tls_client_auth_subject_dn') return false;
        const cert = ctx.socket.getPeerX509Certificate();
        return Boolean(cert) && subjectDn(cert) === expected;
      },
    },
    resourceIndicators: {
      enabled: true,
      // a request without `resource` gets the test resource, so scope-only tokens are JWTs too
      defaultResource: async (_ctx, _client, oneOf) => oneOf || config.resource,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (_ctx, indicator) => {
        if (indicator !== config.resource) throw new errors.InvalidTarget();
        return {
          scope: 'read write',
          audience: config.resource,
          accessTokenTTL: 300,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
});
// The provider runs behind node's TLS: it must build https URLs from the request.
provider.proxy = false;

const keySet = createLocalJWKSet({ keys: [publicJwk] });
checkHandler = async (req, res) => {
  const answer = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const header = req.headers.authorization || '';
  const match = /^Bearer (.+)$/.exec(header);
  if (!match) return answer(401, { error: 'invalid_token', error_description: 'no Bearer token' });
  let payload;
  try {
    ({ payload } = await jwtVerify(match[1], keySet, { issuer, audience: config.resource }));
  } catch {
    return answer(401, { error: 'invalid_token', error_description: 'token does not verify' });
  }
  const cert = req.socket.getPeerX509Certificate();
  if (!cert) return answer(401, { error: 'invalid_token', error_description: 'no client certificate' });
  const presented = crypto.createHash('sha256').update(cert.raw).digest('base64url');
  const bound = payload.cnf && payload.cnf['x5t#S256'];
  if (bound !== presented) {
    return answer(401, { error: 'invalid_token', error_description: 'certificate does not match cnf' });
  }
  return answer(200, { client_id: payload.client_id, x5t_s256: presented, tls: req.socket.getProtocol() });
};

process.stdout.write(`${JSON.stringify({
  issuer,
  alias: aliasBase,
  resource_url: `${issuer}/check`,
  resource: config.resource,
})}\n`);
