//! Writing: the locked read-merge-write and the atomic replacement of the file.

use std::fs;
use std::io::Write as _;
use std::sync::atomic::Ordering;

use super::fs::{private_file_options, sidecar, sync_dir};
use super::index::Loaded;
use super::Inner;
use crate::{CacheDocument, Error};

impl Inner {
    /// Locked read-merge-write. `change` returns its result and whether it changed anything.
    /// Access tokens expired by the cache's clock are pruned.
    pub(super) fn write_with<R>(
        &self,
        change: impl FnOnce(&mut CacheDocument) -> (R, bool),
    ) -> Result<R, Error> {
        let guard = self.lock()?;
        self.remove_stale_temp_files();
        let mut doc = match self.load()? {
            Loaded::Missing => CacheDocument::new(),
            Loaded::Document(doc, _) => *doc,
            Loaded::Corrupt(reason) => {
                self.quarantine(&reason)?;
                CacheDocument::new()
            }
        };
        let (result, changed) = change(&mut doc);
        let pruned = doc.prune_expired(self.clock.unix_now());
        if changed || pruned > 0 {
            self.replace_file(&doc.to_bytes())?;
        }
        let stamp = self.current_stamp()?;
        drop(guard);
        self.install(stamp, doc.into_access_tokens())?;
        Ok(result)
    }

    /// Writes `bytes` to a new temporary file next to the cache file, flushes it, renames it
    /// over the cache file and flushes the directory.
    fn replace_file(&self, bytes: &[u8]) -> Result<(), Error> {
        let n = self.temp_counter.fetch_add(1, Ordering::Relaxed);
        let temp = self.dir.join(sidecar(
            &self.file_name,
            &format!(".tmp.{}.{n}", std::process::id()),
        ));
        let written = private_file_options()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(|e| ("create a temporary file", e))
            .and_then(|mut f| {
                f.write_all(bytes).map_err(|e| ("write", e))?;
                f.sync_all().map_err(|e| ("flush", e))
            })
            .and_then(|()| fs::rename(&temp, &self.path).map_err(|e| ("replace", e)));
        if let Err((operation, e)) = written {
            let _ = fs::remove_file(&temp);
            return Err(Error::io(operation, &temp, e));
        }
        sync_dir(&self.dir)
    }

    /// Temporary files left by a writer that died: only lock holders create them, and we hold
    /// the lock, so any that exist are stale.
    fn remove_stale_temp_files(&self) {
        let prefix = sidecar(&self.file_name, ".tmp.");
        let Some(prefix) = prefix.to_str() else {
            return;
        };
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            if entry
                .file_name()
                .to_str()
                .is_some_and(|name| name.starts_with(prefix))
            {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}
