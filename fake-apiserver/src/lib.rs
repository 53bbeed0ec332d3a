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
//!   `/version` and the health endpoints, and RBAC-like [`Rule`]s (verbs on resources of API
//!   groups, limited to namespaces and to object names as `resourceNames` limits them: a POST
//!   never matches a named rule, a list or watch does when a `metadata.name=` field selector
//!   pins it to the name) with the real 403 messages.
//! - The resources of a small registry: ConfigMaps (`v1`, namespaced), Namespaces (`v1`,
//!   cluster-wide, read-only through the API: the ones in [`Config::namespaces`] exist from the
//!   start) and Argo CD Applications (`argoproj.io/v1alpha1`, namespaced, short names `app` and
//!   `apps`, any object under `spec`, `status` and `operation`, the CRD's required fields and
//!   printer columns, no status subresource, as Argo CD's CRD has none). Each is declared once,
//!   with its names, scope, fields, validation and `kubectl get` columns; routes, discovery
//!   (`/api`, `/api/v1`, `/apis`, `/apis/{group}`, `/apis/{group}/{version}`; not the
//!   aggregated form) and the OpenAPI v3 documents kubectl reads are produced from it.
//! - GET and LIST (in a namespace, or across all), POST, PUT and DELETE, with `resourceVersion`
//!   from one counter for every object (as etcd's revision) and its precondition (409 on a stale
//!   one); bodies in JSON, YAML or, for ConfigMaps, protobuf (what kubectl's typed commands send).
//! - Label selectors (`=`, `==`, `!=`, `in`, `notin`, `key`, `!key`, `>`, `<`) and field
//!   selectors (`metadata.name`, and `metadata.namespace` for namespaced resources; `=`, `==`,
//!   `!=`; any other field is the real 400) on lists and watches. `limit` is ignored, as a
//!   server may: a list has every selected object and no `continue` token (so a `continue`
//!   parameter is a 400).
//! - Watches (`watch=true` or `1` on a collection), served as the real server's watch cache
//!   serves them: chunked newline-delimited `{"type", "object"}` events in resourceVersion
//!   order; the current state as ADDED events first for `resourceVersion` absent, empty or `0`;
//!   the changes after `resourceVersion=N` replayed from a bounded history
//!   ([`Config::watch_history`]), or, when they are no longer kept, a 200 whose one event is an
//!   ERROR with the `410 Expired` Status ("too old resource version"), as the real server
//!   answers; streaming lists (`sendInitialEvents=true` with `resourceVersionMatch=NotOlderThan`,
//!   ended by the BOOKMARK annotated `k8s.io/initial-events-end`); periodic bookmarks
//!   ([`Config::bookmark_interval`]) with `allowWatchBookmarks`; `timeoutSeconds`; ADDED and
//!   DELETED for objects moving into and out of a selection; DELETED carrying the last state at
//!   a new resourceVersion; `kubectl get --watch`'s tables. Watches end with their client.
//! - PATCH as server-side apply, JSON merge patch, strategic merge patch and JSON patch. Field
//!   ownership in `managedFields` per field manager: apply conflicts (409 naming the managers)
//!   unless `force`, fields a manager stops applying are removed, updates take over what they
//!   change.
//! - `dryRun=All`, `fieldValidation=Strict`, the 3 MiB request limit (413), ConfigMap key names
//!   and the 1 MiB limit (422), and `Status` error bodies shaped like the real ones.
//! - `kubectl get`'s server-side tables.
//!
//! # What tests do to it
//!
//! - Write objects of any served resource directly ([`FakeApiServer::create`], `apply`,
//!   `replace`, `delete`; read with `object`, `objects`): changes like any other, which open
//!   watches see.
//! - [`FakeApiServer::drop_watches`] (every client sees its watch end and watches again),
//!   [`FakeApiServer::open_watches`] (a leak shows), [`FakeApiServer::compact`] (the next
//!   resumed watch gets 410 and its client relists).
//! - [`FakeApiServer::stop`] and [`FakeApiServer::restart`]: an outage, then the same port, CA
//!   and state.
//! - [`FakeApiServer::set_rules`], [`FakeApiServer::remove_user`], [`FakeApiServer::add_user`]:
//!   403 or 401 from the next request on.
//! - Faults injected into the next requests ([`FakeApiServer::fail_next`]: 429, 5xx, a
//!   connection dropped mid-response), watches included, and the log of requests answered.
//!
//! # What it does not serve
//!
//! Other resources than the registry's, subresources (`/status` included), namespace creation
//! through the API, paging (`limit` is ignored), reads of past states (a list with
//! `resourceVersionMatch=Exact` at an older revision is 410), the deprecated `/watch/` paths,
//! protobuf responses and `as=PartialObjectMetadata` (clients get JSON objects, which they
//! accept), aggregated discovery, and admission or defaulting beyond what is listed above.
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
