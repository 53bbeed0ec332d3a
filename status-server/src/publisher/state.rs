//! What the publisher keeps between two snapshots (every source's layers and health, the
//! keys to merge again, the clashes already reported, the cached `/statuses.json` parts), how
//! an update changes it, and how the next snapshot is built from it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant, SystemTime};

use arc_swap::ArcSwap;
use status_kube::watch::Object;

use crate::layer::{LoadError, apply_documents, same_arc};
use crate::merge::{LayerId, Layers, Resolved};
use crate::metrics::Metrics;
use crate::pages;
use crate::snapshot::{Document, Served, Shadowed, Snapshot, SourceStatus};
use crate::source::{Health, Rank, SourceId, SourceSpec, Update};
use crate::statuses::Statuses;

pub(super) struct State {
    specs: Vec<SourceSpec>,
    health: Vec<Health>,
    layers: Layers,
    /// Keys whose state changed in some layer since the last publication.
    dirty: BTreeSet<String>,
    /// New bad versions since the last publication, to log and count.
    rejected: Vec<(String, Arc<LoadError>)>,
    /// The clashes reported, per key (each is logged once, when it appears or changes).
    clashes: BTreeMap<String, Vec<Shadowed>>,
    statuses: Statuses,
    snapshot: Arc<ArcSwap<Snapshot>>,
    metrics: Arc<Metrics>,
    /// What the pages for people need (`--stale-after`).
    pages: pages::Settings,
    /// When the overview was last rendered, and whether what it shows has changed since.
    overview_rendered: Option<Instant>,
    overview_behind: bool,
}

/// The least time between two renderings of the overview. Under churn (Argo CD rewrites
/// `reconciledAt` on every reconcile) snapshots follow each other every 50 ms, and the
/// overview of thousands of documents costs milliseconds to render and compress; a page that
/// polls every 5 s loses nothing to a second's delay.
pub(super) const OVERVIEW_INTERVAL: Duration = Duration::from_secs(1);

impl State {
    pub(super) fn new(
        specs: Vec<SourceSpec>,
        snapshot: Arc<ArcSwap<Snapshot>>,
        metrics: Arc<Metrics>,
        pages: pages::Settings,
    ) -> Self {
        let health = specs
            .iter()
            .map(|spec| Health {
                up: !spec.watched,
                error: spec
                    .watched
                    .then(|| "waiting for the first answer of the API server".to_owned()),
                ..Health::default()
            })
            .collect();
        let state = Self {
            specs,
            health,
            layers: Layers::default(),
            dirty: BTreeSet::new(),
            rejected: Vec::new(),
            clashes: BTreeMap::new(),
            statuses: Statuses::default(),
            snapshot,
            metrics,
            pages,
            overview_rendered: None,
            overview_behind: false,
        };
        // The sources are known from the start, so /readyz can say what it waits for.
        let mut first = (*state.snapshot.load_full()).clone();
        first.sources = state.source_statuses();
        state.snapshot.store(Arc::new(first));
        state
    }

    /// Takes one update in; `false` when it says to stop.
    pub(super) fn take(&mut self, update: Update, flushes: &mut Vec<Sender<()>>) -> bool {
        if let Some(source) = update.source()
            && source.0 >= self.specs.len()
        {
            // Sources are made from the same list as the specs; this cannot happen.
            tracing::error!(?source, "an update from an unknown source; ignored");
            return true;
        }
        match update {
            Update::Files {
                source,
                slots,
                rejected,
                health,
            } => {
                if let Some(slots) = slots {
                    let id = LayerId {
                        rank: Rank::Files,
                        object: String::new(),
                        source,
                    };
                    let name = self.spec(source).name.clone();
                    self.dirty.extend(self.layers.set(id, name, slots));
                }
                self.rejected.extend(rejected);
                self.set_health(source, health);
            }
            Update::Listed { source, objects } => {
                let listed: BTreeSet<&str> = objects.iter().map(|o| o.name.as_str()).collect();
                for id in self.layers.of_source(source) {
                    if !listed.contains(id.object.as_str()) {
                        self.dirty.extend(self.layers.remove(&id));
                    }
                }
                for object in objects {
                    self.apply(source, object);
                }
            }
            Update::Applied { source, object } => self.apply(source, object),
            Update::Deleted { source, name } => {
                let id = self.layer_id(source, name);
                self.dirty.extend(self.layers.remove(&id));
            }
            Update::Health { source, health } => self.set_health(source, health),
            Update::Flush(done) => flushes.push(done),
            Update::Stop => return false,
        }
        true
    }

    /// The spec of a source `take` has checked.
    fn spec(&self, source: SourceId) -> &SourceSpec {
        &self.specs[source.0]
    }

    fn layer_id(&self, source: SourceId, object: String) -> LayerId {
        LayerId {
            rank: self.spec(source).rank,
            object,
            source,
        }
    }

    fn set_health(&mut self, source: SourceId, health: Health) {
        if let Some(slot) = self.health.get_mut(source.0) {
            *slot = health;
        }
    }

    /// A watched object's documents: validated where their bytes are new, last good kept.
    fn apply(&mut self, source: SourceId, object: Object) {
        let name = format!("{}{}", self.spec(source).object_prefix, object.name);
        let id = self.layer_id(source, object.name);
        let empty = Default::default();
        let old = self.layers.slots(&id).unwrap_or(&empty);
        let applied = apply_documents(old, object.documents, &|key| format!("{name} key {key}"));
        self.rejected.extend(applied.rejected);
        self.dirty.extend(self.layers.set(id, name, applied.slots));
    }

    fn source_statuses(&self) -> Arc<[SourceStatus]> {
        let counts = self.layers.documents_by_source();
        self.specs
            .iter()
            .zip(&self.health)
            .enumerate()
            .map(|(i, (spec, health))| SourceStatus {
                name: spec.name.clone(),
                up: health.up,
                error: health.error.clone(),
                documents: counts.get(&SourceId(i)).copied().unwrap_or(0),
                restarts: spec.watched.then_some(health.restarts),
                last_event: health.last_event,
            })
            .collect()
    }

    /// Builds the next snapshot from the previous one and what changed, and stores it.
    pub(super) fn publish(&mut self) {
        let previous = self.snapshot.load_full();
        let stamp = previous.next_stamp();
        let mut documents = Arc::clone(&previous.documents);
        let mut high_water = previous.high_water;
        let mut content_changed = false;
        let mut anything_changed = false;
        let mut clashes_changed = false;
        for key in std::mem::take(&mut self.dirty) {
            let before = previous.documents.get(&key);
            let resolved = self.layers.resolve(&key);
            let after = resolved
                .as_ref()
                .map(|r| document(&key, before, r, stamp, self.pages));
            clashes_changed |= self.note_clash(&key, resolved.as_ref());
            let served_changed = !same_arc(
                &before.and_then(|d| d.served.clone()),
                &after.as_ref().and_then(|d| d.served.clone()),
            );
            let error_changed = !same_arc(
                &before.and_then(|d| d.error.clone()),
                &after.as_ref().and_then(|d| d.error.clone()),
            );
            if !served_changed && !error_changed && before.is_some() == after.is_some() {
                continue;
            }
            anything_changed = true;
            if served_changed {
                content_changed = true;
                log_change(&key, before, after.as_ref(), resolved.as_ref());
                if let Some(served) = after.as_ref().and_then(|d| d.served.as_ref()) {
                    high_water = high_water.max(served.body.modified);
                }
            }
            let map = Arc::make_mut(&mut documents);
            match after {
                Some(after) => map.insert(key, after),
                None => map.remove(&key),
            };
        }
        let all = if content_changed {
            self.statuses.assemble(&documents, &previous.all, stamp)
        } else {
            Arc::clone(&previous.all)
        };
        high_water = high_water.max(all.modified);
        // The overview shows errors too (a rejected version, a never-valid key), so it follows
        // any change of a document's state, not only of the bytes served.
        let overview = if anything_changed && self.overview_may_render() {
            self.overview_rendered = Some(Instant::now());
            self.overview_behind = false;
            pages::overview_body(&documents, &all, stamp, self.pages)
        } else {
            self.overview_behind |= anything_changed;
            Arc::clone(&previous.overview)
        };
        high_water = high_water.max(overview.modified);
        let sources = self.source_statuses();
        let rejected = std::mem::take(&mut self.rejected);
        if !anything_changed && !clashes_changed && sources == previous.sources {
            // (A rejection always gives its key a new error, so this is only for safety.)
            self.report_rejected(&rejected, &previous);
            return;
        }
        let shadowed: Arc<[Shadowed]> = if clashes_changed {
            self.clashes.values().flatten().cloned().collect()
        } else {
            Arc::clone(&previous.shadowed)
        };
        let next = Snapshot {
            documents,
            all,
            overview,
            high_water,
            sources,
            shadowed,
        };
        self.report_rejected(&rejected, &next);
        self.snapshot.store(Arc::new(next));
        if anything_changed {
            self.metrics.reloaded();
        }
    }

    fn overview_may_render(&self) -> bool {
        self.overview_rendered
            .is_none_or(|at| at.elapsed() >= OVERVIEW_INTERVAL)
    }

    /// When the overview, behind the documents, is to be rendered again (`None`: it is not
    /// behind).
    pub(super) fn overview_due(&self) -> Option<Instant> {
        self.overview_behind.then(|| {
            self.overview_rendered
                .map_or_else(Instant::now, |at| at + OVERVIEW_INTERVAL)
        })
    }

    /// Renders the overview of the current snapshot and stores a snapshot with it.
    pub(super) fn render_overview(&mut self) {
        let previous = self.snapshot.load_full();
        let stamp = previous.next_stamp();
        let mut next = (*previous).clone();
        next.overview = pages::overview_body(&next.documents, &next.all, stamp, self.pages);
        next.high_water = next.high_water.max(next.overview.modified);
        self.snapshot.store(Arc::new(next));
        self.overview_rendered = Some(Instant::now());
        self.overview_behind = false;
    }

    /// Logs and counts each new bad version, saying whether a last good one is served.
    fn report_rejected(&self, rejected: &[(String, Arc<LoadError>)], serving: &Snapshot) {
        for (key, error) in rejected {
            self.metrics.rejected(key);
            log_rejected(key, error, serving);
        }
    }

    /// Records the clash over `key` as it is now; logs one that appeared or changed. Returns
    /// whether the set of clashes changed.
    fn note_clash(&mut self, key: &str, resolved: Option<&Resolved>) -> bool {
        let now = resolved.map_or_else(Vec::new, |r| self.layers.clash(key, r));
        if self
            .clashes
            .get(key)
            .map_or(now.is_empty(), |before| *before == now)
        {
            return false;
        }
        if now.is_empty() {
            tracing::info!(document = %key, "document clash resolved: one source holds it now");
            self.clashes.remove(key);
        } else {
            let hidden: Vec<&str> = now.iter().map(|s| s.source.as_str()).collect();
            tracing::warn!(document = %key, served_from = %now[0].by, hidden = %hidden.join(", "),
                "two sources hold this document; serving the one with precedence, the others are hidden");
            self.clashes.insert(key.to_owned(), now);
        }
        true
    }
}

/// The snapshot's entry for a key: the previous one's body when the served bytes are the
/// same (same validators, nothing re-served as a change), a new body otherwise.
fn document(
    key: &str,
    before: Option<&Document>,
    resolved: &Resolved,
    stamp: SystemTime,
    pages: pages::Settings,
) -> Document {
    let previous = before.and_then(|d| d.served.as_ref());
    let served = resolved.served.as_ref().map(|entry| match previous {
        Some(served)
            if Arc::ptr_eq(&served.entry, entry)
                || served.entry.content.bytes == entry.content.bytes =>
        {
            Arc::clone(served)
        }
        _ => Arc::new(Served::new(key, Arc::clone(entry), stamp, pages)),
    });
    Document {
        served,
        error: resolved.error.clone(),
    }
}

/// One line per key whose served version changed.
fn log_change(
    key: &str,
    before: Option<&Document>,
    after: Option<&Document>,
    resolved: Option<&Resolved>,
) {
    let before = before.and_then(|d| d.served.as_ref());
    let served = after.and_then(|d| d.served.as_ref());
    let from = resolved.map_or("", |r| r.from.as_str());
    match (before, served) {
        (None, Some(s)) => {
            tracing::info!(document = %key, source = %from, bytes = s.body.content.bytes.len(), "serving document")
        }
        // A derived document changes whenever Argo CD reconciles its Application (every few
        // minutes, each of a fleet): that is routine, not news.
        (Some(_), Some(s)) if resolved.is_some_and(|r| r.rank == Rank::Derived) => {
            tracing::debug!(document = %key, source = %from, bytes = s.body.content.bytes.len(), "document updated")
        }
        (Some(_), Some(s)) => {
            tracing::info!(document = %key, source = %from, bytes = s.body.content.bytes.len(), "document updated")
        }
        (Some(_), None) if after.is_some() => {
            tracing::warn!(document = %key, "document has no valid version left; it answers 503")
        }
        (Some(_), None) => tracing::info!(document = %key, "document removed"),
        (None, None) => {}
    }
}

fn log_rejected(key: &str, error: &LoadError, next: &Snapshot) {
    let serving = next.documents.get(key).is_some_and(|d| d.served.is_some());
    if serving {
        tracing::error!(document = %key, from = %error.origin, error = %error.message,
            "rejected invalid document; still serving the last good version");
    } else {
        tracing::error!(document = %key, from = %error.origin, error = %error.message,
            "rejected invalid document; it answers 503 until a valid version arrives");
    }
}
