//! status-server: serves GitOps status documents over HTTP from one or more directories (ConfigMap
//! mounts), reloads them live, never serves an invalid document, and exports Prometheus metrics.
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
mod http;
mod metrics;
mod reload;
mod representation;
mod snapshot;
mod store;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{App, HttpServer, web};
use anyhow::{Context, bail};
use arc_swap::ArcSwap;

pub use clap::Parser;
pub use config::{Config, LogFormat};

use crate::http::AppState;
use crate::metrics::Metrics;
use crate::reload::Reloader;
use crate::snapshot::Snapshot;
use crate::store::{DocumentStore, Source};

/// The request parsing the HTTP layer does by hand, as plain functions, for the fuzz targets
/// (`fuzz/`) and their corpus replay (`fuzz-checks`). Not part of the API: it follows the HTTP
/// layer, which may change it in any release.
#[doc(hidden)]
pub mod fuzzing {
    use actix_web::http::header::{ACCEPT_ENCODING, HeaderMap, HeaderValue};

    use crate::http::{self, Kind};

    /// The route label (as in metrics) of `path`, and the document key it serves, if any.
    pub fn route(path: &str) -> (&'static str, Option<&str>) {
        let route = http::route_of(path);
        let key = match route.kind {
            Kind::Document(key) => Some(key),
            _ => None,
        };
        (route.label, key)
    }

    /// Whether a request with these `Accept-Encoding` header values is sent gzip; a value that
    /// is not a valid header value is left out, as actix would refuse the request.
    pub fn accepts_gzip(values: &[&[u8]]) -> bool {
        let mut headers = HeaderMap::new();
        for value in values {
            if let Ok(value) = HeaderValue::from_bytes(value) {
                headers.append(ACCEPT_ENCODING, value);
            }
        }
        http::accepts_gzip(&headers)
    }

    /// Whether `If-None-Match: value` matches one of the `current` entity tags (a 304); `None`
    /// when `value` is not a valid header value.
    pub fn if_none_match(value: &[u8], current: &[&str]) -> Option<bool> {
        let value = HeaderValue::from_bytes(value).ok()?;
        let current: Vec<HeaderValue> = current
            .iter()
            .filter_map(|tag| HeaderValue::from_str(tag).ok())
            .collect();
        let current: Vec<&HeaderValue> = current.iter().collect();
        Some(http::if_none_match(&value, &current))
    }
}

/// How long a client has to send its request head after connecting (slowloris).
const CLIENT_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// How long an idle keep-alive connection stays open.
const KEEP_ALIVE: Duration = Duration::from_secs(30);
/// How long in-flight requests get to finish after SIGTERM (under the 5 s a pod is promised).
const SHUTDOWN_TIMEOUT_SECS: u64 = 3;

/// A bound, loaded server, ready to run.
pub struct Application {
    port: u16,
    server: actix_web::dev::Server,
    reloader: Reloader,
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
    /// Fails when `--file` names a file that does not exist or the address cannot be bound.
    /// Missing directories and invalid documents are not errors: they are logged, reported by
    /// `/readyz` and `/metrics`, and picked up when they appear or are fixed.
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let mut sources: Vec<Source> = config.dirs.iter().cloned().map(Source::Dir).collect();
        if let Some(file) = &config.file {
            if !file.exists() {
                bail!("--file {}: no such file", file.display());
            }
            sources.push(Source::File(file.clone()));
        }
        if sources.is_empty() {
            bail!("nothing to serve: give --file or at least one --dir");
        }

        let snapshot = Arc::new(ArcSwap::from_pointee(Snapshot::empty()));
        let metrics = Arc::new(Metrics::new(snapshot.clone(), config.stale_after));
        let reloader = Reloader::start(
            DocumentStore::new(sources),
            snapshot.clone(),
            metrics.clone(),
            config.rescan_interval,
        )
        .context("cannot start the reload thread")?;

        let listener = TcpListener::bind(&config.listen)
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let port = listener.local_addr()?.port();
        let workers = config.worker_count();
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
        .keep_alive(KEEP_ALIVE)
        .client_request_timeout(CLIENT_REQUEST_TIMEOUT)
        .client_disconnect_timeout(Duration::from_secs(1))
        .shutdown_timeout(SHUTDOWN_TIMEOUT_SECS)
        .listen(listener)?
        .run();
        tracing::info!(address = %config.listen, port, workers, "listening");
        Ok(Application {
            port,
            server,
            reloader,
        })
    }

    /// The port the server listens on (useful with `--listen 127.0.0.1:0`).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM or SIGINT (in-flight requests finish first, for up to 3 s).
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.server.await.context("server failed")?;
        drop(self.reloader);
        tracing::info!("stopped");
        Ok(())
    }
}
