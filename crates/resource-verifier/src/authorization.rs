//! The `Authorization` header: its [`Scheme`] and the token it carries.

use crate::rejection::{Reason, Rejection};
use crate::scheme::Scheme;

/// Splits an `Authorization` value into its scheme and token, keeping only `accepted` schemes.
pub(crate) fn parse<'a>(
    header: Option<&'a [u8]>,
    accepted: &[Scheme],
) -> Result<(Scheme, &'a str), Rejection> {
    let Some(header) = header else {
        return Err(Rejection::new(
            Reason::MissingToken,
            "the request has no Authorization header",
        ));
    };
    let malformed = || {
        Rejection::new(
            Reason::MalformedAuthorization,
            "the Authorization header must be '<scheme> <token>'",
        )
    };
    let header = std::str::from_utf8(header).map_err(|_| malformed())?;
    let (name, token) = header.trim().split_once(' ').ok_or_else(malformed)?;
    let token = token.trim_start();
    if token.is_empty() || token.contains(char::is_whitespace) {
        return Err(malformed());
    }
    match Scheme::from_name(name) {
        Some(scheme) if accepted.contains(&scheme) => Ok((scheme, token)),
        _ => Err(Rejection::new(
            Reason::UnsupportedScheme,
            format!(
                "the Authorization scheme is not accepted here; use {}",
                accepted
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOTH: &[Scheme] = &[Scheme::MtlsPop, Scheme::Bearer];

    #[test]
    fn splits_scheme_and_token() {
        assert_eq!(
            parse(Some(b"MTLS_POP  abc.def.ghi"), BOTH).unwrap(),
            (Scheme::MtlsPop, "abc.def.ghi")
        );
        assert_eq!(
            parse(Some(b"bearer t"), BOTH).unwrap(),
            (Scheme::Bearer, "t")
        );
    }

    #[test]
    fn refuses_missing_malformed_and_unaccepted() {
        let reason = |h: Option<&[u8]>, a: &[Scheme]| parse(h, a).unwrap_err().reason();
        assert_eq!(reason(None, BOTH), Reason::MissingToken);
        assert_eq!(reason(Some(b"token"), BOTH), Reason::MalformedAuthorization);
        assert_eq!(
            reason(Some(b"Bearer a b"), BOTH),
            Reason::MalformedAuthorization
        );
        assert_eq!(
            reason(Some(b"Bearer \xff"), BOTH),
            Reason::MalformedAuthorization
        );
        assert_eq!(
            reason(Some(b"Basic dXNlcg=="), BOTH),
            Reason::UnsupportedScheme
        );
        assert_eq!(
            reason(Some(b"Bearer t"), &[Scheme::MtlsPop]),
            Reason::UnsupportedScheme
        );
    }
}
