//! Issue #10, "Trust boundary, round 2": inputs from servers, files and users that are hostile
//! or absurd. Each test is named after its item of the issue (item 9, certificate chains, is in
//! `hostile_chains.rs`).

use oauth2_core::{Authority, Error, TokenResponse};

const YEAR: u64 = 365 * 24 * 60 * 60;

#[test]
fn item1_hostile_lifetimes_are_clamped_at_parse() {
    assert_eq!(TokenResponse::MAX_LIFETIME_SECS, YEAR);
    let bodies: [&[u8]; 4] = [
        br#"{"access_token":"x","expires_in":9300000000000000000,
             "ext_expires_in":9300000000000000000,"refresh_in":1e19}"#,
        br#"{"access_token":"x","expires_in":"18446744073709551615",
             "ext_expires_in":"18446744073709551615","refresh_in":"18446744073709551615"}"#,
        br#"{"access_token":"x","expires_in":1e300,"ext_expires_in":1e19,"refresh_in":1e19}"#,
        br#"{"access_token":"x","expires_in":18446744073709551615,
             "ext_expires_in":"1e19","refresh_in":9300000000000000000}"#,
    ];
    for body in bodies {
        let t = TokenResponse::parse(body).unwrap();
        let shown = String::from_utf8_lossy(body);
        assert_eq!(t.expires_in, YEAR, "{shown}");
        assert_eq!(t.ext_expires_in, Some(YEAR), "{shown}");
        assert_eq!(t.refresh_in, Some(YEAR), "{shown}");
    }

    // `refresh_in` never lies past `expires_in`.
    let t = TokenResponse::parse(br#"{"access_token":"x","expires_in":3599,"refresh_in":1e19}"#)
        .unwrap();
    assert_eq!((t.expires_in, t.refresh_in), (3599, Some(3599)));
    let t = TokenResponse::parse(br#"{"access_token":"x","refresh_in":"86400"}"#).unwrap();
    assert_eq!((t.expires_in, t.refresh_in), (600, Some(600)));

    // Real answers are unchanged, the bound itself included.
    let t = TokenResponse::parse(
        br#"{"access_token":"x","expires_in":3599,"ext_expires_in":"7199","refresh_in":1799}"#,
    )
    .unwrap();
    assert_eq!(
        (t.expires_in, t.ext_expires_in, t.refresh_in),
        (3599, Some(7199), Some(1799))
    );
    let t = TokenResponse::parse(
        br#"{"access_token":"x","expires_in":31536000,"ext_expires_in":31536000}"#,
    )
    .unwrap();
    assert_eq!((t.expires_in, t.ext_expires_in), (YEAR, Some(YEAR)));
}

/// Everything an error can show: `Display`, `Debug` and the `Display` of every source.
fn all_text(err: &Error) -> String {
    let mut text = format!("{err}\n{err:?}");
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        text.push_str(&format!("\n{s}\n{s:?}"));
        source = s.source();
    }
    text
}

#[test]
fn item7_authority_errors_never_echo_userinfo() {
    let inputs = [
        "https://user:password@login.microsoftonline.com/t",
        "  https://user:password@login.microsoftonline.com/t?x=1#frag  ",
        "https://user@login.microsoftonline.com/t",
        "https://:password@login.microsoftonline.com/t",
        // user info and another error: the user info must not show in either
        "http://user:password@login.microsoftonline.com/t",
        "ftp://user:password@login.microsoftonline.com/t",
        "https://user:password@login.microsoftonline.com",
        "https://user:password@/t",
        "https://user:password@login.microsoftonline.com:99999/t",
        "https://user:password@login micro.com/t",
        // not parsed as user info by the URL parser, still never shown
        "https://user:pass/word@login.microsoftonline.com/t",
        "https://user:p%40ssword@login.microsoftonline.com/t",
        "user:password@login.microsoftonline.com/t",
        "https://user:password\u{FF20}login.microsoftonline.com/t",
        "https://user:password@@login.microsoftonline.com/t",
    ];
    for input in inputs {
        let err = Authority::parse(input).expect_err(input);
        assert_eq!(err.code(), "invalid_authority", "{input}");
        let text = all_text(&err);
        for secret in ["user", "pass", "ssword"] {
            assert!(!text.contains(secret), "{input:?} shows {secret:?}: {text}");
        }
    }

    // The message still says where the problem is and what to do.
    let err = Authority::parse("https://user:password@login.microsoftonline.com/t").unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("…@login.microsoftonline.com/t"),
        "{message}"
    );
    assert!(message.contains("remove them"), "{message}");

    // Inputs without user info are still quoted, at most 200 characters of them.
    let err = Authority::parse("http://login.microsoftonline.com/t").unwrap_err();
    assert!(
        err.to_string()
            .contains("`http://login.microsoftonline.com/t`"),
        "{err}"
    );
    let long = format!("http://login.microsoftonline.com/{}", "a".repeat(100_000));
    let message = Authority::parse(&long).unwrap_err().to_string();
    assert!(message.len() < 600, "{} bytes", message.len());
}
