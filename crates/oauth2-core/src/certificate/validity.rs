//! The leaf certificate's validity period: checking it and showing it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::ClientCertificate;
use crate::Error;

/// A certificate's validity period in Unix seconds (X.509 times may lie before 1970).
#[derive(Clone, Copy, Debug)]
pub(super) struct Validity {
    not_before: i64,
    not_after: i64,
}

impl Validity {
    pub(super) fn new(not_before: i64, not_after: i64) -> Self {
        Validity {
            not_before,
            not_after,
        }
    }

    /// `not_before <= now <= not_after`, or the error that says which bound `now` is past.
    fn check_at(&self, now: SystemTime) -> Result<(), Error> {
        let now = unix_seconds(now);
        if now < self.not_before {
            return Err(Error::CertificateNotYetValid {
                not_before: format_unix_utc(self.not_before),
            });
        }
        if now > self.not_after {
            return Err(Error::CertificateExpired {
                not_after: format_unix_utc(self.not_after),
            });
        }
        Ok(())
    }

    /// The end of the period as `YYYY-MM-DD HH:MM:SS UTC`.
    pub(super) fn not_after_utc(&self) -> String {
        format_unix_utc(self.not_after)
    }
}

impl ClientCertificate {
    /// Checks that the leaf certificate is valid at `now` (`not_before <= now <= not_after`).
    ///
    /// The loaders call this with the current time; call it again before long-lived use.
    pub fn check_validity_at(&self, now: SystemTime) -> Result<(), Error> {
        self.inner.validity.check_at(now)
    }

    /// Start of the leaf certificate's validity period.
    pub fn not_before(&self) -> SystemTime {
        system_time(self.inner.validity.not_before)
    }

    /// End of the leaf certificate's validity period.
    pub fn not_after(&self) -> SystemTime {
        system_time(self.inner.validity.not_after)
    }
}

/// `t` in whole Unix seconds, negative before 1970, saturating at the ends of `i64`.
fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

/// Unix seconds as a `SystemTime`; the epoch when the platform cannot represent them.
fn system_time(secs: i64) -> SystemTime {
    let t = if secs >= 0 {
        UNIX_EPOCH.checked_add(Duration::from_secs(secs.unsigned_abs()))
    } else {
        UNIX_EPOCH.checked_sub(Duration::from_secs(secs.unsigned_abs()))
    };
    t.unwrap_or(UNIX_EPOCH)
}

/// Formats Unix seconds as `YYYY-MM-DD HH:MM:SS UTC`.
fn format_unix_utc(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        sod / 3600,
        (sod % 3600) / 60,
        sod % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_dates() {
        assert_eq!(format_unix_utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_unix_utc(978_307_200), "2001-01-01 00:00:00 UTC");
        assert_eq!(format_unix_utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(format_unix_utc(4_102_444_799), "2099-12-31 23:59:59 UTC");
        assert_eq!(format_unix_utc(-1), "1969-12-31 23:59:59 UTC");
    }

    #[test]
    fn unix_seconds_round_trip() {
        for s in [-86_400_i64, 0, 1_700_000_000] {
            assert_eq!(unix_seconds(system_time(s)), s);
        }
    }
}
