//! Live reload: a thread that re-scans the sources when inotify reports a change (and every
//! `--rescan-interval` regardless), then swaps the new snapshot in atomically.
//!
//! Kubelet updates a ConfigMap volume by writing a new timestamped directory and renaming a
//! `..data_tmp` symlink over `..data`; that rename is an event on the mounted directory itself,
//! so watching the directory (not the files, whose symlinks never change) catches every update.
//! Events arrive in bursts, so the thread waits a moment and drains them before scanning once.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use arc_swap::ArcSwap;
use notify::{RecursiveMode, Watcher};

use crate::metrics::Metrics;
use crate::snapshot::Snapshot;
use crate::store::{DocumentStore, ScanReport};

/// How long to wait after an event for the rest of its burst (kubelet's swap is several events).
const SETTLE: Duration = Duration::from_millis(15);

enum Message {
    Changed,
    Stop,
}

/// The reload thread; stopped when dropped.
#[derive(Debug)]
pub(crate) struct Reloader {
    tx: Sender<Message>,
    thread: Option<JoinHandle<()>>,
}

impl Reloader {
    /// Loads the documents once (before returning), then watches the store's sources.
    pub(crate) fn start(
        store: DocumentStore,
        snapshot: Arc<ArcSwap<Snapshot>>,
        metrics: Arc<Metrics>,
        interval: Duration,
    ) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel();
        let events = tx.clone();
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            match event {
                Ok(event) if event.kind.is_access() => {}
                // A send error means the reloader stopped; nothing left to tell.
                Ok(_) => drop(events.send(Message::Changed)),
                Err(e) => {
                    tracing::warn!(error = %e, "file watch error; relying on periodic re-scan");
                    drop(events.send(Message::Changed));
                }
            }
        });
        let watcher = match watcher {
            Ok(w) => Some(w),
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch files; relying on periodic re-scan only");
                None
            }
        };
        let mut worker = Worker {
            store,
            snapshot,
            metrics,
            watcher,
            watched: BTreeSet::new(),
            warned_missing: BTreeSet::new(),
        };
        // Watch first, then scan: a change between the two is not lost.
        worker.watch_sources();
        worker.reload();
        let thread = std::thread::Builder::new()
            .name("reload".into())
            .spawn(move || {
                loop {
                    match rx.recv_timeout(interval) {
                        Ok(Message::Stop) | Err(RecvTimeoutError::Disconnected) => break,
                        Ok(Message::Changed) => {
                            std::thread::sleep(SETTLE);
                            if drain(&rx) {
                                break;
                            }
                        }
                        Err(RecvTimeoutError::Timeout) => {}
                    }
                    worker.reload();
                }
            })?;
        Ok(Self {
            tx,
            thread: Some(thread),
        })
    }
}

/// Empties the channel; `true` when a stop was among the messages.
fn drain(rx: &mpsc::Receiver<Message>) -> bool {
    rx.try_iter().any(|m| matches!(m, Message::Stop))
}

impl Drop for Reloader {
    fn drop(&mut self) {
        drop(self.tx.send(Message::Stop));
        if let Some(thread) = self.thread.take() {
            drop(thread.join());
        }
    }
}

struct Worker {
    store: DocumentStore,
    snapshot: Arc<ArcSwap<Snapshot>>,
    metrics: Arc<Metrics>,
    watcher: Option<notify::RecommendedWatcher>,
    watched: BTreeSet<PathBuf>,
    warned_missing: BTreeSet<PathBuf>,
}

impl Worker {
    /// Adds a watch on every source directory not watched yet (one may appear after start).
    fn watch_sources(&mut self) {
        let Some(watcher) = self.watcher.as_mut() else {
            return;
        };
        for source in self.store.sources() {
            let dir = source.watch_dir();
            if self.watched.contains(&dir) || !dir.is_dir() {
                continue;
            }
            match watcher.watch(&dir, RecursiveMode::NonRecursive) {
                Ok(()) => {
                    tracing::debug!(dir = %dir.display(), "watching");
                    self.watched.insert(dir);
                }
                Err(e) => {
                    tracing::warn!(dir = %dir.display(), error = %e, "cannot watch directory; relying on periodic re-scan");
                }
            }
        }
    }

    fn reload(&mut self) {
        let previous = self.snapshot.load_full();
        let started = std::time::Instant::now();
        let (next, report) = self.store.scan(&previous);
        tracing::debug!(
            changed = report.changed.len(),
            elapsed_us = started.elapsed().as_micros(),
            "scanned"
        );
        self.note_missing(&report);
        self.watch_sources();
        for (key, err) in &report.rejected {
            self.metrics.rejected(key);
            let current = next.as_ref().unwrap_or(&previous);
            let serving = current.slots.get(key).is_some_and(|s| s.served.is_some());
            if serving {
                tracing::error!(document = %key, path = %err.path.display(), error = %err.message,
                    "rejected invalid document; still serving the last good version");
            } else {
                tracing::error!(document = %key, path = %err.path.display(), error = %err.message,
                    "rejected invalid document; it answers 503 until a valid version arrives");
            }
        }
        if let Some(next) = next {
            log_changes(&previous, &next, &report);
            self.snapshot.store(Arc::new(next));
            // A snapshot that only remembers a new directory listing changed nothing served.
            if !report.changed.is_empty() {
                self.metrics.reloaded();
            }
        }
    }

    fn note_missing(&mut self, report: &ScanReport) {
        for dir in &report.missing {
            if self.warned_missing.insert(dir.clone()) {
                tracing::warn!(dir = %dir.display(), "directory does not exist (yet); serving the others and watching for it");
            }
            // A directory that went away loses its inotify watch; watch it again when it returns.
            if self.watched.remove(dir)
                && let Some(w) = self.watcher.as_mut()
            {
                drop(w.unwatch(dir));
            }
        }
        self.warned_missing.retain(|d| {
            let still_missing = report.missing.contains(d);
            if !still_missing {
                tracing::info!(dir = %d.display(), "directory appeared");
            }
            still_missing
        });
    }
}

/// Logs one line per key whose served version changed.
pub(crate) fn log_changes(previous: &Snapshot, next: &Snapshot, report: &ScanReport) {
    for key in &report.changed {
        let before = previous.slots.get(key).and_then(|s| s.served.as_ref());
        let after = next.slots.get(key).and_then(|s| s.served.as_ref());
        match (before, after) {
            (None, Some(entry)) => {
                tracing::info!(document = %key, bytes = entry.body.bytes.len(), "serving document")
            }
            (Some(_), None) => tracing::info!(document = %key, "document removed"),
            (Some(a), Some(b)) if !Arc::ptr_eq(a, b) => {
                tracing::info!(document = %key, bytes = b.body.bytes.len(), "document updated")
            }
            _ => {}
        }
    }
}
