//! Reading one `AccessToken` entry.

use oauth2_core::{Scopes, SecretString, TokenType, UnixTime};

use super::ext_cache_key;
use crate::json::{Json, Object};
use crate::{CachedAccessToken, PartitionKey, PartitionParts};

/// Why an entry that looks like ours is not served. Messages name the field, never its value.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Problem {
    /// A field this crate cannot read (a missing field, a string where it expects an object, a
    /// time that is not integer seconds). The entry is kept in the document unchanged.
    Unusable(String),
    /// A time that is integer seconds but impossible: past [`UnixTime::MAX`] (the year 9999) or
    /// before 1970. The entry is dropped from the document.
    ImpossibleTime(String),
}

impl From<String> for Problem {
    fn from(reason: String) -> Self {
        Problem::Unusable(reason)
    }
}

impl From<&str> for Problem {
    fn from(reason: &str) -> Self {
        Problem::Unusable(reason.to_owned())
    }
}

/// Reads one `AccessToken` entry.
///
/// `Ok(None)`: a valid entry that is not ours to serve (a user token, another credential type,
/// a token type this library does not know, such as MSAL.NET's `pop`, a foreign ext key).
pub(super) fn parse_access_token(entry: &Json) -> Result<Option<CachedAccessToken>, Problem> {
    let Some(e) = entry.as_object() else {
        return Err(format!("the entry is {}, not an object", entry.type_name()).into());
    };
    parse_fields(&e, &mut PartitionKey::new)
}

/// A field of an entry, as the readers below see it.
pub(super) enum Field<'a> {
    Missing,
    Null,
    Str(&'a str),
    /// A JSON number: its value when it is an integer in `u64`.
    Number(Option<u64>),
    /// Another JSON type, by name.
    Other(&'static str),
}

/// An entry's fields by name, borrowed for `'a`: the document's [`Object`], or the fields
/// [`scan`](super::scan) read straight from the bytes.
pub(super) trait Fields<'a> {
    fn field(&self, name: &str) -> Field<'a>;
}

impl<'a> Fields<'a> for &'a Object {
    fn field(&self, name: &str) -> Field<'a> {
        let object: &'a Object = self;
        match object.get(name) {
            None => Field::Missing,
            Some(Json::Null) => Field::Null,
            Some(Json::String(s)) => Field::Str(s),
            Some(Json::Number(n)) => Field::Number(n.as_u64()),
            Some(other) => Field::Other(other.type_name()),
        }
    }
}

impl Field<'_> {
    fn type_name(&self) -> &'static str {
        match self {
            Field::Missing | Field::Null => "null",
            Field::Str(_) => "a string",
            Field::Number(_) => "a number",
            Field::Other(name) => name,
        }
    }
}

/// Reads one `AccessToken` entry from its fields (see [`parse_access_token`]); its partition
/// key comes from `partition_key` ([`PartitionKey::new`], or a table that shares one key among
/// the entries of a partition).
pub(super) fn parse_fields<'a>(
    e: &impl Fields<'a>,
    partition_key: &mut impl FnMut(PartitionParts<'a>) -> PartitionKey,
) -> Result<Option<CachedAccessToken>, Problem> {
    if !is_app_access_token(e)? {
        return Ok(None);
    }
    let secret = required_str(e, "secret")?;
    let scopes = Scopes::new(required_str(e, "target")?.split_whitespace())
        .map_err(|_| "`target` holds no usable scope")?;
    let Some(partition) = partition(e, partition_key)? else {
        return Ok(None);
    };
    let expires_on = timestamp(e, "expires_on")?.ok_or("`expires_on` is missing")?;
    Ok(Some(CachedAccessToken {
        scopes,
        secret: SecretString::new(secret),
        cached_at: timestamp(e, "cached_at")?.unwrap_or(UnixTime::EPOCH),
        expires_on,
        extended_expires_on: timestamp(e, "extended_expires_on")?.unwrap_or(expires_on),
        refresh_on: timestamp(e, "refresh_on")?,
        partition,
    }))
}

/// `true` for an app-only access token (`home_account_id` null, `""` or missing); `false` for
/// another credential type or a user's token.
fn is_app_access_token<'a>(e: &impl Fields<'a>) -> Result<bool, Problem> {
    match e.field("credential_type") {
        Field::Str(t)
            if t.eq_ignore_ascii_case("AccessToken")
                || t.eq_ignore_ascii_case("AccessToken_With_AuthScheme") => {}
        Field::Str(_) => return Ok(false),
        Field::Missing => return Err("`credential_type` is missing".into()),
        other => {
            return Err(format!("`credential_type` is {}, not a string", other.type_name()).into())
        }
    }
    match e.field("home_account_id") {
        Field::Missing | Field::Null => Ok(true),
        Field::Str(s) => Ok(s.is_empty()),
        other => Err(format!(
            "`home_account_id` is {}, not a string or null",
            other.type_name()
        )
        .into()),
    }
}

/// The entry's partition; `None` when it belongs to someone else (a token type this library
/// does not know, or an ext key it would not derive).
fn partition<'a>(
    e: &impl Fields<'a>,
    partition_key: &mut impl FnMut(PartitionParts<'a>) -> PartitionKey,
) -> Result<Option<PartitionKey>, Problem> {
    let environment = required_str(e, "environment")?;
    let client_id = required_str(e, "client_id")?;
    let tenant = required_str(e, "realm")?;
    let token_type = match optional_str(e, "token_type")? {
        None => TokenType::Bearer,
        Some(name) => match TokenType::parse(name) {
            Some(t) => t,
            None => return Ok(None),
        },
    };
    // MSAL.NET writes the key id as `kid`.
    let key_id = match optional_str(e, "key_id")? {
        Some(k) => Some(k),
        None => optional_str(e, "kid")?,
    }
    .filter(|k| !k.is_empty());
    let partition = partition_key(PartitionParts {
        environment,
        client_id,
        tenant,
        token_type,
        key_id,
    });
    if let Some(ext) = optional_str(e, "ext_cache_key")?.filter(|x| !x.is_empty()) {
        // Another application's isolated token (MSAL Python's `fmi_path`, for example).
        if ext_cache_key(&partition).as_deref() != Some(ext) {
            return Ok(None);
        }
    }
    Ok(Some(partition))
}

fn required_str<'a>(e: &impl Fields<'a>, field: &str) -> Result<&'a str, String> {
    optional_str(e, field)?.ok_or_else(|| format!("`{field}` is missing"))
}

/// A string field; `null` counts as missing.
fn optional_str<'a>(e: &impl Fields<'a>, field: &str) -> Result<Option<&'a str>, String> {
    match e.field(field) {
        Field::Missing | Field::Null => Ok(None),
        Field::Str(s) => Ok(Some(s)),
        other => Err(format!("`{field}` is {}, not a string", other.type_name())),
    }
}

/// A time field: a string of integer seconds (what MSAL writes) or a JSON integer.
fn timestamp<'a>(e: &impl Fields<'a>, field: &str) -> Result<Option<UnixTime>, Problem> {
    let impossible = || {
        Problem::ImpossibleTime(format!(
            "`{field}` is not a time between 1970 and the year 9999"
        ))
    };
    let secs = match e.field(field) {
        Field::Missing | Field::Null => return Ok(None),
        Field::Str(s) => {
            let s = s.trim();
            match s.parse::<u64>() {
                Ok(secs) => secs,
                // integer seconds, but negative or beyond u64
                Err(_) if is_integer(s) => return Err(impossible()),
                Err(_) => {
                    return Err(format!("`{field}` is not a string of integer seconds").into())
                }
            }
        }
        // a negative, fractional or huge number
        Field::Number(n) => n.ok_or_else(impossible)?,
        other @ Field::Other(_) => {
            return Err(format!(
                "`{field}` is {}, not a string of integer seconds",
                other.type_name()
            )
            .into())
        }
    };
    UnixTime::checked_from_secs(secs)
        .map(Some)
        .ok_or_else(impossible)
}

/// An optional `-` and one or more ASCII digits.
fn is_integer(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn time(value: &str) -> Result<Option<UnixTime>, Problem> {
        let Json::Object(e) = json::parse(format!(r#"{{"t": {value}}}"#).as_bytes()).unwrap()
        else {
            unreachable!()
        };
        timestamp(&&e, "t")
    }

    #[test]
    fn times_are_integer_seconds_up_to_the_year_9999() {
        assert_eq!(
            time(r#""1700000000""#),
            Ok(Some(UnixTime::from_secs(1_700_000_000)))
        );
        assert_eq!(
            time("1700000000"),
            Ok(Some(UnixTime::from_secs(1_700_000_000)))
        );
        assert_eq!(time(r#"" 42 ""#), Ok(Some(UnixTime::from_secs(42))));
        assert_eq!(time("null"), Ok(None));
        let max = UnixTime::MAX.as_secs();
        assert_eq!(time(&max.to_string()), Ok(Some(UnixTime::MAX)));
        for impossible in [
            format!("{}", max + 1),
            format!(r#""{}""#, max + 1),
            r#""18446744073709551615""#.to_owned(),
            r#""99999999999999999999999""#.to_owned(),
            "9300000000000000000".to_owned(),
            "18446744073709551616".to_owned(),
            r#""-5""#.to_owned(),
            "-5".to_owned(),
            "1.5".to_owned(),
        ] {
            assert!(
                matches!(time(&impossible), Err(Problem::ImpossibleTime(_))),
                "{impossible}"
            );
        }
        for unusable in [r#""soon""#, r#""1.5""#, r#""""#, "true", "[]"] {
            assert!(
                matches!(time(unusable), Err(Problem::Unusable(_))),
                "{unusable}"
            );
        }
    }
}
