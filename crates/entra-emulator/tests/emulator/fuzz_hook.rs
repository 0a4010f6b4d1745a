//! The `fuzz_parse_jwt` fuzzing entry point accepts anything without panicking, including
//! well-formed assertions that reach certificate parsing, chain walking and signature checks.

use entra_emulator::pki::{CertRequest, TestCa};

use crate::common::*;

#[test]
fn fuzz_hook_survives_seed_inputs() {
    let ca = TestCa::new("Fuzz hook CA").unwrap();
    let cert = ca.issue(&CertRequest::new("fuzz-app")).unwrap();
    let claims = claims(
        "app",
        "https://login.microsoftonline.com/t/oauth2/v2.0/token",
    );
    let with_x5c = assertion(
        &cert,
        AssertionHeader {
            x5c: true,
            x5t_sha1_padded: true,
            ..AssertionHeader::default()
        },
        &claims,
    );
    let plain = assertion(&cert, AssertionHeader::default(), &claims);
    let mut inputs: Vec<Vec<u8>> = vec![
        with_x5c.clone().into_bytes(),
        plain.into_bytes(),
        b"".to_vec(),
        b"..".to_vec(),
        b"a.b.c".to_vec(),
        b"eyJhbGciOiJub25lIn0.e30.".to_vec(),
        vec![0xff, b'.', 0xfe, b'.', 0x00],
    ];
    // Truncations and a flipped byte of the real assertion.
    for cut in [1, 10, with_x5c.len() / 2, with_x5c.len() - 1] {
        inputs.push(with_x5c.as_bytes()[..cut].to_vec());
    }
    let mut flipped = with_x5c.into_bytes();
    let mid = flipped.len() / 3;
    flipped[mid] ^= 0x01;
    inputs.push(flipped);
    for input in &inputs {
        entra_emulator::fuzz_parse_jwt(input);
    }
}
