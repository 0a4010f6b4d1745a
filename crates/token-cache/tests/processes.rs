//! Real processes sharing one file cache: concurrent writers, and a writer killed with SIGKILL
//! in the middle of a write.
//!
//! The children are this test binary itself, re-executed with `TOKEN_CACHE_CHILD` set: the
//! harness runs only `child_process`, which does the child's work and exits. Without the
//! variable `child_process` does nothing.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};

use common::*;
use token_cache::{CacheDocument, CachedAccessToken, PartitionKey, TokenCache, TokenType};

const CHILD: &str = "TOKEN_CACHE_CHILD";

/// The scope of entry `i` of writer `writer`: distinct everywhere.
fn scope(writer: u32, i: u32) -> String {
    format!("api://writer-{writer}/entry-{i}/.default")
}

/// Half the writers share one partition, the others have one each.
fn writer_partition(writer: u32) -> PartitionKey {
    if writer.is_multiple_of(2) {
        bearer()
    } else {
        partition(&format!("tenant-{writer}"), TokenType::Bearer, None)
    }
}

fn entry(writer: u32, i: u32) -> CachedAccessToken {
    let s = scope(writer, i);
    token(
        writer_partition(writer),
        &[s.as_str()],
        &format!("tok-{writer}-{i}"),
    )
}

/// Child entry point (see the module docs).
#[test]
fn child_process() {
    let Ok(mode) = std::env::var(CHILD) else {
        return;
    };
    let path = std::env::var("TOKEN_CACHE_PATH").unwrap();
    let writer: u32 = std::env::var("TOKEN_CACHE_WRITER")
        .unwrap()
        .parse()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let cache = open(&path);
    runtime.block_on(async {
        match mode.as_str() {
            // `count` entries, `batch` per locked write
            "write" => {
                let count: u32 = std::env::var("TOKEN_CACHE_COUNT").unwrap().parse().unwrap();
                let batch: u32 = std::env::var("TOKEN_CACHE_BATCH").unwrap().parse().unwrap();
                let mut i = 0;
                while i < count {
                    let end = (i + batch).min(count);
                    if batch == 1 {
                        cache.store(entry(writer, i)).await.unwrap();
                    } else {
                        let tokens = (i..end).map(|i| entry(writer, i)).collect();
                        cache.store_many(tokens).await.unwrap();
                    }
                    i = end;
                }
            }
            // one entry per write until killed (bounded, in case nobody kills us)
            "loop" => {
                for i in 0..100_000 {
                    cache.store(entry(writer, i)).await.unwrap();
                }
            }
            other => panic!("unknown child mode {other}"),
        }
    });
}

fn spawn_child(mode: &str, path: &Path, writer: u32, extra: &[(&str, String)]) -> Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "child_process",
        "--exact",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(CHILD, mode)
    .env("TOKEN_CACHE_PATH", path)
    .env("TOKEN_CACHE_WRITER", writer.to_string())
    .stdin(Stdio::null())
    .stdout(Stdio::null());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

/// Every entry of every writer is in the file, which parses.
fn assert_all_present(path: &Path, writers: u32, count: u32) {
    let doc = CacheDocument::parse(&std::fs::read(path).unwrap())
        .expect("the file parses after concurrent writers");
    assert_eq!(doc.len(), (writers * count) as usize);
    for writer in 0..writers {
        for i in 0..count {
            let s = scope(writer, i);
            let found = doc
                .get(&writer_partition(writer), &scopes(&[s.as_str()]))
                .unwrap_or_else(|| panic!("writer {writer} entry {i} is missing"));
            assert_eq!(found.secret.expose_secret(), format!("tok-{writer}-{i}"));
        }
    }
}

fn run_writers(dir: &TempDir, writers: u32, count: u32, batch: u32) {
    let path = dir.file("cache.json");
    let children: Vec<Child> = (0..writers)
        .map(|w| {
            spawn_child(
                "write",
                &path,
                w,
                &[
                    ("TOKEN_CACHE_COUNT", count.to_string()),
                    ("TOKEN_CACHE_BATCH", batch.to_string()),
                ],
            )
        })
        .collect();
    for mut child in children {
        let status = child.wait().unwrap();
        assert!(status.success(), "a writer failed: {status}");
    }
    assert_all_present(&path, writers, count);
    assert_eq!(dir.names(), ["cache.json", "cache.json.lock"]);
}

/// The acceptance test: 8 processes × 1,000 distinct entries into one file, at once.
/// Each process stores its entries 100 per locked write (`store_many`: 10 writes each, 80 in
/// all, interleaved between the processes). Every write re-reads, merges and rewrites the whole
/// file (up to 8,000 entries, about 5 MB); one write per entry would be 8,000 such rewrites,
/// minutes in a debug build, with no more coverage of the locking than the test below.
#[test]
fn eight_processes_write_a_thousand_entries_each() {
    let dir = TempDir::new("eight-processes");
    run_writers(&dir, 8, 1_000, 100);
}

/// The same race with one lock per entry (the plain `store` path): 8 processes × 50 writes.
#[test]
fn eight_processes_one_write_per_entry() {
    let dir = TempDir::new("eight-processes-single");
    run_writers(&dir, 8, 50, 1);
}

#[cfg(target_os = "linux")]
fn signal(child: &Child, sig: &str) {
    let status = Command::new("sh")
        .args(["-c", &format!("kill -{sig} {}", child.id())])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits until the kernel reports the child as stopped (signals are delivered asynchronously).
#[cfg(target_os = "linux")]
fn wait_until_stopped(child: &Child) {
    let stat_path = format!("/proc/{}/stat", child.id());
    loop {
        let stat = std::fs::read_to_string(&stat_path).unwrap();
        // the state follows the parenthesised command name
        let state = stat
            .rsplit(") ")
            .next()
            .and_then(|rest| rest.chars().next());
        match state {
            Some('T' | 't') => return,
            Some('Z' | 'X') => panic!("the writer exited instead of stopping"),
            _ => {}
        }
        std::thread::yield_now();
    }
}

/// A writer killed with SIGKILL while its temporary file is being written (the child is frozen
/// with SIGSTOP first, and only once the kernel reports it stopped do we check that its
/// temporary file exists, so the kill lands mid-write deterministically) leaves the cache file complete: it parses and holds everything written
/// before. The dead writer's lock is released by the OS, and the next writer removes its
/// temporary file.
#[cfg(target_os = "linux")]
#[test]
fn a_writer_killed_mid_write_leaves_a_file_that_parses() {
    let dir = TempDir::new("sigkill");
    let path = dir.file("cache.json");
    // A large file makes each write long enough to be caught in the act.
    let seed: Vec<CachedAccessToken> = (0..3_000).map(|i| entry(100, i)).collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        open(&path).store_many(seed).await.unwrap();
    });

    let mut total = 3_000;
    for round in 0..3u32 {
        let mut child = spawn_child("loop", &path, round, &[]);
        let temp_prefix = format!("cache.json.tmp.{}.", child.id());
        let mut caught = false;
        let mut attempts = 0;
        // Bounded: the child writes continuously, so its temporary file shows up quickly.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("the looping writer exited early: {status}");
            }
            if !dir.names().iter().any(|n| n.starts_with(&temp_prefix)) {
                std::thread::yield_now();
                continue;
            }
            signal(&child, "STOP");
            wait_until_stopped(&child);
            attempts += 1;
            if dir.names().iter().any(|n| n.starts_with(&temp_prefix)) {
                caught = true;
                child.kill().unwrap(); // SIGKILL
                break;
            }
            signal(&child, "CONT");
        }
        assert!(caught, "round {round}: never caught the writer mid-write");
        eprintln!("round {round}: caught mid-write after {attempts} stop(s)");
        let status = child.wait().unwrap();
        assert!(!status.success());

        // The temporary file of the dead writer is still there; the cache file is intact.
        assert!(dir.names().iter().any(|n| n.starts_with(&temp_prefix)));
        let doc = CacheDocument::parse(&std::fs::read(&path).unwrap())
            .unwrap_or_else(|e| panic!("round {round}: the file does not parse: {e}"));
        for i in 0..3_000 {
            let s = scope(100, i);
            assert!(doc
                .get(&writer_partition(100), &scopes(&[s.as_str()]))
                .is_some());
        }
        // Whatever the dead writer had completed is there, in order: entries 0..n, no gaps.
        let written = (0..100_000)
            .take_while(|&i| {
                let s = scope(round, i);
                doc.get(&writer_partition(round), &scopes(&[s.as_str()]))
                    .is_some()
            })
            .count();
        assert_eq!(
            doc.len(),
            total + written,
            "round {round}: nothing else, nothing lost"
        );
        assert!(
            !dir.names().iter().any(|n| n.contains(".corrupt-")),
            "nothing was treated as corrupt"
        );

        // The next writer gets the lock, keeps everything and cleans up.
        runtime.block_on(async {
            let cache = open(&path);
            assert_eq!(cache.len(), total + written);
            cache.store(entry(200, round)).await.unwrap();
            total += written + 1;
            assert_eq!(cache.len(), total);
        });
        assert_eq!(
            dir.names(),
            ["cache.json", "cache.json.lock"],
            "round {round}"
        );
    }
}
