//! status-server: serves GitOps status documents over HTTP from directories (ConfigMap mounts),
//! from ConfigMaps watched through the Kubernetes API, and from Argo CD Applications watched
//! there and mapped to documents; reloads them live, never serves an invalid document, and
//! exports Prometheus metrics.
//!
//! Sources (`source/`) send what changed to the publisher (`publisher.rs`), the one thread
//! that merges them (`merge.rs`) and swaps in immutable snapshots (`snapshot.rs`); the HTTP
//! layer (`http.rs`) reads snapshots only.
//!
//! The binary is a thin shell over this library, so tests (here and in other crates) start the
//! real server in-process:
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use clap::Parser;
//! let config = status_server::Config::try_parse_from([
//!     "status-server", "--file", "examples/status.json", "--listen", "127.0.0.1:0",
//! ])?;
//! let app = status_server::Application::build(config).await?;
//! let url = format!("http://127.0.0.1:{}/status.json", app.port());
//! tokio::spawn(app.run_until_stopped());
//! # let _ = url; Ok(()) }
//! ```

#![deny(clippy::unwrap_used, clippy::expect_used)]

mod config;
mod connections;
/// The request parsing the HTTP layer does by hand, as plain functions, for the fuzz targets
/// (`fuzz/`) and their corpus replay (`fuzz-checks`). Not part of the API: it follows the HTTP
/// layer, which may change it in any release.
#[doc(hidden)]
pub mod fuzzing;
mod http;
mod layer;
mod log;
mod merge;
mod metrics;
mod pages;
mod process;
mod publisher;
mod representation;
mod snapshot;
mod source;
mod statuses;
mod store;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::{App, HttpServer, web};
use anyhow::{Context, bail};
use arc_swap::ArcSwap;
use status_kube::watch::Selector;

pub use clap::Parser;
pub use config::{Config, LogFormat};
pub use process::main_with;

use crate::http::AppState;
use crate::metrics::Metrics;
use crate::publisher::Publisher;
use crate::snapshot::Snapshot;
use crate::source::files::FileSource;
use crate::source::kube::{KubeSource, WatchSpec, Watched};
use crate::source::{Rank, SourceId, SourceSpec};
use crate::store::{DocumentStore, Source};

/// The environment variable that overrides the in-cluster service account directory: tests
/// use a directory of their own.
const SERVICE_ACCOUNT_DIR_VAR: &str = "STATUS_SERVER_SERVICEACCOUNT_DIR";

/// How long in-flight requests get to finish after SIGTERM (under the 5 s a pod is promised).
const SHUTDOWN_TIMEOUT_SECS: u64 = 3;

/// A bound, loaded server, ready to run.
pub struct Application {
    port: u16,
    server: actix_web::dev::Server,
    sources: Sources,
}

/// The running sources and the publisher, stopped in that order when dropped (sources first,
/// so that nothing is sent to a publisher that is gone).
struct Sources {
    kube: Option<KubeSource>,
    files: Option<FileSource>,
    publisher: Option<Publisher>,
}

impl Drop for Sources {
    fn drop(&mut self) {
        drop(self.kube.take());
        drop(self.files.take());
        drop(self.publisher.take());
    }
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl Application {
    /// Loads the documents, starts watching them, and binds the listener.
    ///
    /// Fails when `--file` names a file that does not exist, when ConfigMaps or Applications are
    /// to be watched but no Kubernetes configuration can be loaded, or when the address cannot
    /// be bound.
    /// Missing directories, invalid documents and an API server that does not answer are not
    /// errors: they are logged, reported by `/readyz` and `/metrics`, and picked up when they
    /// appear, are fixed or answer.
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let mut dirs: Vec<Source> = config.dirs.iter().cloned().map(Source::Dir).collect();
        if let Some(file) = &config.file {
            if !file.exists() {
                bail!("--file {}: no such file", file.display());
            }
            dirs.push(Source::File(file.clone()));
        }
        let mut selectors: Vec<Selector> = config
            .kube_configmaps
            .iter()
            .cloned()
            .map(Selector::Name)
            .collect();
        selectors.extend(config.kube_selector.iter().cloned().map(Selector::Labels));
        let applications = config.argocd_namespace.as_ref().map(|namespace| {
            let selector = config
                .argocd_selector
                .clone()
                .map_or(Selector::All, Selector::Labels);
            (namespace.clone(), selector)
        });
        if dirs.is_empty() && selectors.is_empty() && applications.is_none() {
            bail!(
                "nothing to serve: give --file, --dir, --kube-configmap, --kube-selector or \
                 --argocd-namespace"
            );
        }
        // Loaded before anything starts: a configuration that cannot be used is a start-up
        // error, like a missing --file.
        let cluster = if selectors.is_empty() && applications.is_none() {
            None
        } else {
            Some(load_cluster(&config).await?)
        };
        let namespace = cluster
            .as_ref()
            .map(|c| c.namespace(config.kube_namespace.as_deref()))
            .unwrap_or_default();

        // In precedence order, lowest first (as /readyz lists them): derived documents, files,
        // ConfigMaps.
        let mut specs = Vec::new();
        let mut watches = Vec::new();
        if let Some((namespace, selector)) = applications {
            let name = match &selector {
                Selector::Labels(labels) => format!("applications/{namespace}?{labels}"),
                Selector::Name(name) => format!("application/{namespace}/{name}"),
                Selector::All => format!("applications/{namespace}"),
            };
            specs.push(SourceSpec {
                name: name.clone(),
                rank: Rank::Derived,
                object_prefix: format!("application/{namespace}/"),
                watched: true,
            });
            watches.push(WatchSpec {
                source: SourceId(specs.len() - 1),
                name,
                kind: Watched::Applications,
                namespace,
                selector,
            });
        }
        let files_id = (!dirs.is_empty()).then(|| {
            specs.push(SourceSpec {
                name: "files".to_owned(),
                rank: Rank::Files,
                object_prefix: String::new(),
                watched: false,
            });
            SourceId(specs.len() - 1)
        });
        for selector in selectors {
            let name = match &selector {
                Selector::Name(name) => format!("configmap/{namespace}/{name}"),
                Selector::Labels(labels) => format!("configmaps/{namespace}?{labels}"),
                Selector::All => format!("configmaps/{namespace}"),
            };
            specs.push(SourceSpec {
                name: name.clone(),
                rank: Rank::ConfigMaps,
                object_prefix: format!("configmap/{namespace}/"),
                watched: true,
            });
            watches.push(WatchSpec {
                source: SourceId(specs.len() - 1),
                name,
                kind: Watched::ConfigMaps,
                namespace: namespace.clone(),
                selector,
            });
        }

        let pages = pages::Settings {
            stale_after: config.stale_after,
        };
        let snapshot = Arc::new(ArcSwap::from_pointee(Snapshot::empty(pages)));
        let metrics = Arc::new(Metrics::new(snapshot.clone(), config.stale_after));
        let publisher = Publisher::start(specs, snapshot.clone(), metrics.clone(), pages)
            .context("cannot start the publisher thread")?;
        let files = match files_id {
            Some(id) => Some(
                FileSource::start(
                    DocumentStore::new(dirs),
                    id,
                    publisher.sender(),
                    config.rescan_interval,
                )
                .context("cannot start the file source's thread")?,
            ),
            None => None,
        };
        let kube = match cluster {
            Some(cluster) => {
                for watch in &watches {
                    tracing::info!(server = %cluster.server(), origin = %cluster.origin(),
                        namespace = %watch.namespace, source = %watch.name, "watching the Kubernetes API");
                }
                Some(KubeSource::start(cluster, watches, publisher.sender())?)
            }
            None => None,
        };
        // The files read so far are served before the listener opens (the watches' documents
        // follow as the API server answers).
        publisher.flush();
        let sources = Sources {
            kube,
            files,
            publisher: Some(publisher),
        };

        let listener = TcpListener::bind(&config.listen)
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let port = listener.local_addr()?.port();
        let workers = config.worker_count();
        let max_connections = connections::max_connections_per_worker(workers);
        let state = AppState { snapshot, metrics };
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .default_service(web::to(http::dispatch))
        })
        .workers(workers)
        // Responses are written whole; Nagle's algorithm would only hold back the tail of one
        // behind the ACK of the previous on a keep-alive connection (nginx sets it too).
        .tcp_nodelay(true)
        .keep_alive(connections::KEEP_ALIVE)
        .client_request_timeout(connections::CLIENT_REQUEST_TIMEOUT)
        .client_disconnect_timeout(connections::CLIENT_DISCONNECT_TIMEOUT)
        .max_connections(max_connections)
        .on_connect(connections::on_connect)
        .shutdown_timeout(SHUTDOWN_TIMEOUT_SECS)
        .listen(listener)?
        .run();
        tracing::info!(address = %config.listen, port, workers, max_connections = max_connections * workers, "listening");
        Ok(Application {
            port,
            server,
            sources,
        })
    }

    /// The port the server listens on (useful with `--listen 127.0.0.1:0`).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM or SIGINT (in-flight requests finish first, for up to 3 s).
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.server.await.context("server failed")?;
        drop(self.sources);
        tracing::info!("stopped");
        Ok(())
    }
}

/// The Kubernetes client configuration, found as `statusctl push` finds it.
async fn load_cluster(config: &Config) -> anyhow::Result<status_kube::Cluster> {
    let mut options = status_kube::ClientOptions::default();
    options.kubeconfig = config.kubeconfig.clone();
    options.context = config.kube_context.clone();
    options.service_account_dir = std::env::var_os(SERVICE_ACCOUNT_DIR_VAR).map(Into::into);
    options
        .load()
        .await
        .map_err(|e| anyhow::anyhow!(status_kube::report(&e)))
        .context("cannot load a Kubernetes configuration for the watches")
}
