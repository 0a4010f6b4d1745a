//! Writing: the locked read-merge-write and the atomic replacement of the file.

use std::fs;
use std::io::Write as _;
use std::sync::atomic::Ordering;

use super::fs::{private_file_options, sidecar};
use super::kept::{new_generation, GENERATION_KEY};
use super::load::Loaded;
use super::trust;
use super::Inner;
use zeroize::Zeroizing;

use crate::{CacheDocument, Error};

impl Inner {
    /// Locked read-merge-write. `change` returns its result and whether it changed anything.
    /// Access tokens expired by the cache's clock are pruned.
    ///
    /// The document merged into is the one this instance kept from its last read or write
    /// when the file has not changed since (see [`kept`](super::kept)); otherwise the file is
    /// read and parsed. The index is updated entry by entry when it reflects that same version.
    pub(super) fn write_with<R>(
        &self,
        change: impl FnOnce(&mut CacheDocument) -> (R, bool),
    ) -> Result<R, Error> {
        let guard = self.lock()?;
        self.remove_stale_temp_files();
        let kept = self.take_kept_if_current()?.and_then(|k| k.into_document());
        let (mut doc, base, mut bytes) = match kept {
            Some((doc, stamp, bytes)) => (doc, Some(stamp), bytes),
            None => match self.load()? {
                Loaded::Missing => (CacheDocument::new(), None, Zeroizing::default()),
                Loaded::Document(doc, stamp, bytes) => (*doc, Some(stamp), bytes),
                // `load` reads the document; should a version give tokens, parse them again
                Loaded::Tokens(_, stamp, bytes) => {
                    (CacheDocument::parse(&bytes)?, Some(stamp), bytes)
                }
                Loaded::Corrupt(reason, file) => {
                    self.quarantine(&file, &reason)?;
                    (CacheDocument::new(), None, Zeroizing::default())
                }
            },
        };
        doc.record_changes();
        let (result, changed) = change(&mut doc);
        let pruned = doc.prune_expired(self.clock.unix_now());
        if changed || pruned > 0 {
            doc.set_first(GENERATION_KEY, new_generation()?);
            bytes = doc.rewrite_bytes(bytes);
            self.replace_file(&bytes)?;
        }
        let stamp = self.current_stamp()?;
        self.update_index(base, stamp, &mut doc)?;
        self.keep(Some(doc), stamp, bytes);
        drop(guard);
        Ok(result)
    }

    /// Writes `bytes` to a new temporary file next to the cache file (`0600`, `O_EXCL`, never
    /// through a symbolic link), flushes it to disk and renames it over the cache file. A
    /// document over the size limit is not written.
    ///
    /// The directory is not flushed after the rename: a power loss just after it may bring back
    /// the previous version of the file (complete, never torn: the new file was flushed before
    /// the rename), which only lacks the newest tokens. See `docs/cache.md`.
    fn replace_file(&self, bytes: &[u8]) -> Result<(), Error> {
        if bytes.len() as u64 > self.max_file_bytes {
            return Err(self.too_large());
        }
        let n = self.temp_counter.fetch_add(1, Ordering::Relaxed);
        let temp = self.dir.join(sidecar(
            &self.file_name,
            &format!(".tmp.{}.{n}", std::process::id()),
        ));
        let mut file = trust::no_follow(private_file_options().write(true).create_new(true))
            .open(&temp)
            .map_err(|e| trust::open_error("create a temporary file", &temp, e))?;
        let written = file
            .write_all(bytes)
            .map_err(|e| ("write", e))
            .and_then(|()| file.sync_all().map_err(|e| ("flush", e)));
        drop(file);
        let written =
            written.and_then(|()| fs::rename(&temp, &self.path).map_err(|e| ("replace", e)));
        if let Err((operation, e)) = written {
            let _ = fs::remove_file(&temp);
            return Err(Error::io(operation, &temp, e));
        }
        Ok(())
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

#[cfg(test)]
mod tests {
    use crate::FileTokenCache;

    /// A symbolic link planted at the very name the next temporary file gets (between the
    /// clean-up of stale temporary files and the create) is not followed: a typed error, and
    /// the link's target is not created.
    #[cfg(unix)]
    #[test]
    fn item5_symlinked_temp_is_not_followed() {
        let dir = std::env::temp_dir().join(format!(
            "token-cache-unit-temp-link-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let cache = FileTokenCache::open(dir.join("cache.json")).unwrap();
        let target = dir.join("elsewhere");
        let next = dir.join(format!("cache.json.tmp.{}.0", std::process::id()));
        std::os::unix::fs::symlink(&target, &next).unwrap();

        let err = cache.inner.replace_file(b"{}").unwrap_err();
        let text = err.to_string();
        assert_eq!(err.code(), "cache_file_untrusted", "{text}");
        assert!(text.contains("symbolic link"), "{text}");
        assert!(text.contains(&*next.to_string_lossy()), "{text}");
        assert!(
            std::fs::symlink_metadata(&target).is_err(),
            "target created"
        );
        assert!(!dir.join("cache.json").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
