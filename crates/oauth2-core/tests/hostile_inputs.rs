//! Issue #10, "Trust boundary, round 2": inputs from servers, files and users that are hostile
//! or absurd. Each test is named after its item of the issue.

use oauth2_core::TokenResponse;

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
