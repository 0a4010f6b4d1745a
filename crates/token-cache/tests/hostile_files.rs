//! Issue #10 item 5: what sits at the file cache's paths is not trusted blindly. Files and
//! directories another user could have written, links planted at our names, huge files, and the
//! corrupt files moved aside (OpenSSH's rules, see `docs/cache.md`).
#![cfg(unix)]

mod common;

use std::fs;
use std::os::unix::fs::{chown, symlink, PermissionsExt as _};
use std::path::Path;
use std::time::Duration;

use common::*;
use token_cache::{Error, FileTokenCache, TokenCache};

/// `nobody`: a uid that is not ours.
const NOBODY: u32 = 65534;

/// The secret of the tokens another user plants.
const PLANTED: &str = "tok-planted-by-someone-else";

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// Giving a file to another uid needs root; without it the ownership tests cannot run.
fn can_chown() -> bool {
    let root = rustix::process::geteuid().is_root();
    if !root {
        eprintln!("skipped: changing a file's owner needs root");
    }
    root
}

/// Writes a cache file at `path` holding one token for scope `s` with secret `secret`.
async fn write_token(path: &Path, secret: &str) {
    open(path)
        .store(token(bearer(), &["s"], secret))
        .await
        .unwrap();
}

fn open_err(path: &Path) -> Error {
    FileTokenCache::builder(path)
        .clock(TestClock::at(NOW))
        .open()
        .unwrap_err()
}

/// `err` refuses `path`, says how to fix it, and shows no token.
fn assert_untrusted(err: &Error, path: &Path, fix: &str) {
    let text = err.to_string();
    assert_eq!(err.code(), "cache_file_untrusted", "{text}");
    assert!(!err.is_retryable());
    assert!(text.contains(&*path.to_string_lossy()), "{text}");
    assert!(text.contains(fix), "{text}");
    assert!(!text.contains(PLANTED), "{text}");
}

#[tokio::test]
async fn item5_foreign_owner_file_is_not_served() {
    if !can_chown() {
        return;
    }
    let dir = TempDir::new("item5-owner");
    let path = dir.file("cache.json");
    let running = open(&path);
    // Another user's file, holding a token, appears at our path.
    let theirs = dir.file("theirs.json");
    write_token(&theirs, PLANTED).await;
    chown(&theirs, Some(NOBODY), Some(NOBODY)).unwrap();
    fs::rename(&theirs, &path).unwrap();

    assert_untrusted(&open_err(&path), &path, "chown");
    let found = running.find(&bearer(), &scopes(&["s"])).await;
    assert_untrusted(&found.unwrap_err(), &path, "chown");
    let stored = running.store(token(bearer(), &["s2"], "ours")).await;
    assert_untrusted(&stored.unwrap_err(), &path, "chown");
    use std::os::unix::fs::MetadataExt as _;
    assert_eq!(fs::metadata(&path).unwrap().uid(), NOBODY, "left in place");
}

#[tokio::test]
async fn item5_group_writable_file_is_refused() {
    let dir = TempDir::new("item5-mode");
    let path = dir.file("cache.json");
    write_token(&path, PLANTED).await;
    for (mode, writers) in [
        (0o620, "its group"),
        (0o602, "other users"),
        (0o666, "its group and by other users"),
    ] {
        chmod(&path, mode);
        let err = open_err(&path);
        assert_untrusted(&err, &path, &format!("chmod 600 {}", path.display()));
        assert!(err.to_string().contains(writers), "{err}");
    }
    // readable by others is not writable by others: still used (and made 0600 on a write)
    chmod(&path, 0o644);
    let hit = open(&path).find(&bearer(), &scopes(&["s"])).await.unwrap();
    assert_eq!(hit.unwrap().secret.expose_secret(), PLANTED);
}

#[tokio::test]
async fn item5_world_writable_directory_is_refused() {
    let dir = TempDir::new("item5-dir");
    let shared = dir.file("shared");
    let path = shared.join("cache.json");
    write_token(&path, PLANTED).await;
    let running = open(&path);
    for mode in [0o777, 0o1777, 0o770] {
        chmod(&shared, mode);
        let err = open_err(&path);
        assert_untrusted(&err, &shared, &format!("chmod 700 {}", shared.display()));
    }
    // a running instance neither serves a file replaced there nor writes there
    fs::remove_file(cache_lock(&running)).unwrap();
    write_token(&dir.file("other.json"), PLANTED).await;
    fs::rename(dir.file("other.json"), &path).unwrap();
    let found = running.find(&bearer(), &scopes(&["s"])).await;
    assert_untrusted(&found.unwrap_err(), &shared, "chmod 700");
    let stored = running.store(token(bearer(), &["s2"], "ours")).await;
    assert_untrusted(&stored.unwrap_err(), &shared, "chmod 700");
    assert!(!cache_lock(&running).exists(), "no lock file created there");
    // private again: used
    chmod(&shared, 0o700);
    assert_eq!(open(&path).len(), 1);
}

fn cache_lock(cache: &FileTokenCache) -> std::path::PathBuf {
    cache.lock_path().to_path_buf()
}

#[tokio::test]
async fn item5_foreign_directory_is_refused() {
    if !can_chown() {
        return;
    }
    let dir = TempDir::new("item5-dir-owner");
    let theirs = dir.file("theirs");
    let path = theirs.join("cache.json");
    write_token(&path, PLANTED).await;
    chown(&theirs, Some(NOBODY), Some(NOBODY)).unwrap();
    assert_untrusted(&open_err(&path), &theirs, "chown");
    // root may own the directory (`/var/lib/...`); we are root here, so ours is root's
    chown(&theirs, Some(0), Some(0)).unwrap();
    assert_eq!(open(&path).len(), 1);
}

#[tokio::test]
async fn item5_symlinked_lock_is_not_followed() {
    let dir = TempDir::new("item5-lock-link");
    let path = dir.file("cache.json");
    let target = dir.file("elsewhere");
    symlink(&target, dir.file("cache.json.lock")).unwrap();
    let cache = open(&path);

    let err = cache.store(token(bearer(), &["s"], "t")).await.unwrap_err();
    assert_untrusted(&err, cache.lock_path(), "rm ");
    assert!(err.to_string().contains("symbolic link"), "{err}");
    assert!(
        fs::symlink_metadata(&target).is_err(),
        "the target was created"
    );
    assert!(!path.exists(), "nothing was written");
}

#[tokio::test]
async fn item5_foreign_lock_file_is_refused() {
    if !can_chown() {
        return;
    }
    let dir = TempDir::new("item5-lock-owner");
    let path = dir.file("cache.json");
    let cache = open(&path);
    cache.store(token(bearer(), &["s"], "t")).await.unwrap();
    chown(cache.lock_path(), Some(NOBODY), Some(NOBODY)).unwrap();
    let err = cache
        .store(token(bearer(), &["s2"], "t"))
        .await
        .unwrap_err();
    assert_untrusted(&err, cache.lock_path(), "chown");
    chmod(cache.lock_path(), 0o622);
    chown(cache.lock_path(), Some(0), Some(0)).unwrap();
    let err = cache
        .store(token(bearer(), &["s2"], "t"))
        .await
        .unwrap_err();
    assert_untrusted(&err, cache.lock_path(), "chmod 600");
}

/// Links planted at temporary names are stale temporary files to the next writer: removed,
/// never followed. (The refusal of a link at the very name being created is a unit test in
/// `src/file/write.rs`.)
#[tokio::test]
async fn item5_planted_temp_links_are_removed_not_followed() {
    let dir = TempDir::new("item5-temp-links");
    let path = dir.file("cache.json");
    let target = dir.file("elsewhere");
    for n in 0..4 {
        let name = format!("cache.json.tmp.{}.{n}", std::process::id());
        symlink(&target, dir.file(&name)).unwrap();
    }
    let cache = open(&path);
    cache.store(token(bearer(), &["s"], "t")).await.unwrap();
    assert!(
        fs::symlink_metadata(&target).is_err(),
        "the target was created"
    );
    assert!(fs::symlink_metadata(&path).unwrap().is_file());
    assert_eq!(dir.names(), ["cache.json", "cache.json.lock"]);
}

#[tokio::test]
async fn item5_sparse_huge_file_is_a_typed_error() {
    let dir = TempDir::new("item5-sparse");
    let path = dir.file("cache.json");
    let running = open(&path);
    fs::File::create(&path).unwrap().set_len(1 << 40).unwrap();

    for err in [
        open_err(&path),
        running.find(&bearer(), &scopes(&["s"])).await.unwrap_err(),
        running
            .store(token(bearer(), &["s"], "t"))
            .await
            .unwrap_err(),
    ] {
        let text = err.to_string();
        assert_eq!(err.code(), "cache_file_too_large", "{text}");
        assert!(!err.is_retryable());
        assert!(text.contains(&*path.to_string_lossy()), "{text}");
        assert!(text.contains("max_file_bytes"), "{text}");
        assert!(matches!(err, Error::TooLarge { limit, .. }
            if limit == FileTokenCache::DEFAULT_MAX_FILE_BYTES));
    }
    assert_eq!(
        fs::metadata(&path).unwrap().len(),
        1 << 40,
        "left as it was"
    );
}

#[tokio::test]
async fn item5_size_limit_is_configurable_within_bounds() {
    let dir = TempDir::new("item5-limit");
    let path = dir.file("cache.json");
    let min = *FileTokenCache::MAX_FILE_BYTES_RANGE.start();
    let with_limit = |bytes: u64| {
        FileTokenCache::builder(&path)
            .clock(TestClock::at(NOW))
            .max_file_bytes(bytes)
    };
    write_token(&path, "t").await;
    let original = fs::read(&path).unwrap();
    let mut doc = original.clone();
    // JSON padded with trailing blanks to exactly the smallest limit: read
    doc.resize(usize::try_from(min).unwrap(), b' ');
    fs::write(&path, &doc).unwrap();
    assert_eq!(
        with_limit(0).open().unwrap().len(),
        1,
        "0 is raised to {min}"
    );
    // one byte more: refused, and the error names the limit in force
    doc.push(b' ');
    fs::write(&path, &doc).unwrap();
    let err = with_limit(1).open().unwrap_err();
    assert!(
        matches!(err, Error::TooLarge { limit, .. } if limit == min),
        "{err}"
    );
    assert!(with_limit(min + 1).open().is_ok());
    let huge = with_limit(u64::MAX).open().unwrap();
    assert_eq!(huge.len(), 1, "u64::MAX is lowered, not an overflow");

    // a write that would pass the limit is not made
    fs::write(&path, &original).unwrap();
    let cache = with_limit(min).open().unwrap();
    let big = "x".repeat(usize::try_from(min).unwrap());
    let err = cache
        .store(token(bearer(), &["big"], &big))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "cache_file_too_large");
    assert!(
        !err.to_string().contains(&big[..64]),
        "no token in the message"
    );
    assert_eq!(fs::read(&path).unwrap(), original, "the file is unchanged");
}

#[tokio::test]
async fn item5_quarantined_files_are_private_and_bounded() {
    let dir = TempDir::new("item5-quarantine");
    let path = dir.file("cache.json");
    fs::write(
        dir.file("cache.json.corrupt-notes.txt"),
        "not ours to delete",
    )
    .unwrap();
    for i in 0..5 {
        fs::write(&path, format!("corrupt {i}")).unwrap();
        chmod(&path, 0o644);
        assert!(open(&path).is_empty());
    }
    let aside: Vec<String> = dir
        .names()
        .into_iter()
        .filter(|n| n.starts_with("cache.json.corrupt-"))
        .collect();
    let kept: Vec<String> = (2..5)
        .map(|n| format!("cache.json.corrupt-{NOW}-{n}"))
        .collect();
    assert_eq!(
        aside,
        [&kept[..], &["cache.json.corrupt-notes.txt".to_owned()]].concat()
    );
    assert_eq!(FileTokenCache::KEPT_CORRUPT_FILES, kept.len());
    for (n, name) in (2..5).zip(&kept) {
        let file = dir.file(name);
        assert_eq!(fs::read_to_string(&file).unwrap(), format!("corrupt {n}"));
        assert_eq!(mode(&file), 0o600, "{name}");
    }
}

#[test]
fn item5_fifo_at_the_path_is_refused_without_blocking() {
    let dir = TempDir::new("item5-fifo");
    let path = dir.file("cache.json");
    let made = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .unwrap();
    assert!(made.success());
    let (send, receive) = std::sync::mpsc::channel();
    let opening = path.clone();
    std::thread::spawn(move || {
        let _ = send.send(open_err(&opening));
    });
    let err = receive
        .recv_timeout(Duration::from_secs(20))
        .expect("opening a FIFO blocked");
    assert_eq!(err.code(), "cache_io_error", "{err}");
    assert!(err.to_string().contains("not a regular file"), "{err}");
}
