//! Scopes, the client-credentials form body, token and error responses.

use oauth2_core::{
    ClientAuthentication, ClientCredentialsRequest, Error, ErrorResponse, Scopes, SecretString,
    TokenResponse, TokenType, JWT_BEARER_ASSERTION_TYPE, JWT_POP_ASSERTION_TYPE,
};

const GRAPH: &str = "https://graph.microsoft.com/.default";

fn scopes(list: &[&str]) -> Scopes {
    Scopes::new(list.iter().copied()).unwrap()
}

fn request(auth: ClientAuthentication) -> ClientCredentialsRequest {
    ClientCredentialsRequest {
        client_id: "my-client-id".into(),
        scopes: scopes(&[GRAPH]),
        authentication: auth,
        token_type: TokenType::Bearer,
        extra: Vec::new(),
    }
}

// ----------------------------------------------------------------------------- scopes

#[test]
fn scopes_are_trimmed_deduplicated_and_sorted_by_code_point() {
    let s = Scopes::new(["  b ", "a", "B", "a", "\tc\n"]).unwrap();
    assert_eq!(s.as_slice(), ["B", "a", "b", "c"]);
    assert_eq!(s.joined(), "B a b c");
    assert_eq!(s.joined_str(), "B a b c");
    assert_eq!(s.len(), 4);
    assert!(!s.is_empty());
    assert_eq!(s.iter().collect::<Vec<_>>(), ["B", "a", "b", "c"]);
    assert_eq!(s.to_string(), "B a b c");
    // order and repeats do not matter for equality
    assert_eq!(
        s,
        Scopes::new(vec!["c".to_owned(), "b".into(), "a".into(), "B".into()]).unwrap()
    );
    assert_ne!(s, scopes(&["a", "b", "c"]));
}

#[test]
fn scopes_hash_consistently() {
    use std::collections::HashSet;
    let mut set = HashSet::new();
    set.insert(scopes(&["x", "y"]));
    assert!(set.contains(&scopes(&["y", "x", "y"])));
}

#[test]
fn invalid_scopes_are_rejected() {
    let empty: [&str; 0] = [];
    for bad in [&empty[..], &[""], &["   "], &["a", ""], &["a b"], &["a\tb"]] {
        match Scopes::new(bad.iter()) {
            Err(e @ Error::InvalidScope { .. }) => assert_eq!(e.code(), "invalid_scope"),
            other => panic!("{bad:?}: expected InvalidScope, got {other:?}"),
        }
    }
}

#[test]
fn subset() {
    let ab = scopes(&["a", "b"]);
    assert!(scopes(&["a"]).is_subset_of(&ab));
    assert!(ab.is_subset_of(&ab));
    assert!(!scopes(&["a", "c"]).is_subset_of(&ab));
    assert!(!scopes(&["A"]).is_subset_of(&ab), "case-sensitive");
    assert!(!ab.is_subset_of(&scopes(&["a"])));
}

// ----------------------------------------------------------------------------- form body

#[test]
fn form_body_with_secret() {
    let req = request(ClientAuthentication::Secret(SecretString::new("s3cr3t&=+")));
    assert_eq!(
        req.to_form_body(),
        "client_id=my-client-id&grant_type=client_credentials\
         &scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&client_info=1\
         &client_secret=s3cr3t%26%3D%2B"
    );
    assert_eq!(
        req.form_fields(),
        vec![
            ("client_id", "my-client-id"),
            ("grant_type", "client_credentials"),
            ("scope", GRAPH),
            ("client_info", "1"),
            ("client_secret", "s3cr3t&=+"),
        ]
    );
}

#[test]
fn form_body_with_assertion() {
    let req = request(ClientAuthentication::Assertion {
        assertion: SecretString::new("eyJh.eyJi.c2ln"),
        assertion_type: JWT_BEARER_ASSERTION_TYPE,
    });
    assert_eq!(
        req.to_form_body(),
        "client_id=my-client-id&grant_type=client_credentials\
         &scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&client_info=1\
         &client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer\
         &client_assertion=eyJh.eyJi.c2ln"
    );
}

#[test]
fn form_body_with_tls_certificate_and_token_type() {
    let mut req = request(ClientAuthentication::TlsClientCertificate);
    req.token_type = TokenType::MtlsPop;
    req.scopes = scopes(&["api://b/.default", "api://a/.default"]);
    assert_eq!(
        req.to_form_body(),
        "client_id=my-client-id&grant_type=client_credentials\
         &scope=api%3A%2F%2Fa%2F.default+api%3A%2F%2Fb%2F.default&client_info=1\
         &token_type=mtls_pop"
    );
}

#[test]
fn form_body_with_pop_assertion_token_type_and_extra() {
    let mut req = request(ClientAuthentication::Assertion {
        assertion: SecretString::new("jwt"),
        assertion_type: JWT_POP_ASSERTION_TYPE,
    });
    req.token_type = TokenType::MtlsPop;
    req.extra = vec![
        (
            "claims".into(),
            r#"{"access_token":{"xms_cc":{"values":["cp1"]}}}"#.into(),
        ),
        ("empty".into(), String::new()),
        ("x".into(), "y z".into()),
    ];
    let fields = req.form_fields();
    let names: Vec<&str> = fields.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        names,
        [
            "client_id",
            "grant_type",
            "scope",
            "client_info",
            "client_assertion_type",
            "client_assertion",
            "token_type",
            "claims",
            "x"
        ]
    );
    assert!(req
        .to_form_body()
        .ends_with("&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-pop&client_assertion=jwt&token_type=mtls_pop&claims=%7B%22access_token%22%3A%7B%22xms_cc%22%3A%7B%22values%22%3A%5B%22cp1%22%5D%7D%7D%7D&x=y+z"));
}

#[test]
fn empty_values_are_dropped() {
    let mut req = request(ClientAuthentication::Secret(SecretString::new("")));
    req.client_id = String::new();
    req.token_type = TokenType::Bearer;
    assert_eq!(
        req.to_form_body(),
        "grant_type=client_credentials&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&client_info=1"
    );
}

#[test]
fn request_debug_never_shows_credentials() {
    let secret = request(ClientAuthentication::Secret(SecretString::new(
        "very-secret-value",
    )));
    let assertion = request(ClientAuthentication::Assertion {
        assertion: SecretString::new("eyJhbGciOiJQUzI1NiJ9.payload-part.signature-part"),
        assertion_type: JWT_BEARER_ASSERTION_TYPE,
    });
    let dbg = format!("{secret:?} {secret:#?} {assertion:?} {assertion:#?}");
    assert!(!dbg.contains("very-secret-value"));
    assert!(!dbg.contains("eyJhbGciOiJQUzI1NiJ9"));
    assert!(!dbg.contains("payload-part"));
    assert!(dbg.contains("my-client-id"));
    assert!(dbg.contains("<redacted>"));
}

// ----------------------------------------------------------------------------- token response

#[test]
fn token_response_full() {
    let body =
        br#"{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"refresh_in":1799,
        "access_token":"eyJ0eXAi.abc.def","scope":"https://graph.microsoft.com/.default"}"#;
    let t = TokenResponse::parse(body).unwrap();
    assert_eq!(t.access_token.expose_secret(), "eyJ0eXAi.abc.def");
    assert_eq!(t.token_type.as_deref(), Some("Bearer"));
    assert_eq!(t.expires_in, 3599);
    assert_eq!(t.ext_expires_in, Some(3599));
    assert_eq!(t.refresh_in, Some(1799));
    assert_eq!(t.scope.as_deref(), Some(GRAPH));
    assert!(!format!("{t:?}").contains("eyJ0eXAi"));
}

#[test]
fn token_response_numeric_strings_and_defaults() {
    // AAD v1 style: numbers as strings; no token_type, no scope
    let t = TokenResponse::parse(
        br#"{"access_token":"x","expires_in":"3600","ext_expires_in":"7200"}"#,
    )
    .unwrap();
    assert_eq!(t.expires_in, 3600);
    assert_eq!(t.ext_expires_in, Some(7200));
    assert_eq!(t.refresh_in, None);
    assert_eq!(t.token_type, None);
    assert_eq!(t.scope, None);

    // missing expires_in → 600
    let t = TokenResponse::parse(br#"{"access_token":"x","token_type":"mtls_pop"}"#).unwrap();
    assert_eq!(t.expires_in, 600);
    assert_eq!(t.token_type.as_deref(), Some("mtls_pop"));

    // negative values clamp to 0; floats truncate
    let t =
        TokenResponse::parse(br#"{"access_token":"x","expires_in":0,"refresh_in":-100}"#).unwrap();
    assert_eq!(t.expires_in, 0);
    assert_eq!(t.refresh_in, Some(0));
    let t = TokenResponse::parse(br#"{"access_token":"x","expires_in":3599.9,"refresh_in":"-5"}"#)
        .unwrap();
    assert_eq!(t.expires_in, 3599);
    assert_eq!(t.refresh_in, Some(0));
}

#[test]
fn token_response_errors_never_echo_the_body() {
    let cases: [&[u8]; 9] = [
        br#"{"token_type":"Bearer","expires_in":3599}"#,
        br#"{"access_token":"","expires_in":3599}"#,
        br#"{"access_token":42}"#,
        br#"{"access_token":"SECRET-TOKEN","expires_in":"soon"}"#,
        br#"{"access_token":"SECRET-TOKEN","expires_in":true}"#,
        br#"{"access_token":"SECRET-TOKEN","token_type":7}"#,
        br#"["SECRET-TOKEN"]"#,
        br#"{"access_token":"SECRET-TOKEN""#,
        b"SECRET-TOKEN",
    ];
    for body in cases {
        let err = TokenResponse::parse(body).unwrap_err();
        assert_eq!(
            err.code(),
            "invalid_token_response",
            "{}",
            String::from_utf8_lossy(body)
        );
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("SECRET-TOKEN"), "{shown}");
        assert!(!shown.contains("soon"), "{shown}");
    }
    let err = TokenResponse::parse(br#"{"error":"invalid_client"}"#).unwrap_err();
    assert!(err.to_string().contains("error response"), "{err}");
}

// ----------------------------------------------------------------------------- error response

#[test]
fn error_response_entra() {
    let body = br#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.",
        "error_codes":[7000215],"timestamp":"2024-01-01 00:00:00Z","trace_id":"t-1","correlation_id":"c-1",
        "error_uri":"https://login.microsoftonline.com/error?code=7000215","suberror":"basic_action",
        "claims":"{\"access_token\":{}}"}"#;
    let e = ErrorResponse::parse(body).unwrap();
    assert_eq!(e.error, "invalid_client");
    assert!(e
        .error_description
        .as_deref()
        .unwrap()
        .starts_with("AADSTS7000215"));
    assert_eq!(e.error_codes, [7_000_215]);
    assert_eq!(e.timestamp.as_deref(), Some("2024-01-01 00:00:00Z"));
    assert_eq!(e.trace_id.as_deref(), Some("t-1"));
    assert_eq!(e.correlation_id.as_deref(), Some("c-1"));
    assert!(e.error_uri.is_some());
    assert_eq!(e.suberror.as_deref(), Some("basic_action"));
    assert_eq!(e.claims.as_deref(), Some(r#"{"access_token":{}}"#));
}

#[test]
fn error_response_minimal_and_lenient() {
    let e = ErrorResponse::parse(br#"{"error":"invalid_scope"}"#).unwrap();
    assert_eq!(e.error, "invalid_scope");
    assert!(e.error_codes.is_empty());
    assert!(e.error_description.is_none());
    // wrong types of optional fields are skipped, not fatal
    let e = ErrorResponse::parse(
        br#"{"error":"x","error_codes":"7000215","trace_id":5,"claims":{"a":1}}"#,
    )
    .unwrap();
    assert!(e.error_codes.is_empty());
    assert!(e.trace_id.is_none());
    assert_eq!(e.claims.as_deref(), Some(r#"{"a":1}"#));
}

#[test]
fn error_response_requires_a_string_error() {
    for body in [
        &b""[..],
        b"<html>502 Bad Gateway</html>",
        br#"{"access_token":"x"}"#,
        br#"{"error":42}"#,
        br#"["error"]"#,
    ] {
        assert!(
            ErrorResponse::parse(body).is_none(),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    // the serde derive is usable too
    let e: ErrorResponse = serde_json::from_str(r#"{"error":"e","error_codes":[1,2]}"#).unwrap();
    assert_eq!(e.error_codes, [1, 2]);
}
