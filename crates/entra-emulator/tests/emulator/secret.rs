use std::time::Duration;

use entra_emulator::{AppRegistration, Emulator};

use crate::common::*;

async fn emulator() -> Emulator {
    Emulator::builder()
        .tenant(TENANT, &[DOMAIN])
        .app(
            AppRegistration::new("app-1", TENANT)
                .with_secret("old")
                .with_secret("correct horse"),
        )
        .refresh_in(Some(Duration::from_secs(1800)))
        .start()
        .await
        .unwrap()
}

fn form<'a>(secret: &'a str, scope: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("client_id", "app-1"),
        ("grant_type", "client_credentials"),
        ("client_info", "1"),
        ("client_secret", secret),
        ("scope", scope),
    ]
}

#[tokio::test]
async fn secret_ok_issues_a_bearer_token() {
    let em = emulator().await;
    let r = post_token(
        &em,
        "login.microsoftonline.com",
        DOMAIN,
        None,
        &form("correct horse", GRAPH),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.headers["content-type"], "application/json; charset=utf-8");
    assert_eq!(
        r.headers["client-request-id"],
        "11111111-2222-3333-4444-555555555555"
    );
    let body = r.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3599);
    assert_eq!(body["ext_expires_in"], 3599);
    assert_eq!(body["refresh_in"], 1800);
    let claims = em
        .verify_access_token(body["access_token"].as_str().unwrap())
        .unwrap();
    assert_eq!(claims["aud"], "https://graph.microsoft.com");
    assert_eq!(claims["appid"], "app-1");
    assert_eq!(claims["azp"], "app-1");
    assert_eq!(claims["tid"], TENANT);
    assert_eq!(claims["idtyp"], "app");
    assert_eq!(claims["ver"], "2.0");
    assert_eq!(claims["appidacr"], "1");
    assert_eq!(
        claims["iss"],
        format!("https://login.microsoftonline.com/{TENANT}/v2.0")
    );
    assert_eq!(claims["oid"], Emulator::object_id("app-1"));
    assert!(claims.get("cnf").is_none());
    let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    assert_eq!(lifetime, 3599);

    // The log has the request with its form in order.
    let log = em.token_requests();
    assert_eq!(log.len(), 1);
    assert_eq!(
        log[0].form_names(),
        [
            "client_id",
            "grant_type",
            "client_info",
            "client_secret",
            "scope"
        ]
    );
    assert_eq!(log[0].form_value("client_secret"), Some("correct horse"));
    assert_eq!(log[0].status, 200);
    assert!(!format!("{:?}", log[0]).contains("correct horse"));

    // The older secret still works (rotation), on another alias host.
    let r = post_token(&em, "login.windows.net", TENANT, None, &form("old", GRAPH)).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn wrong_secret_is_invalid_client_without_echoing_it() {
    let em = emulator().await;
    let r = post_token(
        &em,
        "login.microsoftonline.com",
        TENANT,
        None,
        &form("wrong-secret-value", GRAPH),
    )
    .await;
    assert_eq!(r.status, 401);
    let body = r.json();
    assert_eq!(body["error"], "invalid_client");
    assert_eq!(body["error_codes"][0], 7000215);
    assert_eq!(
        body["correlation_id"],
        "11111111-2222-3333-4444-555555555555"
    );
    assert_eq!(
        body["error_uri"],
        "https://login.microsoftonline.com/error?code=7000215"
    );
    assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));
    assert!(uuid::Uuid::parse_str(body["trace_id"].as_str().unwrap()).is_ok());
    assert!(!r.body.contains("wrong-secret-value"));
    assert_eq!(em.token_requests()[0].status, 401);
}

#[tokio::test]
async fn request_shape_errors() {
    let em = emulator().await;
    let host = "login.microsoftonline.com";
    // Missing credential.
    let r = post_token(
        &em,
        host,
        TENANT,
        None,
        &[
            ("client_id", "app-1"),
            ("grant_type", "client_credentials"),
            ("scope", GRAPH),
        ],
    )
    .await;
    assert_eq!((r.status, r.error_code()), (401, 7000218));
    // Unknown app.
    let r = post_token(
        &em,
        host,
        TENANT,
        None,
        &[
            ("client_id", "nope"),
            ("grant_type", "client_credentials"),
            ("client_secret", "x"),
            ("scope", GRAPH),
        ],
    )
    .await;
    assert_eq!((r.status, r.error_code()), (400, 700016));
    assert_eq!(r.json()["error"], "unauthorized_client");
    // Unknown tenant.
    let r = post_token(
        &em,
        host,
        "fabrikam.onmicrosoft.com",
        None,
        &form("correct horse", GRAPH),
    )
    .await;
    assert_eq!((r.status, r.error_code()), (400, 90002));
    // Scope without /.default, several resources, missing scope.
    for scope in [
        "https://graph.microsoft.com/User.Read",
        "https://graph.microsoft.com/.default https://vault.azure.net/.default",
    ] {
        let r = post_token(&em, host, TENANT, None, &form("correct horse", scope)).await;
        assert_eq!((r.status, r.error_code()), (400, 1002012), "{scope}");
        assert_eq!(r.json()["error"], "invalid_scope");
    }
    let r = post_token(
        &em,
        host,
        TENANT,
        None,
        &[
            ("client_id", "app-1"),
            ("grant_type", "client_credentials"),
            ("client_secret", "correct horse"),
        ],
    )
    .await;
    assert_eq!((r.status, r.error_code()), (400, 900144));
    // Wrong grant type.
    let r = post_token(
        &em,
        host,
        TENANT,
        None,
        &[
            ("client_id", "app-1"),
            ("grant_type", "password"),
            ("client_secret", "correct horse"),
            ("scope", GRAPH),
        ],
    )
    .await;
    assert_eq!(r.json()["error"], "unsupported_grant_type");
    // Both a secret and an assertion.
    let r = post_token(
        &em,
        host,
        TENANT,
        None,
        &[
            ("client_id", "app-1"),
            ("grant_type", "client_credentials"),
            ("client_secret", "correct horse"),
            ("client_assertion", "a.b.c"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("scope", GRAPH),
        ],
    )
    .await;
    assert_eq!(
        (r.status, r.json()["error"].as_str().unwrap()),
        (400, "invalid_request")
    );
    // mtls_pop on a login host.
    let mut f = form("correct horse", GRAPH);
    f.push(("token_type", "mtls_pop"));
    let r = post_token(&em, host, TENANT, None, &f).await;
    assert_eq!(
        (r.status, r.json()["error"].as_str().unwrap()),
        (400, "invalid_request")
    );
    // common is not a tenant for client credentials.
    let r = post_token(&em, host, "common", None, &form("correct horse", GRAPH)).await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn apps_can_be_registered_after_start_and_misbehavior_omits_token_type() {
    let em = emulator().await;
    let other_tenant = "99999999-0000-1111-2222-333344445555";
    let f = [
        ("client_id", "late"),
        ("grant_type", "client_credentials"),
        ("client_secret", "z"),
        ("scope", "api://my-api/.default"),
    ];
    assert_eq!(
        post_token(&em, "login.microsoftonline.com", other_tenant, None, &f)
            .await
            .status,
        400
    );
    em.register_app(AppRegistration::new("late", other_tenant).with_secret("z"));
    let r = post_token(&em, "login.microsoftonline.com", other_tenant, None, &f).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let claims = em
        .verify_access_token(r.json()["access_token"].as_str().unwrap())
        .unwrap();
    assert_eq!(claims["aud"], "api://my-api");
    assert_eq!(claims["tid"], other_tenant);

    em.set_misbehavior(entra_emulator::Misbehavior::OmitTokenType);
    let r = post_token(&em, "login.microsoftonline.com", other_tenant, None, &f).await;
    assert_eq!(r.status, 200);
    assert!(r.json().get("token_type").is_none());
    em.set_misbehavior(entra_emulator::Misbehavior::None);
    let r = post_token(&em, "login.microsoftonline.com", other_tenant, None, &f).await;
    assert_eq!(r.json()["token_type"], "Bearer");
}

#[tokio::test]
async fn verify_access_token_rejects_foreign_and_tampered_tokens() {
    let em = emulator().await;
    let other = emulator().await;
    let token = post_token(
        &other,
        "login.microsoftonline.com",
        TENANT,
        None,
        &form("correct horse", GRAPH),
    )
    .await
    .json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(other.verify_access_token(&token).is_ok());
    assert!(matches!(
        em.verify_access_token(&token),
        Err(entra_emulator::Error::InvalidToken { .. })
    ));
    assert!(em.verify_access_token("not-a-jwt").is_err());
}

#[tokio::test]
async fn keep_alive_reuses_one_handshake() {
    let em = emulator().await;
    let mut conn = Conn::open(&em, "login.microsoftonline.com", None).await;
    for _ in 0..3 {
        let r = conn
            .send(
                "POST",
                &format!("/{TENANT}/oauth2/v2.0/token"),
                &[],
                Some(&form("correct horse", GRAPH)),
            )
            .await;
        assert_eq!(r.status, 200);
    }
    assert_eq!(em.tls_handshakes(), 1);
    let ids: Vec<u64> = em
        .token_requests()
        .iter()
        .map(|r| r.connection_id)
        .collect();
    assert_eq!(ids.len(), 3);
    assert!(ids.iter().all(|id| *id == ids[0]));
    let _second = Conn::open(&em, "login.microsoftonline.com", None)
        .await
        .get("/x")
        .await;
    assert_eq!(em.tls_handshakes(), 2);
    assert_ne!(em.requests().last().unwrap().connection_id, ids[0]);
}
