//! Issue #10, "Trust boundary, round 2": absurd configuration and hostile servers. Each test is
//! named after its item of the issue.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;

use http::StatusCode;
use mtls_transport::{Error, HttpRequest, HttpResponse, HyperTransport, Transport};
use oauth2_core::ClientCertificate;
use support::{builder_for, start_tls, Ca, ClientAuth, LOGIN_HOST};
use url::Url;

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

/// GETs `https://{LOGIN_HOST}/t`, presenting `identity`.
async fn get_login(
    transport: &HyperTransport,
    identity: Option<&ClientCertificate>,
) -> Result<HttpResponse, Error> {
    let request = HttpRequest::get(url(&format!("https://{LOGIN_HOST}/t")));
    transport.send(request, identity).await
}

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
