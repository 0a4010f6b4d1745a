//! Opening a file cache with options.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use oauth2_core::{Clock, SystemClock};

use super::fs::{create_dir, sidecar};
use super::index::State;
use super::{FileTokenCache, Inner};
use crate::Error;

/// Options for a [`FileTokenCache`], from [`FileTokenCache::builder`].
///
/// ```no_run
/// use std::sync::Arc;
/// use token_cache::FileTokenCache;
/// # #[derive(Debug)]
/// # struct MyClock;
/// # impl token_cache::Clock for MyClock {
/// #     fn now(&self) -> std::time::SystemTime { std::time::SystemTime::now() }
/// # }
///
/// let cache = FileTokenCache::builder("/var/lib/my-app/msal_cache.json")
///     .clock(Arc::new(MyClock)) // the clock the application judges expiry by
///     .open()?;
/// # Ok::<(), token_cache::Error>(())
/// ```
#[derive(Debug)]
pub struct FileTokenCacheBuilder {
    path: PathBuf,
    clock: Option<Arc<dyn Clock>>,
    max_file_bytes: u64,
}

impl FileTokenCacheBuilder {
    pub(super) fn new(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
            clock: None,
            max_file_bytes: FileTokenCache::DEFAULT_MAX_FILE_BYTES,
        }
    }

    /// The clock that decides which access tokens have expired and are dropped on each write
    /// (default: the system clock). Pass the clock the application judges freshness by, so
    /// that the cache never drops a token the application would still use.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The size limit of the cache file in bytes (default
    /// [`FileTokenCache::DEFAULT_MAX_FILE_BYTES`]), kept within
    /// [`FileTokenCache::MAX_FILE_BYTES_RANGE`]: a smaller value is raised to its start, a larger
    /// one lowered to its end. A file over the limit is not read (no more than the limit plus
    /// one byte is ever read or allocated), and a write that would pass it is not made; both
    /// fail with [`Error::TooLarge`].
    pub fn max_file_bytes(mut self, bytes: u64) -> Self {
        let range = FileTokenCache::MAX_FILE_BYTES_RANGE;
        self.max_file_bytes = bytes.clamp(*range.start(), *range.end());
        self
    }

    /// Opens (or prepares) the cache file and loads it, as [`FileTokenCache::open`] describes.
    pub fn open(self) -> Result<FileTokenCache, Error> {
        let path =
            std::path::absolute(&self.path).map_err(|e| Error::io("resolve", &self.path, e))?;
        let (Some(dir), Some(file_name)) = (path.parent(), path.file_name()) else {
            return Err(Error::io(
                "use",
                &path,
                io::Error::new(io::ErrorKind::InvalidInput, "the path does not name a file"),
            ));
        };
        let dir = dir.to_path_buf();
        let file_name = file_name.to_os_string();
        create_dir(&dir)?;
        let inner = Inner {
            lock_path: dir.join(sidecar(&file_name, ".lock")),
            path,
            dir,
            file_name,
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
            max_file_bytes: self.max_file_bytes,
            state: Mutex::new(State::empty()),
            reload: Mutex::new(()),
            kept: Mutex::new(None),
            temp_counter: AtomicU64::new(0),
        };
        // Force the first load even when there is no file.
        inner.reload()?;
        Ok(FileTokenCache {
            inner: Arc::new(inner),
        })
    }
}
