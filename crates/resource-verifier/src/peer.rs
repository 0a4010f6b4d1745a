//! The TLS side of a server: [`PeerCertificate`] (the client certificate of the connection, as
//! a request extension), [`AddPeerCertificate`] (puts it on every request of that connection)
//! and [`client_certificate_verifier`] (asks for a client certificate without judging its
//! chain, as RFC 8705 §2.2 self-signed binding needs).

use std::sync::Arc;
use std::task::{Context, Poll};

use base64::Engine as _;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};
use tower_service::Service;

/// The client (leaf) certificate presented on a request's TLS connection, with its SHA-256
/// thumbprint. Your accept loop puts it on each request ([`AddPeerCertificate`]); the
/// [`crate::VerifierLayer`] reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerCertificate {
    der: Arc<[u8]>,
    thumbprint: Arc<str>,
}

impl PeerCertificate {
    /// From the leaf certificate's DER.
    pub fn from_der(der: impl Into<Vec<u8>>) -> Self {
        let der: Vec<u8> = der.into();
        let digest = ring::digest::digest(&ring::digest::SHA256, &der);
        let thumbprint = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
        PeerCertificate {
            der: der.into(),
            thumbprint: thumbprint.into(),
        }
    }

    /// The leaf certificate the client presented on `connection`, if any.
    pub fn from_connection(connection: &rustls::ServerConnection) -> Option<Self> {
        let leaf = connection.peer_certificates()?.first()?;
        Some(Self::from_der(leaf.as_ref()))
    }

    /// The leaf certificate of an accepted tokio-rustls stream, if the client presented one.
    pub fn from_tls_stream<IO>(stream: &tokio_rustls::server::TlsStream<IO>) -> Option<Self> {
        Self::from_connection(stream.get_ref().1)
    }

    /// The certificate's DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// `x5t#S256`: base64url (no padding) of the SHA-256 of the DER.
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }
}

/// A service that adds one connection's [`PeerCertificate`] (or none) to each request before
/// calling `inner`: wrap the per-connection service with it in your accept loop.
///
/// ```no_run
/// # async fn serve(stream: tokio_rustls::server::TlsStream<tokio::net::TcpStream>,
/// #                app: axum::Router) {
/// use resource_verifier::{AddPeerCertificate, PeerCertificate};
/// let peer = PeerCertificate::from_tls_stream(&stream);
/// let service = hyper_util::service::TowerToHyperService::new(AddPeerCertificate::new(app, peer));
/// let io = hyper_util::rt::TokioIo::new(stream);
/// let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct AddPeerCertificate<S> {
    inner: S,
    peer: Option<PeerCertificate>,
}

impl<S> AddPeerCertificate<S> {
    /// Wraps `inner` for a connection whose client certificate is `peer`.
    pub fn new(inner: S, peer: Option<PeerCertificate>) -> Self {
        AddPeerCertificate { inner, peer }
    }
}

impl<S, B> Service<http::Request<B>> for AddPeerCertificate<S>
where
    S: Service<http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        // A certificate put there by anything before (a forged extension) is replaced.
        request.extensions_mut().remove::<PeerCertificate>();
        if let Some(peer) = &self.peer {
            request.extensions_mut().insert(peer.clone());
        }
        self.inner.call(request)
    }
}

/// Offers client authentication, does not require it, accepts any chain (the token's binding
/// decides, per request), and checks the client's proof of possession of the key
/// (CertificateVerify) with ring. Put it in your `rustls::ServerConfig`:
/// `ServerConfig::builder_with_provider(..)…with_client_cert_verifier(client_certificate_verifier())`.
///
/// Use rustls's `WebPkiClientVerifier` instead when your clients' certificates come from a CA
/// you trust (RFC 8705 §2.1).
pub fn client_certificate_verifier() -> Arc<dyn ClientCertVerifier> {
    Arc::new(AnyClientCertificate {
        algorithms: rustls::crypto::ring::default_provider().signature_verification_algorithms,
    })
}

// The emulator's TLS server has a verifier of the same shape (crates/entra-emulator/src/tls.rs).
// Kept apart on purpose: this crate depends on nothing of the emulator whose tokens it checks,
// and the rustls trait leaves little room for the two to differ.
#[derive(Debug)]
struct AnyClientCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for AnyClientCertificate {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbprint_is_base64url_sha256() {
        // SHA-256("abc") = ba7816bf…
        let p = PeerCertificate::from_der(b"abc".to_vec());
        assert_eq!(
            p.thumbprint(),
            "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
        );
        assert_eq!(p.der(), b"abc");
    }

    #[test]
    fn the_connection_certificate_replaces_a_forged_one() {
        let mut svc = AddPeerCertificate::new(
            tower_service_fn(|r: http::Request<()>| {
                r.extensions().get::<PeerCertificate>().cloned()
            }),
            None,
        );
        let mut req = http::Request::new(());
        req.extensions_mut()
            .insert(PeerCertificate::from_der(b"forged".to_vec()));
        assert_eq!(futures_ready(svc.call(req)), None);
    }

    fn futures_ready<T>(f: std::future::Ready<Result<T, ()>>) -> T {
        f.into_inner().unwrap()
    }

    #[derive(Clone)]
    struct Fn<F>(F);
    fn tower_service_fn<F>(f: F) -> Fn<F> {
        Fn(f)
    }
    impl<F: FnMut(http::Request<()>) -> T, T> Service<http::Request<()>> for Fn<F> {
        type Response = T;
        type Error = ();
        type Future = std::future::Ready<Result<T, ()>>;
        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), ()>> {
            Poll::Ready(Ok(()))
        }
        fn call(&mut self, r: http::Request<()>) -> Self::Future {
            std::future::ready(Ok((self.0)(r)))
        }
    }
}
