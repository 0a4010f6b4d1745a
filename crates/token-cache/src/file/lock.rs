//! The cross-process write lock on `<file>.lock`.

use std::fs::File;
use std::io;
use std::path::Path;

use super::fs::private_file_options;
use super::trust::{self, Kind};
use super::Inner;
use crate::Error;

/// Holds the cross-process lock; released when dropped (and by the OS if the process dies).
pub(super) struct LockGuard(File);

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

impl Inner {
    /// Takes the cross-process write lock (blocks until it is free), after checking the
    /// directory and the lock file (see [`trust`]).
    pub(super) fn lock(&self) -> Result<LockGuard, Error> {
        trust::check_dir(&self.dir)?;
        let file = open_lock_file(&self.lock_path)
            .map_err(|e| trust::open_error("open the lock file", &self.lock_path, e))?;
        trust::check_file(&file, &self.lock_path, Kind::LockFile)?;
        file.lock()
            .map_err(|e| Error::io("lock", &self.lock_path, e))?;
        Ok(LockGuard(file))
    }
}

/// Opens the lock file, creating it (`0600`, `O_EXCL`) if it does not exist; never through a
/// symbolic link.
fn open_lock_file(path: &Path) -> io::Result<File> {
    let open_existing =
        || trust::no_follow(private_file_options().read(true).write(true)).open(path);
    match open_existing() {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        opened => return opened,
    }
    let created = trust::no_follow(
        private_file_options()
            .read(true)
            .write(true)
            .create_new(true),
    )
    .open(path);
    match created {
        // another process created it in between
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => open_existing(),
        created => created,
    }
}
