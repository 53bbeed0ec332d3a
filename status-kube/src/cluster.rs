//! Where the API server is and who we are to it: a kubeconfig (an explicit path, `KUBECONFIG`,
//! `~/.kube/config`, with a context), else the in-cluster service account; and the namespace
//! rule that goes with it.
//!
//! The order is kubectl's, so a pipeline that works with kubectl works here. The service
//! account directory is an option ([`ClientOptions::service_account_dir`]) rather than kube's
//! fixed path, so that each binary can let its tests point it at a directory of their own.
//! Tokens are handed to kube as they are (a token *file* stays a file, which kube re-reads as
//! it rotates) and are never formatted into a message.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use kube::config::{AuthInfo, Context, Kubeconfig, NamedAuthInfo, NamedCluster, NamedContext};

use crate::proxy::{self, ProxyEnvironment};
use crate::{Error, credentials, kubeconfig, loader};

/// Where a pod's service account token, CA and namespace are mounted.
pub const SERVICE_ACCOUNT_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// The namespace used when neither the caller, the kubeconfig context nor the service account
/// names one: the API server's own default.
pub const DEFAULT_NAMESPACE: &str = "default";

/// The longest connect timeout [`ClientOptions::timeout`] sets: a server that does not accept
/// a connection in this long will not accept it later either, and the rest of the budget is
/// better spent on retries.
const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How to find the cluster: the settings a binary takes from its flags.
///
/// `Default` finds it the way kubectl does, then the in-cluster service account at
/// [`SERVICE_ACCOUNT_DIR`], with kube's own timeouts. Whatever the options, kube's own retries
/// are off: when and how often to retry is the caller's decision (see
/// [`Error::is_transient`]).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ClientOptions {
    /// A kubeconfig file to use instead of `KUBECONFIG` and `~/.kube/config` (`--kubeconfig`).
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use instead of its current context (`--context`).
    pub context: Option<String>,
    /// The service account directory (`token`, `ca.crt`, `namespace`); `None` is
    /// [`SERVICE_ACCOUNT_DIR`].
    pub service_account_dir: Option<PathBuf>,
    /// Bounds each request: connecting (at most 10 s of it), sending, and waiting for the
    /// answer. `None` keeps kube's defaults, which never time out a response: what a watch,
    /// which waits for events indefinitely, needs.
    pub timeout: Option<Duration>,
    /// Read the credentials once, while loading, for a client that lives as long as one
    /// command (`statusctl push`): a token file is read and trimmed, and a credential plugin
    /// (`exec:`) is run once and given this long to finish (then stopped, with an
    /// [`Error::Credentials`] naming it). kube gets what they gave as a fixed credential.
    /// `None` (the default) leaves both to kube, which re-reads a token file every minute (as
    /// kubelet rotates it) and runs the plugin again when its token expires, what a
    /// long-running client needs; but kube runs a plugin three times while building a client,
    /// blocking its thread, with no limit. Either way an inline token is trimmed and checked.
    pub credentials_once: Option<Duration>,
}

/// The process environment the loader reads, taken once so that tests can give their own.
#[derive(Debug, Clone, Default)]
pub(crate) struct Environment {
    /// `KUBECONFIG`: a list of files, merged.
    pub(crate) kubeconfig: Option<OsString>,
    /// `HOME`, for `~/.kube/config`.
    pub(crate) home: Option<PathBuf>,
    /// `KUBERNETES_SERVICE_HOST`: set by kubelet in every pod.
    pub(crate) service_host: Option<String>,
    /// `KUBERNETES_SERVICE_PORT`.
    pub(crate) service_port: Option<String>,
    /// `HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY` (and their lower-case spellings).
    pub(crate) proxies: ProxyEnvironment,
}

impl Environment {
    fn of_process() -> Self {
        Self {
            kubeconfig: std::env::var_os("KUBECONFIG"),
            home: std::env::var_os("HOME").map(PathBuf::from),
            service_host: std::env::var("KUBERNETES_SERVICE_HOST").ok(),
            service_port: std::env::var("KUBERNETES_SERVICE_PORT").ok(),
            proxies: ProxyEnvironment::of_process(),
        }
    }
}

/// Where a configuration came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// A kubeconfig, described as a person would look for it: its path, or
    /// `$KUBECONFIG (<value>)`.
    Kubeconfig(String),
    /// The in-cluster service account in this directory.
    InCluster(PathBuf),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Kubeconfig(kubeconfig) => f.write_str(kubeconfig),
            Origin::InCluster(dir) => write!(f, "in-cluster service account {}", dir.display()),
        }
    }
}

/// A loaded client configuration: the API server, the credentials, and the namespace the
/// configuration names.
#[derive(Debug, Clone)]
pub struct Cluster {
    config: kube::Config,
    origin: Origin,
    server: String,
}

impl ClientOptions {
    /// Loads the configuration: the kubeconfig ([`Self::kubeconfig`], else every file in
    /// `KUBECONFIG`, merged, else `~/.kube/config` when it exists) with [`Self::context`]; else,
    /// in a pod (`KUBERNETES_SERVICE_HOST` is set), the service account.
    ///
    /// Fails with [`Error::NoConfiguration`] when there is neither,
    /// [`Error::ContextWithoutKubeconfig`] when a context is asked for in a pod with no
    /// kubeconfig, and with the other loading errors of [`Error`] when a file cannot be read or
    /// used.
    pub async fn load(&self) -> Result<Cluster, Error> {
        self.load_from(&Environment::of_process()).await
    }

    pub(crate) async fn load_from(&self, env: &Environment) -> Result<Cluster, Error> {
        let (mut config, origin) = if let Some(path) = &self.kubeconfig {
            let origin = path.display().to_string();
            let file = kubeconfig::read(path, &origin)?;
            let config = loader::config(file, self.context.as_deref(), &origin, &env.proxies)?;
            (config, Origin::Kubeconfig(origin))
        } else if let Some((origin, paths)) = kubeconfig_files(env) {
            let mut merged = Kubeconfig::default();
            for path in &paths {
                let next = kubeconfig::read(path, &origin)?;
                merged = merged
                    .merge(next)
                    .map_err(|source| Error::KubeconfigUnreadable {
                        kubeconfig: origin.clone(),
                        source,
                    })?;
            }
            let config = loader::config(merged, self.context.as_deref(), &origin, &env.proxies)?;
            (config, Origin::Kubeconfig(origin))
        } else if let Some(host) = &env.service_host {
            if let Some(context) = &self.context {
                return Err(Error::ContextWithoutKubeconfig {
                    context: context.clone(),
                });
            }
            let dir = self
                .service_account_dir
                .clone()
                .unwrap_or_else(|| PathBuf::from(SERVICE_ACCOUNT_DIR));
            in_cluster(&dir, host, env.service_port.as_deref(), &env.proxies)?
        } else {
            return Err(Error::NoConfiguration);
        };
        credentials::prepare(&mut config, self.credentials_once).await?;
        // Retrying is the caller's policy: kube 5's own retry layer would repeat a 429/503/504
        // up to 15 times, silently, inside one call, multiplying the caller's bounded retries
        // and hiding them from its log.
        config.default_retry = false;
        if let Some(timeout) = self.timeout {
            config.connect_timeout = Some(timeout.min(MAX_CONNECT_TIMEOUT));
            config.read_timeout = Some(timeout);
            config.write_timeout = Some(timeout);
            // The read timeout then counts from when a request is sent, not from when its
            // pooled connection went idle: "the server did not answer in time" means this one.
            config.reset_reader_on_write = true;
        }
        // As every message shows it: a password in the URL (`https://u:p@host`) hidden.
        let server = proxy::shown(config.cluster_url.to_string().trim_end_matches('/'));
        Ok(Cluster {
            config,
            origin,
            server,
        })
    }
}

/// The kubeconfig files of the environment, with how to name them: the files listed in
/// `KUBECONFIG`, else `~/.kube/config` when it is a file.
fn kubeconfig_files(env: &Environment) -> Option<(String, Vec<PathBuf>)> {
    if let Some(value) = env.kubeconfig.as_ref().filter(|v| !v.is_empty()) {
        let paths: Vec<PathBuf> = std::env::split_paths(value)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        if !paths.is_empty() {
            return Some((format!("$KUBECONFIG ({})", value.to_string_lossy()), paths));
        }
    }
    let home = env.home.as_ref()?.join(".kube").join("config");
    home.is_file()
        .then(|| (home.display().to_string(), vec![home]))
}

/// The in-cluster configuration, as kube's `Config::incluster` makes it, but from `dir`.
fn in_cluster(
    dir: &Path,
    host: &str,
    port: Option<&str>,
    proxies: &ProxyEnvironment,
) -> Result<(kube::Config, Origin), Error> {
    let (token, ca) = (dir.join("token"), dir.join("ca.crt"));
    for path in [&token, &ca] {
        if !path.is_file() {
            return Err(Error::ServiceAccountFileMissing { path: path.clone() });
        }
    }
    // No namespace file: the API server's default, as kube does.
    let namespace = kubeconfig::read_bounded(&dir.join("namespace"))
        .ok()
        .map(|s| String::from_utf8_lossy(&s).trim().to_owned())
        .filter(|s| !s.is_empty());
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    let port = port.unwrap_or("443");
    // A kubeconfig naming the files (not their contents), so kube reads the token itself and
    // re-reads it as kubelet rotates it.
    let kubeconfig = Kubeconfig {
        clusters: vec![NamedCluster {
            name: "in-cluster".to_owned(),
            cluster: Some(kube::config::Cluster {
                server: Some(format!("https://{host}:{port}")),
                certificate_authority: Some(ca.to_string_lossy().into_owned()),
                ..Default::default()
            }),
            ..Default::default()
        }],
        auth_infos: vec![NamedAuthInfo {
            name: "service-account".to_owned(),
            auth_info: Some(AuthInfo {
                token_file: Some(token.to_string_lossy().into_owned()),
                ..Default::default()
            }),
            ..Default::default()
        }],
        contexts: vec![NamedContext {
            name: "in-cluster".to_owned(),
            context: Some(Context {
                cluster: "in-cluster".to_owned(),
                user: Some("service-account".to_owned()),
                namespace,
                ..Default::default()
            }),
            ..Default::default()
        }],
        current_context: Some("in-cluster".to_owned()),
        ..Default::default()
    };
    let origin = Origin::InCluster(dir.to_owned());
    let mut config = loader::config(kubeconfig, None, &origin.to_string(), proxies)?;
    // Re-read the CA as kubelet rotates it, as kube's own in-cluster configuration does.
    config.root_cert_file = Some(ca);
    Ok((config, origin))
}

impl Cluster {
    /// The API server's URL, without a trailing `/` (`https://10.0.0.1:6443`).
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The proxy requests go through, as messages show it (a password hidden), when there is
    /// one: the kubeconfig's `proxy-url`, else `HTTPS_PROXY` unless the server is loopback or
    /// `NO_PROXY` names it, as kubectl decides.
    pub fn proxy(&self) -> Option<String> {
        self.config
            .proxy_url
            .as_ref()
            .map(|url| proxy::shown(url.to_string().trim_end_matches('/')))
    }

    /// Where the configuration came from.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The namespace to work in: `explicit` when given (a `--namespace` flag), else the
    /// kubeconfig context's, else the service account's, else [`DEFAULT_NAMESPACE`].
    ///
    /// A configuration comes from a kubeconfig or from the service account, never both, so
    /// the one the client talks with is the one whose namespace is used.
    pub fn namespace(&self, explicit: Option<&str>) -> String {
        explicit
            .map(str::to_owned)
            .unwrap_or_else(|| self.config.default_namespace.clone())
    }

    /// The kube configuration, to adjust before [`Self::client`].
    pub fn config(&self) -> &kube::Config {
        &self.config
    }

    /// A client for this cluster.
    ///
    /// Installs rustls' `ring` provider as the process default first (kube is built without
    /// a provider of its own: one crypto library in the binary, the one reqwest uses too),
    /// unless the process installed one already.
    pub fn client(&self) -> Result<kube::Client, Error> {
        Ok(self.client_builder()?.build())
    }

    /// kube's default client stack for this cluster, to add layers to before building it
    /// (the watch observes its own requests). Must be called within a Tokio runtime, as
    /// [`Self::client`].
    pub(crate) fn client_builder(
        &self,
    ) -> Result<kube::client::ClientBuilder<impl ClientService>, Error> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        kube::client::ClientBuilder::try_from(self.config.clone()).map_err(|source| match source {
            // The client certificate and key are loaded only now.
            kube::Error::InferKubeconfig(source) => {
                kubeconfig::unusable(source, &self.origin.to_string())
            }
            other => Error::from_client_setup(other, &self.server),
        })
    }
}

/// What kube's default client stack is: a service from requests to responses, which layers
/// wrap (`kube::client::ClientBuilder::with_layer`).
pub(crate) trait ClientService:
    tower::Service<
        http::Request<kube::client::Body>,
        Response = http::Response<Box<kube::client::DynBody>>,
        Error = tower::BoxError,
        Future: Send + 'static,
    > + Send
    + 'static
{
}

impl<S> ClientService for S where
    S: tower::Service<
            http::Request<kube::client::Body>,
            Response = http::Response<Box<kube::client::DynBody>>,
            Error = tower::BoxError,
            Future: Send + 'static,
        > + Send
        + 'static
{
}

#[cfg(test)]
mod tests;
