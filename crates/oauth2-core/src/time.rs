//! Time for the whole workspace: [`UnixTime`] (whole seconds since the Unix epoch, bounded, with
//! saturating arithmetic) and the injectable [`Clock`].
//!
//! Token lifetimes come from servers and cache files, so every number that becomes a time is
//! untrusted. `UnixTime` cannot hold a value past [`UnixTime::MAX`] (the last second of the year
//! 9999, the largest time every platform's `SystemTime` and MSAL's cache readers can represent),
//! and its arithmetic saturates instead of overflowing: no number a server or a file contains can
//! make a time computation panic.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A point in time in whole seconds since 1970-01-01T00:00:00Z, between [`UnixTime::EPOCH`] and
/// [`UnixTime::MAX`].
///
/// ```
/// use std::time::Duration;
/// use oauth2_core::UnixTime;
///
/// let issued = UnixTime::from_secs(1_700_000_000);
/// let expires = issued.saturating_add_secs(3_600);
/// assert_eq!(expires.as_secs(), 1_700_003_600);
/// // Hostile lifetimes saturate instead of overflowing.
/// assert_eq!(issued.saturating_add_secs(u64::MAX), UnixTime::MAX);
/// assert_eq!(expires.saturating_duration_since(issued), Duration::from_secs(3_600));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct UnixTime(u64);

impl UnixTime {
    /// 1970-01-01T00:00:00Z.
    pub const EPOCH: UnixTime = UnixTime(0);

    /// 9999-12-31T23:59:59Z, the latest representable time.
    pub const MAX: UnixTime = UnixTime(253_402_300_799);

    /// `secs` seconds after the epoch, clamped to [`UnixTime::MAX`].
    pub const fn from_secs(secs: u64) -> Self {
        if secs > Self::MAX.0 {
            Self::MAX
        } else {
            UnixTime(secs)
        }
    }

    /// `secs` seconds after the epoch, or `None` past [`UnixTime::MAX`] (an impossible time,
    /// e.g. in a cache file written by a buggy or hostile process).
    pub const fn checked_from_secs(secs: u64) -> Option<Self> {
        if secs > Self::MAX.0 {
            None
        } else {
            Some(UnixTime(secs))
        }
    }

    /// The time `t`, truncated to whole seconds; before the epoch gives [`UnixTime::EPOCH`],
    /// after [`UnixTime::MAX`] gives `MAX`.
    pub fn from_system_time(t: SystemTime) -> Self {
        t.duration_since(UNIX_EPOCH)
            .map(|d| Self::from_secs(d.as_secs()))
            .unwrap_or(Self::EPOCH)
    }

    /// The same instant as a [`SystemTime`] (never panics: every `UnixTime` is representable).
    pub fn to_system_time(self) -> SystemTime {
        UNIX_EPOCH
            .checked_add(Duration::from_secs(self.0))
            .unwrap_or(UNIX_EPOCH)
    }

    /// Seconds since the epoch.
    pub const fn as_secs(self) -> u64 {
        self.0
    }

    /// `self + secs` seconds, saturating at [`UnixTime::MAX`].
    pub const fn saturating_add_secs(self, secs: u64) -> Self {
        Self::from_secs(self.0.saturating_add(secs))
    }

    /// `self + d` (whole seconds of `d`), saturating at [`UnixTime::MAX`].
    pub const fn saturating_add(self, d: Duration) -> Self {
        self.saturating_add_secs(d.as_secs())
    }

    /// `self - d` (whole seconds of `d`), saturating at [`UnixTime::EPOCH`].
    pub const fn saturating_sub(self, d: Duration) -> Self {
        UnixTime(self.0.saturating_sub(d.as_secs()))
    }

    /// How long after `earlier` this is; zero if it is not later.
    pub const fn saturating_duration_since(self, earlier: UnixTime) -> Duration {
        Duration::from_secs(self.0.saturating_sub(earlier.0))
    }
}

impl fmt::Debug for UnixTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UnixTime({})", self.0)
    }
}

impl fmt::Display for UnixTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl From<SystemTime> for UnixTime {
    fn from(t: SystemTime) -> Self {
        Self::from_system_time(t)
    }
}

impl From<UnixTime> for SystemTime {
    fn from(t: UnixTime) -> Self {
        t.to_system_time()
    }
}

/// Tells the current time. Token expiry, `refresh_on`, assertion lifetimes, throttling windows
/// and cache pruning read it, so a test can move time forward instead of sleeping.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use oauth2_core::{Clock, UnixTime};
///
/// #[derive(Debug)]
/// struct Frozen(SystemTime);
/// impl Clock for Frozen {
///     fn now(&self) -> SystemTime {
///         self.0
///     }
/// }
/// let clock = Frozen(SystemTime::UNIX_EPOCH + Duration::from_secs(42));
/// assert_eq!(clock.unix_now(), UnixTime::from_secs(42));
/// ```
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> SystemTime;

    /// The current time as a [`UnixTime`].
    fn unix_now(&self) -> UnixTime {
        UnixTime::from_system_time(self.now())
    }
}

/// The system clock (the default).
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_numbers_saturate() {
        assert_eq!(UnixTime::from_secs(u64::MAX), UnixTime::MAX);
        assert_eq!(UnixTime::checked_from_secs(u64::MAX), None);
        assert_eq!(
            UnixTime::checked_from_secs(UnixTime::MAX.as_secs()),
            Some(UnixTime::MAX)
        );
        assert_eq!(UnixTime::MAX.saturating_add_secs(1), UnixTime::MAX);
        assert_eq!(
            UnixTime::EPOCH.saturating_sub(Duration::MAX),
            UnixTime::EPOCH
        );
        assert_eq!(UnixTime::MAX.saturating_add(Duration::MAX), UnixTime::MAX);
        let far = UnixTime::MAX.to_system_time();
        assert_eq!(UnixTime::from_system_time(far), UnixTime::MAX);
        let before_epoch = UNIX_EPOCH - Duration::from_secs(5);
        assert_eq!(UnixTime::from_system_time(before_epoch), UnixTime::EPOCH);
        assert_eq!(
            UnixTime::EPOCH.saturating_duration_since(UnixTime::MAX),
            Duration::ZERO
        );
    }
}
