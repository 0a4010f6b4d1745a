//! Workload identity: the client assertion is a federated token projected into a file (on
//! Kubernetes, `AZURE_FEDERATED_TOKEN_FILE`), read on each network token request so that a
//! rotated file is used.

use std::fmt;
use std::path::{Path, PathBuf};

use oauth2_core::SecretString;

use super::provider::{AssertionContext, ClientAssertionProvider};
use crate::error::BoxError;

/// The largest token file read: a projected service-account token is a few KiB.
const MAX_TOKEN_FILE_BYTES: u64 = 64 * 1024;

/// Reads the assertion from a file on each network token request (never on cache hits), so a
/// replaced file is used from the next request on. Metadata cannot tell versions apart: a file
/// rewritten with a token of the same length within one tick of the file system's coarse clock
/// keeps its length and modification time, so the content itself is read (a few KiB, once per
/// token lifetime).
pub(crate) struct TokenFileAssertion {
    path: PathBuf,
}

impl TokenFileAssertion {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self { path }
    }

    /// The file's current content.
    fn current(&self) -> Result<String, BoxError> {
        let assertion = read_token(&self.path).map_err(|e| {
            format!(
                "cannot read the federated token file {} (AZURE_FEDERATED_TOKEN_FILE): {e}",
                self.path.display()
            )
        })?;
        if assertion.expose_secret().is_empty() {
            return Err(format!(
                "the federated token file {} is empty; check the projected service-account token volume",
                self.path.display()
            )
            .into());
        }
        tracing::debug!(path = %self.path.display(), "federated token file read");
        Ok(assertion.expose_secret().to_owned())
    }
}

/// The file's content, trimmed, refusing files larger than [`MAX_TOKEN_FILE_BYTES`].
fn read_token(path: &Path) -> std::io::Result<SecretString> {
    let bytes = crate::file_input::read_bounded(path, MAX_TOKEN_FILE_BYTES, "a token")?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8"))?;
    Ok(SecretString::new(text.trim().to_owned()))
}

impl fmt::Debug for TokenFileAssertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenFileAssertion")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl ClientAssertionProvider for TokenFileAssertion {
    async fn client_assertion(&self, _context: &AssertionContext) -> Result<String, BoxError> {
        self.current()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> AssertionContext {
        AssertionContext {
            client_id: "c".into(),
            token_endpoint: "https://login.microsoftonline.com/t/oauth2/v2.0/token".into(),
        }
    }

    #[tokio::test]
    async fn rereads_a_replaced_file_and_refuses_oversized_or_missing_ones() {
        let dir = std::env::temp_dir().join(format!("msal-token-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("token");
        std::fs::write(&path, "first.jwt\n").unwrap();
        let provider = TokenFileAssertion::new(path.clone());
        assert_eq!(
            provider.client_assertion(&context()).await.unwrap(),
            "first.jwt"
        );
        // replaced the way Kubernetes does it: a new file renamed over the old one
        let next = dir.join("token.new");
        std::fs::write(&next, "second-longer.jwt").unwrap();
        std::fs::rename(&next, &path).unwrap();
        assert_eq!(
            provider.client_assertion(&context()).await.unwrap(),
            "second-longer.jwt"
        );
        std::fs::write(&path, vec![b'a'; (MAX_TOKEN_FILE_BYTES + 1) as usize]).unwrap();
        let err = provider.client_assertion(&context()).await.unwrap_err();
        assert!(err.to_string().contains("larger than"), "{err}");
        std::fs::remove_file(&path).unwrap();
        let err = provider.client_assertion(&context()).await.unwrap_err();
        assert!(
            err.to_string().contains("AZURE_FEDERATED_TOKEN_FILE"),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
