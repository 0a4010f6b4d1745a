//! Fleet-wide single flight: what a caller that missed the cache does next ([`Fill`]), and the
//! lease it holds while it requests the token ([`FillLease`]).

use std::fmt;
use std::future::Future;
use std::pin::Pin;

/// What a caller that found no usable token should do next, as
/// [`TokenCache::begin_fill`](crate::TokenCache::begin_fill) decides it.
///
/// A process-local backend always answers [`Fill::Request`] with a [`FillLease::local`]: the
/// caller's own single flight is all there is. A shared backend (Redis) lets one caller in the
/// whole fleet request the token and makes the others wait until it is stored.
#[derive(Debug)]
pub enum Fill {
    /// Another instance stored a token for this partition and scope set while this caller
    /// waited: look in the cache again (it is in this process's cache now).
    Stored,
    /// Request the token, store it, then [`release`](FillLease::release) the lease.
    Request(FillLease),
}

type Release = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The right to request one token for the fleet, held from [`Fill::Request`] until the token
/// is stored. [`release`](Self::release) it after storing the token (or after the request
/// failed) so that waiting instances look at once instead of waiting for the lease to expire.
/// A lease that is dropped without being released simply expires.
///
/// ```
/// use token_cache::FillLease;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let runtime = tokio::runtime::Builder::new_current_thread().build()?;
/// runtime.block_on(async {
///     let lease = FillLease::new(async { /* delete the lease key */ });
///     assert!(lease.is_fleet());
///     lease.release().await;
///     assert!(!FillLease::local().is_fleet());
/// });
/// # Ok(())
/// # }
/// ```
pub struct FillLease {
    release: Option<Release>,
}

impl fmt::Debug for FillLease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FillLease")
            .field("fleet", &self.is_fleet())
            .finish()
    }
}

impl FillLease {
    /// No fleet lease: only this process's single flight guards the request (process-local
    /// backends, or a shared backend that is unreachable).
    pub fn local() -> Self {
        Self { release: None }
    }

    /// A fleet lease, given up by running `release`.
    pub fn new(release: impl Future<Output = ()> + Send + 'static) -> Self {
        Self {
            release: Some(Box::pin(release)),
        }
    }

    /// Whether this is a fleet lease (other instances wait for this caller).
    pub fn is_fleet(&self) -> bool {
        self.release.is_some()
    }

    /// Gives the lease up.
    pub async fn release(mut self) {
        if let Some(release) = self.release.take() {
            release.await;
        }
    }
}
