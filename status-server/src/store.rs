//! The file source's reading: listing the directories, reading every key (bounded, riding out
//! kubelet's symlink swaps), validating it with status-core, and building the next
//! [`FileLayer`] (the file source's documents, `--dir` precedence applied) from the previous
//! one. `source/files.rs` runs it; the merge puts the layer under the watched ConfigMaps.
//!
//! A key's last good version stays served when its new content is invalid or unreadable, and
//! an unchanged key keeps its entry (and with it its validators), so only what changed is
//! rebuilt.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use status_core::MAX_DOCUMENT_BYTES;

use crate::layer::{Entry, LoadError, Slot, Slots, content_hash_u64};
use crate::snapshot::PRIMARY_KEY;

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
        let mut attempt = 0;
        loop {
            match self.try_scan(previous) {
                Ok(result) => return result,
                Err(Vanished(path)) if attempt < RACE_RETRIES => {
                    tracing::debug!(path = %path.display(), "file vanished during scan, retrying");
                    attempt += 1;
                    std::thread::sleep(RACE_PAUSE);
                }
                Err(Vanished(path)) => {
                    // Give up waiting for the swap to settle: pass over the file this time (its
                    // last good version stays served); the next event or re-scan corrects it.
                    tracing::debug!(path = %path.display(), "file keeps vanishing; scanning without it");
                    return self.scan_lenient(previous);
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
        let mut candidates: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
        let mut listed = BTreeMap::new();
        for (index, source) in self.sources.iter().enumerate() {
            match source {
                Source::File(path) => candidates
                    .entry(PRIMARY_KEY.to_owned())
                    .or_default()
                    .push(path.clone()),
                Source::Dir(dir) => {
                    let keys = match list_keys(dir) {
                        Ok(keys) => keys,
                        Err(e) if e.kind() == io::ErrorKind::NotFound => {
                            report.missing.push(dir.clone());
                            continue;
                        }
                        Err(e) => {
                            // An unlistable directory keeps the keys it last listed, at its own
                            // precedence: better stale than gone, and no other directory's
                            // deletions are held up. Reading them decides: a file that can
                            // still be opened by name is read; one that cannot is an unreadable
                            // version, and the last good one stays served.
                            tracing::error!(dir = %dir.display(), error = %e, "cannot list directory; keeping its documents");
                            report.unlistable.push(dir.clone());
                            previous.listed.get(&index).cloned().unwrap_or_default()
                        }
                    };
                    for key in &keys {
                        candidates
                            .entry(key.clone())
                            .or_default()
                            .push(dir.join(key));
                    }
                    listed.insert(index, keys);
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
                Loaded::Gone if lenient || dangling.contains(latest) => {
                    report.gone.insert(latest.clone());
                    old.cloned().or_else(|| {
                        let served = earlier.iter().rev().find_map(|p| load_valid(p))?;
                        Some(Slot {
                            served: Some(served),
                            error: None,
                        })
                    })
                }
                Loaded::Gone => return Err(Vanished(latest.clone())),
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
                        .or_else(|| earlier.iter().rev().find_map(|p| load_valid(p)));
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

/// A file listed in a directory could not be opened any more: a swap is under way.
struct Vanished(PathBuf);

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
fn load(path: &Path, old: Option<&Slot>) -> Loaded {
    let (bytes, modified) = match read_bounded(path) {
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
fn load_valid(path: &Path) -> Option<Arc<Entry>> {
    let (bytes, modified) = read_bounded(path).ok()?;
    match validate(path, bytes, modified) {
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

/// The document keys of a directory: entries whose names are document keys
/// ([`status_core::is_document_key`]) and that are (or link to) files. Kubelet's own entries
/// (`..data`, `..2026_...`) start with dots and are skipped.
fn list_keys(dir: &Path) -> io::Result<BTreeSet<String>> {
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
        // `metadata` follows the symlink: a link to a directory is not a document. A dangling
        // link (mid-swap) still counts; reading it decides.
        match std::fs::metadata(entry.path()) {
            Ok(meta) if !meta.is_file() => continue,
            _ => {}
        }
        keys.insert(name);
    }
    Ok(keys)
}

/// Reads a file, at most one byte past the document limit (status-core then reports it as too
/// large without us holding an arbitrarily large file in memory).
fn read_bounded(path: &Path) -> io::Result<(Vec<u8>, SystemTime)> {
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::other("not a regular file"));
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

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"repo":"r","server":"s","sync_status":"SYNCED","drift_count":0,"files":[],"last_check":"2026-04-21T12:30:00Z"}"#;

    #[test]
    fn later_dirs_win_and_hidden_entries_are_skipped() {
        let low = tempfile::tempdir().unwrap();
        let high = tempfile::tempdir().unwrap();
        std::fs::write(low.path().join("status.json"), DOC).unwrap();
        std::fs::write(low.path().join("other.json"), DOC).unwrap();
        std::fs::write(low.path().join("..hidden.json"), DOC).unwrap();
        std::fs::write(low.path().join("notes.txt"), DOC).unwrap();
        // Not a ConfigMap key, so no route could serve it: not listed either.
        std::fs::write(low.path().join("my status.json"), DOC).unwrap();
        let newer = DOC.replace("\"r\"", "\"r2\"");
        std::fs::write(high.path().join("status.json"), &newer).unwrap();
        let store = DocumentStore::new(vec![
            Source::Dir(low.path().into()),
            Source::Dir(high.path().into()),
        ]);
        let (snapshot, _) = store.scan(&FileLayer::empty());
        let snapshot = snapshot.unwrap();
        assert_eq!(
            snapshot.slots.keys().collect::<Vec<_>>(),
            ["other.json", "status.json"]
        );
        let served = snapshot.slots["status.json"].served.as_ref().unwrap();
        assert_eq!(served.content.bytes, newer.as_bytes());
        assert!(snapshot.slots.values().all(|s| s.served.is_some()));
        // A second scan with nothing changed reports no change.
        assert!(store.scan(&snapshot).0.is_none());
    }

    #[test]
    fn invalid_latest_falls_back_to_an_earlier_valid_dir() {
        let low = tempfile::tempdir().unwrap();
        let high = tempfile::tempdir().unwrap();
        std::fs::write(low.path().join("status.json"), DOC).unwrap();
        std::fs::write(high.path().join("status.json"), "{").unwrap();
        let store = DocumentStore::new(vec![
            Source::Dir(low.path().into()),
            Source::Dir(high.path().into()),
        ]);
        let (snapshot, report) = store.scan(&FileLayer::empty());
        let snapshot = snapshot.unwrap();
        let slot = &snapshot.slots["status.json"];
        assert_eq!(slot.served.as_ref().unwrap().content.bytes, DOC.as_bytes());
        assert!(slot.error.is_some());
        assert_eq!(report.rejected.len(), 1);
        // The same bad bytes are not reported again.
        let (again, report) = store.scan(&snapshot);
        assert!(again.is_none());
        assert!(report.rejected.is_empty());
    }

    #[test]
    fn an_unreadable_key_is_reported_once_and_its_last_good_version_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("status.json");
        let now = SystemTime::now();
        // A key that vanished between listing and reading is gone, not an error.
        assert!(matches!(load(&path, None), Loaded::Gone));
        // A directory where the file was cannot be read ("Is a directory", as root too).
        std::fs::create_dir(&path).unwrap();
        let Loaded::Invalid { error, fresh } = load(&path, None) else {
            panic!("an unreadable key is an error");
        };
        assert!(fresh, "a new error is logged and counted");
        assert!(
            error.message.starts_with("cannot read "),
            "{}",
            error.message
        );
        assert!(error.content.is_none() && error.findings.is_empty());
        let Loaded::Valid(good) = validate(&path, DOC.as_bytes().to_vec(), now) else {
            panic!("DOC is valid");
        };
        // Still unreadable at the next scan: the same error, not news.
        let slot = Slot {
            served: Some(good.clone()),
            error: Some(error.clone()),
        };
        let Loaded::Invalid {
            error: again,
            fresh,
        } = load(&path, Some(&slot))
        else {
            panic!("still unreadable");
        };
        assert!(!fresh, "an error already reported is not reported again");
        assert!(Arc::ptr_eq(&again, &error), "the first report is kept");
        // Unreadable after a rejected document (or after another read error): news.
        for earlier in [
            LoadError {
                content: Some(1),
                ..LoadError::clone_of(&error)
            },
            LoadError {
                message: "cannot read it: another reason".to_owned(),
                ..LoadError::clone_of(&error)
            },
        ] {
            let slot = Slot {
                served: Some(good.clone()),
                error: Some(Arc::new(earlier)),
            };
            let Loaded::Invalid {
                error: now_error,
                fresh,
            } = load(&path, Some(&slot))
            else {
                panic!("still unreadable");
            };
            assert!(fresh);
            assert!(now_error.content.is_none() && now_error.message == error.message);
        }
    }

    impl LoadError {
        fn clone_of(e: &LoadError) -> LoadError {
            LoadError {
                origin: e.origin.clone(),
                message: e.message.clone(),
                findings: e.findings.clone(),
                content: e.content,
            }
        }
    }

    /// Turns a directory into something that cannot be listed (a file: listing fails with
    /// "not a directory", which works as root too, unlike permissions).
    fn make_unlistable(dir: &Path) {
        std::fs::remove_dir_all(dir).unwrap();
        std::fs::write(dir, "not a directory").unwrap();
    }

    fn served(snapshot: &FileLayer, key: &str) -> Option<String> {
        let slot = snapshot.slots.get(key)?;
        let entry = slot.served.as_ref()?;
        Some(String::from_utf8(entry.content.bytes.to_vec()).unwrap())
    }

    #[test]
    fn an_unlistable_dir_keeps_only_its_own_keys_at_its_precedence() {
        let root = tempfile::tempdir().unwrap();
        let low = root.path().join("low");
        let high = root.path().join("high");
        std::fs::create_dir(&low).unwrap();
        std::fs::create_dir(&high).unwrap();
        let doc = |repo: &str| DOC.replace("\"r\"", &format!("\"{repo}\""));
        std::fs::write(low.join("status.json"), doc("default")).unwrap();
        std::fs::write(low.join("other.json"), doc("other")).unwrap();
        std::fs::write(high.join("status.json"), doc("live")).unwrap();
        std::fs::write(high.join("live.json"), doc("live-only")).unwrap();
        let store = DocumentStore::new(vec![Source::Dir(low.clone()), Source::Dir(high.clone())]);
        let first = store.scan(&FileLayer::empty()).0.unwrap();
        assert_eq!(served(&first, "status.json"), Some(doc("live")));

        // The high directory cannot be listed; meanwhile a key is deleted from the low one.
        make_unlistable(&high);
        std::fs::remove_file(low.join("other.json")).unwrap();
        let second = store.scan(&first).0.unwrap();
        // The deletion in the readable directory is served...
        assert_eq!(served(&second, "other.json"), None);
        assert!(!second.slots.contains_key("other.json"));
        // ...the unlistable directory's keys stay, and still win over the low directory.
        assert_eq!(served(&second, "status.json"), Some(doc("live")));
        assert_eq!(served(&second, "live.json"), Some(doc("live-only")));
        // Still unlistable on the next scan: the same keys, nothing new.
        let third = store.scan(&second).0;
        let third = third.as_ref().unwrap_or(&second);
        assert_eq!(served(third, "status.json"), Some(doc("live")));
        assert_eq!(served(third, "live.json"), Some(doc("live-only")));
        assert!(!third.slots.contains_key("other.json"));

        // Listable again without live.json: it goes.
        std::fs::remove_file(&high).unwrap();
        std::fs::create_dir(&high).unwrap();
        std::fs::write(high.join("status.json"), doc("live")).unwrap();
        let fourth = store.scan(third).0.unwrap();
        assert_eq!(served(&fourth, "live.json"), None);
        assert_eq!(served(&fourth, "status.json"), Some(doc("live")));
        assert!(fourth.slots["status.json"].error.is_none());
    }

    #[test]
    fn a_dangling_link_keeps_the_last_good_version_until_it_is_unlisted() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("status.json");
        std::fs::write(&key, DOC).unwrap();
        let store = DocumentStore::new(vec![Source::Dir(dir.path().into())]);
        let first = store.scan(&FileLayer::empty()).0.unwrap();
        assert!(first.is_ready());

        // The key becomes a link to nothing (a swap that never completes).
        std::fs::remove_file(&key).unwrap();
        std::os::unix::fs::symlink(dir.path().join("..data/status.json"), &key).unwrap();
        let (second, _) = store.scan(&first);
        let second = second.as_ref().unwrap_or(&first);
        assert!(second.is_ready(), "the last good version stays served");
        assert_eq!(served(second, "status.json").as_deref(), Some(DOC));
        // The link is remembered as dangling: later scans do not wait for it again.
        assert!(store.dangling().contains(&key));
        let (third, _) = store.scan(second);
        let third = third.as_ref().unwrap_or(second);
        assert!(third.is_ready());

        // Once the key is no longer listed, it goes.
        std::fs::remove_file(&key).unwrap();
        let fourth = store.scan(third).0.unwrap();
        assert!(!fourth.is_ready());
        assert!(!fourth.slots.contains_key("status.json"));
        assert!(store.dangling().is_empty());
    }
}
