//! The file source (`--file`, `--dir`): a thread that re-scans the directories with
//! `store.rs` when inotify reports a change (and every `--rescan-interval` regardless), and
//! sends the publisher the file layer whenever it changed.
//!
//! Kubelet updates a ConfigMap volume by writing a new timestamped directory and renaming a
//! `..data_tmp` symlink over `..data`; that rename is an event on the mounted directory itself,
//! so watching the directory (not the files, whose symlinks never change) catches every update.
//! Events arrive in bursts, so the thread waits a moment and drains them before scanning once.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};

use super::{Health, SourceId, Update};
use crate::store::{DocumentStore, FileLayer, ScanReport};

/// How long to wait after an event for the rest of its burst (kubelet's swap is several events).
const SETTLE: Duration = Duration::from_millis(15);

enum Message {
    Changed,
    Stop,
}

/// The file source's thread; stopped when dropped.
#[derive(Debug)]
pub(crate) struct FileSource {
    tx: Sender<Message>,
    thread: Option<JoinHandle<()>>,
}

impl FileSource {
    /// Scans once (and sends the result before returning, so the publisher has the files
    /// first), then watches the store's directories.
    pub(crate) fn start(
        store: DocumentStore,
        source: SourceId,
        publisher: Sender<Update>,
        interval: Duration,
    ) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel();
        let events = tx.clone();
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            match event {
                Ok(event) if event.kind.is_access() => {}
                // A send error means the file source stopped; nothing left to tell.
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
            layer: FileLayer::empty(),
            health: None,
            source,
            publisher,
            watcher,
            watched: BTreeSet::new(),
            warned_missing: BTreeSet::new(),
        };
        // Watch first, then scan: a change between the two is not lost.
        worker.watch_sources();
        worker.reload();
        let thread = std::thread::Builder::new()
            .name("files".into())
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

impl Drop for FileSource {
    fn drop(&mut self) {
        drop(self.tx.send(Message::Stop));
        if let Some(thread) = self.thread.take() {
            drop(thread.join());
        }
    }
}

struct Worker {
    store: DocumentStore,
    /// What the last scan found.
    layer: FileLayer,
    /// The health last sent (`None` before the first scan).
    health: Option<Health>,
    source: SourceId,
    publisher: Sender<Update>,
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
        let started = std::time::Instant::now();
        let (next, report) = self.store.scan(&self.layer);
        tracing::debug!(
            changed = report.changed.len(),
            elapsed_us = started.elapsed().as_micros(),
            "scanned"
        );
        self.note_missing(&report);
        self.watch_sources();
        let health = health(&report);
        let changed = next.is_some();
        if let Some(next) = next {
            self.layer = next;
        }
        if !changed && report.rejected.is_empty() && self.health.as_ref() == Some(&health) {
            return;
        }
        self.health = Some(health.clone());
        // A send error means the publisher stopped: the server is shutting down.
        let _ = self.publisher.send(Update::Files {
            source: self.source,
            slots: changed.then(|| self.layer.slots.clone()),
            rejected: report.rejected,
            health,
        });
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

/// The file source is up while every directory that exists can be listed (a missing one is
/// not an error: the chart's optional `-live` mount before the first push).
fn health(report: &ScanReport) -> Health {
    let error = (!report.unlistable.is_empty()).then(|| {
        let dirs: Vec<String> = report
            .unlistable
            .iter()
            .map(|d| d.display().to_string())
            .collect();
        format!(
            "cannot list {}; serving what it last listed",
            dirs.join(", ")
        )
    });
    Health {
        up: error.is_none(),
        error,
        ..Health::default()
    }
}
