//! Running blocking file work from async code.

use crate::Error;

/// Runs blocking file work on Tokio's blocking pool when there is a runtime, inline otherwise.
pub(super) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => handle
            .spawn_blocking(work)
            .await
            .map_err(|e| Error::Backend {
                reason: if e.is_panic() {
                    "the file cache worker panicked".to_owned()
                } else {
                    "the file cache worker was cancelled (runtime shutting down)".to_owned()
                },
            })?,
        Err(_) => work(),
    }
}
