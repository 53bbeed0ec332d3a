//! A fake Kubernetes API server for ConfigMaps, faithful enough that the real kubectl drives it.
//!
//! No kube-apiserver can run where this project is tested, so `statusctl push` is tested
//! against this: TLS with a CA generated per server and written into kubeconfigs, bearer
//! tokens with per-verb permissions (401 for an unknown token, 403 when the rules do not
//! allow the verb, `resourceNames` honoured as RBAC does), discovery, ConfigMap
//! GET/LIST/POST/PUT/DELETE with `resourceVersion` preconditions (bodies in JSON, YAML or
//! protobuf, as kubectl's typed commands send), PATCH in the four content types, server-side
//! apply with ownership per data key in `managedFields`, `dryRun=All`, validation of keys and of
//! the 1 MiB limit, and `Status` error bodies like the real ones. Not served: watches, other
//! resources than ConfigMaps and Namespaces, protobuf responses (clients get JSON).
//!
//! ```no_run
//! let server = fake_apiserver::FakeApiServer::start(fake_apiserver::Config::default())?;
//! let kubeconfig = server.kubeconfig(fake_apiserver::ADMIN_TOKEN, "default");
//! # let _ = kubeconfig;
//! # Ok::<(), anyhow::Error>(())
//! ```

mod discovery;
mod proto;
mod server;
mod status;
mod store;
mod tls;

use std::collections::VecDeque;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use anyhow::{Context, Result, anyhow};
use serde_json::Value;

pub use status::ApiError;
pub use store::MAX_CONFIGMAP_BYTES;

/// The fault "code" for [`FakeApiServer::fail_next`] that drops the connection mid-response.
pub const DROP_CONNECTION: u16 = server::DROP_CONNECTION;

/// The token of the user [`Config::default`] allows everything.
pub const ADMIN_TOKEN: &str = "admin-token";

/// One RBAC-like rule: these verbs on these resources, optionally only in some namespaces and
/// only for some object names (`resourceNames`).
#[derive(Debug, Clone)]
pub struct Rule {
    /// Resources (`configmaps`, `namespaces`), or `*`.
    pub resources: Vec<String>,
    /// Verbs (`get`, `list`, `create`, `update`, `patch`, `delete`), or `*`.
    pub verbs: Vec<String>,
    /// Object names the rule is limited to; empty for all. As in RBAC, a POST (create with
    /// no name in the URL) never matches a limited rule.
    pub resource_names: Vec<String>,
    /// Namespaces the rule applies in; empty for all (like a ClusterRole binding).
    pub namespaces: Vec<String>,
}

impl Rule {
    /// Everything on every resource.
    pub fn all() -> Self {
        Self {
            resources: vec!["*".into()],
            verbs: vec!["*".into()],
            resource_names: Vec::new(),
            namespaces: Vec::new(),
        }
    }

    /// `verbs` on ConfigMaps in every namespace.
    pub fn configmaps<'a>(verbs: impl IntoIterator<Item = &'a str>) -> Self {
        Self {
            resources: vec!["configmaps".into()],
            verbs: verbs.into_iter().map(str::to_owned).collect(),
            resource_names: Vec::new(),
            namespaces: Vec::new(),
        }
    }

    /// The same rule limited to some object names.
    pub fn names<'a>(mut self, names: impl IntoIterator<Item = &'a str>) -> Self {
        self.resource_names = names.into_iter().map(str::to_owned).collect();
        self
    }

    /// The same rule limited to some namespaces (a RoleBinding's namespace).
    pub fn in_namespaces<'a>(mut self, namespaces: impl IntoIterator<Item = &'a str>) -> Self {
        self.namespaces = namespaces.into_iter().map(str::to_owned).collect();
        self
    }

    pub(crate) fn allows(
        &self,
        verb: &str,
        resource: &str,
        namespace: Option<&str>,
        name: Option<&str>,
    ) -> bool {
        let any = |list: &[String], value: &str| list.iter().any(|v| v == "*" || v == value);
        any(&self.verbs, verb)
            && any(&self.resources, resource)
            && (self.namespaces.is_empty()
                || namespace.is_some_and(|ns| self.namespaces.iter().any(|n| n == ns)))
            && (self.resource_names.is_empty()
                || name.is_some_and(|n| self.resource_names.iter().any(|r| r == n)))
    }
}

/// A user: a bearer token, the user name in messages, and what the user may do.
#[derive(Debug, Clone)]
pub struct User {
    /// The name the API reports (`system:serviceaccount:ns:name`).
    pub name: String,
    /// The bearer token.
    pub token: String,
    /// What the user may do.
    pub rules: Vec<Rule>,
}

/// How to start a server.
#[derive(Debug, Clone)]
pub struct Config {
    /// The namespaces that exist; writes elsewhere are 404 `namespaces "x" not found`.
    pub namespaces: Vec<String>,
    /// The users with tokens.
    pub users: Vec<User>,
    /// The port on 127.0.0.1; 0 for any free one.
    pub port: u16,
}

impl Default for Config {
    /// Namespaces `default`, `monitoring` and `kube-system`; one user, `admin`, with
    /// [`ADMIN_TOKEN`] and every permission.
    fn default() -> Self {
        Self {
            namespaces: vec!["default".into(), "monitoring".into(), "kube-system".into()],
            users: vec![User {
                name: "admin".into(),
                token: ADMIN_TOKEN.into(),
                rules: vec![Rule::all()],
            }],
            port: 0,
        }
    }
}

impl Config {
    /// Adds a user.
    pub fn user(mut self, name: &str, token: &str, rules: Vec<Rule>) -> Self {
        self.users.push(User {
            name: name.into(),
            token: token.into(),
            rules,
        });
        self
    }
}

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
    shared: Arc<server::Shared>,
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
        let shared = Arc::new(server::Shared {
            store: Mutex::new(store::Store::new(config.namespaces)),
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
                                server::MAX_REQUEST_BYTES + 1024 * 1024,
                            ))
                            .default_service(actix_web::web::to(server::handle))
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
        self.shared.store.lock().ok()?.get(namespace, name).ok()
    }

    /// Creates a ConfigMap directly (an `Update` by `manager`), for test setup.
    pub fn create_configmap(&self, namespace: &str, object: Value, manager: &str) -> Result<Value> {
        let mut store = self
            .shared
            .store
            .lock()
            .map_err(|_| anyhow!("store lock poisoned"))?;
        store
            .create(namespace, object, manager, store::Persist::Yes)
            .map_err(|e| anyhow!("{}", e.message))
    }

    /// Answers the next ConfigMap requests with these status codes (429, 500, 503, ...)
    /// instead of serving them, to test retries; [`DROP_CONNECTION`] drops the connection
    /// mid-response instead.
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
