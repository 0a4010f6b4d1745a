//! Issue #10 item 6: parsing a token response leaves no unwiped copy of the access token in
//! freed memory. This binary runs on `alloc_scan::ScanAlloc`, which scans every freed block for
//! a marker; the access tokens below carry the marker.

use std::hint::black_box;

use oauth2_core::TokenResponse;
use zeroize::Zeroizing;

#[global_allocator]
static A: alloc_scan::ScanAlloc = alloc_scan::ScanAlloc;

const MARKER: &str = "item6-at-marker-Q7vX2kPz";

/// `parts` concatenated into one buffer of exactly the right size (no growth, so no freed
/// partial copies), wiped on drop like a transport's response buffer should be.
fn concat(parts: &[&str]) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(parts.iter().map(|p| p.len()).sum()));
    for part in parts {
        out.extend_from_slice(part.as_bytes());
    }
    out
}

/// The tokens: plain, with escapes (serde_json decodes those into a scratch buffer) and long
/// (a JWT-sized token, escapes after the marker so a growing buffer would hold it).
fn bodies() -> Vec<Zeroizing<Vec<u8>>> {
    let long_tail = "x".repeat(3000);
    vec![
        concat(&[
            r#"{"access_token":"eyJ0eXAi."#,
            MARKER,
            r#".sig","token_type":"Bearer","expires_in":3599,"ext_expires_in":"3599","refresh_in":1799,"scope":"https://graph.microsoft.com/.default"}"#,
        ]),
        concat(&[
            r#"{"token_type":"mtls_pop","access_token":"\u0041\"\\\/"#,
            MARKER,
            r#"\n\ud83d\ude00","expires_in":"3600"}"#,
        ]),
        concat(&[
            r#"{"access_token":"eyJ"#,
            MARKER,
            &long_tail,
            r#"\/\u00e9"#,
            &long_tail,
            r#""}"#,
        ]),
        // secrets this crate does not use
        concat(&[
            r#"{"access_token":"at-"#,
            MARKER,
            r#"","refresh_token":"rt-"#,
            MARKER,
            r#"","id_token":"\/"#,
            MARKER,
            r#""}"#,
        ]),
        // a repeated key: the first value is overwritten
        concat(&[
            r#"{"access_token":"first-"#,
            MARKER,
            r#"","access_token":"second-"#,
            MARKER,
            r#""}"#,
        ]),
    ]
}

#[test]
fn item6_control_a_plain_string_is_seen() {
    let found = alloc_scan::control(MARKER.as_bytes());
    assert!(found.hits > 0, "no unwiped copy seen: {found}");
}

#[test]
fn item6_token_response_parse_leaves_no_copy() {
    let found = alloc_scan::scan(MARKER.as_bytes(), || {
        for body in bodies() {
            let response = TokenResponse::parse(&body).unwrap();
            assert!(response.access_token.expose_secret().contains(MARKER));
            drop(black_box(response));
        }
    });
    assert_eq!(found.hits, 0, "{found}");
}

#[test]
fn item6_token_response_errors_leave_no_copy() {
    let failing = [
        concat(&[
            r#"{"access_token":"a\/"#,
            MARKER,
            r#"","expires_in":"soon"}"#,
        ]),
        concat(&[r#"{"access_token":"a\/"#, MARKER, r#"","token_type":7}"#]),
        concat(&[r#"{"access_token":"a\/"#, MARKER, r#"","scope":"#]),
        concat(&[r#"["a\/"#, MARKER, r#""]"#]),
    ];
    let found = alloc_scan::scan(MARKER.as_bytes(), || {
        for body in &failing {
            drop(black_box(TokenResponse::parse(body).unwrap_err()));
        }
    });
    assert_eq!(found.hits, 0, "{found}");
}
