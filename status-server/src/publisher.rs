//! The publisher: the one thread that builds and stores snapshots. Sources send it what changed
//! ([`Update`]); it keeps every source's layers, merges the keys that changed, builds the next
//! [`Snapshot`] from the previous one, and swaps it in (`arc-swap`).
//!
//! - Coalesced: after a message it waits for the rest of the burst (5 ms of quiet, at most
//!   50 ms), and publishes at most every 50 ms, so a relist or a storm of events is one
//!   rebuild, and a change is served within about 60 ms.
//! - Incremental: only the keys whose state changed in some layer are merged again; a key
//!   whose served bytes did not change keeps its body (same ETag, same Last-Modified, no log
//!   line); per-document bodies and their gzip are built once per content (`layer.rs`), and
//!   `/statuses.json` is assembled from cached parts (`statuses.rs`).
//! - Nothing is published as a change unless bytes changed: a relist of the same documents
//!   leaves the documents, `/statuses.json`, the logs and the reload counter as they were.
//! - The overview page (`pages/`) is rendered with the snapshot that changed something, but
//!   at most once a second: under churn it follows a second behind, by a timer here.

mod state;

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;

use crate::metrics::Metrics;
use crate::pages;
use crate::snapshot::Snapshot;
use crate::source::{SourceSpec, Update};
use state::State;

/// How long a burst may stay quiet before it is published.
const SETTLE: Duration = Duration::from_millis(5);
/// How long a burst may keep a change waiting.
const MAX_DELAY: Duration = Duration::from_millis(50);
/// The least time between two publications: under churn, at most 20 rebuilds a second.
const MIN_INTERVAL: Duration = Duration::from_millis(50);
/// How long a flush waits for the publisher before giving up (it never takes this long).
const FLUSH_TIMEOUT: Duration = Duration::from_secs(10);

/// The publisher's thread; stopped when dropped.
#[derive(Debug)]
pub(crate) struct Publisher {
    tx: Sender<Update>,
    thread: Option<JoinHandle<()>>,
}

impl Publisher {
    /// Starts publishing into `snapshot` for these sources (in precedence order within each
    /// kind, as the flags list them); `pages` is what the pages for people are rendered with.
    pub(crate) fn start(
        specs: Vec<SourceSpec>,
        snapshot: Arc<ArcSwap<Snapshot>>,
        metrics: Arc<Metrics>,
        pages: pages::Settings,
    ) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel();
        let mut state = State::new(specs, snapshot, metrics, pages);
        let thread = std::thread::Builder::new()
            .name("publisher".into())
            .spawn(move || run(&mut state, &rx))?;
        Ok(Self {
            tx,
            thread: Some(thread),
        })
    }

    /// Where sources send their updates.
    pub(crate) fn sender(&self) -> Sender<Update> {
        self.tx.clone()
    }

    /// Publishes everything sent so far, and returns once it is served.
    pub(crate) fn flush(&self) {
        let (done, wait) = mpsc::channel();
        if self.tx.send(Update::Flush(done)).is_ok() {
            let _ = wait.recv_timeout(FLUSH_TIMEOUT);
        }
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        let _ = self.tx.send(Update::Stop);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The loop: take a burst of updates, publish once, repeat; render the overview when it is
/// due (it follows the documents at most every `state::OVERVIEW_INTERVAL`).
fn run(state: &mut State, rx: &Receiver<Update>) {
    let mut last_publish: Option<Instant> = None;
    loop {
        let first = match state.overview_due() {
            Some(due) => match rx.recv_timeout(due.saturating_duration_since(Instant::now())) {
                Ok(update) => update,
                Err(RecvTimeoutError::Timeout) => {
                    state.render_overview();
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => return,
            },
            None => match rx.recv() {
                Ok(update) => update,
                Err(_) => return,
            },
        };
        let mut flushes = Vec::new();
        if !state.take(first, &mut flushes) {
            return;
        }
        let started = Instant::now();
        let not_before = last_publish.map_or(started, |t| t + MIN_INTERVAL);
        let mut quiet_until = started + SETTLE;
        // A flush is answered at once: it is how startup waits for the first documents.
        while flushes.is_empty() {
            let now = Instant::now();
            let until = quiet_until.min(started + MAX_DELAY).max(not_before);
            let Some(wait) = until.checked_duration_since(now).filter(|w| !w.is_zero()) else {
                break;
            };
            match rx.recv_timeout(wait) {
                Ok(update) => {
                    if !state.take(update, &mut flushes) {
                        return;
                    }
                    quiet_until = Instant::now() + SETTLE;
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        state.publish();
        last_publish = Some(Instant::now());
        for done in flushes {
            let _ = done.send(());
        }
    }
}

#[cfg(test)]
mod tests;
