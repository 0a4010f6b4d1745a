//! The design notes of this project, as rustdoc pages (the same files as `docs/` in the
//! repository).

#[doc = include_str!("../../../docs/architecture.md")]
pub mod architecture {}

#[doc = include_str!("../../../docs/mtls-pop.md")]
pub mod mtls_pop {}

#[doc = include_str!("../../../docs/cache.md")]
pub mod cache {}

#[doc = include_str!("../../../docs/reliability.md")]
pub mod reliability {}

#[doc = include_str!("../../../docs/telemetry.md")]
pub mod telemetry {}

#[doc = include_str!("../../../docs/benchmarks.md")]
pub mod benchmarks {}
