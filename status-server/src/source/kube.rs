//! The watches of the Kubernetes API: the ConfigMap source (`--kube-configmap`,
//! `--kube-selector`) and the Argo CD Application source (`--argocd-namespace`), one watch
//! each, through status-kube, on a thread of their own with a small Tokio runtime, each
//! forwarding what it sees to the publisher.
//!
//! A watch keeps going whatever happens (status-kube retries with a backoff); this module
//! turns its events into updates and its failures into health and log lines: one line when a
//! watch fails in a new way (a 403 names the verb, resource and namespace to grant), none for
//! the same failure again within five minutes, and one when it is answered again. A failed
//! watch changes no document: the last ones stay served until the API says otherwise.
//!
//! Both kinds are the same to this module and to the publisher: status-kube reduces each
//! object to its documents (a ConfigMap's keys; an Application's mapped document, or why the
//! mapping refused it) before anything reaches here.

use std::sync::mpsc::{self, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, anyhow};
use status_kube::watch::{self, Connection, Event, Selector, WatchStream};
use status_kube::{Cluster, Error};

use super::{Health, SourceId, Update};

/// How long the same failure stays unrepeated in the log.
const REPEAT_AFTER: Duration = Duration::from_secs(300);
/// How long stopping waits for the runtime's own threads (DNS lookups) before leaving them.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(200);

/// One watch to run.
#[derive(Debug, Clone)]
pub(crate) struct WatchSpec {
    /// Its source.
    pub(crate) source: SourceId,
    /// Its name, for logs.
    pub(crate) name: String,
    /// The kind of object it watches.
    pub(crate) kind: Watched,
    /// The namespace of those objects.
    pub(crate) namespace: String,
    /// Which of them.
    pub(crate) selector: Selector,
}

/// The kinds of object a watch follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Watched {
    /// ConfigMaps: every document key of each.
    ConfigMaps,
    /// Argo CD Applications: each mapped to one document.
    Applications,
}

impl Watched {
    /// The objects, for people.
    fn plural(self) -> &'static str {
        match self {
            Watched::ConfigMaps => "ConfigMaps",
            Watched::Applications => "Argo CD Applications",
        }
    }

    /// Starts a watch of these objects (on the current Tokio runtime).
    fn start(self, cluster: &Cluster, spec: &WatchSpec) -> Result<WatchStream, Error> {
        match self {
            Watched::ConfigMaps => watch::configmaps(cluster, &spec.namespace, &spec.selector),
            Watched::Applications => {
                status_kube::argocd::watch(cluster, &spec.namespace, &spec.selector)
            }
        }
    }
}

/// The watches' thread; stopped (and every watch closed) when dropped.
#[derive(Debug)]
pub(crate) struct KubeSource {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl KubeSource {
    /// Starts every watch. Fails when no client can be made for the cluster (a CA or proxy
    /// setting that cannot be used); an API server that cannot be reached is not a failure
    /// here but a watch that is down, and retried.
    pub(crate) fn start(
        cluster: Cluster,
        watches: Vec<WatchSpec>,
        publisher: Sender<Update>,
    ) -> anyhow::Result<Self> {
        // A failure to start names what could not be watched.
        let (ready, started) = mpsc::channel::<Result<(), (Watched, Error)>>();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("kube".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let error = Error::Configuration {
                            source: status_kube::kube::Error::Service(Box::new(e)),
                        };
                        let kind = watches.first().map_or(Watched::ConfigMaps, |w| w.kind);
                        let _ = ready.send(Err((kind, error)));
                        return;
                    }
                };
                runtime.block_on(async move {
                    // The clients are made here: their connection pools live on this runtime.
                    let mut streams = Vec::new();
                    for spec in watches {
                        match spec.kind.start(&cluster, &spec) {
                            Ok(stream) => streams.push((spec, stream)),
                            Err(e) => {
                                let _ = ready.send(Err((spec.kind, e)));
                                return;
                            }
                        }
                    }
                    let _ = ready.send(Ok(()));
                    let mut tasks = tokio::task::JoinSet::new();
                    for (spec, stream) in streams {
                        tasks.spawn(follow(spec, stream, publisher.clone()));
                    }
                    // Until the server stops (or the handle is gone).
                    let _ = stopped.await;
                    tasks.shutdown().await;
                });
                runtime.shutdown_timeout(SHUTDOWN_GRACE);
            })
            .context("cannot start the Kubernetes thread")?;
        match started.recv() {
            Ok(Ok(())) => Ok(Self {
                stop: Some(stop),
                thread: Some(thread),
            }),
            Ok(Err((kind, e))) => {
                let _ = thread.join();
                Err(anyhow!(status_kube::report(&e)))
                    .with_context(|| format!("cannot watch {}", kind.plural()))
            }
            Err(_) => {
                let _ = thread.join();
                Err(anyhow!("the Kubernetes thread stopped before it started"))
            }
        }
    }
}

impl Drop for KubeSource {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Forwards one watch's events until it is stopped (or the publisher is gone).
async fn follow(spec: WatchSpec, mut stream: WatchStream, publisher: Sender<Update>) {
    let mut health = Health {
        up: false,
        error: Some("waiting for the first answer of the API server".to_owned()),
        ..Health::default()
    };
    let mut watches_started: u64 = 0;
    let mut last_logged: Option<(String, Instant)> = None;
    while let Some(event) = stream.next().await {
        let before = health.clone();
        let mut update = None;
        let mut failed = false;
        match event {
            Event::Connected(Connection::Watch) => {
                watches_started += 1;
                health.restarts = watches_started.saturating_sub(1);
            }
            Event::Listed(objects) => {
                tracing::debug!(source = %spec.name, objects = objects.len(), "listed");
                update = Some(Update::Listed {
                    source: spec.source,
                    objects,
                });
            }
            Event::Applied(object) => {
                update = Some(Update::Applied {
                    source: spec.source,
                    object,
                });
            }
            Event::Deleted { name } => {
                update = Some(Update::Deleted {
                    source: spec.source,
                    name,
                });
            }
            Event::Failed(error) => {
                let message = status_kube::report(&error);
                log_failure(&spec, &error, &message, &mut last_logged);
                health.up = false;
                health.error = Some(message);
                failed = true;
            }
            _ => {}
        }
        if !failed {
            // Anything but a failure is an answer of the API server: the watch is up.
            if !before.up && last_logged.take().is_some() {
                tracing::info!(source = %spec.name, "the API server answers the watch again");
            }
            health.up = true;
            health.error = None;
        }
        if let Some(update) = update {
            health.last_event = Some(SystemTime::now());
            if publisher.send(update).is_err() {
                return;
            }
        }
        if health != before
            && publisher
                .send(Update::Health {
                    source: spec.source,
                    health: health.clone(),
                })
                .is_err()
        {
            return;
        }
    }
}

/// Logs a failed watch request, unless the same failure was logged less than
/// [`REPEAT_AFTER`] ago.
fn log_failure(
    spec: &WatchSpec,
    error: &Error,
    message: &str,
    last_logged: &mut Option<(String, Instant)>,
) {
    let source = spec.name.as_str();
    let namespace = spec.namespace.as_str();
    let repeated = last_logged
        .as_ref()
        .is_some_and(|(m, at)| m == message && at.elapsed() < REPEAT_AFTER);
    if repeated {
        tracing::debug!(source, error = %message, "watch still failing; retrying");
        return;
    }
    *last_logged = Some((message.to_owned(), Instant::now()));
    let objects = spec.kind.plural();
    match error {
        // `list applications.argoproj.io`, `watch configmaps`: the verb and resource an RBAC
        // rule needs, as the API server names them.
        Error::Forbidden { request, .. } => tracing::error!(
            source,
            error = %message,
            "not allowed to {} {} in namespace {namespace}: the server's identity needs get, list and watch on {} in namespace {namespace} (a Role bound to its ServiceAccount); retrying",
            request.verb,
            request.resource_name(),
            request.resource_name(),
        ),
        Error::Unauthorized { .. } => tracing::error!(
            source,
            error = %message,
            "the API server does not accept the server's credentials (an expired or revoked token?); retrying"
        ),
        Error::Expired { .. } => tracing::info!(
            source,
            error = %message,
            "the watch's place in history was compacted away (410); listing again"
        ),
        Error::NotFound { .. }
            if spec.kind == Watched::Applications
                && status_kube::argocd::is_resource_missing(error) =>
        {
            tracing::error!(
                source,
                error = %message,
                "the API server does not serve applications.argoproj.io: is Argo CD installed in this cluster? retrying"
            )
        }
        Error::NamespaceNotFound { .. } => tracing::error!(
            source,
            error = %message,
            "namespace {namespace} does not exist; retrying"
        ),
        _ if error.is_transient() => tracing::warn!(
            source,
            error = %message,
            "cannot watch {objects}; serving the documents already read, retrying with backoff"
        ),
        _ => tracing::error!(
            source,
            error = %message,
            "cannot watch {objects}; serving the documents already read, retrying with backoff"
        ),
    }
}
