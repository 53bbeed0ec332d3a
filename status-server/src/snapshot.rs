//! The documents being served at one moment: an immutable [`Snapshot`] of every key, with the
//! version served and the latest error of each, and `/statuses.json` built from them.
//!
//! A snapshot is never modified: a reload builds a new one (`store.rs`) and swaps it in whole
//! (`arc-swap`), so a request sees either the old set of documents or the new one, never a mix
//! or a half-written file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use actix_web::web::Bytes;
use status_core::{Finding, StatusDocument};

use crate::representation::{Body, truncate_to_seconds};

/// The key of the primary document, served at `/status.json`; `/readyz` waits for it.
pub(crate) const PRIMARY_KEY: &str = "status.json";

/// A valid document as served under one key.
#[derive(Debug)]
pub(crate) struct Entry {
    /// The body and its validators.
    pub(crate) body: Body,
    /// The parsed document (for metrics).
    pub(crate) document: StatusDocument,
}

/// Why a key's latest version is not being served.
#[derive(Debug)]
pub(crate) struct LoadError {
    /// The file that was read.
    pub(crate) path: PathBuf,
    /// What is wrong, for people.
    pub(crate) message: String,
    /// The failing findings, when the file was read but did not validate.
    pub(crate) findings: Vec<Finding>,
    /// A hash of the rejected bytes, so an unchanged bad file is reported once, not on every scan.
    pub(crate) content: Option<u64>,
}

/// The state of one key: the version served (the last good one) and the latest error, if any.
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    /// The version being served; `None` when the key has never been valid.
    pub(crate) served: Option<Arc<Entry>>,
    /// Why the latest version of the key is not served; `None` when it is.
    pub(crate) error: Option<Arc<LoadError>>,
}

/// Every document at one moment. Immutable; replaced whole on reload.
#[derive(Debug)]
pub(crate) struct Snapshot {
    /// The keys, sorted by name.
    pub(crate) slots: BTreeMap<String, Slot>,
    /// `/statuses.json`: every served document, in key order, as one JSON array.
    pub(crate) all: Arc<Body>,
    /// The latest `modified` of any body this process has built. A body built by a later scan
    /// gets a `modified` strictly after it, so a changed body always has a newer Last-Modified
    /// than any the client can hold (file modification times cannot promise that: a deleted
    /// live key hands over to an older default, a removed document shrinks `/statuses.json`
    /// without any newer file, and two edits can fall within one second).
    high_water: SystemTime,
    /// The keys each `--dir` source (by index) listed when it was last listable: a directory
    /// that cannot be listed keeps offering these, and only these (read by the next scan).
    pub(crate) listed: BTreeMap<usize, BTreeSet<String>>,
}

impl Snapshot {
    /// A snapshot with no documents.
    pub(crate) fn empty() -> Self {
        Self {
            slots: BTreeMap::new(),
            all: Arc::new(Body::new(Bytes::from_static(b"[]"), SystemTime::UNIX_EPOCH)),
            high_water: SystemTime::UNIX_EPOCH,
            listed: BTreeMap::new(),
        }
    }

    /// The snapshot of these slots; new bodies of this scan were stamped `stamp`.
    pub(crate) fn from_slots(
        slots: BTreeMap<String, Slot>,
        listed: BTreeMap<usize, BTreeSet<String>>,
        previous: &Self,
        stamp: SystemTime,
    ) -> Self {
        let served: Vec<&Entry> = slots.values().filter_map(|s| s.served.as_deref()).collect();
        let len = served.iter().map(|e| e.body.bytes.len() + 1).sum::<usize>() + 2;
        let mut array = Vec::with_capacity(len);
        array.push(b'[');
        for (i, entry) in served.iter().enumerate() {
            if i > 0 {
                array.push(b',');
            }
            // Each body is one valid JSON object (validated), so the array is valid JSON and
            // holds the documents byte for byte.
            array.extend_from_slice(&entry.body.bytes);
        }
        array.push(b']');
        // The array keeps its validators while its bytes stay the same; when they change (a
        // document added, updated or removed), it is new content, first served now.
        let all = if previous.all.bytes == array {
            previous.all.clone()
        } else {
            Arc::new(Body::new(Bytes::from(array), stamp))
        };
        let high_water = served
            .iter()
            .map(|e| e.body.modified)
            .chain([previous.high_water, all.modified])
            .max()
            .unwrap_or(SystemTime::UNIX_EPOCH);
        Self {
            all,
            slots,
            high_water,
            listed,
        }
    }

    /// The `modified` of bodies first served by the next scan: now, and strictly after every
    /// body built so far (HTTP dates have whole seconds, so within one second this runs a
    /// little ahead of the clock).
    pub(crate) fn next_stamp(&self) -> SystemTime {
        truncate_to_seconds(SystemTime::now()).max(self.high_water + Duration::from_secs(1))
    }

    /// Whether the primary document (`status.json`) is being served.
    pub(crate) fn is_ready(&self) -> bool {
        self.slots
            .get(PRIMARY_KEY)
            .is_some_and(|s| s.served.is_some())
    }
}
