//! Helpers shared by the file-cache tests.
#![allow(dead_code, unreachable_pub)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use token_cache::{
    CachedAccessToken, Clock, FileTokenCache, PartitionKey, PartitionParts, Scopes, SecretString,
    TokenType, UnixTime,
};

pub const TENANT: &str = "aaaabbbb-0000-1111-2222-333344445555";
pub const GRAPH: &str = "https://graph.microsoft.com/.default";
/// What the test clock shows (2023-11-14), and when test tokens were cached.
pub const NOW: u64 = 1_700_000_000;
/// When test tokens expire: an hour after [`NOW`].
pub const EXPIRES: u64 = NOW + 3_600;

/// A clock the test sets.
#[derive(Debug)]
pub struct TestClock(AtomicU64);

impl TestClock {
    pub fn at(secs: u64) -> Arc<Self> {
        Arc::new(TestClock(AtomicU64::new(secs)))
    }

    pub fn set(&self, secs: u64) {
        self.0.store(secs, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> SystemTime {
        UnixTime::from_secs(self.0.load(Ordering::SeqCst)).to_system_time()
    }
}

/// The file cache at `path`, pruning by a clock at [`NOW`].
pub fn open(path: impl AsRef<Path>) -> FileTokenCache {
    FileTokenCache::builder(path)
        .clock(TestClock::at(NOW))
        .open()
        .unwrap()
}

/// A fresh directory, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// Created `0700` on Unix whatever the umask: the file cache refuses a directory its group
    /// or others may write.
    pub fn new(name: &str) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir =
            std::env::temp_dir().join(format!("token-cache-{name}-{}-{nanos}", std::process::id()));
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// Names of the files in the directory, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn scopes(list: &[&str]) -> Scopes {
    Scopes::new(list.iter().copied()).unwrap()
}

pub fn partition(tenant: &str, token_type: TokenType, key_id: Option<&str>) -> PartitionKey {
    PartitionKey::new(PartitionParts {
        environment: "login.microsoftonline.com",
        client_id: "cid1",
        tenant,
        token_type,
        key_id,
    })
}

pub fn bearer() -> PartitionKey {
    partition(TENANT, TokenType::Bearer, None)
}

pub fn token(partition: PartitionKey, list: &[&str], secret: &str) -> CachedAccessToken {
    CachedAccessToken {
        partition,
        scopes: scopes(list),
        secret: SecretString::new(secret),
        cached_at: UnixTime::from_secs(NOW),
        expires_on: UnixTime::from_secs(EXPIRES),
        extended_expires_on: UnixTime::from_secs(EXPIRES),
        refresh_on: None,
    }
}

/// Everything logged through `tracing` in this test binary (a global subscriber, so warnings
/// from Tokio's blocking threads are captured too). Tests look for their own paths in it.
pub fn logs() -> String {
    String::from_utf8_lossy(&LOG.get_or_init(init_log).lock().unwrap()).into_owned()
}

/// Installs the capturing subscriber (call before the code under test runs).
pub fn capture_logs() {
    LOG.get_or_init(init_log);
}

static LOG: OnceLock<&'static Mutex<Vec<u8>>> = OnceLock::new();

fn init_log() -> &'static Mutex<Vec<u8>> {
    let buffer: &'static Mutex<Vec<u8>> = Box::leak(Box::new(Mutex::new(Vec::new())));
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || Sink(buffer))
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();
    buffer
}

struct Sink(&'static Mutex<Vec<u8>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
