//! The running server: [`FakeApiServer`] binds 127.0.0.1, serves HTTPS on a background thread
//! until dropped, writes kubeconfigs for it, and can be stopped and restarted on the same port
//! with the same CA and the same state (an outage, as clients live through one). What tests do
//! to it besides (objects, users, watches, faults) is in [`crate::controls`].

use std::collections::VecDeque;
use std::net::TcpListener;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};

use crate::http::{Shared, Watches};
use crate::store::Store;
use crate::{Config, http, tls};

/// One request the server answered, for tests to inspect (never the token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `PATCH`, ...
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The raw query string.
    pub query: String,
    /// The request's Content-Type, or empty.
    pub content_type: String,
    /// The response's status code.
    pub status: u16,
}

/// A running fake API server on 127.0.0.1. Dropping it stops the server.
pub struct FakeApiServer {
    port: u16,
    certs: tls::Certificates,
    pub(crate) shared: Arc<Shared>,
    /// The HTTP server while it serves; `None` during an outage.
    running: Mutex<Option<Running>>,
}

/// An HTTP server serving on its own thread.
struct Running {
    handle: actix_web::dev::ServerHandle,
    thread: JoinHandle<std::io::Result<()>>,
}

/// How long [`FakeApiServer::stop`] waits for the connections of open watches to close, and
/// [`FakeApiServer::restart`] for the port to be free again.
const SETTLE: Duration = Duration::from_secs(5);

impl FakeApiServer {
    /// Generates certificates, binds 127.0.0.1 and serves on a background thread.
    pub fn start(config: Config) -> Result<Self> {
        let certs = tls::Certificates::generate()?;
        let listener = TcpListener::bind(("127.0.0.1", config.port))
            .with_context(|| format!("cannot bind 127.0.0.1:{}", config.port))?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(Shared {
            store: Mutex::new(Store::new(config.namespaces, config.watch_history)),
            users: RwLock::new(config.users),
            faults: Mutex::new(VecDeque::new()),
            log: Mutex::new(Vec::new()),
            address: format!("127.0.0.1:{port}"),
            watches: Watches::new(config.bookmark_interval),
        });
        let running = serve(listener, &certs, &shared)?;
        Ok(Self {
            port,
            certs,
            shared,
            running: Mutex::new(Some(running)),
        })
    }

    /// The port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `https://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// The CA certificate (PEM) the server's certificate chains to.
    pub fn ca_pem(&self) -> &str {
        &self.certs.ca_pem
    }

    /// A kubeconfig (YAML) for this server: the CA inline, a bearer `token`, and `namespace`
    /// as the context's namespace. It stays valid across [`Self::stop`] and [`Self::restart`].
    pub fn kubeconfig(&self, token: &str, namespace: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: {url}\n    certificate-authority-data: {ca}\nusers:\n- name: ci\n  user:\n    token: {token}\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: ci\n    namespace: {namespace}\ncurrent-context: fake\npreferences: {{}}\n",
            url = self.url(),
            ca = tls::base64(self.ca_pem().as_bytes()),
        )
    }

    /// Writes [`Self::kubeconfig`] to `path`.
    pub fn write_kubeconfig(
        &self,
        path: &std::path::Path,
        token: &str,
        namespace: &str,
    ) -> Result<()> {
        std::fs::write(path, self.kubeconfig(token, namespace))
            .with_context(|| format!("cannot write {}", path.display()))
    }

    /// Stops serving, as an API server going away does: open connections (watches too) are
    /// cut, and new ones are refused until [`Self::restart`]. Everything stored is kept, and
    /// tests may still change it directly meanwhile. Returns once every watch is closed.
    /// Stopping a stopped server does nothing.
    pub fn stop(&self) {
        // Open watches are cut first, at once: a change made after `stop` returns must never
        // reach a client (the workers would otherwise keep streaming for a moment after the
        // server stopped accepting).
        self.shared.watches.stop();
        let running = self.running().take();
        if let Some(running) = running {
            // The command is sent at once; waiting for its answer would need an executor, and
            // the thread ends when the server has stopped.
            drop(running.handle.stop(false));
            let _ = running.thread.join();
            // A client whose watch was cut may have watched again before the server stopped
            // accepting: cut that one too.
            self.shared.watches.cut_all();
        }
        // Workers drop their connections a moment after the server stops.
        let deadline = Instant::now() + SETTLE;
        while self.shared.watches.open() > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Serves again on the same port, with the same CA (kubeconfigs keep working) and the same
    /// objects, history and users: a restart with the state kept, as etcd keeps it. (A real
    /// server's watch cache also starts empty after a restart; call
    /// [`Self::compact`](crate::FakeApiServer::compact) too for watches to resume with 410.)
    /// Stops the server first if it is running.
    pub fn restart(&self) -> Result<()> {
        self.stop();
        // The port is freed when the stopped server's accept thread lets go of it.
        let deadline = Instant::now() + SETTLE;
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", self.port)) {
                Ok(listener) => break listener,
                Err(_) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                Err(e) => {
                    return Err(e)
                        .with_context(|| format!("cannot bind 127.0.0.1:{} again", self.port));
                }
            }
        };
        self.shared.watches.resume();
        let running = serve(listener, &self.certs, &self.shared)?;
        *self.running() = Some(running);
        Ok(())
    }

    /// Whether the server is serving (not stopped).
    pub fn is_running(&self) -> bool {
        self.running().is_some()
    }

    fn running(&self) -> MutexGuard<'_, Option<Running>> {
        // Nothing panics while holding this lock; a poisoned one still holds a valid state.
        self.running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Serves `shared` on `listener` over TLS on a new thread.
fn serve(
    listener: TcpListener,
    certs: &tls::Certificates,
    shared: &Arc<Shared>,
) -> Result<Running> {
    let tls_config = certs.server_config()?;
    let port = listener.local_addr()?.port();
    let data = actix_web::web::Data::from(Arc::clone(shared));
    let (tx, rx) = std::sync::mpsc::channel();
    let thread = std::thread::Builder::new()
        .name(format!("fake-apiserver-{port}"))
        .spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = actix_web::HttpServer::new(move || {
                    actix_web::App::new()
                        .app_data(data.clone())
                        .app_data(actix_web::web::PayloadConfig::new(
                            http::MAX_REQUEST_BYTES + 1024 * 1024,
                        ))
                        .default_service(actix_web::web::to(http::handle))
                })
                .workers(2)
                .disable_signals()
                .shutdown_timeout(1)
                // A client that closes its side is gone: its watch ends with it, rather than
                // at the next event written to a dead connection.
                .h1_allow_half_closed(false)
                .listen_rustls_0_23(listener, tls_config)?
                .run();
                let _ = tx.send(server.handle());
                server.await
            })
        })?;
    let handle = rx
        .recv()
        .map_err(|_| anyhow!("the fake API server failed to start"))?;
    Ok(Running { handle, thread })
}

impl Drop for FakeApiServer {
    fn drop(&mut self) {
        self.stop();
    }
}
