//! The file source's reading: listing the directories, reading every key (bounded, riding out
//! kubelet's symlink swaps), validating it with status-core, and building the next
//! [`FileLayer`] (the file source's documents, `--dir` precedence applied) from the previous
//! one. `source/files.rs` runs it; the merge puts the layer under the watched ConfigMaps.
//!
//! A key's last good version stays served when its new content is invalid or unreadable, and
//! an unchanged key keeps its entry (and with it its validators), so only what changed is
//! rebuilt.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use crate::layer::{Entry, LoadError, Slot, Slots, content_hash_u64};
use crate::snapshot::PRIMARY_KEY;

mod read;

use read::{ListError, Listing, current_generation, list_keys, read_bounded};

/// Where documents come from, in increasing precedence.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// Every `*.json` key of a directory (hidden `..*` entries excluded).
    Dir(PathBuf),
    /// One file served as [`PRIMARY_KEY`].
    File(PathBuf),
}

impl Source {
    /// The directory to watch for this source.
    pub(crate) fn watch_dir(&self) -> PathBuf {
        match self {
            Self::Dir(d) => d.clone(),
            Self::File(f) => f
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
        }
    }
}

/// The file source's documents at one moment: per key the version served and the latest
/// error, after `--dir` precedence.
#[derive(Debug, Clone, Default)]
pub(crate) struct FileLayer {
    /// The keys, sorted by name.
    pub(crate) slots: Slots,
    /// The keys each `--dir` source (by index) listed when it was last listable: a directory
    /// that cannot be listed keeps offering these, and only these (read by the next scan).
    pub(crate) listed: BTreeMap<usize, BTreeSet<String>>,
}

impl FileLayer {
    /// No documents, nothing listed: before the first scan.
    pub(crate) fn empty() -> Self {
        Self::default()
    }

    /// Whether the primary document has a version to serve.
    #[cfg(test)]
    fn is_ready(&self) -> bool {
        self.slots
            .get(PRIMARY_KEY)
            .is_some_and(|s| s.served.is_some())
    }
}

/// What one scan found and did, for logs and metrics.
#[derive(Debug, Default)]
pub(crate) struct ScanReport {
    /// Keys that were rejected in this scan (a new bad version), with the error.
    pub(crate) rejected: Vec<(String, Arc<LoadError>)>,
    /// Keys whose served version changed (new, updated or removed).
    pub(crate) changed: Vec<String>,
    /// Directories that do not exist (yet).
    pub(crate) missing: Vec<PathBuf>,
    /// Directories that exist but cannot be listed (their last listing is used).
    pub(crate) unlistable: Vec<PathBuf>,
    /// Listed files that could not be found (dangling links) and were passed over.
    gone: BTreeSet<PathBuf>,
}

/// Reads the directories (and the file) into file layers.
#[derive(Debug)]
pub(crate) struct DocumentStore {
    sources: Vec<Source>,
    /// Listed files that were dangling at the end of the last scan. A scan does not wait for
    /// these to settle again: a link that stays dangling costs the retry pause once, not on
    /// every scan. (Only the reload thread scans; the lock is never contended.)
    dangling: Mutex<BTreeSet<PathBuf>>,
}

/// How often a scan is retried when a file vanished between listing and reading it (a kubelet
/// swap in progress), and how long it waits in between.
const RACE_RETRIES: u32 = 5;
const RACE_PAUSE: Duration = Duration::from_millis(20);
/// How often a scan is retried when the kubelet generation it listed was removed before every
/// key was read (a newer one is in place already, so without a pause).
const GENERATION_RETRIES: u32 = 50;

impl DocumentStore {
    /// A store over these sources (later ones win per key).
    pub(crate) fn new(sources: Vec<Source>) -> Self {
        Self {
            sources,
            dangling: Mutex::new(BTreeSet::new()),
        }
    }

    fn dangling(&self) -> std::sync::MutexGuard<'_, BTreeSet<PathBuf>> {
        self.dangling.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The sources, in precedence order.
    pub(crate) fn sources(&self) -> &[Source] {
        &self.sources
    }

    /// Reads every source and builds the next layer from the previous one. Returns `None` as
    /// the layer when nothing changed (neither what a client could see nor a directory
    /// listing); `report.changed` lists the keys a client would see change.
    pub(crate) fn scan(&self, previous: &FileLayer) -> (Option<FileLayer>, ScanReport) {
        let (snapshot, mut report) = self.scan_retrying(previous);
        *self.dangling() = std::mem::take(&mut report.gone);
        (snapshot, report)
    }

    fn scan_retrying(&self, previous: &FileLayer) -> (Option<FileLayer>, ScanReport) {
        let (mut files, mut generations) = (0, 0);
        loop {
            match self.try_scan(previous) {
                Ok(result) => return result,
                Err(Vanished::File(path)) if files < RACE_RETRIES => {
                    tracing::debug!(path = %path.display(), "file vanished during scan, retrying");
                    files += 1;
                    std::thread::sleep(RACE_PAUSE);
                }
                Err(Vanished::File(path)) => {
                    // Give up waiting for the swap to settle: pass over the file this time (its
                    // last good version stays served); the next event or re-scan corrects it.
                    tracing::debug!(path = %path.display(), "file keeps vanishing; scanning without it");
                    return self.scan_lenient(previous);
                }
                Err(Vanished::Generation(path)) if generations < GENERATION_RETRIES => {
                    tracing::debug!(path = %path.display(), "ConfigMap generation replaced during scan, retrying");
                    generations += 1;
                }
                Err(Vanished::Generation(path)) => {
                    // Swapped faster than it can be read: keep everything as it is rather than
                    // serve a mix of generations; the swaps' own events bring the next scan.
                    tracing::debug!(path = %path.display(), "ConfigMap generations keep changing; scanning again later");
                    return (None, ScanReport::default());
                }
            }
        }
    }

    fn scan_lenient(&self, previous: &FileLayer) -> (Option<FileLayer>, ScanReport) {
        self.scan_inner(previous, true)
            .unwrap_or_else(|_| (None, ScanReport::default()))
    }

    fn try_scan(&self, previous: &FileLayer) -> Result<(Option<FileLayer>, ScanReport), Vanished> {
        self.scan_inner(previous, false)
    }

    fn scan_inner(
        &self,
        previous: &FileLayer,
        lenient: bool,
    ) -> Result<(Option<FileLayer>, ScanReport), Vanished> {
        let mut report = ScanReport::default();
        let dangling = self.dangling().clone();
        // Every key with its candidate files, lowest precedence first.
        let mut candidates: BTreeMap<String, Vec<Candidate>> = BTreeMap::new();
        let mut listed = BTreeMap::new();
        // The kubelet generations listed, checked again once everything is read.
        let mut generations = Vec::new();
        for (index, source) in self.sources.iter().enumerate() {
            match source {
                Source::File(path) => {
                    candidates
                        .entry(PRIMARY_KEY.to_owned())
                        .or_default()
                        .push(Candidate {
                            read: path.clone(),
                            shown: path.clone(),
                            generation: false,
                        })
                }
                Source::Dir(dir) => {
                    let listing = match list_keys(dir) {
                        Ok(listing) => listing,
                        Err(ListError::Missing) => {
                            report.missing.push(dir.clone());
                            continue;
                        }
                        Err(ListError::Vanished(generation)) => {
                            return Err(Vanished::Generation(generation));
                        }
                        Err(ListError::Unlistable(e)) => {
                            // An unlistable directory keeps the keys it last listed, at its own
                            // precedence: better stale than gone, and no other directory's
                            // deletions are held up. Reading them decides: a file that can
                            // still be opened by name is read; one that cannot is an unreadable
                            // version, and the last good one stays served.
                            tracing::error!(dir = %dir.display(), error = %e, "cannot list directory; keeping its documents");
                            report.unlistable.push(dir.clone());
                            Listing {
                                from: dir.clone(),
                                keys: previous.listed.get(&index).cloned().unwrap_or_default(),
                                generation: None,
                            }
                        }
                    };
                    for key in &listing.keys {
                        candidates.entry(key.clone()).or_default().push(Candidate {
                            read: listing.from.join(key),
                            shown: dir.join(key),
                            generation: listing.generation.is_some(),
                        });
                    }
                    if let Some(generation) = listing.generation {
                        generations.push((dir, generation, listing.from));
                    }
                    listed.insert(index, listing.keys);
                }
            }
        }

        let mut slots = BTreeMap::new();
        for (key, paths) in candidates {
            let old = previous.slots.get(&key);
            // Every listed key has at least one candidate file.
            let Some((latest, earlier)) = paths.split_last() else {
                continue;
            };
            let slot = match load(latest, old) {
                Loaded::Unchanged => old.cloned(),
                // Listed but not there: a dangling link. The key is still listed, so it is not
                // deleted: keep what it served (or an earlier directory's valid version). Only
                // a key that is no longer listed goes away.
                // A kubelet generation never loses a file but all at once: it was removed.
                Loaded::Gone if latest.generation => {
                    return Err(Vanished::Generation(latest.read.clone()));
                }
                Loaded::Gone if lenient || dangling.contains(&latest.shown) => {
                    report.gone.insert(latest.shown.clone());
                    old.cloned().or_else(|| {
                        let served = earlier.iter().rev().find_map(load_valid)?;
                        Some(Slot {
                            served: Some(served),
                            error: None,
                        })
                    })
                }
                Loaded::Gone => return Err(Vanished::File(latest.read.clone())),
                Loaded::Valid(entry) => Some(Slot {
                    served: Some(entry),
                    error: None,
                }),
                Loaded::Invalid { error, fresh } => {
                    if fresh {
                        report.rejected.push((key.clone(), error.clone()));
                    }
                    // Keep the last good version; with none, the best earlier directory's.
                    let served = old
                        .and_then(|s| s.served.clone())
                        .or_else(|| earlier.iter().rev().find_map(load_valid));
                    Some(Slot {
                        served,
                        error: Some(error),
                    })
                }
            };
            if let Some(slot) = slot {
                slots.insert(key, slot);
            }
        }

        // A generation swapped away meanwhile may have been read while kubelet deleted it
        // (a partial listing, without an error): start over from the current one.
        for (dir, generation, from) in generations {
            if current_generation(dir).as_ref() != Some(&generation) {
                return Err(Vanished::Generation(from));
            }
        }

        for key in previous.slots.keys().chain(slots.keys()) {
            let before = previous.slots.get(key);
            let after = slots.get(key);
            let same = match (before, after) {
                (Some(a), Some(b)) => a.same(b),
                (None, None) => true,
                _ => false,
            };
            if !same && !report.changed.contains(key) {
                report.changed.push(key.clone());
            }
        }
        // A new listing with nothing else changed (a key added where a later directory shadows
        // it) still needs a new layer, to remember it; `changed` stays empty then.
        if report.changed.is_empty() && listed == previous.listed {
            return Ok((None, report));
        }
        Ok((Some(FileLayer { slots, listed }), report))
    }
}

/// What a scan listed was gone when it was read: a swap is under way.
enum Vanished {
    /// A file (a key's link dangles).
    File(PathBuf),
    /// The kubelet generation listed (what `..data` pointed at) was removed.
    Generation(PathBuf),
}

/// A file that may hold a key's document.
#[derive(Debug, Clone)]
struct Candidate {
    /// Where it is read: in a kubelet volume, inside the generation listed.
    read: PathBuf,
    /// How messages name it (the directory and the key, as people know it).
    shown: PathBuf,
    /// Whether it is read from a kubelet generation (`..data` resolved).
    generation: bool,
}

enum Loaded {
    /// Same bytes as the version already known (served or rejected).
    Unchanged,
    /// The file disappeared between listing and reading.
    Gone,
    /// Valid: the entry to serve.
    Valid(Arc<Entry>),
    /// Rejected: the last good version (if any) stays served.
    Invalid {
        /// Why the latest version is rejected.
        error: Arc<LoadError>,
        /// Whether this is a new bad version (log and count it), not one already reported.
        fresh: bool,
    },
}

/// Loads the latest version of a key.
fn load(candidate: &Candidate, old: Option<&Slot>) -> Loaded {
    let path = &candidate.shown;
    let (bytes, modified) = match read_bounded(&candidate.read) {
        Ok(read) => read,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Loaded::Gone,
        Err(e) => {
            let message = format!("cannot read {}: {e}", path.display());
            let fresh = old
                .and_then(|s| s.error.as_ref())
                .is_none_or(|err| err.content.is_some() || err.message != message);
            let error = match old.and_then(|s| s.error.clone()) {
                Some(err) if !fresh => err,
                _ => Arc::new(LoadError {
                    origin: path.display().to_string(),
                    message,
                    findings: Vec::new(),
                    content: None,
                }),
            };
            return Loaded::Invalid { error, fresh };
        }
    };
    if let Some(old) = old {
        match &old.error {
            // Same bytes: keep the entry, and with it the first Last-Modified. Kubelet rewrites
            // every key of a ConfigMap on any change; a key whose content did not change must
            // not look modified.
            None if old
                .served
                .as_ref()
                .is_some_and(|e| e.content.bytes == bytes) =>
            {
                return Loaded::Unchanged;
            }
            None => {}
            Some(err) if err.content == Some(content_hash_u64(&bytes)) => {
                return Loaded::Unchanged;
            }
            // Back to the last good bytes after a rejected update: serve the same entry (same
            // validators) again, now without the error.
            Some(_) => {
                if let Some(served) = old.served.as_ref().filter(|e| e.content.bytes == bytes) {
                    return Loaded::Valid(served.clone());
                }
            }
        }
    }
    validate(path, bytes, modified)
}

/// Loads a file only when it is valid (the fallback to an earlier directory).
fn load_valid(candidate: &Candidate) -> Option<Arc<Entry>> {
    let (bytes, modified) = read_bounded(&candidate.read).ok()?;
    match validate(&candidate.shown, bytes, modified) {
        Loaded::Valid(entry) => Some(entry),
        _ => None,
    }
}

fn validate(path: &Path, bytes: Vec<u8>, modified: SystemTime) -> Loaded {
    match crate::layer::check(|| path.display().to_string(), bytes, modified) {
        Ok(entry) => Loaded::Valid(entry),
        Err(error) => Loaded::Invalid { error, fresh: true },
    }
}

#[cfg(test)]
mod tests;
