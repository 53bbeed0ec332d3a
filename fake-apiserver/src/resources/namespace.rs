//! Namespaces (`v1`, cluster-wide): read-only here. The ones a test configures exist from the
//! start (the store holds them like any object); writes into any other namespace are 404, as on
//! a real cluster.

use serde_json::{Value, json};

use super::{AGE, Column, Generation, Resource, Scope};
use crate::status::ApiError;

/// `namespaces`, as the real server describes them in discovery (but only `get`, `list` and
/// `watch`).
pub(crate) static NAMESPACES: Resource = Resource {
    group: "",
    version: "v1",
    kind: "Namespace",
    plural: "namespaces",
    singular: "namespace",
    short_names: &["ns"],
    scope: Scope::Cluster,
    verbs: &["get", "list", "watch"],
    fields: &["spec", "status"],
    generation: Generation::None,
    storage_version_hash: "Q3oi5N2YM8M=",
    description: "Namespace provides a scope for Names. Use of multiple namespaces is optional.",
    properties,
    validate,
    columns: &[
        Column {
            name: "Status",
            description: "The status of the namespace",
            priority: 0,
            cell: phase,
        },
        AGE,
    ],
    protobuf: None,
};

fn properties() -> Value {
    json!({
        "spec": {"type": "object", "properties": {"finalizers": {"type": "array", "items": {"type": "string", "default": ""}}}},
        "status": {"type": "object", "properties": {"phase": {"type": "string"}}},
    })
}

/// Nothing writes namespaces through the API (the verbs are `get`, `list` and `watch`).
fn validate(_: &Value, _: Option<&Value>) -> Result<(), ApiError> {
    Ok(())
}

fn phase(ns: &Value) -> Value {
    ns["status"]["phase"].clone()
}

/// An active namespace named `name`, as a new cluster has them (the store adds the uid,
/// creation time and resourceVersion).
pub(crate) fn active(name: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    })
}
