//! Refusing files and directories that another user could have written, as OpenSSH does with
//! `StrictModes`.
//!
//! On Unix every check is made on an open handle (`fstat`), never by a second look at the path:
//! * the cache file and `<file>.lock` must be regular files owned by the effective uid, not
//!   writable by their group or by others;
//! * the directory must be owned by the effective uid or by root, and not writable by its group
//!   or by others, sticky bit or not (so a cache directly in `/tmp` is refused);
//! * `<file>.lock` and the temporary files are opened with `O_NOFOLLOW`, so a symbolic link
//!   planted at their names is never followed.
//!
//! Elsewhere (Windows) only the file type is checked: ownership, ACLs and links are not.

use std::fs::{self, File, Metadata, OpenOptions};
use std::io;
use std::path::Path;

use crate::Error;

/// What a checked handle is, for the owner rule and the messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    CacheFile,
    LockFile,
    #[cfg_attr(not(unix), allow(dead_code))]
    Directory,
}

impl Kind {
    #[cfg_attr(not(unix), allow(dead_code))]
    fn noun(self) -> &'static str {
        match self {
            Kind::CacheFile => "cache file",
            Kind::LockFile => "lock file",
            Kind::Directory => "directory",
        }
    }
}

/// Makes `options` fail when the last component of the path is a symbolic link (`O_NOFOLLOW`;
/// no effect off Unix). Replaces any custom flags set before.
pub(super) fn no_follow(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(rustix::fs::OFlags::NOFOLLOW.bits().cast_signed());
    }
    options
}

/// Options to read the cache file: a FIFO planted at the path cannot block the open
/// (`O_NONBLOCK`, which changes nothing for a regular file); its type is checked afterwards.
pub(super) fn read_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits().cast_signed());
    }
    options
}

/// Checks an opened cache or lock file by its handle and returns its metadata. A directory or
/// another non-regular file is an I/O error; a foreign owner or a group/other write bit is
/// [`Error::Untrusted`].
pub(super) fn check_file(file: &File, path: &Path, kind: Kind) -> Result<Metadata, Error> {
    let meta = file.metadata().map_err(|e| Error::io("inspect", path, e))?;
    if meta.is_dir() {
        return Err(Error::io(
            "read",
            path,
            io::Error::from(io::ErrorKind::IsADirectory),
        ));
    }
    if !meta.is_file() {
        return Err(Error::io(
            "read",
            path,
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file (a FIFO, socket or device)",
            ),
        ));
    }
    #[cfg(unix)]
    check_owner_and_mode(&meta, path, kind)?;
    #[cfg(not(unix))]
    let _ = kind;
    Ok(meta)
}

/// Checks the cache's directory through a handle on it. A missing directory passes: there is
/// nothing in it to read, and creating files in it fails on its own.
pub(super) fn check_dir(dir: &Path) -> Result<(), Error> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        let opened = OpenOptions::new()
            .read(true)
            .custom_flags(rustix::fs::OFlags::DIRECTORY.bits().cast_signed())
            .open(dir);
        let handle = match opened {
            Ok(handle) => handle,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(Error::io("open the directory", dir, e)),
        };
        let meta = handle
            .metadata()
            .map_err(|e| Error::io("inspect the directory", dir, e))?;
        check_owner_and_mode(&meta, dir, Kind::Directory)
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// The error for a failed open of `path` with [`no_follow`]: a symbolic link there is
/// [`Error::Untrusted`], anything else an I/O error.
pub(super) fn open_error(operation: &'static str, path: &Path, e: io::Error) -> Error {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Error::Untrusted {
            path: path.to_path_buf(),
            problem: "it is a symbolic link, and the cache never follows links at this name"
                .to_owned(),
            fix: format!(
                "Remove the link (`rm {}`); the cache creates the file itself",
                shell_quote(path)
            ),
        },
        _ => Error::io(operation, path, e),
    }
}

/// OpenSSH's rule: owned by us (a directory may also be owned by root), no group or other
/// write bit.
#[cfg(unix)]
fn check_owner_and_mode(meta: &Metadata, path: &Path, kind: Kind) -> Result<(), Error> {
    use std::os::unix::fs::MetadataExt as _;
    let me = rustix::process::geteuid().as_raw();
    let owner = meta.uid();
    let quoted = shell_quote(path);
    let noun = kind.noun();
    if owner != me && !(kind == Kind::Directory && owner == 0) {
        let or_root = if kind == Kind::Directory {
            " or root"
        } else {
            ""
        };
        return Err(Error::Untrusted {
            path: path.to_path_buf(),
            problem: format!(
                "the {noun} is owned by uid {owner}, not by this user (uid {me}){or_root}"
            ),
            fix: format!(
                "If it is this user's, run `chown {me} {quoted}` (as root); otherwise remove it \
                 and let the cache create its own"
            ),
        });
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o022 != 0 {
        let writers = match (mode & 0o020 != 0, mode & 0o002 != 0) {
            (true, true) => "its group and by other users",
            (true, false) => "its group",
            _ => "other users",
        };
        let private = if kind == Kind::Directory { 700 } else { 600 };
        return Err(Error::Untrusted {
            path: path.to_path_buf(),
            problem: format!("the {noun} is writable by {writers} (mode {mode:04o})"),
            fix: format!("Run `chmod {private} {quoted}`"),
        });
    }
    Ok(())
}

/// `path` as a shell word: as it is when it has only safe characters, single-quoted otherwise.
fn shell_quote(path: &Path) -> String {
    let text = path.to_string_lossy();
    let safe = |c: char| c.is_ascii_alphanumeric() || "/._-+,:@%=".contains(c);
    if !text.is_empty() && text.chars().all(safe) {
        text.into_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_quoted_for_the_shell_when_needed() {
        assert_eq!(shell_quote(Path::new("/a/b.json")), "/a/b.json");
        assert_eq!(shell_quote(Path::new("/a b/c")), "'/a b/c'");
        assert_eq!(shell_quote(Path::new("/it's")), r"'/it'\''s'");
    }
}
