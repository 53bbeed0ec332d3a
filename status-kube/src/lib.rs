//! The one way into the Kubernetes API for gitops-status: `statusctl push` and `collect`,
//! status-server's ConfigMap source and its Argo CD Application source.
//!
//! - [`ClientOptions`] loads a [`Cluster`] the way kubectl finds one (a kubeconfig with a
//!   context, else the in-cluster service account), and [`Cluster::namespace`] is the rule for
//!   the namespace to work in.
//! - [`argocd`] reads Argo CD Applications ([`argocd::get_application`]) as a minimal typed
//!   resource that status-core maps to a status document, and watches them as documents
//!   ([`argocd::watch`]).
//! - [`names`] holds the API server's rules for ConfigMap names, namespaces and keys, as clap
//!   value parsers, and the name of the chart's live ConfigMap.
//! - [`Error`] sorts what went wrong into the classes a caller acts on (fix the configuration,
//!   the credentials or a Role; read again; retry later), naming the [`Request`] that failed.
//! - [`watch`] follows a set of objects (ConfigMaps, Applications; by name, label selector or
//!   all of a namespace) through kube's watcher as a stream of documents, never keeping the
//!   objects themselves.
//!
//! What a caller does about each class (retry how often, exit with which code, print which
//! advice) is its own policy, not this crate's.
//!
//! ```no_run
//! # async fn run() -> Result<(), status_kube::Error> {
//! use status_kube::k8s_openapi::api::core::v1::ConfigMap;
//! use status_kube::kube::Api;
//! use status_kube::{ClientOptions, Error, Request, Verb, names};
//!
//! let cluster = ClientOptions::default().load().await?;
//! let namespace = cluster.namespace(None);
//! let api: Api<ConfigMap> = Api::namespaced(cluster.client()?, &namespace);
//! let request = Request::of::<ConfigMap>(cluster.server(), Verb::Get)
//!     .in_namespace(&namespace)
//!     .named(names::DEFAULT_LIVE_CONFIGMAP);
//! let live = api
//!     .get_opt(names::DEFAULT_LIVE_CONFIGMAP)
//!     .await
//!     .map_err(|e| Error::from_kube(e, &request))?;
//! # let _ = live;
//! # Ok(())
//! # }
//! ```
//!
//! kube and k8s-openapi are re-exported: use these, so that types match.

#![deny(clippy::unwrap_used, clippy::expect_used, missing_docs)]

pub mod argocd;
mod classify;
mod cluster;
mod credentials;
mod error;
/// status-kube's own reading of what people write (kubeconfig bytes, proxy settings), as plain
/// functions for the fuzz targets (`fuzz/`) and their corpus replay (`fuzz-checks`). Not part
/// of the API: it follows the modules it calls, which may change it in any release.
#[doc(hidden)]
pub mod fuzzing;
mod kubeconfig;
mod loader;
pub mod names;
mod proxy;
pub mod watch;

pub use cluster::{ClientOptions, Cluster, DEFAULT_NAMESPACE, Origin, SERVICE_ACCOUNT_DIR};
pub use error::{Error, Request, Verb, report};
pub use k8s_openapi;
pub use kube;
