//! The armed marker and the counters, in fixed-size statics: the allocator must not allocate.

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering::SeqCst};

/// The longest marker [`arm`] accepts, in bytes.
pub const MAX_MARKER_LEN: usize = 64;

/// How many hit block sizes [`hit_sizes`] can report.
pub const MAX_RECORDED_SIZES: usize = 32;

static MARKER: [AtomicU8; MAX_MARKER_LEN] = [const { AtomicU8::new(0) }; MAX_MARKER_LEN];
/// Length of the armed marker; 0 when disarmed.
static MARKER_LEN: AtomicUsize = AtomicUsize::new(0);
static HITS: AtomicUsize = AtomicUsize::new(0);
static SCANNED: AtomicUsize = AtomicUsize::new(0);
static HIT_SIZES: [AtomicUsize; MAX_RECORDED_SIZES] =
    [const { AtomicUsize::new(0) }; MAX_RECORDED_SIZES];

/// Starts scanning freed blocks for `marker`, with the counters reset to zero.
///
/// Arm from one thread at a time; a block freed while the marker is being replaced may be
/// scanned for a mix of the old and the new marker.
///
/// # Panics
///
/// If `marker` is empty, longer than [`MAX_MARKER_LEN`], or all zero bytes (freed blocks are
/// wiped with zeros, so such a marker would match them).
pub fn arm(marker: &[u8]) {
    assert!(
        !marker.is_empty() && marker.len() <= MAX_MARKER_LEN,
        "alloc-scan: the marker must be 1 to {MAX_MARKER_LEN} bytes"
    );
    assert!(
        marker.iter().any(|&b| b != 0),
        "alloc-scan: the marker must not be all zero bytes"
    );
    MARKER_LEN.store(0, SeqCst);
    for (slot, &b) in MARKER.iter().zip(marker) {
        slot.store(b, SeqCst);
    }
    HITS.store(0, SeqCst);
    SCANNED.store(0, SeqCst);
    for size in &HIT_SIZES {
        size.store(0, SeqCst);
    }
    MARKER_LEN.store(marker.len(), SeqCst);
}

/// Stops scanning. The counters keep their values until the next [`arm`].
pub fn disarm() {
    MARKER_LEN.store(0, SeqCst);
}

/// Blocks freed since the last [`arm`] that contained the marker.
pub fn hits() -> usize {
    HITS.load(SeqCst)
}

/// Blocks scanned since the last [`arm`]: a test can check that the allocator is installed
/// and saw the frees it expects.
pub fn scanned() -> usize {
    SCANNED.load(SeqCst)
}

/// The sizes, in bytes, of the first [`MAX_RECORDED_SIZES`] hit blocks, in the order found.
pub fn hit_sizes() -> Vec<usize> {
    let recorded = hits().min(MAX_RECORDED_SIZES);
    HIT_SIZES[..recorded]
        .iter()
        .map(|s| s.load(SeqCst))
        .collect()
}

/// The armed marker, copied into `buf`; `None` when disarmed.
pub(crate) fn armed(buf: &mut [u8; MAX_MARKER_LEN]) -> Option<&[u8]> {
    let len = MARKER_LEN.load(SeqCst).min(MAX_MARKER_LEN);
    if len == 0 {
        return None;
    }
    for (b, slot) in buf.iter_mut().zip(&MARKER[..len]) {
        *b = slot.load(SeqCst);
    }
    Some(&buf[..len])
}

/// Counts one scanned block, and a hit of `size` bytes if it held the marker.
pub(crate) fn record(found: bool, size: usize) {
    SCANNED.fetch_add(1, SeqCst);
    if found {
        let n = HITS.fetch_add(1, SeqCst);
        if let Some(slot) = HIT_SIZES.get(n) {
            slot.store(size, SeqCst);
        }
    }
}
