//! See benches/hit.rs.
