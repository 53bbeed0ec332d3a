//! Writing the file a user named (`render --output-file PATH`), whatever is at the path.
//!
//! - A regular file, or nothing yet: written atomically, as a temporary file in the same
//!   directory renamed over the path, so a reader (the PostSync Job's push container) sees the
//!   old document or the whole new one. A replaced file keeps its permission bits.
//! - A symlink is followed (to any depth, as `open(2)` would): the file it points to is what is
//!   replaced, and the link stays a link.
//! - A character device (`/dev/null`, `/dev/stdout`) or a FIFO is written to as it is, as a
//!   shell's `>` would: replacing it would put a regular file where the system (or another
//!   process) expects a device or a pipe. Opening a FIFO waits for its reader, as `>` does.
//! - Anything else (a directory, a socket, a block device) is refused and left alone.
//!
//! Every error names the path as given and the system's reason: a full disk or `/dev/full`
//! says "No space left on device".

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use crate::exit::Failure;
use crate::report::printable;

/// How many symlinks are followed before giving up, as Linux does (`ELOOP`).
const MAX_LINKS: usize = 40;

/// Writes `bytes` to `path` as the module documentation says; `flag` names the flag the path
/// came from, for messages.
pub(crate) fn write(flag: &str, path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let cannot = |why: String| {
        Failure::usage(format!(
            "cannot write {flag} {}: {why}",
            printable(&path.display().to_string())
        ))
    };
    let target = resolve(path).map_err(|e| cannot(e.to_string()))?;
    match fs::symlink_metadata(&target) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => replace(&target, bytes, None),
        Err(e) => Err(e),
        Ok(meta) => {
            let kind = meta.file_type();
            if kind.is_file() {
                replace(&target, bytes, Some(meta.permissions()))
            } else if kind.is_char_device() || kind.is_fifo() {
                write_through(&target, bytes)
            } else {
                let what = if kind.is_dir() {
                    "a directory"
                } else if kind.is_socket() {
                    "a socket"
                } else if kind.is_block_device() {
                    "a block device"
                } else {
                    "not a regular file"
                };
                return Err(cannot(format!(
                    "it is {what}; statusctl writes only to a regular file (or where none is yet), a character device or a FIFO"
                )));
            }
        }
    }
    .map_err(|e| cannot(e.to_string()))
}

/// The path a chain of symlinks at `path` ends at (`path` itself when it is not a link). The
/// end may not exist yet: a link to a file still to be written is followed, as `>` follows it.
fn resolve(path: &Path) -> io::Result<PathBuf> {
    let mut target = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match fs::symlink_metadata(&target) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = fs::read_link(&target)?;
                // A relative link is relative to the directory holding it.
                target = match target.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            _ => return Ok(target),
        }
    }
    Err(io::Error::other(format!(
        "more than {MAX_LINKS} symbolic links to follow (a loop?)"
    )))
}

/// Replaces the regular file (or nothing) at `target` by a temporary file in its directory,
/// renamed over it; `permissions` are those of the file replaced.
fn replace(target: &Path, bytes: &[u8], permissions: Option<fs::Permissions>) -> io::Result<()> {
    let file_name = target.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a file path (it ends in `..` or `/`)",
        )
    })?;
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        if let Some(permissions) = permissions {
            file.set_permissions(permissions)?;
        }
        file.write_all(bytes)?;
        // On disk before the rename: after a crash the path holds the old or the new document.
        file.sync_all()?;
        fs::rename(&tmp, target)
    })();
    if result.is_err() {
        // Best effort: the temporary file is ours and useless now.
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Writes into the device or FIFO at `target`, which stays what it is.
fn write_through(target: &Path, bytes: &[u8]) -> io::Result<()> {
    // No `create`, no `truncate`: the node exists, and is neither made nor emptied.
    let mut file: File = OpenOptions::new().write(true).open(target)?;
    file.write_all(bytes)?;
    file.flush()
}
