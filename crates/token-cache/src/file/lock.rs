//! The cross-process write lock on `<file>.lock`.

use std::fs::File;

use super::fs::private_file_options;
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
    /// Takes the cross-process write lock (blocks until it is free).
    pub(super) fn lock(&self) -> Result<LockGuard, Error> {
        let file = private_file_options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&self.lock_path)
            .map_err(|e| Error::io("open the lock file", &self.lock_path, e))?;
        file.lock()
            .map_err(|e| Error::io("lock", &self.lock_path, e))?;
        Ok(LockGuard(file))
    }
}
