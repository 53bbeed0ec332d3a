//! What the store reads, and how: a directory's keys from one kubelet generation, and a file
//! without ever blocking on it.
//!
//! Kubelet lays a ConfigMap out as `dir/key -> ..data/key` and `..data -> ..2026_...`, and
//! swaps `..data` to a new timestamped directory on every update. Reading each key through its
//! own link would resolve `..data` once per key, so a swap during a scan would mix two
//! generations in one snapshot; [`list_keys`] resolves `..data` once and every key is read from
//! that directory (when it vanishes meanwhile, the reads fail as "not found" and the scan is
//! retried from the listing).
//!
//! A file is opened with `O_NONBLOCK` and checked with `fstat` before a byte is read: opening a
//! FIFO would otherwise wait for a writer forever, and a device would never end.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use rustix::fs::{Mode, OFlags};
use status_core::MAX_DOCUMENT_BYTES;

/// The document keys of a directory and the directory they are read from: kubelet's current
/// generation (what `..data` points at, resolved once) when there is one, else the directory.
#[derive(Debug)]
pub(super) struct Listing {
    /// Where the keys are read from.
    pub(super) from: PathBuf,
    /// The kubelet generation it is (what `..data` pointed at), if any.
    pub(super) generation: Option<PathBuf>,
    pub(super) keys: BTreeSet<String>,
}

/// Why a directory has no listing.
#[derive(Debug)]
pub(super) enum ListError {
    /// The directory does not exist.
    Missing,
    /// `..data` pointed at a generation that was gone when it was listed: a swap under way.
    Vanished(PathBuf),
    /// It exists but cannot be listed.
    Unlistable(io::Error),
}

/// Lists the document keys of `dir`: entries whose names are document keys
/// ([`status_core::is_document_key`]) and that are not directories. Kubelet's own entries
/// (`..data`, `..2026_...`) start with dots and are skipped. Entries that are not regular
/// files (a FIFO, a device) are listed: reading them refuses them, and says so.
pub(super) fn list_keys(dir: &Path) -> Result<Listing, ListError> {
    let generation = current_generation(dir);
    // Relative (kubelet's) or absolute, the target is resolved once, here.
    let from = generation
        .as_ref()
        .map_or_else(|| dir.to_path_buf(), |target| dir.join(target));
    let keys = match keys_of(&from) {
        Ok(keys) => keys,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(if generation.is_some() && dir.is_dir() {
                ListError::Vanished(from)
            } else {
                ListError::Missing
            });
        }
        Err(e) => return Err(ListError::Unlistable(e)),
    };
    Ok(Listing {
        from,
        keys,
        generation,
    })
}

/// What `dir/..data` points at now: the current kubelet generation, if `dir` is a kubelet
/// volume. Kubelet deletes a generation only after `..data` has moved away from it, so a
/// generation that is still current after a scan's reads was whole while they were made (a
/// listing of one being deleted could be partial, without any error).
pub(super) fn current_generation(dir: &Path) -> Option<PathBuf> {
    std::fs::read_link(dir.join("..data")).ok()
}

fn keys_of(dir: &Path) -> io::Result<BTreeSet<String>> {
    let mut keys = BTreeSet::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        // Only names that could be ConfigMap document keys: the same rule as the routes, so
        // every listed document can be asked for by name.
        if !status_core::is_document_key(&name) {
            continue;
        }
        // `metadata` follows the symlink (a `stat`, which never blocks, whatever the file):
        // a link to a directory is not a document. A dangling link (mid-swap) still counts;
        // reading it decides.
        match std::fs::metadata(entry.path()) {
            Ok(meta) if meta.is_dir() => continue,
            _ => {}
        }
        keys.insert(name);
    }
    Ok(keys)
}

/// Reads a file, at most one byte past the document limit (status-core then reports it as too
/// large without us holding an arbitrarily large file in memory). Anything but a regular file
/// is refused before it is read, and opening never waits (see the module's comment).
pub(super) fn read_bounded(path: &Path) -> io::Result<(Vec<u8>, SystemTime)> {
    let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY;
    let file = File::from(rustix::fs::open(path, flags, Mode::empty())?);
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::other(format!(
            "not a regular file ({})",
            kind_of(meta.file_type())
        )));
    }
    let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
    let mut bytes = Vec::with_capacity(
        usize::try_from(meta.len())
            .unwrap_or(0)
            .min(MAX_DOCUMENT_BYTES + 1),
    );
    file.take(MAX_DOCUMENT_BYTES as u64 + 1)
        .read_to_end(&mut bytes)?;
    Ok((bytes, modified))
}

fn kind_of(kind: std::fs::FileType) -> &'static str {
    if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_dir() {
        "a directory"
    } else {
        "not a file"
    }
}
