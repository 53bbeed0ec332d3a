//! What went wrong reaching the Kubernetes API, sorted into the classes a caller acts on:
//! fix the configuration, fix the credentials, grant a Role rule, read again, list again, give
//! up on this input, or retry later.
//!
//! [`Error::from_kube`] sorts a [`kube::Error`] given the [`Request`] that failed, so that a
//! 401/403 can be told as "cannot `list` `configmaps` in namespace `monitoring`". Messages
//! never hold a token: kube does not put one in its errors, and the one error whose text can
//! (a credential plugin's output) is not kept (see [`Error::Credentials`]).
//!
//! The [`Display`](std::fmt::Display) of a variant that has a source does not repeat it; use
//! [`report`] for the whole chain.

use std::borrow::Cow;
use std::path::PathBuf;
use std::time::Duration;

use kube::config::KubeconfigError;
use kube::core::Status;

/// A failure to load a configuration, build a client, or have the API server do a request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // Loading the configuration: fix the invocation or the files.
    /// There is no kubeconfig (none given, `KUBECONFIG` unset, no `~/.kube/config`) and this is
    /// not a pod (`KUBERNETES_SERVICE_HOST` is not set).
    #[error(
        "no Kubernetes configuration: no kubeconfig was given, KUBECONFIG is not set, ~/.kube/config does not exist, and KUBERNETES_SERVICE_HOST is not set (not in a pod)"
    )]
    NoConfiguration,
    /// A kubeconfig context was asked for, but there is no kubeconfig: in a pod, the service
    /// account has no contexts.
    #[error("the kubeconfig context {context:?} was asked for, but there is no kubeconfig")]
    ContextWithoutKubeconfig {
        /// The context asked for.
        context: String,
    },
    /// A kubeconfig file cannot be read or parsed.
    #[error("cannot read the kubeconfig {kubeconfig}")]
    KubeconfigUnreadable {
        /// The kubeconfig, as a person would look for it (a path, or `$KUBECONFIG (...)`).
        kubeconfig: String,
        /// Why.
        #[source]
        source: KubeconfigError,
    },
    /// A kubeconfig file is not one: not text in an encoding kubectl reads (UTF-8, or UTF-16
    /// with a byte order mark), not YAML, or a value of the wrong type in it. The problem says
    /// where (line and column) and what was expected, never what is there: a kubeconfig holds
    /// credentials, and a value in the wrong place is often one.
    #[error("cannot read the kubeconfig {kubeconfig}: {problem}")]
    KubeconfigInvalid {
        /// The kubeconfig, as a person would look for it (a path, or `$KUBECONFIG (...)`).
        kubeconfig: String,
        /// What is wrong, and where.
        problem: String,
    },
    /// A kubeconfig was read but cannot be used: no such context, no server, a CA or client
    /// certificate that cannot be loaded.
    #[error("cannot use the kubeconfig {kubeconfig}")]
    KubeconfigUnusable {
        /// The kubeconfig, as a person would look for it, or `in-cluster service account DIR`.
        kubeconfig: String,
        /// Why.
        #[source]
        source: KubeconfigError,
    },
    /// In a pod, a file of the service account (`token`, `ca.crt`) is missing.
    #[error(
        "in-cluster configuration: {} is missing (is a service account token mounted?)",
        path.display()
    )]
    ServiceAccountFileMissing {
        /// The missing file.
        path: PathBuf,
    },
    /// The proxy (the kubeconfig's `proxy-url`, or `HTTPS_PROXY`) cannot be used: not a URL,
    /// or not an `http://` or `https://` one.
    #[error("cannot use the proxy {proxy}: {reason}")]
    Proxy {
        /// The proxy's URL, its password hidden.
        proxy: String,
        /// Why.
        reason: String,
    },
    /// The client configuration cannot be used (an unsupported proxy, no TLS stack).
    #[error("cannot use the client configuration")]
    Configuration {
        /// Why.
        #[source]
        source: kube::Error,
    },

    // Credentials: fix the kubeconfig user or the token.
    /// The credentials cannot be loaded or cannot be sent: a token file that cannot be read, a
    /// token with a line break inside it, a credential plugin (`exec:`) that fails, prints no
    /// credential or does not finish in time.
    #[error("cannot load the credentials: {reason}")]
    Credentials {
        /// kube's description; for a plugin that failed, its command and exit status only.
        reason: String,
        /// kube's error; `None` for a plugin that failed, because its text holds the plugin's
        /// output, where a token can be.
        #[source]
        source: Option<kube::Error>,
    },
    /// The token cannot be sent: it is not a valid HTTP header value (a newline, a control
    /// character). Nothing was sent.
    #[error("cannot send the credentials to {server}")]
    InvalidToken {
        /// The API server's URL.
        server: String,
        /// kube's error (it does not hold the token).
        #[source]
        source: kube::Error,
    },
    /// 401: the API server does not accept the credentials (missing, expired, revoked).
    #[error("the API server at {} does not accept the credentials (401 Unauthorized)", request.server)]
    Unauthorized {
        /// What was asked.
        request: Box<Request>,
        /// The API server's answer.
        status: Box<Status>,
    },
    /// 403: the identity may not do this request: it needs a Role rule allowing `request`.
    #[error("not allowed to {request}: {}", detail(status))]
    Forbidden {
        /// What was denied: its verb, resource, namespace and name.
        request: Box<Request>,
        /// The API server's answer.
        status: Box<Status>,
    },

    // The API server refused this request: retrying the same request will not help.
    /// 404 because the namespace does not exist.
    #[error("namespace {namespace:?} does not exist on {}: {}", request.server, detail(status))]
    NamespaceNotFound {
        /// The namespace.
        namespace: String,
        /// What was asked.
        request: Box<Request>,
        /// The API server's answer.
        status: Box<Status>,
    },
    /// 404: the object (or the resource) does not exist.
    #[error("{}", detail(status))]
    NotFound {
        /// What was asked.
        request: Box<Request>,
        /// The API server's answer.
        status: Box<Status>,
    },
    /// 409 on a server-side apply: fields it sets are owned by other field managers. Forcing
    /// the apply takes them over.
    #[error("{}", detail(status))]
    ApplyConflict {
        /// The other field managers, as the API server names them (possibly none, if it did not).
        managers: Vec<String>,
        /// What was asked.
        request: Box<Request>,
        /// The API server's answer.
        status: Box<Status>,
    },
    /// 409: the object changed since it was read (the `resourceVersion` sent is stale). Read
    /// it again and decide again.
    #[error("{}", detail(status))]
    StaleResourceVersion {
        /// What was asked.
        request: Box<Request>,
        /// The API server's answer.
        status: Box<Status>,
    },
    /// 409: a create found the object already there. Read it and decide again.
    #[error("{}", detail(status))]
    AlreadyExists {
        /// What was asked.
        request: Box<Request>,
        /// The API server's answer.
        status: Box<Status>,
    },
    /// 410: the `resourceVersion` asked for is too old (compacted). A watch lists again.
    #[error("{}", detail(status))]
    Expired {
        /// What was asked.
        request: Box<Request>,
        /// The API server's answer.
        status: Box<Status>,
    },
    /// 413, or 422 "Too long": the object would be over the API server's size limit (a
    /// ConfigMap holds at most 1 MiB of data).
    #[error("{}", detail(status))]
    TooLarge {
        /// What was asked.
        request: Box<Request>,
        /// The API server's answer.
        status: Box<Status>,
    },
    /// 422: the object is invalid (a bad key, a bad field manager); the causes are in the
    /// status' details.
    #[error("{}", detail(status))]
    Invalid {
        /// What was asked.
        request: Box<Request>,
        /// The API server's answer.
        status: Box<Status>,
    },
    /// A list answered without a `resourceVersion`: there is no version to watch from (the
    /// resource does not support watching, or something between us and the API server
    /// rewrote the answer).
    #[error("cannot watch: the answer to {request} has no resourceVersion")]
    NotWatchable {
        /// The list that was answered.
        request: Box<Request>,
    },
    /// Any other refusal (400, 405, 415, 501, ...).
    #[error("{}", detail(status))]
    Rejected {
        /// What was asked.
        request: Box<Request>,
        /// The API server's answer.
        status: Box<Status>,
    },
    /// The request could not be built (an invalid field manager, say): nothing was sent.
    #[error("cannot build the request to {request}")]
    InvalidRequest {
        /// What was to be asked.
        request: Box<Request>,
        /// Why.
        #[source]
        source: kube::Error,
    },

    // TLS: fix the CA or the server address.
    /// TLS could not be set up (a CA that cannot be used), or the API server's certificate
    /// was not verified by the CA.
    #[error("cannot verify the TLS certificate of the API server at {server}")]
    Tls {
        /// The API server's URL.
        server: String,
        /// kube's error; the rustls error is among its sources.
        #[source]
        source: kube::Error,
    },

    // Transient: retry after a pause (see `is_transient`).
    /// 429, 500, 502, 503 or 504: the API server is overloaded, restarting or behind a proxy
    /// that lost it.
    #[error("the API server at {} answered {} {}: {}", request.server, status.code, status.reason, status.message)]
    ServerError {
        /// What was asked.
        request: Box<Request>,
        /// The API server's answer.
        status: Box<Status>,
    },
    /// No connection, a connection that broke, or no answer in time.
    #[error("cannot reach the API server at {server}")]
    Unreachable {
        /// The API server's URL.
        server: String,
        /// kube's error.
        #[source]
        source: kube::Error,
    },
    /// An answer that cannot be read (not the JSON asked for: a proxy's error page, a body
    /// cut short).
    #[error("cannot read the answer of the API server at {server}")]
    InvalidResponse {
        /// The API server's URL.
        server: String,
        /// kube's error.
        #[source]
        source: kube::Error,
    },
}

/// `message (code reason)`: how the API server's refusals are quoted.
fn detail(status: &Status) -> String {
    format!("{} ({} {})", status.message, status.code, status.reason)
}

impl Error {
    /// Whether the same request may succeed later: 429 and 5xx answers, a connection that
    /// failed or broke, no answer in time, an answer cut short. Retry with a backoff.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Error::ServerError { .. } | Error::Unreachable { .. } | Error::InvalidResponse { .. }
        )
    }

    /// Whether the object changed under the request (a stale `resourceVersion`, or a create
    /// that found it there): read it again, decide again, and retry at once.
    pub fn is_outdated(&self) -> bool {
        matches!(
            self,
            Error::StaleResourceVersion { .. } | Error::AlreadyExists { .. }
        )
    }

    /// The API server's answer, when it answered.
    pub fn status(&self) -> Option<&Status> {
        match self {
            Error::Unauthorized { status, .. }
            | Error::Forbidden { status, .. }
            | Error::NamespaceNotFound { status, .. }
            | Error::NotFound { status, .. }
            | Error::ApplyConflict { status, .. }
            | Error::StaleResourceVersion { status, .. }
            | Error::AlreadyExists { status, .. }
            | Error::Expired { status, .. }
            | Error::TooLarge { status, .. }
            | Error::Invalid { status, .. }
            | Error::Rejected { status, .. }
            | Error::ServerError { status, .. } => Some(status),
            _ => None,
        }
    }

    /// The request that failed, when the error is about one.
    pub fn request(&self) -> Option<&Request> {
        match self {
            Error::Unauthorized { request, .. }
            | Error::Forbidden { request, .. }
            | Error::NamespaceNotFound { request, .. }
            | Error::NotFound { request, .. }
            | Error::ApplyConflict { request, .. }
            | Error::StaleResourceVersion { request, .. }
            | Error::AlreadyExists { request, .. }
            | Error::Expired { request, .. }
            | Error::TooLarge { request, .. }
            | Error::Invalid { request, .. }
            | Error::Rejected { request, .. }
            | Error::NotWatchable { request }
            | Error::InvalidRequest { request, .. }
            | Error::ServerError { request, .. } => Some(request),
            _ => None,
        }
    }

    /// How long the API server asked to wait before retrying (`details.retryAfterSeconds`
    /// of a 429 or 503), when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        let seconds = self.status()?.details.as_ref()?.retry_after_seconds;
        (seconds > 0).then(|| Duration::from_secs(u64::from(seconds)))
    }
}

/// A verb of the Kubernetes API, as RBAC rules name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Verb {
    /// Read one object.
    Get,
    /// Read a collection.
    List,
    /// Follow a collection's changes.
    Watch,
    /// Create an object.
    Create,
    /// Replace an object.
    Update,
    /// Patch an object (server-side apply included).
    Patch,
    /// Delete an object.
    Delete,
}

impl Verb {
    /// The verb as RBAC rules spell it (`get`, `list`, `watch`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::List => "list",
            Verb::Watch => "watch",
            Verb::Create => "create",
            Verb::Update => "update",
            Verb::Patch => "patch",
            Verb::Delete => "delete",
        }
    }
}

impl std::fmt::Display for Verb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a request asked of which API server: what an error about it names, and what an RBAC
/// rule allowing it would need.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// The API server's URL.
    pub server: String,
    /// The verb.
    pub verb: Verb,
    /// The API group (`""` for the core group, `argoproj.io`).
    pub group: String,
    /// The resource, plural (`configmaps`, `applications`).
    pub resource: String,
    /// The namespace; `None` for all namespaces or a cluster-scoped resource.
    pub namespace: Option<String>,
    /// The object's name; `None` for a collection.
    pub name: Option<String>,
}

impl Request {
    /// A request for `resource` (plural) of `group` on `server`.
    pub fn new(
        server: impl Into<String>,
        verb: Verb,
        group: impl Into<String>,
        resource: impl Into<String>,
    ) -> Self {
        Self {
            server: server.into(),
            verb,
            group: group.into(),
            resource: resource.into(),
            namespace: None,
            name: None,
        }
    }

    /// A request for the resource of `K` (`Request::of::<ConfigMap>(server, Verb::Patch)`).
    pub fn of<K: kube::Resource<DynamicType = ()>>(server: impl Into<String>, verb: Verb) -> Self {
        Self::new(server, verb, K::group(&()), K::plural(&()))
    }

    /// In this namespace.
    #[must_use]
    pub fn in_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// Of the object of this name.
    #[must_use]
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// `resource` or `resource.group`, as RBAC and kubectl name it.
    pub fn resource_name(&self) -> Cow<'_, str> {
        if self.group.is_empty() {
            Cow::Borrowed(&self.resource)
        } else {
            Cow::Owned(format!("{}.{}", self.resource, self.group))
        }
    }
}

/// `patch configmaps "gitops-status-server-live" in namespace "monitoring"`.
impl std::fmt::Display for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.verb, self.resource_name())?;
        if let Some(name) = &self.name {
            write!(f, " {name:?}")?;
        }
        if let Some(namespace) = &self.namespace {
            write!(f, " in namespace {namespace:?}")?;
        }
        Ok(())
    }
}

/// An error and its sources, joined by `: `, leaving out a source whose text is already in
/// the text before it (kube's errors repeat their source in their own text).
///
/// ```
/// let error = status_kube::Error::NoConfiguration;
/// assert!(status_kube::report(&error).starts_with("no Kubernetes configuration"));
/// ```
pub fn report(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        let next = e.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = e.source();
    }
    text
}
