//! The running server: [`FakeApiServer`] binds 127.0.0.1, serves HTTPS on a background thread
//! until dropped, writes kubeconfigs for it, and gives tests what they need around the API (the
//! stored ConfigMaps, direct setup, injected faults, the requests answered).

use std::collections::VecDeque;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use anyhow::{Context, Result, anyhow};
use serde_json::Value;

use crate::resources::CONFIGMAPS;
use crate::store::{Persist, Store};
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
    ca_pem: String,
    shared: Arc<http::Shared>,
    handle: actix_web::dev::ServerHandle,
    thread: Option<JoinHandle<std::io::Result<()>>>,
}

impl FakeApiServer {
    /// Generates certificates, binds 127.0.0.1 and serves on a background thread.
    pub fn start(config: Config) -> Result<Self> {
        let certs = tls::Certificates::generate()?;
        let tls_config = certs.server_config()?;
        let listener = TcpListener::bind(("127.0.0.1", config.port))
            .with_context(|| format!("cannot bind 127.0.0.1:{}", config.port))?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(http::Shared {
            store: Mutex::new(Store::new(config.namespaces)),
            users: config.users,
            faults: Mutex::new(VecDeque::new()),
            log: Mutex::new(Vec::new()),
            address: format!("127.0.0.1:{port}"),
        });
        let data = actix_web::web::Data::from(Arc::clone(&shared));
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
                    .listen_rustls_0_23(listener, tls_config)?
                    .run();
                    let _ = tx.send(server.handle());
                    server.await
                })
            })?;
        let handle = rx
            .recv()
            .map_err(|_| anyhow!("the fake API server failed to start"))?;
        Ok(Self {
            port,
            ca_pem: certs.ca_pem,
            shared,
            handle,
            thread: Some(thread),
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
        &self.ca_pem
    }

    /// A kubeconfig (YAML) for this server: the CA inline, a bearer `token`, and `namespace`
    /// as the context's namespace.
    pub fn kubeconfig(&self, token: &str, namespace: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: {url}\n    certificate-authority-data: {ca}\nusers:\n- name: ci\n  user:\n    token: {token}\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: ci\n    namespace: {namespace}\ncurrent-context: fake\npreferences: {{}}\n",
            url = self.url(),
            ca = tls::base64(self.ca_pem.as_bytes()),
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

    /// A stored ConfigMap, as GET returns it.
    pub fn configmap(&self, namespace: &str, name: &str) -> Option<Value> {
        self.shared
            .store
            .lock()
            .ok()?
            .get(&CONFIGMAPS, Some(namespace), name)
            .ok()
    }

    /// Creates a ConfigMap directly (an `Update` by `manager`), for test setup.
    pub fn create_configmap(&self, namespace: &str, object: Value, manager: &str) -> Result<Value> {
        let mut store = self
            .shared
            .store
            .lock()
            .map_err(|_| anyhow!("store lock poisoned"))?;
        store
            .create(&CONFIGMAPS, Some(namespace), object, manager, Persist::Yes)
            .map_err(|e| anyhow!("{}", e.message))
    }

    /// Answers the next requests for namespaced objects (ConfigMaps; never discovery or
    /// namespaces) with these status codes (429, 500, 503, ...) instead of serving them, to test
    /// retries; [`DROP_CONNECTION`] drops the connection mid-response instead.
    ///
    /// [`DROP_CONNECTION`]: crate::DROP_CONNECTION
    pub fn fail_next(&self, codes: impl IntoIterator<Item = u16>) {
        if let Ok(mut faults) = self.shared.faults.lock() {
            faults.extend(codes);
        }
    }

    /// Every request answered so far.
    pub fn requests(&self) -> Vec<Request> {
        self.shared
            .log
            .lock()
            .map(|l| l.clone())
            .unwrap_or_default()
    }
}

impl Drop for FakeApiServer {
    fn drop(&mut self) {
        // Stopping needs an executor only to wait for the server's answer.
        if let Ok(rt) = tokio::runtime::Builder::new_current_thread().build() {
            rt.block_on(self.handle.stop(false));
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
