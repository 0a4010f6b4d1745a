//! The time source of an application, injectable for tests and simulations.

use std::fmt;
use std::time::SystemTime;

/// Tells the current time. The application reads it for token expiry, `refresh_on` and
/// throttling windows, so a test can move time forward instead of sleeping.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The system clock (the default).
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}
