//! The file backend: one JSON file in MSAL's unified format, shared by processes.
//!
//! `builder` opens the file, `load` reads it, `index` keeps the in-memory view in step with the
//! file, `write` does the locked read-merge-write, `lock` is the cross-process lock,
//! `quarantine` moves corrupt files aside, `trust` refuses files and directories other users
//! could have written, `fs` has the file-system helpers and `blocking` runs file work off the
//! async runtime.

mod blocking;
mod builder;
mod fs;
mod index;
mod kept;
mod load;
mod lock;
mod quarantine;
mod trust;
mod write;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use oauth2_core::{Clock, Scopes};

use crate::{CachedAccessToken, Error, MemoryTokenCache, PartitionKey, TokenCache};
use blocking::blocking;
pub use builder::FileTokenCacheBuilder;
use index::State;

/// A token cache kept in one JSON file in MSAL's unified format (see
/// [`CacheDocument`](crate::CacheDocument)), safe to share between processes.
///
/// * **Reads** are served from an in-memory index ([`MemoryTokenCache`]). Before each lookup the
///   file's identity (length, modification and change times, inode) is checked with one `stat`;
///   the file is read and the index rebuilt only when it changed on disk.
/// * **Writes** take an exclusive lock on the sidecar file `<file>.lock`
///   ([`File::lock`](std::fs::File::lock): `flock` on Unix, `LockFileEx` on Windows), re-read
///   the file (unless it is still the version this instance last read or wrote, recognised by
///   its identity and a generation marker stored as the document's first key,
///   `"msal_rs_generation"`), merge the change into it, write the whole document to a
///   temporary file in the same directory, flush it to disk, rename it over the cache file and
///   release the lock. Two processes writing at once therefore both keep their entries, and a
///   reader (or a process killed mid-write) only ever sees a complete file. The directory is
///   not flushed: after a power loss the file may be the previous complete version. Access tokens this
///   crate serves that have expired by the cache's [`Clock`] (the system clock unless
///   [`FileTokenCacheBuilder::clock`] says otherwise) are dropped on each write.
/// * The file and the lock file are created with mode `0600` on Unix, the directory (if it has
///   to be created) with `0700`.
/// * Nothing another user could have written is trusted (on Unix, as OpenSSH does): the cache
///   file and the lock file must be owned by this user and not writable by group or others, the
///   directory owned by this user or root and not writable by group or others, checked on the
///   open handles; the lock file and the temporary files are never opened through a symbolic
///   link. Otherwise the operation fails with [`Error::Untrusted`] and nothing from the file is
///   served.
/// * A file larger than [`DEFAULT_MAX_FILE_BYTES`](Self::DEFAULT_MAX_FILE_BYTES) (or
///   [`FileTokenCacheBuilder::max_file_bytes`]) is not read: [`Error::TooLarge`].
/// * A file that cannot be parsed is **moved aside** to `<file>.corrupt-<unix-seconds>` (mode
///   `0600`) with a `tracing::warn!`, and the cache continues empty. It is never overwritten in
///   place; only the newest [`KEPT_CORRUPT_FILES`](Self::KEPT_CORRUPT_FILES) aside files are
///   kept.
/// * Everything MSAL Python or another library wrote that this crate does not understand is
///   kept as it was.
///
/// Reading, parsing and writing run on Tokio's blocking pool (`spawn_blocking`) when called
/// inside a Tokio runtime, inline otherwise; the per-lookup change check (one `stat`) runs
/// inline. The cross-process lock is advisory: writers that do not take it
/// (MSAL Python's own `SerializableTokenCache`, msal-extensions' `.lockfile`) are not
/// serialized against this one.
#[derive(Clone)]
pub struct FileTokenCache {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for FileTokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileTokenCache")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

struct Inner {
    path: PathBuf,
    dir: PathBuf,
    file_name: OsString,
    lock_path: PathBuf,
    /// The time expired entries are pruned by, and the aside files are named after.
    clock: Arc<dyn Clock>,
    /// The largest file read or written, in bytes.
    max_file_bytes: u64,
    /// What the index reflects; replaced as a whole, never held across file work.
    state: Mutex<State>,
    /// Serializes reloads within this instance (taken before the file lock, never after).
    reload: Mutex<()>,
    /// The document of the last read or write, for the next write (see [`kept`]).
    kept: Mutex<Option<kept::Kept>>,
    temp_counter: AtomicU64,
}

impl FileTokenCache {
    /// The default size limit of the cache file: 64 MiB, roughly 30,000 access tokens
    /// of 2 KB. A larger
    /// file is neither read nor written ([`Error::TooLarge`]).
    pub const DEFAULT_MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

    /// The limits [`FileTokenCacheBuilder::max_file_bytes`] keeps the size limit within:
    /// 64 KiB to 1 GiB.
    pub const MAX_FILE_BYTES_RANGE: std::ops::RangeInclusive<u64> = 64 * 1024..=1024 * 1024 * 1024;

    /// How many moved-aside corrupt files (`<file>.corrupt-*`) are kept: the newest 3, by the
    /// time in their names; older ones are deleted when another file is moved aside.
    pub const KEPT_CORRUPT_FILES: usize = 3;

    /// Opens (or prepares) the cache file at `path` and loads it; expired entries are pruned by
    /// the system clock. Use [`builder`](Self::builder) to choose the clock.
    ///
    /// The file does not have to exist; it is created on the first write. Missing parent
    /// directories are created (mode `0700` on Unix). A corrupt file is moved aside as described
    /// on the type. This reads the file synchronously: call it at start-up or from a blocking
    /// context.
    ///
    /// Errors with [`Error::Io`] when the path has no file name, the directory cannot be
    /// created, or the file cannot be read; with [`Error::Untrusted`] when the file or the
    /// directory could have been written by another user; with [`Error::TooLarge`] when the
    /// file is over the size limit.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        Self::builder(path).open()
    }

    /// A builder for a cache at `path`, to set options before [opening](FileTokenCacheBuilder::open).
    pub fn builder(path: impl AsRef<Path>) -> FileTokenCacheBuilder {
        FileTokenCacheBuilder::new(path.as_ref())
    }

    /// The cache file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The sidecar file whose lock serializes writers (`<file>.lock`).
    pub fn lock_path(&self) -> &Path {
        &self.inner.lock_path
    }

    /// Number of access tokens in the index, as of the last lookup or write of this instance.
    pub fn len(&self) -> usize {
        self.inner.index().map(|i| i.len()).unwrap_or(0)
    }

    /// `true` when [`len`](Self::len) is zero.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The index, reloaded first if the file changed on disk. The change check is one `stat`,
    /// made inline (it reads no data; sending it to the blocking pool would cost more than the
    /// call); reading and parsing run on the blocking pool.
    async fn refresh(&self) -> Result<Arc<MemoryTokenCache>, Error> {
        if self.inner.current_stamp()? != self.inner.installed_stamp()? {
            let inner = self.inner.clone();
            blocking(move || inner.refresh()).await?;
        }
        self.inner.index()
    }
}

#[async_trait::async_trait]
impl TokenCache for FileTokenCache {
    async fn find(
        &self,
        partition: &PartitionKey,
        scopes: &Scopes,
    ) -> Result<Option<CachedAccessToken>, Error> {
        let index = self.refresh().await?;
        index.find_sync(partition, scopes)
    }

    async fn find_shared(
        &self,
        partition: &PartitionKey,
        scopes: &Scopes,
    ) -> Result<Option<Arc<CachedAccessToken>>, Error> {
        let index = self.refresh().await?;
        index.find_shared_sync(partition, scopes)
    }

    async fn store(&self, token: CachedAccessToken) -> Result<(), Error> {
        self.store_many(vec![token]).await
    }

    /// Stores all `tokens` with one locked read-merge-write of the file.
    async fn store_many(&self, tokens: Vec<CachedAccessToken>) -> Result<(), Error> {
        if tokens.is_empty() {
            return Ok(());
        }
        let inner = self.inner.clone();
        blocking(move || {
            inner.write_with(|doc| {
                for token in tokens {
                    doc.upsert(token);
                }
                ((), true)
            })
        })
        .await
    }

    async fn remove(&self, partition: &PartitionKey, scopes: &Scopes) -> Result<bool, Error> {
        let inner = self.inner.clone();
        let (partition, scopes) = (partition.clone(), scopes.clone());
        blocking(move || {
            inner.write_with(|doc| {
                let removed = doc.remove(&partition, &scopes);
                (removed, removed)
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CacheDocument, PartitionParts, TokenType};
    use oauth2_core::UnixTime;
    use std::time::{SystemTime, UNIX_EPOCH};

    const NOW: UnixTime = UnixTime::from_secs(1_700_000_000);

    #[derive(Debug)]
    struct Frozen;

    impl Clock for Frozen {
        fn now(&self) -> SystemTime {
            NOW.to_system_time()
        }
    }

    struct Dir(PathBuf);

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn open(path: &Path) -> FileTokenCache {
        FileTokenCache::builder(path)
            .clock(Arc::new(Frozen))
            .open()
            .unwrap()
    }

    fn token(scope: &str) -> CachedAccessToken {
        CachedAccessToken {
            partition: PartitionKey::new(PartitionParts {
                environment: "login.microsoftonline.com",
                client_id: "c",
                tenant: "t",
                token_type: TokenType::Bearer,
                key_id: None,
            }),
            scopes: Scopes::new([scope]).unwrap(),
            secret: oauth2_core::SecretString::new("s"),
            cached_at: NOW,
            expires_on: NOW.saturating_add_secs(3_600),
            extended_expires_on: NOW.saturating_add_secs(3_600),
            refresh_on: None,
        }
    }

    #[test]
    fn reloads_only_when_the_file_changes() {
        let dir = Dir(std::env::temp_dir().join(format!(
            "token-cache-unit-reload-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        )));
        let path = dir.0.join("cache.json");
        let reader = open(&path);
        let writer = open(&path);

        let empty = reader.inner.index().unwrap();
        reader.inner.refresh().unwrap();
        assert!(Arc::ptr_eq(&empty, &reader.inner.index().unwrap()));

        writer
            .inner
            .write_with(|d| (d.upsert(token("a")), true))
            .unwrap();
        reader.inner.refresh().unwrap();
        let first = reader.inner.index().unwrap();
        assert!(!Arc::ptr_eq(&empty, &first), "a change on disk reloads");
        assert_eq!(first.len(), 1);
        for _ in 0..3 {
            reader.inner.refresh().unwrap();
            assert!(
                Arc::ptr_eq(&first, &reader.inner.index().unwrap()),
                "no change on disk, no reload"
            );
        }

        // a rewrite with the same length (same token count and sizes) is still seen
        writer
            .inner
            .write_with(|d| (d.upsert(token("b")), true))
            .unwrap();
        writer
            .inner
            .write_with(|d| {
                (
                    assert!(d.remove(&token("b").partition, &token("b").scopes)),
                    true,
                )
            })
            .unwrap();
        writer
            .inner
            .write_with(|d| (d.upsert(token("c")), true))
            .unwrap();
        reader.inner.refresh().unwrap();
        let second = reader.inner.index().unwrap();
        assert!(!Arc::ptr_eq(&first, &second));
        assert_eq!(second.len(), 2);

        // our own write installs the new index directly: the next refresh does not reload
        reader
            .inner
            .write_with(|d| (d.upsert(token("d")), true))
            .unwrap();
        let own = reader.inner.index().unwrap();
        assert_eq!(own.len(), 3);
        reader.inner.refresh().unwrap();
        assert!(Arc::ptr_eq(&own, &reader.inner.index().unwrap()));
    }

    fn temp_dir(name: &str) -> Dir {
        Dir(std::env::temp_dir().join(format!(
            "token-cache-unit-{name}-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        )))
    }

    /// A new cache in a new directory, after one write of its own (token "a").
    fn written_once(name: &str) -> (Dir, PathBuf, FileTokenCache) {
        let dir = temp_dir(name);
        let path = dir.0.join("cache.json");
        let cache = open(&path);
        cache
            .inner
            .write_with(|d| (d.upsert(token("a")), true))
            .unwrap();
        (dir, path, cache)
    }

    /// After its own write an instance merges the next write into the kept document (the file
    /// is not read again), and the file starts with the generation marker.
    #[test]
    fn writes_into_an_unchanged_file_reuse_the_kept_document() {
        let (_dir, path, cache) = written_once("kept");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("{\n    \"msal_rs_generation\": \""),
            "{}",
            &text[..40]
        );
        let kept = cache.inner.take_kept_if_current().unwrap();
        assert!(kept.is_some(), "own write: the kept document is current");
        cache.inner.keep(
            kept.unwrap().doc,
            cache.inner.current_stamp().unwrap(),
            Default::default(),
        );

        // another instance writes: the kept document is stale, the write merges both
        let other = open(&path);
        other
            .inner
            .write_with(|d| (d.upsert(token("b")), true))
            .unwrap();
        assert!(cache.inner.take_kept_if_current().unwrap().is_none());
        cache
            .inner
            .write_with(|d| (d.upsert(token("c")), true))
            .unwrap();
        let index = cache.inner.index().unwrap();
        assert_eq!(index.len(), 3, "a, b (from the other writer) and c");
        assert_eq!(
            CacheDocument::parse(&std::fs::read(&path).unwrap())
                .unwrap()
                .len(),
            3
        );
    }

    /// A file whose stamp matches the kept one (as after an inode reuse within one timestamp
    /// tick) but that another instance wrote (another generation marker) is read again.
    #[test]
    fn a_matching_stamp_with_another_generation_is_not_ours() {
        let dir = temp_dir("generation");
        let path = dir.0.join("cache.json");
        let ours = open(&path);
        ours.inner
            .write_with(|d| (d.upsert(token("a")), true))
            .unwrap();
        let theirs = open(&path);
        theirs
            .inner
            .write_with(|d| (d.upsert(token("b")), true))
            .unwrap();
        // pretend the file system reused everything the stamp looks at
        let mut kept = ours.inner.kept.lock().unwrap().take().unwrap();
        kept.stamp = ours.inner.current_stamp().unwrap().unwrap();
        *ours.inner.kept.lock().unwrap() = Some(kept);
        assert!(ours.inner.take_kept_if_current().unwrap().is_none());
    }

    /// The index is updated entry by entry on writes into an unchanged file: the same index
    /// object, with the change.
    #[test]
    fn own_writes_update_the_index_in_place() {
        let (_dir, _, cache) = written_once("in-place");
        let index = cache.inner.index().unwrap();
        cache
            .inner
            .write_with(|d| (d.upsert(token("b")), true))
            .unwrap();
        let removed = token("a");
        cache
            .inner
            .write_with(|d| (d.remove(&removed.partition, &removed.scopes), true))
            .unwrap();
        assert!(Arc::ptr_eq(&index, &cache.inner.index().unwrap()));
        assert_eq!(index.len(), 1);
        assert!(index
            .find_shared_sync(&removed.partition, &token("b").scopes)
            .unwrap()
            .is_some());
        assert!(index
            .find_shared_sync(&removed.partition, &removed.scopes)
            .unwrap()
            .is_none());
    }
}
