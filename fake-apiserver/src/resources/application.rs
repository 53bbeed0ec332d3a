//! Argo CD Applications (`applications.argoproj.io/v1alpha1`, namespaced): the custom resource
//! as Argo CD's CRD declares it — names, short names `app` and `apps`, the printer columns
//! (SYNC STATUS, HEALTH STATUS; REVISION and PROJECT with `-o wide`), the required `spec` with
//! its `destination` and `project` — and no status subresource (Argo CD's CRD has none: its
//! controller writes `status` with the rest of the object).
//!
//! The fake takes any object under `spec`, `status` and `operation` (its OpenAPI schema says
//! `x-kubernetes-preserve-unknown-fields`), where the real CRD's schema is stricter: tests write
//! Applications modelled on Argo CD's, and what matters here is that they are stored, listed,
//! watched and selected as custom resources are.

use serde_json::{Value, json};

use super::{Column, Generation, Resource, Scope};
use crate::status::ApiError;

/// `applications.argoproj.io`, as a cluster with Argo CD installed serves it.
pub(crate) static APPLICATIONS: Resource = Resource {
    group: "argoproj.io",
    version: "v1alpha1",
    kind: "Application",
    plural: "applications",
    singular: "application",
    short_names: &["app", "apps"],
    scope: Scope::Namespaced,
    verbs: &[
        "create", "delete", "get", "list", "patch", "update", "watch",
    ],
    fields: &["spec", "status", "operation"],
    generation: Generation::AllButMetadata,
    // A custom resource's hash is derived from its group, version and kind by the real server;
    // clients only compare it with what they cached.
    storage_version_hash: "Lf3kpM7mCVc=",
    description: "Application is a definition of Application resource.",
    properties,
    validate,
    columns: &[
        Column {
            name: "Sync Status",
            description: "",
            priority: 0,
            cell: sync_status,
        },
        Column {
            name: "Health Status",
            description: "",
            priority: 0,
            cell: health_status,
        },
        Column {
            name: "Revision",
            description: "",
            priority: 10,
            cell: revision,
        },
        Column {
            name: "Project",
            description: "",
            priority: 10,
            cell: project,
        },
    ],
    protobuf: None,
};

fn properties() -> Value {
    let any = json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true});
    json!({"spec": any, "status": any, "operation": any})
}

/// The CRD's `required`: `spec`, and in it `destination` and `project`.
fn validate(obj: &Value, _: Option<&Value>) -> Result<(), ApiError> {
    let name = obj["metadata"]["name"].as_str().unwrap_or_default();
    let required = |path: &str| {
        (
            path.to_owned(),
            "FieldValueRequired",
            "Required value".to_owned(),
        )
    };
    let errors = match obj.get("spec") {
        None | Some(Value::Null) => vec![required("spec")],
        Some(Value::Object(spec)) => ["destination", "project"]
            .into_iter()
            .filter(|field| spec.get(*field).is_none_or(Value::is_null))
            .map(|field| required(&format!("spec.{field}")))
            .collect(),
        Some(_) => vec![(
            "spec".to_owned(),
            "FieldValueTypeInvalid",
            "Invalid value: \"string\": spec in body must be of type object: \"string\"".to_owned(),
        )],
    };
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid_object(&APPLICATIONS, name, &errors))
    }
}

fn sync_status(app: &Value) -> Value {
    app["status"]["sync"]["status"].clone()
}

fn health_status(app: &Value) -> Value {
    app["status"]["health"]["status"].clone()
}

fn revision(app: &Value) -> Value {
    app["status"]["sync"]["revision"].clone()
}

fn project(app: &Value) -> Value {
    app["spec"]["project"].clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_messages_and_paths() {
        assert_eq!(APPLICATIONS.api_version(), "argoproj.io/v1alpha1");
        assert_eq!(APPLICATIONS.group_resource(), "applications.argoproj.io");
        assert_eq!(
            APPLICATIONS.group_version_path(),
            "/apis/argoproj.io/v1alpha1"
        );
    }

    #[test]
    fn spec_destination_and_project_are_required() {
        let app = |spec: Value| json!({"metadata": {"name": "web"}, "spec": spec});
        let ok = app(
            json!({"project": "default", "destination": {"server": "https://kubernetes.default.svc"}, "anything": {"goes": [1]}}),
        );
        assert!(validate(&ok, None).is_ok());
        let err = validate(&json!({"metadata": {"name": "web"}}), None).unwrap_err();
        assert_eq!((err.code, err.reason), (422, "Invalid"));
        assert_eq!(
            err.message,
            "Application.argoproj.io \"web\" is invalid: spec: Required value"
        );
        assert_eq!(err.details.as_ref().unwrap()["group"], "argoproj.io");
        assert_eq!(err.details.as_ref().unwrap()["kind"], "Application");
        let err = validate(&app(json!({})), None).unwrap_err();
        assert_eq!(
            err.message,
            "Application.argoproj.io \"web\" is invalid: [spec.destination: Required value, spec.project: Required value]"
        );
        assert_eq!(validate(&app(json!("x")), None).unwrap_err().code, 422);
    }
}
