//! The allocator: scans and wipes every block before it goes back to the system allocator.
// `GlobalAlloc` is an unsafe trait and blocks are read through raw pointers: see the crate docs.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::ptr;
use std::sync::atomic::{AtomicIsize, Ordering};

use crate::marker::{self, MAX_MARKER_LEN};

/// A [`GlobalAlloc`] over [`System`] that scans freed blocks for the [armed](crate::arm)
/// marker and wipes them. Install it in a test binary with
/// `#[global_allocator] static A: alloc_scan::ScanAlloc = alloc_scan::ScanAlloc;`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScanAlloc;

/// Bytes requested and not yet freed (what `tracemalloc` counts in Python: the sizes asked for,
/// not the system allocator's own overhead).
static LIVE: AtomicIsize = AtomicIsize::new(0);

/// The bytes allocated through [`ScanAlloc`] and not yet freed, for memory measurements: take
/// the difference between two readings. Counts every thread.
pub fn live_bytes() -> isize {
    LIVE.load(Ordering::Relaxed)
}

fn count(bytes: usize, sign: isize) {
    LIVE.fetch_add(
        sign.saturating_mul(isize::try_from(bytes).unwrap_or(isize::MAX)),
        Ordering::Relaxed,
    );
}

// SAFETY: every block comes from `System` with the caller's layout (or, in `realloc`, a layout
// of the same alignment and the new size) and goes back to `System` with that layout; the
// contract of each method is the one `System` implements.
unsafe impl GlobalAlloc for ScanAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees (non-zero size).
        let block = unsafe { System.alloc(layout) };
        if !block.is_null() {
            count(layout.size(), 1);
        }
        block
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let block = unsafe { System.alloc_zeroed(layout) };
        if !block.is_null() {
            count(layout.size(), 1);
        }
        block
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(layout.size(), -1);
        // SAFETY: the caller guarantees `ptr` is a live block of `layout` from this allocator,
        // so its `layout.size()` bytes are ours to read and write until it is freed.
        unsafe {
            scan_and_wipe(ptr, layout.size());
            System.dealloc(ptr, layout);
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees `new_size` is non-zero and, rounded up to
        // `layout.align()`, does not overflow `isize`: a valid layout.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: `new_layout` has a non-zero size.
        let new = unsafe { System.alloc(new_layout) };
        if new.is_null() {
            // The old block stays allocated and unchanged, as `realloc` requires.
            return new;
        }
        count(new_size, 1);
        count(layout.size(), -1);
        // SAFETY: `ptr` is a live block of `layout.size()` bytes and `new` a distinct one of
        // `new_size` bytes; the old block is read and wiped before it is freed with its layout.
        unsafe {
            ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
            scan_and_wipe(ptr, layout.size());
            System.dealloc(ptr, layout);
        }
        new
    }
}

/// Scans the block for the marker when armed, then overwrites it with zeros.
///
/// # Safety
///
/// `ptr` must be valid for reads and writes of `size` bytes.
unsafe fn scan_and_wipe(ptr: *mut u8, size: usize) {
    let mut buf = [0u8; MAX_MARKER_LEN];
    if let Some(needle) = marker::armed(&mut buf) {
        // SAFETY: passed on from the caller.
        let found = unsafe { contains(ptr, size, needle) };
        marker::record(found, size);
    }
    for i in 0..size {
        // SAFETY: `i < size`. Volatile, so the compiler cannot drop the stores as dead before
        // the block is freed.
        unsafe { ptr.add(i).write_volatile(0) };
    }
}

/// Whether the `size` bytes at `ptr` contain `needle`.
///
/// The bytes are read with volatile loads: a block may hold bytes the program never
/// initialized (spare capacity, padding), which the compiler must not reason about; the loads
/// return whatever the memory holds, which is what a scan of freed memory wants.
///
/// # Safety
///
/// `ptr` must be valid for reads of `size` bytes.
unsafe fn contains(ptr: *const u8, size: usize, needle: &[u8]) -> bool {
    if needle.is_empty() || size < needle.len() {
        return false;
    }
    // SAFETY: every index passed is below `size` (`start + j <= size - len + len - 1`).
    let byte = |i: usize| unsafe { ptr.add(i).read_volatile() };
    (0..=size - needle.len()).any(|start| {
        needle
            .iter()
            .enumerate()
            .all(|(j, &expected)| byte(start + j) == expected)
    })
}
