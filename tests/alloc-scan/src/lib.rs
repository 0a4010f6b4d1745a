//! Test support: a global allocator that finds secrets left in freed memory.
//!
//! [`ScanAlloc`] forwards to [`std::alloc::System`]. While a marker is [armed](arm), every block
//! freed through it (by `dealloc`, and the old block of every `realloc`) is scanned for the
//! marker before it is freed; each block that contains it counts as one [hit](hits), and the
//! sizes of the first [`MAX_RECORDED_SIZES`] hit blocks are kept for diagnostics
//! ([`hit_sizes`]). A test gives its secrets a marker, arms it, runs the code under test, drops
//! everything, and expects no hit: a hit is a copy of the secret that was freed without being
//! wiped.
//!
//! [`scan`] does the arming for a test, one test at a time, and reports; [`control`] checks
//! that the binary really runs on the allocator.
//!
//! ```
//! #[global_allocator]
//! static A: alloc_scan::ScanAlloc = alloc_scan::ScanAlloc;
//!
//! const MARKER: &[u8] = b"marker-7f3a9c";
//! assert!(alloc_scan::control(MARKER).hits > 0, "ScanAlloc is the global allocator");
//! let found = alloc_scan::scan(MARKER, || {
//!     let secret = zeroize::Zeroizing::new(String::from("token marker-7f3a9c"));
//!     drop(secret); // wiped before it is freed: not a hit
//! });
//! assert_eq!(found.hits, 0, "{found}");
//! ```
//!
//! [`arm`], [`disarm`], [`hits`], [`hit_sizes`] and [`scanned`] are the parts, for a test that
//! needs them; they are not serialized.
//!
//! # Limits
//!
//! * Only **frees** are scanned. Memory still allocated when the test looks (a leak, a global,
//!   a live cache) is not a hit; copies on the stack or in registers are not seen at all.
//! * Blocks are scanned for the marker as one contiguous byte string: a secret split over two
//!   blocks, or stored encoded (base64, UTF-16, escaped), is not recognised.
//! * The state is global: a hit on any thread counts. Tests that arm in the same binary must
//!   not run at the same time (serialize them with a lock).
//! * `realloc` always moves (allocate, copy, scan and wipe the old block, free it), so a copy the
//!   system allocator might have avoided by growing in place is reported; this errs on the side
//!   of reporting.
//! * Every freed block is wiped after the scan, armed or not, so a block counted once is not
//!   counted again when its memory is reused, and memory freed before arming cannot cause a hit.
//! * Secrets inside `ring`'s key pairs are out of scope: tests give such keys no marker.
//!
//! # Why `unsafe`
//!
//! [`GlobalAlloc`](std::alloc::GlobalAlloc) is an unsafe trait, and scanning a block means
//! reading through a raw pointer. This is the only crate of the workspace that allows `unsafe`,
//! and only in its allocator module; it is test support (`publish = false`) and no library
//! depends on it.

mod block;
mod marker;
mod session;

pub use block::{live_bytes, ScanAlloc};
pub use marker::{arm, disarm, hit_sizes, hits, scanned, MAX_MARKER_LEN, MAX_RECORDED_SIZES};
pub use session::{control, scan, Scan};

#[cfg(test)]
mod tests;
