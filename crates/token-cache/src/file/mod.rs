//! The file backend: one JSON file in MSAL's unified format, shared by processes.

use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use oauth2_core::Scopes;
use zeroize::Zeroizing;

use crate::serialization::CacheDocument;
use crate::{CachedAccessToken, Error, MemoryTokenCache, PartitionKey, TokenCache};

/// A token cache kept in one JSON file in MSAL's unified format (see
/// [`serialization`](crate::serialization)), safe to share between processes.
///
/// * **Reads** are served from an in-memory index ([`MemoryTokenCache`]). Before each lookup the
///   file's identity (length, modification and change times, inode) is checked with one `stat`;
///   the file is read and the index rebuilt only when it changed on disk.
/// * **Writes** take an exclusive lock on the sidecar file `<file>.lock`
///   ([`File::lock`]: `flock` on Unix, `LockFileEx` on Windows), re-read the file, merge the
///   change into it, write the whole document to a temporary file in the same directory, flush
///   it to disk, rename it over the cache file, flush the directory and release the lock. Two
///   processes writing at once therefore both keep their entries, and a reader (or a process
///   killed mid-write) only ever sees a complete file. Expired access tokens this crate
///   understands are dropped on each write.
/// * The file and the lock file are created with mode `0600` on Unix, the directory (if it has
///   to be created) with `0700`.
/// * A file that cannot be parsed is **moved aside** to `<file>.corrupt-<unix-seconds>` with a
///   `tracing::warn!`, and the cache continues empty. It is never overwritten in place.
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
    /// What the index reflects; replaced as a whole, never held across file work.
    state: Mutex<State>,
    /// Serializes reloads within this instance (taken before the file lock, never after).
    reload: Mutex<()>,
    temp_counter: AtomicU64,
}

struct State {
    /// Identity of the file the index was built from; `None` when there was no file.
    stamp: Option<Stamp>,
    index: Arc<MemoryTokenCache>,
}

/// What identifies one version of the file on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    #[cfg(unix)]
    unix: (u64, u64, i64, i64),
}

impl Stamp {
    fn of(meta: &fs::Metadata) -> Self {
        #[cfg(unix)]
        use std::os::unix::fs::MetadataExt as _;
        Stamp {
            len: meta.len(),
            modified: meta.modified().ok(),
            #[cfg(unix)]
            unix: (meta.dev(), meta.ino(), meta.ctime(), meta.ctime_nsec()),
        }
    }
}

enum Loaded {
    Missing,
    Document(Box<CacheDocument>, Stamp),
    Corrupt(String),
}

/// Holds the cross-process lock; released when dropped (and by the OS if the process dies).
struct LockGuard(File);

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

impl FileTokenCache {
    /// Opens (or prepares) the cache file at `path` and loads it.
    ///
    /// The file does not have to exist; it is created on the first write. Missing parent
    /// directories are created (mode `0700` on Unix). A corrupt file is moved aside as described
    /// on the type. This reads the file synchronously: call it at start-up or from a blocking
    /// context.
    ///
    /// Errors with [`Error::Io`] when the path has no file name, the directory cannot be
    /// created, or the file cannot be read.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = std::path::absolute(path.as_ref())
            .map_err(|e| Error::io("resolve", path.as_ref(), e))?;
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
            state: Mutex::new(State {
                stamp: None,
                index: Arc::new(MemoryTokenCache::new()),
            }),
            reload: Mutex::new(()),
            temp_counter: AtomicU64::new(0),
        };
        // Force the first load even when there is no file.
        inner.reload()?;
        Ok(Self {
            inner: Arc::new(inner),
        })
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
        MemoryTokenCache::find_sync(&index, partition, scopes)
    }

    async fn find_shared(
        &self,
        partition: &PartitionKey,
        scopes: &Scopes,
    ) -> Result<Option<Arc<CachedAccessToken>>, Error> {
        let index = self.refresh().await?;
        MemoryTokenCache::find_shared(&index, partition, scopes)
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

impl Inner {
    fn index(&self) -> Result<Arc<MemoryTokenCache>, Error> {
        Ok(self
            .state
            .lock()
            .map_err(|_| Error::Poisoned)?
            .index
            .clone())
    }

    fn current_stamp(&self) -> Result<Option<Stamp>, Error> {
        match fs::metadata(&self.path) {
            Ok(meta) => Ok(Some(Stamp::of(&meta))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io("inspect", &self.path, e)),
        }
    }

    fn installed_stamp(&self) -> Result<Option<Stamp>, Error> {
        Ok(self.state.lock().map_err(|_| Error::Poisoned)?.stamp)
    }

    fn install(&self, stamp: Option<Stamp>, tokens: Vec<CachedAccessToken>) -> Result<(), Error> {
        let index = MemoryTokenCache::new();
        index.store_many_sync(tokens)?;
        let mut state = self.state.lock().map_err(|_| Error::Poisoned)?;
        *state = State {
            stamp,
            index: Arc::new(index),
        };
        Ok(())
    }

    /// Reloads the index if the file changed on disk since it was built.
    fn refresh(&self) -> Result<(), Error> {
        if self.current_stamp()? == self.installed_stamp()? {
            return Ok(());
        }
        self.reload()
    }

    /// Reads the file and rebuilds the index; a corrupt file is moved aside under the lock.
    fn reload(&self) -> Result<(), Error> {
        let _one_reload_at_a_time = self.reload.lock().map_err(|_| Error::Poisoned)?;
        match self.load()? {
            Loaded::Missing => self.install(None, Vec::new()),
            Loaded::Document(doc, stamp) => {
                if self.installed_stamp()? == Some(stamp) {
                    return Ok(()); // another caller got there first
                }
                self.install(Some(stamp), doc.into_access_tokens())
            }
            Loaded::Corrupt(_) => {
                // A writer may be replacing the file right now: decide under the lock.
                let guard = self.lock()?;
                match self.load()? {
                    Loaded::Missing => {
                        drop(guard);
                        self.install(None, Vec::new())
                    }
                    Loaded::Document(doc, stamp) => {
                        drop(guard);
                        self.install(Some(stamp), doc.into_access_tokens())
                    }
                    Loaded::Corrupt(reason) => {
                        self.quarantine(&reason)?;
                        drop(guard);
                        self.install(None, Vec::new())
                    }
                }
            }
        }
    }

    /// Reads and parses the file as it is now.
    fn load(&self) -> Result<Loaded, Error> {
        let mut file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Loaded::Missing),
            Err(e) => return Err(Error::io("open", &self.path, e)),
        };
        // The stamp of the open file matches the bytes read, even if the path is replaced
        // meanwhile (the next lookup then sees a different stamp and reloads).
        let meta = file
            .metadata()
            .map_err(|e| Error::io("inspect", &self.path, e))?;
        let mut bytes = Zeroizing::new(Vec::with_capacity(meta.len() as usize));
        file.read_to_end(&mut bytes)
            .map_err(|e| Error::io("read", &self.path, e))?;
        match CacheDocument::parse(&bytes) {
            Ok(doc) => Ok(Loaded::Document(Box::new(doc), Stamp::of(&meta))),
            Err(Error::Corrupt { reason }) => Ok(Loaded::Corrupt(reason)),
            Err(e) => Err(e),
        }
    }

    /// Takes the cross-process write lock (blocks until it is free).
    fn lock(&self) -> Result<LockGuard, Error> {
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let file = options
            .open(&self.lock_path)
            .map_err(|e| Error::io("open the lock file", &self.lock_path, e))?;
        file.lock()
            .map_err(|e| Error::io("lock", &self.lock_path, e))?;
        Ok(LockGuard(file))
    }

    /// Locked read-merge-write. `change` returns its result and whether it changed anything.
    fn write_with<R>(
        &self,
        change: impl FnOnce(&mut CacheDocument) -> (R, bool),
    ) -> Result<R, Error> {
        let guard = self.lock()?;
        self.remove_stale_temp_files();
        let mut doc = match self.load()? {
            Loaded::Missing => CacheDocument::new(),
            Loaded::Document(doc, _) => *doc,
            Loaded::Corrupt(reason) => {
                self.quarantine(&reason)?;
                CacheDocument::new()
            }
        };
        let (result, changed) = change(&mut doc);
        let pruned = doc.prune_expired(unix_now());
        if changed || pruned > 0 {
            self.replace_file(&doc.to_bytes())?;
        }
        let stamp = self.current_stamp()?;
        drop(guard);
        self.install(stamp, doc.into_access_tokens())?;
        Ok(result)
    }

    /// Writes `bytes` to a new temporary file next to the cache file, flushes it, renames it
    /// over the cache file and flushes the directory.
    fn replace_file(&self, bytes: &[u8]) -> Result<(), Error> {
        let n = self.temp_counter.fetch_add(1, Ordering::Relaxed);
        let temp = self.dir.join(sidecar(
            &self.file_name,
            &format!(".tmp.{}.{n}", std::process::id()),
        ));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let written = options
            .open(&temp)
            .map_err(|e| ("create a temporary file", e))
            .and_then(|mut f| {
                f.write_all(bytes).map_err(|e| ("write", e))?;
                f.sync_all().map_err(|e| ("flush", e))
            })
            .and_then(|()| fs::rename(&temp, &self.path).map_err(|e| ("replace", e)));
        if let Err((operation, e)) = written {
            let _ = fs::remove_file(&temp);
            return Err(Error::io(operation, &temp, e));
        }
        sync_dir(&self.dir)
    }

    /// Temporary files left by a writer that died: only lock holders create them, and we hold
    /// the lock, so any that exist are stale.
    fn remove_stale_temp_files(&self) {
        let prefix = sidecar(&self.file_name, ".tmp.");
        let Some(prefix) = prefix.to_str() else {
            return;
        };
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            if entry
                .file_name()
                .to_str()
                .is_some_and(|name| name.starts_with(prefix))
            {
                let _ = fs::remove_file(entry.path());
            }
        }
    }

    /// Moves a corrupt file aside (never overwriting an earlier one) and says so.
    fn quarantine(&self, reason: &str) -> Result<(), Error> {
        let now = unix_now();
        let mut aside = self
            .dir
            .join(sidecar(&self.file_name, &format!(".corrupt-{now}")));
        let mut n = 1u32;
        while fs::symlink_metadata(&aside).is_ok() {
            aside = self
                .dir
                .join(sidecar(&self.file_name, &format!(".corrupt-{now}-{n}")));
            n += 1;
        }
        fs::rename(&self.path, &aside).map_err(|e| Error::io("move aside", &self.path, e))?;
        tracing::warn!(
            path = %self.path.display(),
            moved_to = %aside.display(),
            reason = %reason,
            "the token cache file is corrupt: it was moved aside and the cache continues empty"
        );
        sync_dir(&self.dir)
    }
}

/// `<name><suffix>`, for files next to the cache file.
fn sidecar(name: &OsStr, suffix: &str) -> OsString {
    let mut s = name.to_os_string();
    s.push(suffix);
    s
}

fn create_dir(dir: &Path) -> Result<(), Error> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| Error::io("create the directory", dir, e))
}

/// Makes a rename durable. Some file systems cannot flush a directory; that is not an error.
fn sync_dir(dir: &Path) -> Result<(), Error> {
    #[cfg(unix)]
    {
        let flushed = File::open(dir).and_then(|d| d.sync_all());
        if let Err(e) = flushed {
            if !matches!(
                e.kind(),
                io::ErrorKind::InvalidInput | io::ErrorKind::Unsupported
            ) {
                return Err(Error::io("flush the directory", dir, e));
            }
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Runs blocking file work on Tokio's blocking pool when there is a runtime, inline otherwise.
async fn blocking<T: Send + 'static>(
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

#[cfg(test)]
mod tests {
    use super::*;

    struct Dir(PathBuf);

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn token(scope: &str) -> CachedAccessToken {
        CachedAccessToken {
            partition: PartitionKey::new("login.microsoftonline.com", "c", "t", "Bearer", None),
            scopes: Scopes::new([scope]).unwrap(),
            secret: oauth2_core::SecretString::new("s"),
            cached_at: 1,
            expires_on: 4_000_000_000,
            extended_expires_on: 4_000_000_000,
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
        let reader = FileTokenCache::open(&path).unwrap();
        let writer = FileTokenCache::open(&path).unwrap();

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
}
