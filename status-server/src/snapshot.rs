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
use crate::pages::{self, DocumentPages, Overview};
use crate::representation::{Body, empty_array, truncate_to_seconds};
use crate::source::Rank;

/// The key of the primary document, served at `/status.json`; with `--file` or `--dir`,
/// `/readyz` waits for it.
pub(crate) const PRIMARY_KEY: &str = "status.json";

/// A document version as served: the valid version and its body.
///
/// Built once per change of a document's bytes and then shared by every snapshot that serves
/// those bytes, with the document's renderings for people (its page, its badges, its card on
/// the overview: `pages`, each rendered when first asked for).
#[derive(Debug)]
pub(crate) struct Served {
    /// The valid version (its parsed document feeds the metrics).
    pub(crate) entry: Arc<Entry>,
    /// Its body, dated when this process first served these bytes under this key.
    pub(crate) body: Arc<Body>,
    /// Its page, badges and overview card, rendered once each, on first use.
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
        let pages = DocumentPages::new(key, Arc::clone(&entry), stamp, body.modified, settings);
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

impl pages::Listed for Document {
    fn served(&self) -> Option<&DocumentPages> {
        self.served.as_deref().map(|served| &served.pages)
    }

    fn rejected(&self) -> Option<&str> {
        self.error.as_deref().map(|e| e.message.as_str())
    }
}

/// How a source is doing, as `/readyz` and `/metrics` tell it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SourceStatus {
    /// The source's name: `files`, `configmap/NS/NAME`, `configmaps/NS?SELECTOR`.
    pub(crate) name: String,
    /// Its kind (the file source's readiness asks for `status.json`).
    pub(crate) rank: Rank,
    /// Whether it has delivered its first complete view: the file source its first scan, a
    /// watch its first list. Once true, it stays true: an outage later leaves the documents
    /// read served.
    pub(crate) synced: bool,
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
    /// `/`: the overview page, made by the publisher next to `all` (at most once a second,
    /// when a document or an error changed) and rendered by the first request for it.
    pub(crate) overview: Arc<Overview<Document>>,
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
        let documents: Arc<BTreeMap<String, Document>> = Arc::default();
        Self {
            overview: Arc::new(Overview::new(
                Arc::clone(&documents),
                Arc::clone(&all),
                SystemTime::UNIX_EPOCH,
                settings,
            )),
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

    /// Whether the server is ready, or why not (`/readyz`'s rule, docs/server.md):
    ///
    /// - every source has delivered its first complete view (the file source has scanned; a
    ///   watch has listed its objects, even none), and stays counted through later outages;
    /// - with a file source (`--file`, `--dir`), `status.json` is served (a last good version
    ///   counts, from any source), as the seed's contract has it.
    ///
    /// A server of watches only (ConfigMaps, Applications) is ready once they have listed,
    /// with no `status.json` and even with no documents at all.
    pub(crate) fn readiness(&self) -> Result<(), Vec<String>> {
        if self.sources.is_empty() {
            return Err(vec!["no source has started yet".to_owned()]);
        }
        let mut reasons: Vec<String> = self
            .sources
            .iter()
            .filter(|source| !source.synced)
            .map(|source| {
                let what = if source.rank == Rank::Files {
                    "has not been read yet"
                } else {
                    "has not listed its objects yet"
                };
                match &source.error {
                    Some(error) => format!("{} {what}: {error}", source.name),
                    None => format!("{} {what}", source.name),
                }
            })
            .collect();
        let has_files = self.sources.iter().any(|s| s.rank == Rank::Files);
        let primary = self.documents.get(PRIMARY_KEY);
        if has_files && primary.is_none_or(|d| d.served.is_none()) {
            reasons.push(match primary.and_then(|d| d.error.as_ref()) {
                Some(err) => format!("{PRIMARY_KEY} has never been valid: {}", err.message),
                None => format!("no {PRIMARY_KEY} found yet"),
            });
        }
        if reasons.is_empty() {
            Ok(())
        } else {
            Err(reasons)
        }
    }
}
