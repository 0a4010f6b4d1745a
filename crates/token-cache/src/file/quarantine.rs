//! Moving a corrupt cache file aside.

use std::fs;

use super::fs::{sidecar, sync_dir};
use super::Inner;
use crate::Error;

impl Inner {
    /// Moves a corrupt file aside to `<file>.corrupt-<unix-seconds>` (never overwriting an
    /// earlier one) and says so with a `tracing::warn!`.
    pub(super) fn quarantine(&self, reason: &str) -> Result<(), Error> {
        let now = self.clock.unix_now();
        let mut aside = self
            .dir
            .join(sidecar(&self.file_name, &format!(".corrupt-{now}")));
        let mut n = 1u32;
        while fs::symlink_metadata(&aside).is_ok() {
            aside = self
                .dir
                .join(sidecar(&self.file_name, &format!(".corrupt-{now}-{n}")));
            n += 1;
        }
        fs::rename(&self.path, &aside).map_err(|e| Error::io("move aside", &self.path, e))?;
        tracing::warn!(
            path = %self.path.display(),
            moved_to = %aside.display(),
            reason = %reason,
            "the token cache file is corrupt: it was moved aside and the cache continues empty"
        );
        sync_dir(&self.dir)
    }
}
