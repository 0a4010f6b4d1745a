use std::hint::black_box;

use zeroize::Zeroizing;

use crate::{control, scan, ScanAlloc};

#[global_allocator]
static A: ScanAlloc = ScanAlloc;

const MARKER: &[u8] = b"alloc-scan-unit-marker-5e1d";

#[test]
fn a_vec_dropped_without_wiping_is_a_hit() {
    let found = scan(MARKER, || {
        let mut v = Vec::with_capacity(100);
        v.extend_from_slice(b"prefix ");
        v.extend_from_slice(MARKER);
        drop(black_box(v));
    });
    assert_eq!((found.hits, found.hit_sizes), (1, vec![100]));
}

#[test]
fn a_zeroizing_vec_dropped_is_not_a_hit() {
    let found = scan(MARKER, || {
        let v = Zeroizing::new(MARKER.to_vec());
        drop(black_box(v));
    });
    assert_eq!(found.hits, 0, "{found}");
    assert!(found.scanned >= 1);
}

#[test]
fn the_old_block_of_a_realloc_is_scanned() {
    let found = scan(MARKER, || {
        let mut v = Zeroizing::new(Vec::with_capacity(MARKER.len()));
        v.extend_from_slice(MARKER);
        v.push(b'!'); // grows: the old block is freed as it is
        drop(black_box(v));
    });
    assert_eq!((found.hits, found.hit_sizes), (1, vec![MARKER.len()]));
}

#[test]
fn a_marker_split_over_the_block_end_is_not_a_hit() {
    let found = scan(MARKER, || {
        drop(black_box(MARKER[..MARKER.len() - 1].to_vec()));
    });
    assert_eq!(found.hits, 0);
}

#[test]
fn nothing_is_counted_when_disarmed() {
    let found = scan(MARKER, || {
        crate::disarm();
        drop(black_box(MARKER.to_vec()));
    });
    assert_eq!((found.hits, found.scanned), (0, 0));
}

#[test]
fn the_control_sees_its_copy() {
    let found = control(MARKER);
    assert_eq!(found.hits, 1, "{found}");
    assert!(found
        .to_string()
        .starts_with("1 freed block(s) held the marker"));
}

#[test]
#[should_panic(expected = "1 to 64 bytes")]
fn an_oversized_marker_is_refused() {
    scan(&[b'x'; 65], || {});
}
