//! A fake Kubernetes API server, faithful enough that the real kubectl drives it; and [`tools`],
//! which finds the real kubectl and Helm binaries every test of the workspace uses.
//!
//! No kube-apiserver can run where this project is tested, so statusctl's and xtask's tests
//! (soon status-server's too) and the push benchmark run against this. It is test support:
//! nothing in the `src/` of a shipped crate depends on it, and it is never published.
//!
//! # What it serves
//!
//! - TLS with a CA generated per server and written into kubeconfigs ([`FakeApiServer::kubeconfig`]).
//! - Bearer tokens ([`Config::user`]): 401 for an unknown token, anonymous callers may read only
//!   `/version` and the health endpoints, and RBAC-like [`Rule`]s (verbs on resources, limited
//!   to namespaces and to object names as `resourceNames` limits them: a POST never matches a
//!   named rule) with the real 403 messages.
//! - The resources of a small registry: ConfigMaps (`v1`, namespaced) and Namespaces (`v1`,
//!   cluster-wide, read-only: the ones in [`Config::namespaces`] exist from the start). Each is
//!   declared once, with its names, scope, fields, validation and `kubectl get` columns; routes,
//!   discovery (`/api`, `/api/v1`, `/apis`, `/apis/{group}`, `/apis/{group}/{version}`; not the
//!   aggregated form) and the OpenAPI v3 documents kubectl reads are produced from it.
//! - GET and LIST (in a namespace, or across all), POST, PUT and DELETE, with `resourceVersion`
//!   from one counter for every object (as etcd's revision) and its precondition (409 on a stale
//!   one); bodies in JSON, YAML or, for ConfigMaps, protobuf (what kubectl's typed commands send).
//! - PATCH as server-side apply, JSON merge patch, strategic merge patch and JSON patch. Field
//!   ownership in `managedFields` per field manager: apply conflicts (409 naming the managers)
//!   unless `force`, fields a manager stops applying are removed, updates take over what they
//!   change.
//! - `dryRun=All`, `fieldValidation=Strict`, the 3 MiB request limit (413), ConfigMap key names
//!   and the 1 MiB limit (422), and `Status` error bodies shaped like the real ones.
//! - `kubectl get`'s server-side tables.
//! - For tests: faults injected into the next requests ([`FakeApiServer::fail_next`]: 429,
//!   5xx, a connection dropped mid-response), and the log of requests answered.
//!
//! # What it does not serve
//!
//! Watches (`?watch=true` is a plain 405), label and field selectors (ignored: a list has every
//! object), other resources than the registry's, subresources, namespace creation, protobuf
//! responses (clients get JSON, which they accept), aggregated discovery, and admission or
//! defaulting beyond what is listed above.
//!
//! ```no_run
//! # #[cfg(feature = "server")] {
//! let server = fake_apiserver::FakeApiServer::start(fake_apiserver::Config::default())?;
//! let kubeconfig = server.kubeconfig(fake_apiserver::ADMIN_TOKEN, "default");
//! let kubectl = fake_apiserver::tools::kubectl();
//! # let _ = (kubeconfig, kubectl);
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The server needs the default `server` feature; without it (as `cargo xtask` uses the crate)
//! only [`tools`] is built, which has no dependencies.

pub mod tools;

#[cfg(feature = "server")]
mod config;
#[cfg(feature = "server")]
mod controls;
#[cfg(feature = "server")]
mod discovery;
#[cfg(feature = "server")]
mod history;
#[cfg(feature = "server")]
mod http;
#[cfg(feature = "server")]
mod openapi;
#[cfg(feature = "server")]
mod ownership;
#[cfg(feature = "server")]
mod proto;
#[cfg(feature = "server")]
mod resources;
#[cfg(feature = "server")]
mod selector;
#[cfg(feature = "server")]
mod server;
#[cfg(feature = "server")]
mod status;
#[cfg(feature = "server")]
mod store;
#[cfg(feature = "server")]
mod tls;
#[cfg(feature = "server")]
mod writes;

#[cfg(feature = "server")]
pub use config::{ADMIN_TOKEN, Config, Rule, User};
#[cfg(feature = "server")]
pub use resources::MAX_CONFIGMAP_BYTES;
#[cfg(feature = "server")]
pub use server::{FakeApiServer, Request};
#[cfg(feature = "server")]
pub use status::ApiError;

/// The fault "code" for [`FakeApiServer::fail_next`] that drops the connection mid-response.
#[cfg(feature = "server")]
pub const DROP_CONNECTION: u16 = http::DROP_CONNECTION;
