//! Watching objects as documents: a stream of what a set of objects (ConfigMaps, Argo CD
//! Applications) says as named documents, built on kube's `runtime::watcher`.
//!
//! Each object is reduced to an [`Object`] (its name, `resourceVersion`, and its documents, key
//! -> [`Document`]) as soon as it arrives, and the full object is dropped: a caller keeps
//! documents, never objects, and there is no reflector store. What becomes a document is the
//! caller's `documents` function ([`configmap_documents`] for ConfigMaps: every served key;
//! [`crate::argocd::documents`] for Applications: the mapped status document, or why the
//! mapping refused the Application).
//!
//! The stream never ends and never gives up. kube's watcher lists, then watches from the list's
//! `resourceVersion`, re-watches from the last one it saw when the API server closes a watch,
//! and lists again after `410 Gone`; errors are retried after kube's `default_backoff` (0.8 s
//! doubling to 30 s, with jitter). Each error is reported once as [`Event::Failed`], sorted into
//! status-kube's [`Error`] classes with the verb that failed (`list` or `watch`). Because a
//! watch that resumes quietly emits no event, the client observes its own requests and reports
//! every list or watch the API server accepted as [`Event::Connected`]: that is how a caller
//! knows the source is healthy again after an outage in which nothing changed.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::channel::mpsc::{UnboundedSender, unbounded};
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::serde::de::DeserializeOwned;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Resource, ResourceExt};

use crate::{Cluster, Error, Request, Verb};

/// Which objects of a namespace to watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// The one object of this name (a field selector `metadata.name=NAME`).
    Name(String),
    /// Every object whose labels match this label selector (`gitops-status.io/documents=true`).
    Labels(String),
    /// Every object of the namespace (issue 10's `--argocd-namespace` without a selector).
    All,
}

/// One watched object, reduced to its documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// The object's name.
    pub name: String,
    /// Its `resourceVersion` when these documents were read.
    pub resource_version: String,
    /// Its documents, as the caller's `documents` function made them.
    pub documents: Documents,
}

/// An object's documents, by key (`status.json`, `guestbook.json`).
pub type Documents = BTreeMap<String, Document>;

/// The latest version of one key of a watched object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Document {
    /// The document's bytes, as the object holds them (a ConfigMap's key) or as they were
    /// made from it (an Application's mapped document). Whether they are a valid status
    /// document is for the caller to judge, as for any other bytes.
    Bytes(Vec<u8>),
    /// The object stands for this key, but its latest version cannot be made into a document
    /// (an Application the mapping refuses): why, for people. The key exists and is invalid,
    /// rather than absent: a caller keeps its last good version, or reports it as never valid.
    Invalid(String),
}

impl Document {
    /// The bytes, when there are some.
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            Document::Bytes(bytes) => Some(bytes),
            Document::Invalid(_) => None,
        }
    }
}

/// What a watch reports.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event {
    /// The API server answered a list or a watch request of this watch: it is (again)
    /// reachable, and lets us read. Reported for every such answer, so also when a watch that
    /// the API server closed (or that broke) was started again.
    Connected(Connection),
    /// Every object the selector matches, after a list: the first one, or a relist (after
    /// `410 Gone` or an error that lost the watch's place). An object reported before and not
    /// listed now is gone.
    Listed(Vec<Object>),
    /// An object was added or changed.
    Applied(Object),
    /// An object was deleted (or no longer matches the selector).
    Deleted {
        /// The object's name.
        name: String,
    },
    /// A request failed. The watch goes on by itself after a backoff; nothing is lost, the
    /// objects last reported stay what the caller knows.
    Failed(Error),
}

/// Which request of a watch the API server answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    /// A list (the start of a watch, or a relist).
    List,
    /// A watch (the first one after a list, or one started again).
    Watch,
}

/// A watch: a [`Stream`] of [`Event`]s that never ends. Dropping it stops the watch and
/// closes its connection.
pub struct WatchStream {
    inner: BoxStream<'static, Event>,
}

impl std::fmt::Debug for WatchStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchStream").finish_non_exhaustive()
    }
}

impl WatchStream {
    /// The next event (never `None` in practice: the watch does not end by itself).
    pub async fn next(&mut self) -> Option<Event> {
        self.inner.next().await
    }
}

impl Stream for WatchStream {
    type Item = Event;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        self.inner.poll_next_unpin(cx)
    }
}

/// The documents of a ConfigMap: every key that is a served document
/// ([`status_core::is_document_key`]), from `data` and from `binaryData` (kubelet lays both
/// out as files, so the directory source serves both too).
pub fn configmap_documents(configmap: ConfigMap) -> Documents {
    let text = configmap
        .data
        .into_iter()
        .flatten()
        .map(|(key, value)| (key, value.into_bytes()));
    let binary = configmap
        .binary_data
        .into_iter()
        .flatten()
        .map(|(key, value)| (key, value.0));
    text.chain(binary)
        .filter(|(key, _)| status_core::is_document_key(key))
        .map(|(key, bytes)| (key, Document::Bytes(bytes)))
        .collect()
}

/// Watches the ConfigMaps of `namespace` that `selector` picks, each as its served keys
/// ([`configmap_documents`]).
///
/// Must be called within a Tokio runtime (the client's connection pool lives there); the
/// stream must be polled there too. Fails only when no client can be built for the cluster
/// (TLS or proxy settings that cannot be used); everything after that is an [`Event`].
pub fn configmaps(
    cluster: &Cluster,
    namespace: &str,
    selector: &Selector,
) -> Result<WatchStream, Error> {
    watch::<ConfigMap, _>(cluster, namespace, selector, configmap_documents)
}

/// Watches the objects of kind `K` in `namespace` that `selector` picks, each reduced to the
/// documents `documents` makes of it. [`configmaps`] is this with [`configmap_documents`].
///
/// Same requirements as [`configmaps`].
pub fn watch<K, F>(
    cluster: &Cluster,
    namespace: &str,
    selector: &Selector,
    documents: F,
) -> Result<WatchStream, Error>
where
    K: Resource<DynamicType = (), Scope = NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + Debug
        + Send
        + 'static,
    F: Fn(K) -> Documents + Send + Sync + 'static,
{
    let (connected, connections) = unbounded();
    let client = cluster
        .client_builder()?
        .with_layer(&Observe { connected })
        .build();
    let api: Api<K> = Api::namespaced(client, namespace);
    let config = match selector {
        Selector::Name(name) => watcher::Config::default().fields(&format!("metadata.name={name}")),
        Selector::Labels(labels) => watcher::Config::default().labels(labels),
        Selector::All => watcher::Config::default(),
    };
    let mut request = Request::of::<K>(cluster.server(), Verb::List).in_namespace(namespace);
    if let Selector::Name(name) = selector {
        request = request.named(name);
    }
    let adapter = Adapter {
        start: Arc::new(move || watcher(api.clone(), config.clone()).boxed()),
        documents: Arc::new(documents),
        request,
    };
    let events = adapter
        .into_stream()
        .default_backoff()
        .map(|item| item.unwrap_or_else(Event::Failed));
    let connected = connections.map(Event::Connected);
    Ok(WatchStream {
        inner: futures::stream::select(events, connected).boxed(),
    })
}

type Watcher<K> = BoxStream<'static, Result<watcher::Event<K>, watcher::Error>>;

/// Turns kube's watcher events into [`Event`]s: objects into documents at once, the pages of
/// a list gathered into one [`Event::Listed`], errors sorted with the verb that failed.
struct Adapter<K> {
    /// Starts kube's watcher from scratch (a list first).
    start: Arc<dyn Fn() -> Watcher<K> + Send + Sync>,
    documents: Arc<dyn Fn(K) -> Documents + Send + Sync>,
    /// A list of this watch's objects, for errors (the verb is set per error).
    request: Request,
}

/// The adapter's state between two events.
struct Running<K> {
    adapter: Adapter<K>,
    watcher: Watcher<K>,
    /// The objects of a list in progress.
    listing: Vec<Object>,
}

impl<K> Adapter<K>
where
    K: Resource<DynamicType = ()> + Send + 'static,
{
    fn into_stream(self) -> impl Stream<Item = Result<Event, Error>> + Send + 'static {
        let watcher = (self.start)();
        let running = Running {
            adapter: self,
            watcher,
            listing: Vec::new(),
        };
        futures::stream::unfold(running, |mut running| async move {
            loop {
                let event = match running.watcher.next().await? {
                    Ok(watcher::Event::Init) => {
                        running.listing.clear();
                        continue;
                    }
                    Ok(watcher::Event::InitApply(object)) => {
                        let object = running.adapter.object(object);
                        running.listing.push(object);
                        continue;
                    }
                    Ok(watcher::Event::InitDone) => {
                        Ok(Event::Listed(std::mem::take(&mut running.listing)))
                    }
                    Ok(watcher::Event::Apply(object)) => {
                        Ok(Event::Applied(running.adapter.object(object)))
                    }
                    Ok(watcher::Event::Delete(object)) => Ok(Event::Deleted {
                        name: object.name_any(),
                    }),
                    Err(error) => {
                        if starts_over(&error) {
                            // kube's watcher would ask for the same expired version forever:
                            // start it again, from a list.
                            running.watcher = (running.adapter.start)();
                            running.listing.clear();
                        }
                        Err(running.adapter.error(error))
                    }
                };
                return Some((event, running));
            }
        })
    }

    fn object(&self, object: K) -> Object {
        let name = object.name_any();
        let resource_version = object.resource_version().unwrap_or_default();
        Object {
            name,
            resource_version,
            documents: (self.documents)(object),
        }
    }

    fn error(&self, error: watcher::Error) -> Error {
        let request = |verb| {
            let mut request = self.request.clone();
            request.verb = verb;
            request
        };
        match error {
            watcher::Error::InitialListFailed(e) => Error::from_kube(e, &request(Verb::List)),
            watcher::Error::WatchStartFailed(e) | watcher::Error::WatchFailed(e) => {
                Error::from_kube(e, &request(Verb::Watch))
            }
            watcher::Error::WatchError(status) => Error::from_status(status, &request(Verb::Watch)),
            watcher::Error::NoResourceVersion => Error::NotWatchable {
                request: Box::new(request(Verb::List)),
            },
        }
    }
}

/// Whether kube's watcher cannot get past this error by itself: a watch refused with
/// `410 Gone` as its HTTP answer (rather than as an event in the stream, which kube handles by
/// listing again) leaves it asking for the same expired `resourceVersion`.
fn starts_over(error: &watcher::Error) -> bool {
    matches!(error, watcher::Error::WatchStartFailed(kube::Error::Api(status)) if status.code == 410)
}

/// A layer that reports every list or watch request the API server answered with success.
#[derive(Clone)]
struct Observe {
    connected: UnboundedSender<Connection>,
}

impl<S> tower::Layer<S> for Observe {
    type Service = Observed<S>;

    fn layer(&self, inner: S) -> Observed<S> {
        Observed {
            inner,
            connected: self.connected.clone(),
        }
    }
}

#[derive(Clone)]
struct Observed<S> {
    inner: S,
    connected: UnboundedSender<Connection>,
}

impl<S, B> tower::Service<http::Request<kube::client::Body>> for Observed<S>
where
    S: tower::Service<http::Request<kube::client::Body>, Response = http::Response<B>>,
    S::Future: Send + 'static,
    B: 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<kube::client::Body>) -> Self::Future {
        let connection = if is_watch(request.uri()) {
            Connection::Watch
        } else {
            Connection::List
        };
        let connected = self.connected.clone();
        let answer = self.inner.call(request);
        Box::pin(async move {
            let response = answer.await?;
            if response.status().is_success() {
                // Nobody listening any more means the watch was dropped: nothing to tell.
                let _ = connected.unbounded_send(connection);
            }
            Ok(response)
        })
    }
}

/// Whether a request is a watch (`?watch=true`, as kube asks; `watch=1` is the same to the
/// API server).
fn is_watch(uri: &http::Uri) -> bool {
    uri.query()
        .is_some_and(|q| q.split('&').any(|p| p == "watch=true" || p == "watch=1"))
}

#[cfg(test)]
mod tests;
