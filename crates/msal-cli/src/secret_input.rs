//! Reading secrets (key files, PKCS#12 files and passwords, client secrets, tokens) into
//! zeroizing buffers, each allocated once at its final size so that no reallocation leaves a
//! copy behind, and naming environment variables without ever echoing their values.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::str::FromStr;

use zeroize::Zeroizing;

use crate::{CliError, UsageError};

/// Largest key, certificate or PKCS#12 file read (1 MiB).
pub(crate) const MAX_SECRET_FILE: usize = 1 << 20;

/// The name of an environment variable given on the command line (`--secret-env`,
/// `--password-env`). Its `Debug` output never shows the name: a user may have given the secret
/// itself by mistake.
#[derive(Clone)]
pub(crate) struct EnvName(String);

impl std::fmt::Debug for EnvName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EnvName(<not shown>)")
    }
}

impl FromStr for EnvName {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(EnvName(s.to_owned()))
    }
}

impl EnvName {
    /// True for a conventional variable name: `[A-Za-z_][A-Za-z0-9_]*`.
    fn looks_like_a_name(&self) -> bool {
        let mut chars = self.0.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    }

    /// True when the name can be looked up at all (the platform rejects these).
    fn can_be_looked_up(&self) -> bool {
        !self.0.is_empty() && !self.0.contains(['=', '\0'])
    }
}

/// The value of the environment variable `name` given with `flag`, in a zeroizing buffer.
/// Fails when it is not set, is empty or is not UTF-8; the error never shows the name (it may
/// be a secret given by mistake) nor the value.
pub(crate) fn env_secret(flag: &str, name: &EnvName) -> Result<Zeroizing<String>, UsageError> {
    if let Some(value) = name
        .can_be_looked_up()
        .then(|| std::env::var_os(&name.0))
        .flatten()
    {
        match value.into_string() {
            Ok(text) => {
                let text = Zeroizing::new(text);
                if !text.is_empty() {
                    return Ok(text);
                }
            }
            Err(raw) => drop(Zeroizing::new(raw.into_encoded_bytes())),
        }
    }
    Err(missing_env(flag, name))
}

/// The error for an unusable `flag` variable, with a hint when the value given does not look
/// like a variable name.
fn missing_env(flag: &str, name: &EnvName) -> UsageError {
    let mut message =
        format!("the environment variable named by {flag} is not set, is empty or is not UTF-8");
    if !name.looks_like_a_name() {
        message.push_str(&format!(
            "; the value given to {flag} does not look like a variable name: give the name of a \
             variable holding the secret, never the secret itself"
        ));
    }
    UsageError::new("env_not_set", message)
}

/// Reads a key, certificate or PKCS#12 file into a zeroizing buffer sized from the file's
/// length (at most [`MAX_SECRET_FILE`]).
pub(crate) fn read_secret_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, CliError> {
    let cannot = |e: io::Error| format!("cannot read {}: {e}", path.display());
    let file = File::open(path).map_err(cannot)?;
    let meta = file.metadata().map_err(cannot)?;
    let limit = if meta.is_file() {
        usize::try_from(meta.len()).unwrap_or(usize::MAX)
    } else {
        // A pipe or device: no length to go by.
        MAX_SECRET_FILE
    };
    if limit > MAX_SECRET_FILE {
        return Err(format!(
            "{} is larger than {MAX_SECRET_FILE} bytes; not a key or certificate file",
            path.display()
        )
        .into());
    }
    read_bounded(file, limit).map_err(|e| cannot(e).into())
}

/// Reads all of `reader` into one zeroizing buffer allocated up front with room for `limit`
/// bytes (plus one to notice more). More than `limit` bytes is an error; the buffer never grows,
/// so no reallocation leaves a copy of the secret behind.
pub(crate) fn read_bounded(mut reader: impl Read, limit: usize) -> io::Result<Zeroizing<Vec<u8>>> {
    let mut buf = Zeroizing::new(vec![0u8; limit.saturating_add(1)]);
    let mut filled = 0;
    loop {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => {
                filled += n;
                if filled == buf.len() {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("more than {limit} bytes (or it grew while being read)"),
                    ));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    // Shortening keeps the allocation; the zeroizing drop clears the whole capacity.
    buf.truncate(filled);
    Ok(buf)
}

/// Reads standard input (at most `limit` bytes) into a zeroizing buffer. On Unix it reads the
/// file descriptor directly, so std's line buffer never holds a copy.
pub(crate) fn read_stdin(limit: usize) -> io::Result<Zeroizing<Vec<u8>>> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd as _;
        let fd = io::stdin().as_fd().try_clone_to_owned()?;
        read_bounded(File::from(fd), limit)
    }
    #[cfg(not(unix))]
    {
        read_bounded(io::stdin().lock(), limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most 3 bytes per call and is interrupted once.
    struct Trickle<'a>(&'a [u8], bool);

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if !self.1 {
                self.1 = true;
                return Err(io::ErrorKind::Interrupted.into());
            }
            let n = self.0.len().min(out.len()).min(3);
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn bounded_read_allocates_once_and_caps() {
        let data = b"0123456789";
        let buf = read_bounded(Trickle(data, false), 10).unwrap();
        assert_eq!(&buf[..], data);
        assert_eq!(buf.capacity(), 11, "allocated once, never grown");
        assert_eq!(&read_bounded(&data[..], 100).unwrap()[..], data);
        assert_eq!(read_bounded(&b""[..], 0).unwrap().len(), 0);
        let e = read_bounded(Trickle(data, false), 9).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert!(!e.to_string().contains("0123"));
    }

    #[test]
    fn secret_files_are_read_exactly_and_capped() {
        let dir = std::env::temp_dir().join(format!("msal-cli-secret-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("key.pem");
        std::fs::write(&path, b"-----BEGIN PRIVATE KEY-----\n").unwrap();
        let buf = read_secret_file(&path).unwrap();
        assert_eq!(&buf[..], b"-----BEGIN PRIVATE KEY-----\n");
        let big = dir.join("big.pem");
        std::fs::write(&big, vec![b'A'; MAX_SECRET_FILE + 1]).unwrap();
        let e = read_secret_file(&big).unwrap_err().to_string();
        assert!(e.contains("larger than"), "{e}");
        let e = read_secret_file(&dir.join("absent.pem")).unwrap_err();
        assert!(e.to_string().starts_with("cannot read "));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn env_names_are_never_shown() {
        let secret: EnvName = "p@ss w0rd=secret-value".parse().unwrap();
        assert_eq!(format!("{secret:?}"), "EnvName(<not shown>)");
        let e = env_secret("--secret-env", &secret).unwrap_err();
        assert_eq!(e.code(), "env_not_set");
        let text = e.to_string();
        assert!(!text.contains("secret-value"), "{text}");
        assert!(text.contains("--secret-env"), "{text}");
        assert!(
            text.contains("does not look like a variable name"),
            "{text}"
        );

        let unset: EnvName = "MSAL_CLI_TEST_SURELY_UNSET_1F2E".parse().unwrap();
        let text = env_secret("--password-env", &unset)
            .unwrap_err()
            .to_string();
        assert!(!text.contains("MSAL_CLI_TEST_SURELY_UNSET_1F2E"), "{text}");
        assert!(!text.contains("does not look like"), "{text}");
        for odd in ["", "A=B", "A\0B", "1ABC"] {
            let name: EnvName = odd.parse().unwrap();
            assert!(env_secret("--secret-env", &name).is_err());
        }
    }
}
