//! X.509 helpers: thumbprints, subject CN, validity and chain checks (x509-parser + ring).

use base64::Engine as _;
use x509_parser::certificate::X509Certificate;
use x509_parser::time::ASN1Time;

/// base64url without padding.
pub(crate) fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// RFC 8705 `x5t#S256`: base64url (no padding) of SHA-256 over the DER.
pub(crate) fn x5t_s256(der: &[u8]) -> String {
    b64url(ring::digest::digest(&ring::digest::SHA256, der).as_ref())
}

/// SHA-256 digest of `der`.
pub(crate) fn sha256(der: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, der)
        .as_ref()
        .to_vec()
}

/// SHA-1 digest of `der` (the `x5t` thumbprint).
pub(crate) fn sha1(der: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, der)
        .as_ref()
        .to_vec()
}

/// Parses a DER certificate, describing the failure without echoing the input.
pub(crate) fn parse(der: &[u8]) -> Result<X509Certificate<'_>, String> {
    match x509_parser::parse_x509_certificate(der) {
        Ok(([], cert)) => Ok(cert),
        Ok(_) => Err("the certificate has trailing bytes after its DER encoding".to_owned()),
        Err(e) => Err(format!("the certificate is not valid DER X.509 ({e})")),
    }
}

/// The first subject common name, if any.
pub(crate) fn common_name(cert: &X509Certificate<'_>) -> Option<String> {
    cert.subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_owned)
}

/// Checks `cert` is valid at `now` (seconds since the epoch).
pub(crate) fn check_validity(
    cert: &X509Certificate<'_>,
    now: i64,
    what: &str,
) -> Result<(), String> {
    let at = ASN1Time::from_timestamp(now).map_err(|e| format!("bad clock value ({e})"))?;
    let validity = cert.validity();
    if validity.is_valid_at(at) {
        Ok(())
    } else if at < validity.not_before {
        Err(format!(
            "the {what} is not yet valid (notBefore {})",
            validity.not_before
        ))
    } else {
        Err(format!(
            "the {what} has expired (notAfter {})",
            validity.not_after
        ))
    }
}

/// True when `issuer` has signed `cert` (names match and the signature verifies).
fn issued_by(cert: &X509Certificate<'_>, issuer: &X509Certificate<'_>) -> bool {
    cert.issuer().as_raw() == issuer.subject().as_raw()
        && cert.verify_signature(Some(issuer.public_key())).is_ok()
}

/// Checks that `leaf` chains to one of `trusted` CA certificates, possibly through
/// `intermediates` (any order). Every certificate on the path must be valid at `now`.
pub(crate) fn chains_to_trusted(
    leaf: &[u8],
    intermediates: &[Vec<u8>],
    trusted: &[Vec<u8>],
    now: i64,
) -> Result<(), String> {
    if trusted.is_empty() {
        return Err("no trusted issuer is configured for subject-name/issuer trust".to_owned());
    }
    let trusted: Vec<X509Certificate<'_>> = trusted.iter().filter_map(|d| parse(d).ok()).collect();
    let intermediates: Vec<X509Certificate<'_>> =
        intermediates.iter().filter_map(|d| parse(d).ok()).collect();
    let mut current = parse(leaf)?;
    let mut used: Vec<&[u8]> = Vec::new();
    for _depth in 0..6 {
        if let Some(ca) = trusted.iter().find(|ca| issued_by(&current, ca)) {
            return check_validity(ca, now, "trusted issuer certificate");
        }
        // An untrusted self-issued certificate ends the chain: nothing can vouch for it.
        let self_issued = current.issuer().as_raw() == current.subject().as_raw();
        let next = intermediates.iter().find(|i| {
            !self_issued && i.is_ca() && !used.contains(&i.as_raw()) && issued_by(&current, i)
        });
        match next {
            Some(next) => {
                check_validity(next, now, "intermediate certificate")?;
                used.push(next.as_raw());
                current = next.clone();
            }
            None => {
                return Err(format!(
                    "the certificate chain (issuer '{}') does not lead to a trusted issuer",
                    current.issuer()
                ))
            }
        }
    }
    Err("the certificate chain is too long".to_owned())
}
