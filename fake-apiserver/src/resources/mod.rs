//! The registry of served resources. Each resource is declared once, as a [`Resource`]: its
//! group, version, kind and names, its scope, its fields, its validation, its `kubectl get`
//! columns. Routing, discovery, OpenAPI, authorization messages, tables, selectors, watches,
//! the object store and server-side apply all read these declarations and nothing else about a
//! resource, so serving another one is one more entry in [`RESOURCES`] plus its validation (as
//! Argo CD's `applications.argoproj.io/v1alpha1` is).

mod application;
mod configmap;
pub(crate) mod namespace;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::status::ApiError;

pub(crate) use application::APPLICATIONS;
pub(crate) use configmap::CONFIGMAPS;
pub use configmap::MAX_CONFIGMAP_BYTES;
pub(crate) use namespace::NAMESPACES;

/// Every served resource, in discovery order.
pub(crate) static RESOURCES: &[&Resource] = &[&CONFIGMAPS, &NAMESPACES, &APPLICATIONS];

/// Where objects of a resource live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// In a namespace, which must exist before objects are written into it.
    Namespaced,
    /// Cluster-wide, outside any namespace.
    Cluster,
}

/// Whether a kind has a `metadata.generation`, and which changes it counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Generation {
    /// None (ConfigMaps, Namespaces).
    None,
    /// Every change outside `metadata` (a custom resource without a status subresource, as
    /// Argo CD's Application: its controller's status writes count too).
    AllButMetadata,
    /// Changes outside `metadata` and `status` (a kind with a status subresource, whose
    /// status is written separately).
    AllButStatus,
}

/// Decodes an object from a request body (the error says why it cannot).
pub(crate) type Decode = fn(&[u8]) -> Result<Value, String>;

/// One `kubectl get` column after NAME (which every table has first).
pub(crate) struct Column {
    /// The header, as the real server names it (`Data`, `Status`, `Sync Status`).
    pub(crate) name: &'static str,
    /// The column's description in the table's `columnDefinitions`.
    pub(crate) description: &'static str,
    /// 0 for the columns `kubectl get` shows, more for those only `-o wide` shows.
    pub(crate) priority: u32,
    /// The cell for one object (null when the object has no value there).
    pub(crate) cell: fn(&Value) -> Value,
}

/// AGE, which the built-in kinds' tables end with (custom resources that declare their own
/// printer columns, as Argo CD's Application does, have none).
pub(crate) const AGE: Column = Column {
    name: "Age",
    description: "CreationTimestamp is a timestamp representing the server time when this object was created.",
    priority: 0,
    cell: age,
};

fn age(obj: &Value) -> Value {
    obj["metadata"]["creationTimestamp"]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| human_age(Utc::now().signed_duration_since(t).num_seconds()))
        .unwrap_or_else(|| "<unknown>".to_owned())
        .into()
}

/// kubectl's short ages: `42s`, `5m`, `3h`.
fn human_age(seconds: i64) -> String {
    match seconds.max(0) {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s => format!("{}h", s / 3600),
    }
}

/// A served resource, as discovery describes it, and what the fake needs to store it.
pub(crate) struct Resource {
    /// The API group; empty for the core group (served under `/api/v1`, not `/apis/...`).
    pub(crate) group: &'static str,
    /// The served (and only) version.
    pub(crate) version: &'static str,
    /// The kind (`ConfigMap`); its list is `<kind>List`.
    pub(crate) kind: &'static str,
    /// The resource name in paths, RBAC rules and messages (`configmaps`).
    pub(crate) plural: &'static str,
    /// The singular name (`configmap`), which kubectl also accepts.
    pub(crate) singular: &'static str,
    /// Short names kubectl accepts (`cm`).
    pub(crate) short_names: &'static [&'static str],
    /// Namespaced or cluster-wide.
    pub(crate) scope: Scope,
    /// The verbs served; a request for another one is 405.
    pub(crate) verbs: &'static [&'static str],
    /// The object's top-level fields besides `apiVersion`, `kind` and `metadata`: all that
    /// `fieldValidation=Strict` accepts, and where server-side apply tracks ownership.
    pub(crate) fields: &'static [&'static str],
    /// What `metadata.generation` counts, if the kind has one.
    pub(crate) generation: Generation,
    /// Discovery's `storageVersionHash`, copied from a real server (clients only compare it).
    pub(crate) storage_version_hash: &'static str,
    /// The OpenAPI description of the kind.
    pub(crate) description: &'static str,
    /// The OpenAPI v3 `properties` of the kind's own fields (those in `fields`).
    pub(crate) properties: fn() -> Value,
    /// The real API server's validation that matters here, of a new object and of the one it
    /// replaces (for immutability), as the `Status` error the real server answers.
    pub(crate) validate: fn(&Value, Option<&Value>) -> Result<(), ApiError>,
    /// The `kubectl get` columns.
    pub(crate) columns: &'static [Column],
    /// Decodes the object from Kubernetes' protobuf encoding, for the built-in kinds kubectl
    /// sends that way; `None` answers 415, as custom resources do.
    pub(crate) protobuf: Option<Decode>,
}

/// A resource is identified by its group, version and plural.
impl PartialEq for Resource {
    fn eq(&self, other: &Self) -> bool {
        (self.group, self.version, self.plural) == (other.group, other.version, other.plural)
    }
}

impl std::fmt::Debug for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.api_version(), self.plural)
    }
}

impl Resource {
    /// `v1` for the core group, else `group/version`.
    pub(crate) fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_owned()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The resource as messages name it: `configmaps`, or `applications.argoproj.io` outside
    /// the core group.
    pub(crate) fn group_resource(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_owned()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// The kind of a list of these objects.
    pub(crate) fn list_kind(&self) -> String {
        format!("{}List", self.kind)
    }

    /// Whether objects live in namespaces.
    pub(crate) fn namespaced(&self) -> bool {
        self.scope == Scope::Namespaced
    }

    /// Whether `verb` is served.
    pub(crate) fn serves(&self, verb: &str) -> bool {
        self.verbs.contains(&verb)
    }

    /// The path its group-version is served under: `/api/v1` or `/apis/{group}/{version}`.
    pub(crate) fn group_version_path(&self) -> String {
        group_version_path(self.group, self.version)
    }
}

/// `/api/v1` for the core group, else `/apis/{group}/{version}`.
pub(crate) fn group_version_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("/api/{version}")
    } else {
        format!("/apis/{group}/{version}")
    }
}

/// The resource with this group, version and plural, if served.
pub(crate) fn find(group: &str, version: &str, plural: &str) -> Option<&'static Resource> {
    RESOURCES
        .iter()
        .copied()
        .find(|r| r.group == group && r.version == version && r.plural == plural)
}

/// The resource a test names by its plural (core group: `configmaps`) or by its plural and
/// group (`applications.argoproj.io`), as messages and RBAC name them.
pub(crate) fn named(name: &str) -> Option<&'static Resource> {
    RESOURCES
        .iter()
        .copied()
        .find(|r| r.group_resource() == name)
}

/// The resources of one group-version, in discovery order (empty when none is served).
pub(crate) fn in_group_version(group: &str, version: &str) -> Vec<&'static Resource> {
    RESOURCES
        .iter()
        .copied()
        .filter(|r| r.group == group && r.version == version)
        .collect()
}

/// Every served `(group, version)`, each once, in discovery order.
pub(crate) fn group_versions() -> Vec<(&'static str, &'static str)> {
    let mut seen = Vec::new();
    for r in RESOURCES {
        if !seen.contains(&(r.group, r.version)) {
            seen.push((r.group, r.version));
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_resource_is_declared_consistently() {
        for r in RESOURCES {
            assert!(!r.plural.is_empty() && !r.kind.is_empty(), "{}", r.plural);
            assert_eq!(
                find(r.group, r.version, r.plural).map(|f| f.kind),
                Some(r.kind)
            );
            let properties = (r.properties)();
            let declared: Vec<&str> = properties
                .as_object()
                .map(|m| m.keys().map(String::as_str).collect())
                .unwrap_or_default();
            let mut fields = r.fields.to_vec();
            fields.sort_unstable();
            let mut declared = declared;
            declared.sort_unstable();
            assert_eq!(declared, fields, "the OpenAPI properties of {}", r.kind);
        }
        assert_eq!(group_versions(), [("", "v1"), ("argoproj.io", "v1alpha1")]);
    }

    #[test]
    fn ages_read_as_kubectl_prints_them() {
        assert_eq!(human_age(-5), "0s");
        assert_eq!(human_age(119), "119s");
        assert_eq!(human_age(600), "10m");
        assert_eq!(human_age(7200), "2h");
        assert_eq!(age(&serde_json::json!({"metadata": {}})), "<unknown>");
    }
}
