// Emulates Azure Key Vault's handling of mtls_pop tokens (issue 16): a TLS 1.2 server that
// does NOT ask for a client certificate in the handshake, reads the request, and - when the
// request carries `x-ms-tokenboundauth: true` - asks for the certificate by renegotiation
// (`socket.renegotiate({requestCert: true})`), as Key Vault does. Answers 200 with the
// certificate's SHA-256 when the renegotiation delivers one, else 401 like Key Vault.
//
// usage: node server.js <cert.pem> <key.pem> [cnf-fail-once | cnf-fail-always]
// With a mode, the server instead asks for the client certificate in the first handshake (the
// certificate is there when the request arrives, no renegotiation) and answers the
// binding-validation 401 carrying `[MtlsCnfClaimRequestDataValidationFailed]`: to the first
// request only (cnf-fail-once, then 200), or to every request (cnf-fail-always); for the
// client's one-retry rule.
// Prints one JSON line per event on stdout: listening {port}, request {headers},
// renegotiate, renegotiated {x5t_s256} | renegotiation_failed {error}, response {status}.
'use strict';
const tls = require('tls');
const fs = require('fs');
const crypto = require('crypto');

const [certFile, keyFile, mode] = process.argv.slice(2);
if (mode !== undefined && mode !== 'cnf-fail-once' && mode !== 'cnf-fail-always') {
  throw new Error(`unknown mode ${mode}`);
}
let requests = 0;
const log = (event, extra) => console.log(JSON.stringify(Object.assign({ event }, extra)));

function respond(socket, status, body) {
  log('response', { status });
  const text = JSON.stringify(body);
  socket.end(`HTTP/1.1 ${status} ${status === 200 ? 'OK' : 'Unauthorized'}\r\n` +
    `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\n` +
    'connection: close\r\n\r\n' + text);
}

function unauthorized(socket, message) {
  respond(socket, 401, { error: { code: 'Unauthorized', message } });
}

function handle(socket, head) {
  const headers = {};
  for (const line of head.split('\r\n').slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const auth = headers['authorization'] || '';
  log('request', { headers: Object.assign({}, headers, { authorization: auth.split(' ')[0] }) });
  if (!/^mtls_pop /i.test(auth) || headers['x-ms-tokenboundauth'] !== 'true') {
    return unauthorized(socket, 'Client certificate required for using MTLS_POP token');
  }
  if (mode) return cnfMode(socket);
  log('renegotiate');
  let done = false;
  const finish = (err) => {
    if (done) return;
    done = true;
    const peer = socket.getPeerCertificate && socket.getPeerCertificate();
    if (err || !peer || !peer.raw) {
      log('renegotiation_failed', { error: err ? String(err.message || err) : 'no certificate' });
      if (!socket.destroyed) unauthorized(socket, 'Client certificate required for using MTLS_POP token');
      return;
    }
    const x5t = crypto.createHash('sha256').update(peer.raw).digest('base64url');
    log('renegotiated', { x5t_s256: x5t });
    respond(socket, 200, { value: 'secret-value', x5t_s256: x5t });
  };
  const timer = setTimeout(() => finish(new Error('the client did not renegotiate within 3 s')), 3000);
  socket.on('close', () => { clearTimeout(timer); finish(new Error('the client closed the connection')); });
  const ok = socket.renegotiate({ requestCert: true, rejectUnauthorized: false }, (err) => {
    clearTimeout(timer);
    finish(err);
  });
  if (!ok) finish(new Error('renegotiation could not start'));
}

// The certificate came in the handshake; the binding-validation 401 per `mode`.
function cnfMode(socket) {
  requests += 1;
  const peer = socket.getPeerCertificate();
  if (!peer || !peer.raw) {
    return unauthorized(socket, 'Client certificate required for using MTLS_POP token');
  }
  if (mode === 'cnf-fail-always' || requests === 1) {
    return unauthorized(socket,
      '[MtlsCnfClaimRequestDataValidationFailed] the token binding could not be validated');
  }
  const x5t = crypto.createHash('sha256').update(peer.raw).digest('base64url');
  respond(socket, 200, { value: 'secret-value', x5t_s256: x5t });
}

const server = tls.createServer({
  cert: fs.readFileSync(certFile),
  key: fs.readFileSync(keyFile),
  minVersion: 'TLSv1.2',
  maxVersion: 'TLSv1.2',
  // (any certificate: the test checks its thumbprint in the answer)
  requestCert: mode !== undefined,
  rejectUnauthorized: false,
}, (socket) => {
  socket.on('error', (e) => log('socket_error', { error: String(e.message) }));
  let buffer = '';
  let handled = false;
  socket.on('data', (chunk) => {
    if (handled) return;
    buffer += chunk.toString('latin1');
    const end = buffer.indexOf('\r\n\r\n');
    if (end >= 0) {
      handled = true;
      handle(socket, buffer.slice(0, end));
    }
  });
});
server.listen(0, '127.0.0.1', () => log('listening', { port: server.address().port }));
