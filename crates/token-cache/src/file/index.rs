//! The in-memory index of the file, and keeping it in step with the file on disk.

use std::fs;
use std::io;
use std::sync::Arc;
use std::time::SystemTime;

use zeroize::Zeroizing;

use super::load::Loaded;
use super::Inner;
use crate::{CacheDocument, CachedAccessToken, Error, MemoryTokenCache};

/// What the index reflects.
pub(super) struct State {
    /// Identity of the file the index was built from; `None` when there was no file.
    pub(super) stamp: Option<Stamp>,
    pub(super) index: Arc<MemoryTokenCache>,
}

impl State {
    /// No file read yet: an empty index.
    pub(super) fn empty() -> Self {
        State {
            stamp: None,
            index: Arc::new(MemoryTokenCache::new()),
        }
    }
}

/// What identifies one version of the file on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    #[cfg(unix)]
    unix: (u64, u64, i64, i64),
}

impl Stamp {
    pub(super) fn of(meta: &fs::Metadata) -> Self {
        #[cfg(unix)]
        use std::os::unix::fs::MetadataExt as _;
        Stamp {
            len: meta.len(),
            modified: meta.modified().ok(),
            #[cfg(unix)]
            unix: (meta.dev(), meta.ino(), meta.ctime(), meta.ctime_nsec()),
        }
    }
}

impl Inner {
    pub(super) fn index(&self) -> Result<Arc<MemoryTokenCache>, Error> {
        Ok(self
            .state
            .lock()
            .map_err(|_| Error::Poisoned)?
            .index
            .clone())
    }

    pub(super) fn current_stamp(&self) -> Result<Option<Stamp>, Error> {
        match fs::metadata(&self.path) {
            Ok(meta) => Ok(Some(Stamp::of(&meta))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io("inspect", &self.path, e)),
        }
    }

    pub(super) fn installed_stamp(&self) -> Result<Option<Stamp>, Error> {
        Ok(self.state.lock().map_err(|_| Error::Poisoned)?.stamp)
    }

    /// Replaces the index with one holding `tokens`, built from the file version `stamp`, and
    /// keeps `doc` (the document they came from, if it was built) and `bytes` for the next
    /// write.
    fn install(
        &self,
        stamp: Option<Stamp>,
        tokens: impl IntoIterator<Item = CachedAccessToken>,
        doc: Option<CacheDocument>,
        bytes: Zeroizing<Vec<u8>>,
    ) -> Result<(), Error> {
        let index = MemoryTokenCache::new();
        index.store_many_sync(tokens)?;
        *self.state.lock().map_err(|_| Error::Poisoned)? = State {
            stamp,
            index: Arc::new(index),
        };
        self.keep(doc, stamp, bytes);
        Ok(())
    }

    /// [`install`](Self::install) what [`load`](Self::load) or
    /// [`load_tokens`](Self::load_tokens) read (`None` for a missing file).
    fn install_loaded(&self, loaded: Option<Loaded>) -> Result<(), Error> {
        match loaded {
            Some(Loaded::Tokens(tokens, stamp, bytes)) => {
                self.install(Some(stamp), tokens, None, bytes)
            }
            Some(Loaded::Document(doc, stamp, bytes)) => {
                let tokens: Vec<_> = doc.access_tokens().cloned().collect();
                self.install(Some(stamp), tokens, Some(*doc), bytes)
            }
            _ => self.install(None, [], None, Zeroizing::default()),
        }
    }

    /// After a write: brings the index from the version `base` of the file to `doc`, the
    /// version `stamp`. When the index reflects `base`, only the entries `doc` recorded as
    /// changed are updated (in place: lookups see each entry change as it is made); otherwise
    /// the index is rebuilt.
    pub(super) fn update_index(
        &self,
        base: Option<Stamp>,
        stamp: Option<Stamp>,
        doc: &mut CacheDocument,
    ) -> Result<(), Error> {
        let changes = doc.take_changes();
        let mut state = self.state.lock().map_err(|_| Error::Poisoned)?;
        if state.stamp != base {
            drop(state);
            let index = MemoryTokenCache::new();
            index.store_many_sync(doc.access_tokens().cloned())?;
            *self.state.lock().map_err(|_| Error::Poisoned)? = State {
                stamp,
                index: Arc::new(index),
            };
            return Ok(());
        }
        for (partition, scopes) in changes {
            match doc.get(&partition, &scopes) {
                Some(token) => state.index.store_many_sync([token.clone()])?,
                None => {
                    state.index.remove_sync(&partition, &scopes)?;
                }
            }
        }
        state.stamp = stamp;
        Ok(())
    }

    /// Reloads the index if the file changed on disk since it was built.
    pub(super) fn refresh(&self) -> Result<(), Error> {
        if self.current_stamp()? == self.installed_stamp()? {
            return Ok(());
        }
        self.reload()
    }

    /// Reads the file and rebuilds the index; a corrupt file is moved aside under the lock.
    pub(super) fn reload(&self) -> Result<(), Error> {
        let _one_reload_at_a_time = self.reload.lock().map_err(|_| Error::Poisoned)?;
        match self.load_tokens()? {
            Loaded::Corrupt(..) => {
                // A writer may be replacing the file right now: decide under the lock.
                let guard = self.lock()?;
                let loaded = match self.load_tokens()? {
                    Loaded::Corrupt(reason, file) => {
                        self.quarantine(&file, &reason)?;
                        None
                    }
                    loaded => Some(loaded),
                };
                drop(guard);
                self.install_loaded(loaded)
            }
            Loaded::Tokens(_, stamp, _) | Loaded::Document(_, stamp, _)
                if self.installed_stamp()? == Some(stamp) =>
            {
                Ok(()) // another caller got there first
            }
            loaded => self.install_loaded(Some(loaded)),
        }
    }
}
