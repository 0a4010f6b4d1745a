//! Armed sessions for tests: one at a time per process, with a report.

use std::fmt;
use std::hint::black_box;
use std::sync::{Mutex, PoisonError};

use crate::marker::{arm, disarm, hit_sizes, hits, scanned};

/// What a [`scan`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    /// Freed blocks that held the marker ([`hits`](crate::hits)).
    pub hits: usize,
    /// Their sizes, in bytes ([`hit_sizes`](crate::hit_sizes)).
    pub hit_sizes: Vec<usize>,
    /// Freed blocks scanned ([`scanned`](crate::scanned)).
    pub scanned: usize,
}

impl fmt::Display for Scan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} freed block(s) held the marker (sizes {:?}); {} block(s) scanned",
            self.hits, self.hit_sizes, self.scanned
        )
    }
}

/// Runs `f` with `marker` [armed](crate::arm) and reports what the frees during `f` held.
///
/// Calls are serialized by a process-wide lock, so the tests of one binary may call it from
/// parallel test threads. The marker is disarmed afterwards, also when `f` panics.
///
/// # Panics
///
/// As [`arm`](crate::arm), and when `f` panics.
pub fn scan(marker: &[u8], f: impl FnOnce()) -> Scan {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    struct Disarm;
    impl Drop for Disarm {
        fn drop(&mut self) {
            disarm();
        }
    }
    arm(marker);
    let disarm_on_exit = Disarm;
    f();
    drop(disarm_on_exit);
    Scan {
        hits: hits(),
        hit_sizes: hit_sizes(),
        scanned: scanned(),
    }
}

/// The control for a test binary: [`scan`]s the drop of an unwiped copy of `marker`. A binary
/// whose allocator is [`ScanAlloc`](crate::ScanAlloc) reports at least one hit; without it, or
/// with a broken scanner, none, so the binary's other results would mean nothing.
pub fn control(marker: &[u8]) -> Scan {
    scan(marker, || drop(black_box(marker.to_vec())))
}
