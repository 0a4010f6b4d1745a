//! Moving a corrupt cache file aside, privately, keeping only the newest few.

use std::fs::{self, File};
use std::io;
use std::path::PathBuf;

use super::fs::{sidecar, sync_dir};
use super::{FileTokenCache, Inner};
use crate::Error;

/// An aside file: its place in time order (`(seconds, n)` from its name) and its path.
type Aside = ((u64, u32), PathBuf);

impl Inner {
    /// Moves a corrupt file (open as `file`) aside to `<file>.corrupt-<unix-seconds>` (or
    /// `-<seconds>-<n>` after others of the same second; never overwriting one), says so with a
    /// `tracing::warn!`, and keeps only [`FileTokenCache::KEPT_CORRUPT_FILES`] aside files: this
    /// one and the newest others, by the times in their names.
    ///
    /// The file is made `0600` through its handle before the rename, so no aside file ever
    /// shows another mode.
    pub(super) fn quarantine(&self, file: &File, reason: &str) -> Result<(), Error> {
        make_private(file).map_err(|e| Error::io("make private", &self.path, e))?;
        let earlier = self.aside_files();
        let aside = self.aside_name(&earlier).ok_or_else(|| {
            Error::io(
                "move aside",
                &self.path,
                io::ErrorKind::AlreadyExists.into(),
            )
        })?;
        fs::rename(&self.path, &aside).map_err(|e| Error::io("move aside", &self.path, e))?;
        tracing::warn!(
            path = %self.path.display(),
            moved_to = %aside.display(),
            reason = %reason,
            "the token cache file is corrupt: it was moved aside and the cache continues empty"
        );
        let keep_others = FileTokenCache::KEPT_CORRUPT_FILES.saturating_sub(1);
        let old = earlier.len().saturating_sub(keep_others);
        for (_, path) in &earlier[..old] {
            if let Err(e) = fs::remove_file(path) {
                tracing::warn!(path = %path.display(), error = %e, "could not delete an old corrupt token cache file");
            }
        }
        sync_dir(&self.dir)
    }

    /// The aside files next to the cache file, oldest first.
    fn aside_files(&self) -> Vec<Aside> {
        let prefix = sidecar(&self.file_name, ".corrupt-");
        let (Some(prefix), Ok(entries)) = (prefix.to_str(), fs::read_dir(&self.dir)) else {
            return Vec::new();
        };
        let mut aside: Vec<Aside> = entries
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name();
                let order = aside_order(name.to_str()?.strip_prefix(prefix)?)?;
                Some((order, entry.path()))
            })
            .collect();
        aside.sort_unstable();
        aside
    }

    /// A free name after every aside file of the current second (`None` if none is left).
    fn aside_name(&self, earlier: &[Aside]) -> Option<PathBuf> {
        let now = self.clock.unix_now().as_secs();
        let first = earlier
            .iter()
            .filter(|((secs, _), _)| *secs == now)
            .map(|((_, n), _)| n.saturating_add(1))
            .max()
            .unwrap_or(0);
        (first..=u32::MAX)
            .map(|n| {
                let suffix = match n {
                    0 => format!(".corrupt-{now}"),
                    n => format!(".corrupt-{now}-{n}"),
                };
                self.dir.join(sidecar(&self.file_name, &suffix))
            })
            .find(|aside| fs::symlink_metadata(aside).is_err())
    }
}

/// `(seconds, n)` from the part of an aside name after `.corrupt-`: `<seconds>` or
/// `<seconds>-<n>`, digits only; `None` for any other name.
fn aside_order(rest: &str) -> Option<(u64, u32)> {
    let (secs, n) = rest.split_once('-').unwrap_or((rest, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(secs) || !digits(n) {
        return None;
    }
    Some((secs.parse().ok()?, n.parse().ok()?))
}

/// Mode `0600` through the open handle (`fchmod`); nothing to do off Unix.
fn make_private(file: &File) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(fs::Permissions::from_mode(0o600))
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::aside_order;

    #[test]
    fn aside_names_are_ordered_by_time_then_number() {
        assert_eq!(aside_order("1700000000"), Some((1_700_000_000, 0)));
        assert_eq!(aside_order("1700000000-12"), Some((1_700_000_000, 12)));
        for other in ["", "-1", "17-", "17-x", "+17", "17-1-2", "17.bak"] {
            assert_eq!(aside_order(other), None, "{other}");
        }
    }
}
