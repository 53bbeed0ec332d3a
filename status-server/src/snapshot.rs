//! What is served at one moment: an immutable [`Snapshot`] of every document (the version
//! served, its body, and the latest error), `/statuses.json`, and the health of every source.
//!
//! A snapshot is never modified: the publisher (`publisher.rs`) builds a new one and swaps it
//! in whole (`arc-swap`), so a request sees either the old set of documents or the new one,
//! never a mix or a half-written file. Nothing here says where a document came from: the
//! HTTP layer reads snapshots only.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::layer::{Entry, LoadError};
use crate::pages::{self, DocumentPages};
use crate::representation::{Body, empty_array, truncate_to_seconds};

/// The key of the primary document, served at `/status.json`; `/readyz` waits for it.
pub(crate) const PRIMARY_KEY: &str = "status.json";

/// A document version as served: the valid version and its body.
///
/// Built once per change of a document's bytes and then shared by every snapshot that serves
/// those bytes, with the document's renderings for people (its page, its badges, its card on
/// the overview: `pages`).
#[derive(Debug)]
pub(crate) struct Served {
    /// The valid version (its parsed document feeds the metrics).
    pub(crate) entry: Arc<Entry>,
    /// Its body, dated when this process first served these bytes under this key.
    pub(crate) body: Arc<Body>,
    /// Its page, badges and overview card, rendered here once.
    pub(crate) pages: DocumentPages,
}

impl Served {
    /// `entry` served for the first time under `key` by a snapshot stamped `stamp`.
    pub(crate) fn new(
        key: &str,
        entry: Arc<Entry>,
        stamp: SystemTime,
        settings: pages::Settings,
    ) -> Self {
        let body = Body::new(entry.content.clone(), entry.modified.max(stamp));
        let pages = DocumentPages::new(
            key,
            &entry.document,
            &entry.content,
            stamp,
            body.modified,
            settings,
        );
        Self {
            entry,
            body: Arc::new(body),
            pages,
        }
    }
}

/// One key of a snapshot: the version served and the latest error.
#[derive(Debug, Clone)]
pub(crate) struct Document {
    /// What is served; `None` when no source has a valid version (the key answers 503).
    pub(crate) served: Option<Arc<Served>>,
    /// Why the latest version of the key (in the source that has the say) is not served.
    pub(crate) error: Option<Arc<LoadError>>,
}

/// How a source is doing, as `/readyz` and `/metrics` tell it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SourceStatus {
    /// The source's name: `files`, `configmap/NS/NAME`, `configmaps/NS?SELECTOR`.
    pub(crate) name: String,
    /// Whether the source is reading: the directories are listable, the watch is answered.
    pub(crate) up: bool,
    /// Why it is not up (or not yet).
    pub(crate) error: Option<String>,
    /// The documents it holds (valid or not).
    pub(crate) documents: usize,
    /// For watches: how often the watch was started again after the first (the API server
    /// closed it, it broke, or it had to list again).
    pub(crate) restarts: Option<u64>,
    /// For watches: when the last change (a list, an object added, changed or deleted)
    /// arrived.
    pub(crate) last_event: Option<SystemTime>,
}

/// A document a source holds but another source's version hides, when both are of the same
/// kind (two ConfigMaps): a clash, logged once and exported as a metric.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Shadowed {
    /// The document key.
    pub(crate) document: String,
    /// The hidden version's source (`configmap/NS/NAME`).
    pub(crate) source: String,
    /// The source whose version wins.
    pub(crate) by: String,
}

/// Every document at one moment. Immutable; replaced whole.
#[derive(Debug, Clone)]
pub(crate) struct Snapshot {
    /// The keys, sorted by name. Shared with the next snapshot when no document changed.
    pub(crate) documents: Arc<BTreeMap<String, Document>>,
    /// `/statuses.json`: every served document, in key order, as one JSON array.
    pub(crate) all: Arc<Body>,
    /// `/`: the overview page, rendered by the publisher next to `all`, once per snapshot
    /// that changed a document (or an error).
    pub(crate) overview: Arc<Body>,
    /// The latest `modified` of any body this process has served. A body first served by a
    /// later snapshot gets a `modified` strictly after it, so a changed body always has a
    /// newer Last-Modified than any the client can hold (file modification times cannot
    /// promise that: a deleted ConfigMap hands over to an older file, a removed document
    /// shrinks `/statuses.json` without any newer file, and two edits can fall within one
    /// second).
    pub(crate) high_water: SystemTime,
    /// Every source, in precedence order (lowest first).
    pub(crate) sources: Arc<[SourceStatus]>,
    /// Clashes: documents hidden by another source of the same kind.
    pub(crate) shadowed: Arc<[Shadowed]>,
}

impl Snapshot {
    /// A snapshot with no documents and no sources.
    pub(crate) fn empty(settings: pages::Settings) -> Self {
        let all = Arc::new(Body::new(Arc::new(empty_array()), SystemTime::UNIX_EPOCH));
        let documents = Arc::default();
        Self {
            overview: pages::overview_body(&documents, &all, SystemTime::UNIX_EPOCH, settings),
            documents,
            all,
            high_water: SystemTime::UNIX_EPOCH,
            sources: Arc::new([]),
            shadowed: Arc::new([]),
        }
    }

    /// The `modified` of bodies first served by the next snapshot: now, and strictly after
    /// every body served so far (HTTP dates have whole seconds, so within one second this
    /// runs a little ahead of the clock).
    pub(crate) fn next_stamp(&self) -> SystemTime {
        truncate_to_seconds(SystemTime::now()).max(self.high_water + Duration::from_secs(1))
    }

    /// Whether the primary document (`status.json`) is being served.
    pub(crate) fn is_ready(&self) -> bool {
        self.documents
            .get(PRIMARY_KEY)
            .is_some_and(|d| d.served.is_some())
    }
}
