//! Reading configuration files (certificates, token files) with a size bound, into
//! a buffer that is zeroized when dropped.

use std::io::Read as _;
use std::path::Path;

use zeroize::Zeroizing;

/// The whole file at `path`, or an `InvalidData` error when it is larger than `max` bytes (what
/// is read stops at `max + 1`).
pub(crate) fn read_bounded(
    path: &Path,
    max: u64,
    what: &str,
) -> std::io::Result<Zeroizing<Vec<u8>>> {
    let file = std::fs::File::open(path)?;
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than {max} bytes, not {what}"),
        ));
    }
    Ok(bytes)
}
