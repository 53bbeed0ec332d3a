//! Argo CD as the source of truth: the status document of an Argo CD Application
//! (`argoproj.io/v1alpha1`), from what Argo CD observed in its `.status`.
//!
//! Pure: the input is the Application object as JSON (bytes, or a [`serde_json::Value`]), and
//! the time of collection is a parameter (`now`), never read from a clock here. The output is a
//! [`StatusDocument`], valid like every other, or [`Error::InvalidApplication`] naming the JSON
//! path of the field that could not be used. Nothing panics, whatever the input.
//!
//! | document | from the Application |
//! |---|---|
//! | `repo` | the repository of the source Argo CD syncs from, chosen as Argo CD chooses it: `spec.source.repoURL`, or `spec.sources[0].repoURL` for a multi-source Application (when both are set, Argo CD uses `sources`, and so does this); with a source hydrator, `spec.sourceHydrator.syncSource.repoURL`, else its `drySource.repoURL` |
//! | `server` | `spec.destination.server`, else `spec.destination.name` |
//! | `sync_status` | `ERROR` when a condition of type `ComparisonError`, `InvalidSpecError`, `SyncError` or `UnknownError` is present, or `status.operationState.phase` is `Failed` or `Error`; else `status.sync.status`: `Synced` → `SYNCED`, `OutOfSync` → `OUT_OF_SYNC`, anything else (`Unknown`, empty, absent) → `UNKNOWN` |
//! | `files` | each `status.resources[]` entry whose `status` is `OutOfSync` and which is not a hook, as Argo CD's resource key `group/kind/namespace/name` (an empty group or namespace leaves its slot empty: `/Service/default/web`, `rbac.authorization.k8s.io/ClusterRole//reader`), in Argo CD's order |
//! | `drift_count` | the number of those entries |
//! | `last_check` | `status.reconciledAt`, else `status.operationState.finishedAt`, else `now` |
//! | `revision` | `status.sync.revision`, else `status.sync.revisions[0]` |
//! | `health_status` | `status.health.status`; a value outside Argo CD's six is `Unknown` |
//! | `message` | for `ERROR` only: the first error condition's message, else `status.operationState.message` |
//! | `app` | `metadata.name` |
//!
//! Decisions the table leaves open:
//!
//! - **Required:** `metadata.name`, a repository and a cluster (`server` or `name`), each
//!   present and not blank. Everything under `status` is optional.
//! - **A brand-new Application**, which the controller has not reconciled yet, has no `status`:
//!   it maps to `UNKNOWN`, no files, `last_check` = `now`, and no revision, health or message.
//! - **Hooks** (`hook: true`) never count as drift. Argo CD's controller gives hook resources no
//!   sync status and leaves them out of the Application's; its UI leaves them out of the diff
//!   and the sync panel. A hook entry marked `OutOfSync` (an older controller, a hand-made
//!   object) is skipped all the same.
//! - **Health values outside Argo CD's set** map to `Unknown`, as Argo CD itself maps a value a
//!   custom (Lua) health check returns outside its set; refusing the Application would hide its
//!   sync status for the sake of its health. An empty or absent health leaves `health_status`
//!   out.
//! - **Malformed** (a field of the wrong JSON type, an unparsable timestamp) is an error for
//!   every field the mapping reads, even an optional one: a wrong answer is worse than none.
//!   Fields it does not read are never looked at.
//!
//! ```
//! use status_core::{SyncStatus, argocd};
//! use status_core::chrono::{DateTime, Utc};
//!
//! let application = br#"{
//!   "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
//!   "metadata": {"name": "guestbook", "namespace": "argocd"},
//!   "spec": {"source": {"repoURL": "https://github.com/argoproj/argocd-example-apps.git"},
//!            "destination": {"server": "https://kubernetes.default.svc", "namespace": "default"}},
//!   "status": {"sync": {"status": "OutOfSync", "revision": "53e28ff"},
//!              "health": {"status": "Healthy"},
//!              "reconciledAt": "2026-04-21T12:30:00Z",
//!              "resources": [
//!                {"version": "v1", "kind": "Service", "namespace": "default", "name": "guestbook-ui", "status": "OutOfSync"},
//!                {"group": "apps", "version": "v1", "kind": "Deployment", "namespace": "default", "name": "guestbook-ui", "status": "Synced"}]}
//! }"#;
//! let now: DateTime<Utc> = "2026-04-21T12:31:00Z".parse().unwrap();
//! let doc = argocd::from_slice(application, now)?;
//! assert_eq!(doc.app(), Some("guestbook"));
//! assert_eq!(doc.sync_status(), SyncStatus::OutOfSync);
//! assert_eq!(doc.file_names().collect::<Vec<_>>(), ["/Service/default/guestbook-ui"]);
//! assert_eq!(doc.drift_count(), 1);
//!
//! let err = argocd::from_slice(br#"{"metadata": {"name": "x"}, "spec": {"source": {"repoURL": "r"}}}"#, now)
//!     .unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "invalid Argo CD Application: $.spec.destination is missing; expected an object with a server or a name"
//! );
//! # Ok::<(), status_core::Error>(())
//! ```
//!
//! # Cost
//!
//! [`Application`] reads only the fields above and skips the rest of the object (its sync
//! history, `operationState.syncResult`, `managedFields`, annotations) without building it,
//! and keeps of `status.resources` only the entries that can be drift (or that hold a field
//! the mapping would report as malformed): the dozens of in-sync resources an Application
//! lists cost nothing once read. For a watch over a fleet, deserialise each event (and each
//! list, thousands of Applications at once) into [`Application`]s rather than
//! `serde_json::Value`s. `cargo run --release -p status-core --example argocd_bench` measures
//! both.

mod mapping;
mod object;
mod slot;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::{Error, StatusDocument};
use object::Root;
use slot::Slot;

/// An Argo CD Application, read for what the mapping and a watch need: its name, namespace and
/// `resourceVersion`, and the fields of the table in the [module docs](self).
///
/// Reading it never fails on a field's type: that is judged, with the field's JSON path, by
/// [`to_document`](Self::to_document), which only looks at what it maps. Reading fails only
/// when the input is not a JSON object ([`from_slice`](Self::from_slice),
/// [`from_value`](Self::from_value)) or, through serde, has a field twice.
///
/// It implements [`Deserialize`], so a Kubernetes client can deserialise API answers and watch
/// events straight into it (status-kube's `argocd::Application` does).
///
/// ```
/// use status_core::argocd::Application;
///
/// let app = Application::from_slice(br#"{"metadata": {"name": "guestbook",
///     "namespace": "argocd", "resourceVersion": "4711"}, "spec": 1}"#)?;
/// assert_eq!((app.namespace(), app.name()), (Some("argocd"), Some("guestbook")));
/// assert_eq!(app.resource_version(), Some("4711"));
/// let now = status_core::chrono::Utc::now();
/// let err = app.to_document(now).unwrap_err();
/// assert!(err.to_string().ends_with("$.spec is a number (1); expected an object"), "{err}");
/// # Ok::<(), status_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Application {
    root: Root,
}

impl Application {
    /// Reads an Application from JSON bytes; fails when they are not one JSON object.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
        match serde_json::from_slice::<Slot<Root>>(bytes) {
            Ok(slot) => Self::from_slot(slot),
            Err(e) if e.is_syntax() || e.is_eof() => Err(Error::InvalidApplication {
                path: "$".to_owned(),
                message: format!("the Application is not JSON: {e}"),
            }),
            // A field twice (serde refuses it, as it cannot know which one is meant).
            Err(e) => Err(Error::InvalidApplication {
                path: "$".to_owned(),
                message: format!("the Application cannot be read: {e}"),
            }),
        }
    }

    /// Reads an Application from a JSON value; fails when it is not an object.
    pub fn from_value(value: &Value) -> Result<Self, Error> {
        match Slot::<Root>::deserialize(value) {
            Ok(slot) => Self::from_slot(slot),
            Err(e) => Err(Error::InvalidApplication {
                path: "$".to_owned(),
                message: format!("the Application cannot be read: {e}"),
            }),
        }
    }

    fn from_slot(slot: Slot<Root>) -> Result<Self, Error> {
        match slot {
            Slot::Found(root) => Ok(Self { root }),
            Slot::Absent => Err(not_an_object("null")),
            Slot::Wrong(what) => Err(not_an_object(&what)),
        }
    }

    /// `metadata.name`, when it is a string.
    pub fn name(&self) -> Option<&str> {
        self.metadata_field(|m| &m.name)
    }

    /// `metadata.namespace`, when it is a string.
    pub fn namespace(&self) -> Option<&str> {
        self.metadata_field(|m| &m.namespace)
    }

    /// `metadata.resourceVersion`, when it is a string: the version a watch resumes from.
    pub fn resource_version(&self) -> Option<&str> {
        self.metadata_field(|m| &m.resource_version)
    }

    /// `metadata.creationTimestamp`, when it is an RFC 3339 timestamp: when the API server
    /// created the Application. Unlike a clock, it is the same on every read of every
    /// version, everywhere: a watch that must give an Application without a time of its own
    /// (no `reconciledAt`, no finished operation) a `last_check` can pass it as `now` to
    /// [`to_document`](Self::to_document) and get the same bytes on every relist and replica.
    ///
    /// ```
    /// use status_core::argocd::Application;
    ///
    /// let app = Application::from_slice(br#"{"metadata": {"name": "guestbook",
    ///     "creationTimestamp": "2026-04-21T12:00:00Z"}}"#)?;
    /// assert_eq!(app.creation_timestamp(), Some("2026-04-21T12:00:00Z".parse().unwrap()));
    /// # Ok::<(), status_core::Error>(())
    /// ```
    pub fn creation_timestamp(&self) -> Option<DateTime<Utc>> {
        let text = self.metadata_field(|m| &m.creation_timestamp)?;
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }

    fn metadata_field(&self, field: impl Fn(&object::Metadata) -> &Slot<String>) -> Option<&str> {
        self.root
            .metadata
            .found()
            .and_then(|m| field(m).found())
            .map(String::as_str)
    }

    /// The status document of this Application; `now` is its `last_check` when the Application
    /// has no time of its own (no `reconciledAt`, no finished operation).
    ///
    /// Fails with [`Error::InvalidApplication`] naming the JSON path of a required field that
    /// is missing or blank, or of a field of the wrong type.
    pub fn to_document(&self, now: DateTime<Utc>) -> Result<StatusDocument, Error> {
        mapping::document(&self.root, now)
    }
}

impl<'de> Deserialize<'de> for Application {
    /// Reads an Application; fails only when the value is not an object (or, from JSON text,
    /// repeats a field).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Self::from_slot(Slot::<Root>::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

fn not_an_object(what: &str) -> Error {
    Error::InvalidApplication {
        path: "$".to_owned(),
        message: format!("the Application is {what}; expected a JSON object"),
    }
}

/// The status document of the Application in `bytes` (JSON); see the [module docs](self).
///
/// `now` is the time of collection, used as `last_check` when the Application has no time of
/// its own.
pub fn from_slice(bytes: &[u8], now: DateTime<Utc>) -> Result<StatusDocument, Error> {
    Application::from_slice(bytes)?.to_document(now)
}

/// The status document of the Application `value`; see the [module docs](self).
///
/// ```
/// use status_core::{SyncStatus, argocd, serde_json::json};
///
/// let brand_new = json!({
///     "metadata": {"name": "guestbook", "namespace": "argocd"},
///     "spec": {"sources": [{"repoURL": "https://charts.example.com", "chart": "guestbook"}],
///              "destination": {"name": "in-cluster"}},
/// });
/// let now = "2026-04-21T12:30:00Z".parse().unwrap();
/// let doc = argocd::from_value(&brand_new, now)?;
/// assert_eq!((doc.repo(), doc.server()), ("https://charts.example.com", "in-cluster"));
/// assert_eq!(doc.sync_status(), SyncStatus::Unknown, "not reconciled yet");
/// assert_eq!(doc.last_check(), now.fixed_offset());
/// # Ok::<(), status_core::Error>(())
/// ```
pub fn from_value(value: &Value, now: DateTime<Utc>) -> Result<StatusDocument, Error> {
    Application::from_value(value)?.to_document(now)
}
