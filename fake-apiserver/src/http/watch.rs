//! Watches (`GET <collection>?watch=true`): a chunked `application/json` response of
//! newline-delimited `{"type": ..., "object": ...}` events, served from the store's change
//! history as the real API server serves them from its watch cache.
//!
//! Where a watch starts:
//! - `resourceVersion` absent, empty or `0` (without `sendInitialEvents`): the current state as
//!   ADDED events, then every change after it ("Get State and Start at Most Recent").
//! - `resourceVersion=N`: every change after N, replayed from the history; when changes after
//!   N are no longer kept, one ERROR event with the `410 Expired` Status ("too old resource
//!   version") and the end of the stream, exactly as the real server answers (a 200 whose only
//!   event is the error; kube-rs's watcher relists on it, and would retry forever on a 410
//!   HTTP status instead).
//! - `sendInitialEvents=true` (with `resourceVersionMatch=NotOlderThan`): the current state as
//!   ADDED events, then, with `allowWatchBookmarks`, a BOOKMARK annotated
//!   `k8s.io/initial-events-end: "true"` (a streaming list, as kube-rs's
//!   `InitialListStrategy::StreamingList` reads it); a `resourceVersion` newer than any handed
//!   out is an ERROR event with the real 504 "Too large resource version".
//!
//! Then each change becomes ADDED, MODIFIED or DELETED by the watch's selectors
//! ([`crate::history::Change::event_for`]), in resourceVersion order. With
//! `allowWatchBookmarks=true` a BOOKMARK (kind, apiVersion and `metadata.resourceVersion` only)
//! comes every [`Config::bookmark_interval`] and two seconds before `timeoutSeconds` runs out,
//! as the real server's watch cache sends them. The stream ends cleanly after `timeoutSeconds`,
//! when a test drops every watch, or when a watch falls so far behind that the history dropped
//! changes it had not sent yet (an ERROR 410 first). A watch is its response body: when the
//! client goes away or the server stops, it is dropped with it, and no task is left behind.
//!
//! [`Config::bookmark_interval`]: crate::Config::bookmark_interval

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::time::Instant;

use super::list_options::{ListOptions, Version};
use super::{Shared, lock, table};
use crate::resources::Resource;
use crate::status::ApiError;
use crate::store::{Store, table_key};

/// What watches share on one server: the control that ends them all, and how many are open.
pub(crate) struct Watches {
    /// Bumped to end every open watch: cleanly (`false`), or by cutting its connection
    /// (`true`).
    generation: watch::Sender<(u64, bool)>,
    /// How many watch responses exist.
    open: Arc<AtomicUsize>,
    /// How often a watch that allows bookmarks gets one.
    bookmark_interval: Duration,
    /// Set while the server is stopped (an outage): every request is refused, and a watch
    /// that a request opened just as the server stopped is cut at once.
    stopped: AtomicBool,
}

impl Watches {
    /// Watches that get a bookmark every `bookmark_interval` (10 ms at least, so that a
    /// zero cannot make them spin).
    pub(crate) fn new(bookmark_interval: Duration) -> Self {
        Self {
            generation: watch::Sender::new((0, false)),
            open: Arc::new(AtomicUsize::new(0)),
            bookmark_interval: bookmark_interval.max(Duration::from_millis(10)),
            stopped: AtomicBool::new(false),
        }
    }

    /// The server stops: from now on every request is refused and every watch cut, the ones
    /// open now and any a request in flight opens later.
    pub(crate) fn stop(&self) {
        // Set before the cut: a watch that subscribes after the cut sees the flag.
        self.stopped.store(true, Ordering::SeqCst);
        self.cut_all();
    }

    /// The server serves again.
    pub(crate) fn resume(&self) {
        self.stopped.store(false, Ordering::SeqCst);
    }

    /// Whether the server is stopped.
    pub(crate) fn stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// Ends every open watch now: each client sees its stream end cleanly.
    pub(crate) fn drop_all(&self) {
        self.generation.send_modify(|g| *g = (g.0 + 1, false));
    }

    /// Cuts every open watch now, as an outage does: each client sees its connection fail
    /// mid-stream, and nothing more is sent on it.
    pub(crate) fn cut_all(&self) {
        self.generation.send_modify(|g| *g = (g.0 + 1, true));
    }

    /// How many watches are open.
    pub(crate) fn open(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }
}

/// Counts one open watch while it lives.
struct Open(Arc<AtomicUsize>);

impl Open {
    fn new(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Self(Arc::clone(count))
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Whether events carry objects or `kubectl get`'s tables (headers on the first only, as the
/// real server sends them).
#[derive(Clone, Copy, PartialEq)]
enum Form {
    Objects,
    Table { headers_sent: bool },
}

/// One open watch: where it is in the history, what it sends, and what ends it.
struct Stream {
    shared: web::Data<Shared>,
    resource: &'static Resource,
    namespace: Option<String>,
    options: ListOptions,
    form: Form,
    /// The revision up to which every change has been looked at.
    cursor: u64,
    /// Encoded events not sent yet.
    pending: VecDeque<Bytes>,
    /// Set when nothing follows `pending`.
    ended: bool,
    revisions: watch::Receiver<u64>,
    generation: watch::Receiver<(u64, bool)>,
    /// The generation this watch started in: any other ends it.
    started: u64,
    deadline: Option<Instant>,
    next_bookmark: Option<Instant>,
    _open: Open,
}

/// Starts a watch of `resource` (in `namespace`, or all): the response streams its events.
pub(crate) fn serve(
    req: &HttpRequest,
    shared: &web::Data<Shared>,
    resource: &'static Resource,
    namespace: Option<&str>,
    options: ListOptions,
) -> Result<HttpResponse, ApiError> {
    let store = lock(shared)?;
    let now = Instant::now();
    // A timeout too long to represent is no timeout.
    let deadline = options.timeout.and_then(|t| now.checked_add(t));
    let mut stream = Stream {
        shared: web::Data::clone(shared),
        resource,
        namespace: namespace.map(str::to_owned),
        form: if table::wanted(req) {
            Form::Table {
                headers_sent: false,
            }
        } else {
            Form::Objects
        },
        cursor: store.revision(),
        pending: VecDeque::new(),
        ended: false,
        // Subscribed under the store's lock: no change can slip between the state sent and
        // the first wake-up.
        revisions: store.subscribe(),
        generation: shared.watches.generation.subscribe(),
        // Subscribed first, then the flag read: a watch opened as the server stops belongs to
        // no generation of its own, and is cut at once.
        started: {
            let current = shared.watches.generation.borrow().0;
            if shared.watches.stopped() {
                current.wrapping_sub(1)
            } else {
                current
            }
        },
        deadline,
        next_bookmark: None,
        _open: Open::new(&shared.watches.open),
        options,
    };
    stream.next_bookmark = stream.bookmark_after(now);
    stream.start(&store);
    drop(store);
    let body = futures_util::stream::unfold(stream, |mut stream| async move {
        let chunk = stream.next().await?;
        Some((chunk, stream))
    });
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("Cache-Control", "no-cache, private"))
        .streaming(body))
}

/// Resolves at `when`, or never.
async fn at(when: Option<Instant>) {
    match when {
        Some(when) => tokio::time::sleep_until(when).await,
        None => std::future::pending().await,
    }
}

/// What woke a waiting watch.
enum Wake {
    Changed,
    Bookmark,
    Generation,
    End,
}

impl Stream {
    /// The first events, from the store as it is when the watch starts.
    fn start(&mut self, store: &Store) {
        let revision = store.revision();
        let initial = match (self.options.initial_events, self.options.version) {
            (Some(true), Version::At(requested)) if requested > revision => {
                let err = ApiError::too_large_resource_version(requested, revision);
                return self.fail(&err);
            }
            (Some(true), _) | (None, Version::Latest | Version::Any) => true,
            (_, Version::At(requested)) => {
                if let Err(err) = store.history().check_start(requested) {
                    return self.fail(&err);
                }
                self.cursor = requested;
                self.pull_from(store);
                false
            }
            (Some(false), Version::Latest | Version::Any) => false,
        };
        if initial {
            let objects: Vec<Value> = store
                .objects(
                    self.resource,
                    self.namespace.as_deref(),
                    &self.options.selector,
                )
                .cloned()
                .collect();
            for obj in objects {
                self.event("ADDED", &obj);
            }
            if self.options.initial_events == Some(true) && self.options.bookmarks {
                self.bookmark(revision, true);
            }
        }
    }

    /// The next chunk to send; `None` ends the response, an error cuts the connection.
    async fn next(&mut self) -> Option<Result<Bytes, std::io::Error>> {
        loop {
            // A dropped or cut watch ends at once, even with events still to send.
            let (generation, cut) = *self.generation.borrow();
            if generation != self.started {
                return cut.then(|| Err(std::io::Error::other("the API server stopped")));
            }
            if let Some(chunk) = self.pending.pop_front() {
                return Some(Ok(chunk));
            }
            if self.ended {
                return None;
            }
            self.wait().await;
        }
    }

    /// Waits for a change, a bookmark, the timeout or the end of every watch.
    async fn wait(&mut self) {
        let wake = tokio::select! {
            changed = self.revisions.changed() => match changed {
                Ok(()) => Wake::Changed,
                Err(_) => Wake::End,
            },
            // Seen by `next`, which ends (or cuts) the watch.
            _ = self.generation.changed() => Wake::Generation,
            () = at(self.deadline) => Wake::End,
            () = at(self.next_bookmark) => Wake::Bookmark,
        };
        match wake {
            Wake::Changed => self.pull(),
            Wake::Bookmark => {
                self.pull();
                if !self.ended {
                    self.bookmark(self.cursor, false);
                }
                self.next_bookmark = self.bookmark_after(Instant::now());
            }
            Wake::Generation => {}
            Wake::End => self.ended = true,
        }
    }

    /// When the next bookmark is due after `now`: every bookmark interval, and once two
    /// seconds before the deadline (so a client resumes from a fresh resourceVersion).
    fn bookmark_after(&self, now: Instant) -> Option<Instant> {
        if !self.options.bookmarks {
            return None;
        }
        let periodic = now.checked_add(self.shared.watches.bookmark_interval);
        let before_deadline = self
            .deadline
            .and_then(|d| d.checked_sub(Duration::from_secs(2)))
            .filter(|t| *t > now);
        match (periodic, before_deadline) {
            (Some(p), Some(d)) => Some(p.min(d)),
            (p, d) => p.or(d),
        }
    }

    /// Queues the events of the changes not looked at yet.
    fn pull(&mut self) {
        let shared = web::Data::clone(&self.shared);
        match lock(&shared) {
            Ok(store) => self.pull_from(&store),
            Err(err) => self.fail(&err),
        }
    }

    fn pull_from(&mut self, store: &Store) {
        let (changes, revision) = match store.changes_after(self.cursor) {
            Ok(found) => found,
            Err(err) => return self.fail(&err),
        };
        let key = table_key(self.resource);
        for change in changes {
            let in_scope = change.resource == key
                && self
                    .namespace
                    .as_ref()
                    .is_none_or(|ns| *ns == change.namespace);
            if !in_scope {
                continue;
            }
            if let Some((kind, obj)) = change.event_for(|o| self.options.selector.matches(o)) {
                self.event(kind.as_str(), &obj);
            }
        }
        self.cursor = self.cursor.max(revision);
    }

    /// Queues an ADDED, MODIFIED or DELETED event.
    fn event(&mut self, kind: &str, obj: &Value) {
        let object = match self.form {
            Form::Objects => obj.clone(),
            Form::Table { headers_sent } => {
                let mut table = table::of_object(self.resource, obj);
                if headers_sent {
                    table["columnDefinitions"] = Value::Null;
                }
                self.form = Form::Table { headers_sent: true };
                table
            }
        };
        self.queue(kind, &object);
    }

    /// Queues a BOOKMARK at `revision`; the one that ends a streaming list's initial events is
    /// annotated so.
    fn bookmark(&mut self, revision: u64, initial_events_end: bool) {
        let mut metadata = json!({"resourceVersion": revision.to_string()});
        if initial_events_end {
            metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        let object = json!({
            "kind": self.resource.kind,
            "apiVersion": self.resource.api_version(),
            "metadata": metadata,
        });
        self.queue("BOOKMARK", &object);
    }

    /// Queues an ERROR event carrying `err`'s Status; nothing follows it.
    fn fail(&mut self, err: &ApiError) {
        self.queue("ERROR", &err.body());
        self.ended = true;
    }

    fn queue(&mut self, kind: &str, object: &Value) {
        let mut line = json!({"type": kind, "object": object}).to_string();
        line.push('\n');
        self.pending.push_back(Bytes::from(line));
    }
}
