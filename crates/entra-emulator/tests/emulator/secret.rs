use std::time::Duration;

use entra_emulator::{AppRegistration, Emulator, Misbehavior};

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

/// A token POST to the login host on a fresh connection.
async fn login(em: &Emulator, tenant: &str, form: &[(&str, &str)]) -> Resp {
    post_token(em, "login.microsoftonline.com", tenant, None, form).await
}

/// A request-shape case: its name, the tenant in the path, the form and the answer it wants.
type ShapeCase<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)], Expect);

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
    let r = login(&em, DOMAIN, &form("correct horse", GRAPH)).await;
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
    let claims = r.verified_claims(&em);
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
    let r = login(&em, TENANT, &form("wrong-secret-value", GRAPH)).await;
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
    let good = form("correct horse", GRAPH);
    let mut pop = good.clone();
    pop.push(("token_type", "mtls_pop"));
    let (app, cc) = (("client_id", "app-1"), ("grant_type", "client_credentials"));
    let secret = ("client_secret", "correct horse");
    let bad_scope = Expect::status(400).code(1002012).error("invalid_scope");
    let invalid_request = Expect::status(400).error("invalid_request");
    let cases: &[ShapeCase<'_>] = &[
        (
            "missing credential",
            TENANT,
            &[app, cc, ("scope", GRAPH)],
            Expect::status(401).code(7000218),
        ),
        (
            "unknown app",
            TENANT,
            &[
                ("client_id", "nope"),
                cc,
                ("client_secret", "x"),
                ("scope", GRAPH),
            ],
            Expect::status(400)
                .code(700016)
                .error("unauthorized_client"),
        ),
        (
            "unknown tenant",
            "fabrikam.onmicrosoft.com",
            &good,
            Expect::status(400).code(90002),
        ),
        (
            "scope without /.default",
            TENANT,
            &form("correct horse", "https://graph.microsoft.com/User.Read"),
            bad_scope,
        ),
        (
            "several resources",
            TENANT,
            &form(
                "correct horse",
                "https://graph.microsoft.com/.default https://vault.azure.net/.default",
            ),
            bad_scope,
        ),
        (
            "missing scope",
            TENANT,
            &[app, cc, secret],
            Expect::status(400).code(900144),
        ),
        (
            "wrong grant type",
            TENANT,
            &[app, ("grant_type", "password"), secret, ("scope", GRAPH)],
            Expect::status(400).error("unsupported_grant_type"),
        ),
        (
            "both a secret and an assertion",
            TENANT,
            &[
                app,
                cc,
                secret,
                ("client_assertion", "a.b.c"),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("scope", GRAPH),
            ],
            invalid_request,
        ),
        ("mtls_pop on a login host", TENANT, &pop, invalid_request),
        (
            "common is not a tenant for client credentials",
            "common",
            &good,
            Expect::status(400),
        ),
    ];
    for &(case, tenant, form, want) in cases {
        login(&em, tenant, form).await.check(case, want);
    }
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
    let late = || login(&em, other_tenant, &f);
    assert_eq!(late().await.status, 400);
    em.register_app(AppRegistration::new("late", other_tenant).with_secret("z"));
    let r = late().await;
    assert_eq!(r.status, 200, "{}", r.body);
    let claims = r.verified_claims(&em);
    assert_eq!(claims["aud"], "api://my-api");
    assert_eq!(claims["tid"], other_tenant);

    for (misbehavior, token_type) in [
        (Misbehavior::OmitTokenType, None),
        (Misbehavior::None, Some("Bearer")),
    ] {
        em.set_misbehavior(misbehavior);
        late()
            .await
            .check_token_type(&format!("{misbehavior:?}"), token_type);
    }
}

#[tokio::test]
async fn verify_access_token_rejects_foreign_and_tampered_tokens() {
    let em = emulator().await;
    let other = emulator().await;
    let token = login(&other, TENANT, &form("correct horse", GRAPH))
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
        let r = conn.post_token(TENANT, &form("correct horse", GRAPH)).await;
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
