use clap::Parser;

use super::*;

#[derive(Parser)]
struct Cmd {
    #[command(flatten)]
    args: CallArgs,
}

/// `msal call <argv> --token-from -`, parsed.
fn args(argv: &[&str]) -> CallArgs {
    let full = ["call"]
        .iter()
        .chain(argv)
        .chain(&["--token-from", "-"])
        .copied();
    Cmd::try_parse_from(full).unwrap().args
}

/// The refusal of `argv`: its code and message.
fn refusal(argv: &[&str]) -> (&'static str, String) {
    let e = check_target(&args(argv)).unwrap_err();
    (e.code(), e.to_string())
}

#[test]
fn item4_mtls_pop_needs_cert() {
    // The default scheme is mtls_pop.
    for argv in [
        &["https://mtlstb.graph.microsoft.com/v1.0/applications"][..],
        &["http://127.0.0.1:8080/", "--allow-insecure-loopback"],
        &["https://r.example/", "--scheme", "MTLS_POP"],
    ] {
        let (code, message) = refusal(argv);
        assert_eq!(code, "missing_certificate", "{argv:?}");
        assert!(message.contains("--cert"), "{message}");
    }
    let ok = args(&["https://r.example/x", "--cert", "c.pem"]);
    assert_eq!(check_target(&ok).unwrap().1, Scheme::MtlsPop);
}

#[test]
fn item4_plain_http_needs_loopback_and_the_flag() {
    for url in [
        "http://127.0.0.1:8080/",
        "http://127.8.9.10/",
        "http://[::1]:9000/",
        "http://LOCALHOST/x",
    ] {
        let (code, message) = refusal(&[url, "--scheme", "Bearer"]);
        assert_eq!(code, "insecure_url", "{url}");
        assert!(message.contains("--allow-insecure-loopback"), "{message}");
        let ok = args(&[url, "--scheme", "Bearer", "--allow-insecure-loopback"]);
        let (checked, scheme) = check_target(&ok).unwrap();
        assert_eq!((checked.scheme(), scheme), ("http", Scheme::Bearer));
    }
}

#[test]
fn item4_plain_http_elsewhere_is_refused_even_with_the_flag() {
    for url in [
        "http://graph.microsoft.com/",
        "http://10.0.0.1/",
        "http://[::ffff:127.0.0.1]/",
        "http://localhost.example.com/",
        "http://0.0.0.0/",
    ] {
        let (code, message) = refusal(&[url, "--scheme", "bearer", "--allow-insecure-loopback"]);
        assert_eq!(code, "insecure_url", "{url}");
        assert!(message.contains("--allow-insecure-loopback"), "{message}");
        assert!(message.contains("not a loopback"), "{message}");
    }
    // A --resolve override that sends localhost elsewhere makes it not loopback.
    let (code, _) = refusal(&[
        "http://localhost:8080/",
        "--scheme",
        "Bearer",
        "--allow-insecure-loopback",
        "--resolve",
        "LocalHost=192.0.2.7:8080",
    ]);
    assert_eq!(code, "insecure_url");
    let loopback = args(&[
        "http://localhost:8080/",
        "--scheme",
        "Bearer",
        "--allow-insecure-loopback",
        "--resolve",
        "localhost=127.0.0.1:9",
    ]);
    assert!(check_target(&loopback).is_ok());
}

#[test]
fn item4_certificates_and_pop_need_https() {
    let (code, message) = refusal(&[
        "http://127.0.0.1/",
        "--cert",
        "c.pem",
        "--allow-insecure-loopback",
    ]);
    assert_eq!(code, "insecure_url");
    assert!(message.contains("https://"), "{message}");
    let (code, message) = refusal(&[
        "http://127.0.0.1/",
        "--scheme",
        "Bearer",
        "--cert",
        "c.pem",
        "--allow-insecure-loopback",
    ]);
    assert_eq!(code, "insecure_url");
    assert!(message.contains("--cert"), "{message}");
}

#[test]
fn item4_other_schemes_and_bad_urls_are_refused() {
    for (argv, want) in [
        (
            &["ftp://127.0.0.1/", "--scheme", "Bearer"][..],
            "insecure_url",
        ),
        (
            &["file:///etc/passwd", "--scheme", "Bearer"],
            "insecure_url",
        ),
        (&["not a url", "--scheme", "Bearer"], "invalid_url"),
        (
            &["https://r.example/", "--scheme", "Basic"],
            "invalid_scheme",
        ),
        (
            &["https://r.example/", "--scheme", "Bearer\r\nX-Injected: 1"],
            "invalid_scheme",
        ),
    ] {
        assert_eq!(refusal(argv).0, want, "{argv:?}");
    }
    let bearer_https = args(&["https://r.example/", "--scheme", "Bearer"]);
    assert_eq!(check_target(&bearer_https).unwrap().1, Scheme::Bearer);
}

#[test]
fn token_input_is_borrowed_and_never_quoted() {
    assert_eq!(token_in(b"  abc.def.ghi\n").unwrap(), "abc.def.ghi");
    let json = br#"{"token_type":"mtls_pop","access_token":"tok-123","claims":{"a":[1,"x"]}}"#;
    assert_eq!(token_in(json).unwrap(), "tok-123");
    for bad in [
        &br#"{"access_token":"sec\u0072et-token"}"#[..],
        br#"{"access_token":42}"#,
        br#"{"access_token":"secret-token""#,
        b"{}",
        b"  \n",
        b"\xffsecret-token",
    ] {
        let e = token_in(bad).unwrap_err().to_string();
        assert!(!e.contains("secret") && !e.contains("42"), "{e}");
    }
}

#[test]
fn authorization_header_is_sensitive_and_exact() {
    let h = authorization(Scheme::MtlsPop, "tok").unwrap();
    assert_eq!(h.as_bytes(), b"mtls_pop tok");
    assert!(h.is_sensitive());
    assert_eq!(
        authorization(Scheme::Bearer, "t").unwrap().as_bytes(),
        b"Bearer t"
    );
    let e = authorization(Scheme::Bearer, "secret\r\nx").unwrap_err();
    assert!(!e.to_string().contains("secret"));
}

/// The secrets the CLI reads (a key file, a secret from the environment, a token from a file)
/// leave no unwiped copy in freed memory on their way to the request.
#[test]
fn item6_cli_secret_inputs_leave_no_copy() {
    const MARKER: &str = "Zq7cli-secret-marker-9Xk";
    assert!(
        alloc_scan::control(MARKER.as_bytes()).hits > 0,
        "the scanning allocator is installed"
    );
    let dir = std::env::temp_dir().join(format!("msal-cli-item6-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = dir.join("key.pem");
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{MARKER}{}\n-----END PRIVATE KEY-----\n",
        "A".repeat(3000)
    );
    std::fs::write(&key, &pem).unwrap();
    let token_json =
        format!(r#"{{"access_token":"{MARKER}.payload.signature","token_type":"Bearer"}}"#);
    std::env::set_var("MSAL_CLI_ITEM6_SECRET", MARKER);
    drop((pem, token_json.clone()));
    let found = alloc_scan::scan(MARKER.as_bytes(), || {
        let bytes = read_secret_file(&key).unwrap();
        assert!(bytes.len() > 3000);
        drop(bytes);
        let name: crate::secret_input::EnvName = "MSAL_CLI_ITEM6_SECRET".parse().unwrap();
        let secret = crate::secret_input::env_secret("--secret-env", &name).unwrap();
        assert_eq!(secret.as_str(), MARKER);
        drop(secret);
        let input = read_bounded(std::io::Cursor::new(token_json.as_bytes()), 1 << 16).unwrap();
        let token = token_in(&input).unwrap();
        let header = authorization(Scheme::Bearer, token).unwrap();
        drop(header);
        drop(input);
    });
    std::env::remove_var("MSAL_CLI_ITEM6_SECRET");
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(found.hits, 0, "{found}");
}
