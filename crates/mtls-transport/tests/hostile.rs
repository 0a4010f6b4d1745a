//! Issue #10, "Trust boundary, round 2": absurd configuration and hostile servers. Each test is
//! named after its item of the issue.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;
use std::time::Duration;

use http::StatusCode;
use mtls_transport::{Error, HttpRequest, HyperTransportBuilder, Transport};
use oauth2_core::ClientCertificate;
use support::{
    any_roots, builder_for, get_login, start_login, start_raw, start_tls, url, Ca, ClientAuth,
    LOGIN_HOST,
};

/// Panics seen anywhere in this test binary, background tasks included (tokio catches a
/// spawned task's panic, so only a hook sees it).
static PANICS: AtomicUsize = AtomicUsize::new(0);

fn count_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, Ordering::SeqCst);
            previous(info);
        }));
    });
}

#[tokio::test]
async fn item8_huge_content_length_with_max_cap_does_not_abort() {
    count_panics();
    let transport = any_roots().max_response_bytes(usize::MAX).build().unwrap();
    // Announces far more than it sends, then closes. Before the fix, the first one made the
    // transport reserve 1 TiB up front, and the process aborted.
    let replies: [(&'static [u8], &str); 4] = [
        (
            b"HTTP/1.1 200 OK\r\ncontent-length: 1099511627776\r\n\r\nhello",
            "response_too_large",
        ),
        (
            b"HTTP/1.1 200 OK\r\ncontent-length: 4611686018427387904\r\n\r\nhello",
            "response_too_large",
        ),
        // hyper refuses a length it cannot represent
        (
            b"HTTP/1.1 200 OK\r\ncontent-length: 18446744073709551615\r\n\r\nhello",
            "http_error",
        ),
        // within the cap: memory follows the bytes that arrive, and the early close is an error
        (
            b"HTTP/1.1 200 OK\r\ncontent-length: 60000000\r\n\r\nhello",
            "http_error",
        ),
    ];
    for (reply, code) in replies {
        let addr = start_raw(reply).await;
        let err = transport
            .send(HttpRequest::get(url(&format!("http://{addr}/x"))), None)
            .await
            .unwrap_err();
        let shown = String::from_utf8_lossy(reply);
        assert_eq!(err.code(), code, "{shown}: {err:?}");
        if let Error::ResponseTooLarge { limit } = err {
            assert_eq!(limit, HyperTransportBuilder::MAX_RESPONSE_BYTES, "{shown}");
        }
    }
    assert_eq!(PANICS.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn item8_extreme_timeouts_do_not_panic() {
    count_panics();
    let (ca, server) = start_login(ClientAuth::Optional).await;
    let transport = builder_for(&ca, server.addr)
        .connect_timeout(Duration::MAX)
        .request_timeout(Duration::MAX)
        .pool_idle_timeout(Duration::MAX)
        .max_response_bytes(usize::MAX)
        .build()
        .unwrap();
    let cert = ca.client_cert("app");
    for identity in [None, Some(&cert), None, Some(&cert)] {
        let resp = get_login(&transport, identity).await.unwrap();
        assert_eq!(resp.status, StatusCode::OK);
    }
    // The idle-connection reaper starts once a connection goes back to its pool; before the
    // fix it computed `now + Duration::MAX` there and panicked.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(server.handshakes(), 2, "connections were pooled and reused");

    // Zero timeouts fail the request, and do not panic either.
    let zero = builder_for(&ca, server.addr)
        .connect_timeout(Duration::ZERO)
        .request_timeout(Duration::ZERO)
        .pool_idle_timeout(Duration::ZERO)
        .build()
        .unwrap();
    let err = get_login(&zero, None).await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(PANICS.load(Ordering::SeqCst), 0, "a panic was reported");
}

#[tokio::test]
async fn item9_pools_are_keyed_by_the_whole_chain() {
    count_panics();
    let root = Ca::new("Test Root CA");
    let intermediate = root.intermediate("Test Intermediate CA");
    // The server trusts the root only, so it needs the intermediate from the client.
    let server = start_tls(root.server_cert(&[LOGIN_HOST]), &root, ClientAuth::Required).await;
    let transport = builder_for(&root, server.addr).build().unwrap();
    let (leaf, key) = intermediate.client_cert_pem("app");
    let leaf_alone = ClientCertificate::from_pem_parts(leaf.as_bytes(), key.as_bytes()).unwrap();
    let chain = format!("{leaf}{}", intermediate.cert_pem);
    let corrected = ClientCertificate::from_pem_parts(chain.as_bytes(), key.as_bytes()).unwrap();
    assert_eq!(leaf_alone.x5t_s256(), corrected.x5t_s256(), "one leaf");

    // Without its intermediate the server cannot build a path to the root: rejected.
    let err = get_login(&transport, Some(&leaf_alone)).await.unwrap_err();
    assert!(!err.is_timeout(), "{err:?}");
    // The corrected chain on the same, shared transport gets its own pool and goes through.
    for _ in 0..2 {
        let resp = get_login(&transport, Some(&corrected)).await.unwrap();
        assert_eq!(resp.status, StatusCode::OK);
    }
    assert_eq!(transport.pooled_identities(), 2);
    assert_eq!(
        server.handshakes(),
        1,
        "the corrected chain's connection is reused"
    );
    assert_eq!(
        server.conns()[0].client_cert.as_deref(),
        Some(corrected.leaf_der())
    );
    assert_eq!(PANICS.load(Ordering::SeqCst), 0);
}
