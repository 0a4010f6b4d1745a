use entra_emulator::{AppRegistration, Emulator};

use crate::common::*;

async fn emulator() -> Emulator {
    Emulator::builder()
        .tenant(TENANT, &[DOMAIN])
        .custom_authority_host("login.contoso-sovereign.test")
        .app(AppRegistration::new("app-1", TENANT).with_secret("s"))
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn openid_configuration_is_entra_shaped() {
    let em = emulator().await;
    // Domain alias in the path; the document names the tenant GUID.
    let r = get(
        &em,
        "login.microsoftonline.com",
        &format!("/{DOMAIN}/v2.0/.well-known/openid-configuration"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.headers["content-type"], "application/json; charset=utf-8");
    let doc = r.json();
    assert_eq!(
        doc["token_endpoint"],
        format!("https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token")
    );
    assert_eq!(
        doc["authorization_endpoint"],
        format!("https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/authorize")
    );
    assert_eq!(
        doc["issuer"],
        format!("https://login.microsoftonline.com/{TENANT}/v2.0")
    );
    assert_eq!(doc["tenant_region_scope"], "NA");
    assert!(doc["token_endpoint_auth_methods_supported"]
        .as_array()
        .unwrap()
        .contains(&"private_key_jwt".into()));
    let jwks_uri = doc["jwks_uri"].as_str().unwrap().to_owned();
    assert_eq!(
        jwks_uri,
        format!("https://login.microsoftonline.com/{TENANT}/discovery/v2.0/keys")
    );

    // The JWKS holds the key that signs access tokens.
    let keys = get(
        &em,
        "login.microsoftonline.com",
        &format!("/{TENANT}/discovery/v2.0/keys"),
    )
    .await;
    assert_eq!(keys.status, 200);
    let key = &keys.json()["keys"][0];
    assert_eq!(key["kty"], "EC");
    assert_eq!(key["crv"], "P-256");
    let token = post_token(
        &em,
        "login.microsoftonline.com",
        TENANT,
        None,
        &[
            ("client_id", "app-1"),
            ("grant_type", "client_credentials"),
            ("client_secret", "s"),
            ("scope", GRAPH),
        ],
    )
    .await
    .json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let header: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            token.split('.').next().unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(header["kid"], key["kid"]);

    // A sovereign cloud host answers with its own host in the endpoints.
    let us = get(
        &em,
        "login.microsoftonline.us",
        &format!("/{TENANT}/v2.0/.well-known/openid-configuration"),
    )
    .await
    .json();
    assert_eq!(
        us["token_endpoint"],
        format!("https://login.microsoftonline.us/{TENANT}/oauth2/v2.0/token")
    );
    // Regional login host.
    let regional = get(
        &em,
        "westus.login.microsoft.com",
        &format!("/{TENANT}/v2.0/.well-known/openid-configuration"),
    )
    .await
    .json();
    assert_eq!(
        regional["token_endpoint"],
        format!("https://westus.login.microsoft.com/{TENANT}/oauth2/v2.0/token")
    );
}

#[tokio::test]
async fn unknown_tenant_is_invalid_tenant() {
    let em = emulator().await;
    let r = Conn::open(&em, "login.microsoftonline.com", None)
        .await
        .send(
            "GET",
            "/fabrikam.onmicrosoft.com/v2.0/.well-known/openid-configuration",
            &[("client-request-id", "cid-42")],
            None,
        )
        .await;
    assert_eq!(r.status, 400);
    let body = r.json();
    assert_eq!(body["error"], "invalid_tenant");
    assert_eq!(body["error_codes"][0], 90002);
    assert_eq!(body["correlation_id"], "cid-42");
    assert_eq!(r.headers["client-request-id"], "cid-42");
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .starts_with("AADSTS90002: "));
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("Correlation ID: cid-42"));
}

#[tokio::test]
async fn instance_discovery_metadata_and_invalid_instance() {
    let em = emulator().await;
    let r = get(&em, "login.microsoftonline.com",
        "/common/discovery/instance?api-version=1.1&authorization_endpoint=https://login.microsoftonline.com/common/oauth2/authorize").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let body = r.json();
    assert_eq!(body["api-version"], "1.1");
    assert_eq!(
        body["tenant_discovery_endpoint"],
        "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration"
    );
    let metadata = body["metadata"].as_array().unwrap();
    assert_eq!(
        metadata[0]["preferred_network"],
        "login.microsoftonline.com"
    );
    assert_eq!(metadata[0]["preferred_cache"], "login.windows.net");
    assert_eq!(
        metadata[0]["aliases"],
        serde_json::json!([
            "login.microsoftonline.com",
            "login.windows.net",
            "login.microsoft.com",
            "sts.windows.net"
        ])
    );
    let networks: Vec<&str> = metadata
        .iter()
        .map(|m| m["preferred_network"].as_str().unwrap())
        .collect();
    for expected in [
        "login.microsoftonline.us",
        "login.partner.microsoftonline.cn",
        "login.sovcloud-identity.fr",
        "login.contoso-sovereign.test",
    ] {
        assert!(
            networks.contains(&expected),
            "{expected} missing from {networks:?}"
        );
    }

    // The custom host is a known instance.
    let custom = get(&em, "login.microsoftonline.com",
        "/common/discovery/instance?api-version=1.1&authorization_endpoint=https://login.contoso-sovereign.test/t1/oauth2/v2.0/authorize").await;
    assert_eq!(custom.status, 200);
    assert_eq!(
        custom.json()["tenant_discovery_endpoint"],
        "https://login.contoso-sovereign.test/t1/v2.0/.well-known/openid-configuration"
    );

    let bad = get(&em, "login.microsoftonline.com",
        "/common/discovery/instance?api-version=1.1&authorization_endpoint=https://login.evil.example/common/oauth2/authorize").await;
    assert_eq!(bad.status, 400);
    let body = bad.json();
    assert_eq!(body["error"], "invalid_instance");
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .starts_with("AADSTS50049: Unknown or invalid instance."));
}

#[tokio::test]
async fn server_certificate_covers_custom_and_wildcard_hosts() {
    let em = emulator().await;
    assert!(Emulator::hostnames().contains(&"mtlsauth.microsoft.com"));
    assert!(!Emulator::hostnames().iter().any(|h| h.starts_with('*')));
    let all = em.all_hostnames();
    assert!(all.contains(&"mtlsauth.contoso-sovereign.test".to_owned()));
    // TLS succeeds (certificate verified by rustls) for custom, wildcard and loopback names.
    for host in [
        "login.contoso-sovereign.test",
        "eastus.mtlsauth.contoso-sovereign.test",
        "eastus.mtlsauth.microsoft.com",
        "centralus.login.microsoft.com",
        "localhost",
        "mtlstb.graph.microsoft.com",
    ] {
        let r = get(&em, host, "/nothing-here").await;
        assert_eq!(r.status, 404, "{host}");
        assert!(r.json()["error"].is_string() || r.json()["error"].is_object());
    }
    // A name outside the certificate fails the handshake.
    let tcp = tokio::net::TcpStream::connect(em.addr()).await.unwrap();
    let res = tokio_rustls::TlsConnector::from(client_config(&em, None))
        .connect(
            rustls::pki_types::ServerName::try_from("login.evil.example").unwrap(),
            tcp,
        )
        .await;
    assert!(res.is_err());
}

#[tokio::test]
async fn custom_host_must_be_a_login_host() {
    let err = Emulator::builder()
        .custom_authority_host("sts.contoso.test")
        .start()
        .await
        .unwrap_err();
    assert!(
        matches!(err, entra_emulator::Error::InvalidConfig(_)),
        "{err}"
    );
}

#[tokio::test]
async fn requests_are_logged_and_shutdown_stops_the_server() {
    let em = emulator().await;
    let r = get(
        &em,
        "login.microsoftonline.com",
        &format!("/{TENANT}/v2.0/.well-known/openid-configuration?x=1"),
    )
    .await;
    assert_eq!(r.status, 200);
    let log = em.requests();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].method, "GET");
    assert_eq!(log[0].host, "login.microsoftonline.com");
    assert_eq!(log[0].sni.as_deref(), Some("login.microsoftonline.com"));
    assert_eq!(log[0].query.as_deref(), Some("x=1"));
    assert_eq!(log[0].status, 200);
    assert!(log[0].client_certificate.is_none());
    assert_eq!(log[0].header("host"), Some("login.microsoftonline.com"));
    em.clear_requests();
    assert!(em.requests().is_empty());
    let addr = em.addr();
    em.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}
