//! Accept loop, TLS handshakes and HTTP/1.1 serving of each connection (one request at a time
//! is handled by [`crate::dispatch`]).

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

use crate::dispatch::handle;
use crate::request::ConnInfo;
use crate::state::State;

/// Handshakes that take longer than this are abandoned.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs the accept loop until `shutdown` changes or its sender is dropped.
pub(crate) async fn run(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    state: Arc<State>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    let id = state.next_connection_id();
                    tracing::debug!(connection_id = id, %peer, "accepted TCP connection");
                    connections.spawn(serve_connection(tcp, id, acceptor.clone(), state.clone()));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    tracing::debug!("emulator accept loop stopped");
    // Dropping the JoinSet aborts every open connection.
    connections.shutdown().await;
}

async fn serve_connection(tcp: TcpStream, id: u64, acceptor: TlsAcceptor, state: Arc<State>) {
    // No Nagle: a response written in two segments must not wait ~40 ms for the client's
    // delayed ACK (Entra's front ends do not delay either).
    if let Err(e) = tcp.set_nodelay(true) {
        tracing::debug!(connection_id = id, error = %e, "could not set TCP_NODELAY");
    }
    let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            tracing::debug!(connection_id = id, error = %e, "TLS handshake failed");
            return;
        }
        Err(_) => {
            tracing::debug!(connection_id = id, "TLS handshake timed out");
            return;
        }
    };
    state.count_handshake();
    let (_, server_conn) = tls.get_ref();
    let reset_on_close = Arc::new(AtomicBool::new(false));
    let info = Arc::new(ConnInfo {
        id,
        sni: server_conn.server_name().map(str::to_owned),
        peer_chain: server_conn
            .peer_certificates()
            .map(|certs| certs.iter().map(|c| c.as_ref().to_vec()).collect())
            .unwrap_or_default(),
        reset_on_close: reset_on_close.clone(),
    });
    tracing::debug!(
        connection_id = id,
        sni = info.sni.as_deref().unwrap_or(""),
        client_cert = info.leaf().map(crate::certs::x5t_s256).unwrap_or_default(),
        "TLS handshake complete"
    );
    let service = service_fn(move |req| {
        let state = state.clone();
        let info = info.clone();
        async move { handle(&state, &info, req).await }
    });
    let io = ConnIo {
        tls,
        reset_on_close,
    };
    if let Err(e) = http1::Builder::new()
        .timer(TokioTimer::new())
        .keep_alive(true)
        .serve_connection(TokioIo::new(io), service)
        .await
    {
        tracing::debug!(connection_id = id, error = %e, "connection ended with an error");
    }
}

/// The TLS stream of one connection; when dropped with `reset_on_close` set, the TCP
/// connection is aborted with a reset instead of a normal close.
struct ConnIo {
    tls: TlsStream<TcpStream>,
    reset_on_close: Arc<AtomicBool>,
}

impl Drop for ConnIo {
    fn drop(&mut self) {
        if self.reset_on_close.load(Ordering::Relaxed) {
            // SO_LINGER 0: close() sends RST and does not block. `set_linger` is deprecated in
            // newer Tokio only because a non-zero linger blocks on drop.
            #[allow(deprecated)]
            if let Err(e) = self.tls.get_ref().0.set_linger(Some(Duration::ZERO)) {
                tracing::debug!(error = %e, "could not arm the TCP reset");
            }
        }
    }
}

impl AsyncRead for ConnIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tls).poll_read(cx, buf)
    }
}

impl AsyncWrite for ConnIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.tls).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tls).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tls).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.tls).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tls.is_write_vectored()
    }
}
