//! The design notes of this project, as rustdoc pages (the same files as `docs/` in the
//! repository).

// `crates/msal/docs` is a symbolic link to the repository's `docs/`: one copy of each note, read
// from the repository by `cargo doc`, and copied into the package by `cargo package` (which
// follows the link), so the published crate and docs.rs build from the package alone.

#[doc = include_str!("../docs/architecture.md")]
pub mod architecture {}

#[doc = include_str!("../docs/mtls-pop.md")]
pub mod mtls_pop {}

#[doc = include_str!("../docs/certificates.md")]
pub mod certificates {}

#[doc = include_str!("../docs/generic-rfc8705.md")]
pub mod generic_rfc8705 {}

#[doc = include_str!("../docs/cache.md")]
pub mod cache {}

#[doc = include_str!("../docs/reliability.md")]
pub mod reliability {}

#[doc = include_str!("../docs/telemetry.md")]
pub mod telemetry {}

#[doc = include_str!("../docs/benchmarks.md")]
pub mod benchmarks {}

#[doc = include_str!("../docs/resources.md")]
pub mod resources {}
#[doc = include_str!("../docs/environment.md")]
pub mod environment {}

#[doc = include_str!("../docs/emulator.md")]
pub mod emulator {}
