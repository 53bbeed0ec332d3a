//! OpenAPI v3, produced from the registry: `/openapi/v3` (where each group-version's document
//! is) and one document per group-version with the subset of the real one kubectl uses — each
//! resource's paths, operations and query parameters (kubectl learns from PATCH's
//! `fieldValidation` that the server validates fields; without it, kubectl would fall back to
//! client-side validation against the protobuf OpenAPI v2 document), and each kind's schema with
//! its group-version-kind (client-side `kubectl apply` computes its patch from it).

use serde_json::{Map, Value, json};

use crate::resources::{self, Resource};

/// The hash in the OpenAPI v3 discovery URL; clients cache by it.
const OPENAPI_HASH: &str = "6C6D6B1A2F3E4D5C";

const META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1";

/// `/openapi/v3`: where each group-version's document is.
pub(crate) fn index() -> Value {
    let mut paths = Map::new();
    for (group, version) in resources::group_versions() {
        let key = resources::group_version_path(group, version)
            .trim_start_matches('/')
            .to_owned();
        let url = format!("/openapi/v3/{key}?hash={OPENAPI_HASH}");
        paths.insert(key, json!({ "serverRelativeURL": url }));
    }
    json!({ "paths": paths })
}

/// `/openapi/v3/api/v1` or `/openapi/v3/apis/{group}/{version}`, or `None` when nothing is
/// served there.
pub(crate) fn document(group: &str, version: &str) -> Option<Value> {
    let served = resources::in_group_version(group, version);
    if served.is_empty() {
        return None;
    }
    let mut paths = Map::new();
    let mut schemas = meta_schemas();
    for resource in served {
        add_paths(&mut paths, resource);
        schemas.insert(schema_id(resource), kind_schema(resource));
        schemas.insert(
            format!("{}List", schema_id(resource)),
            list_schema(resource),
        );
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.35.0"},
        "paths": paths,
        "components": {"schemas": schemas},
    }))
}

/// `io.k8s.api.core.v1.ConfigMap` for the core group; the reversed group for the others
/// (`io.argoproj.v1alpha1.Application`), as for custom resources.
fn schema_id(resource: &Resource) -> String {
    let prefix = if resource.group.is_empty() {
        "io.k8s.api.core".to_owned()
    } else {
        resource
            .group
            .split('.')
            .rev()
            .collect::<Vec<_>>()
            .join(".")
    };
    format!("{prefix}.{}.{}", resource.version, resource.kind)
}

fn reference(id: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{id}") })
}

fn gvk(resource: &Resource, kind: &str) -> Value {
    json!({"group": resource.group, "version": resource.version, "kind": kind})
}

fn path_parameter(name: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "schema": {"type": "string", "uniqueItems": true}})
}

fn query_parameter(name: &str, ty: &str) -> Value {
    json!({"name": name, "in": "query", "schema": {"type": ty, "uniqueItems": true}})
}

/// `CoreV1`, `ArgoprojIoV1alpha1`: the group-version part of operation ids.
fn operation_group(resource: &Resource) -> String {
    let capitalized = |s: &str| {
        let mut chars = s.chars();
        chars
            .next()
            .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
            .unwrap_or_default()
    };
    let group = if resource.group.is_empty() {
        "Core".to_owned()
    } else {
        resource.group.split('.').map(capitalized).collect()
    };
    format!("{group}{}", capitalized(resource.version))
}

/// The operation for `verb` as `(HTTP method, operation)`, for a path of one namespace, or
/// across all of them (`all_namespaces`, a namespaced resource's cluster-wide list).
fn operation(
    resource: &Resource,
    verb: &str,
    all_namespaces: bool,
) -> Option<(&'static str, Value)> {
    let id = schema_id(resource);
    let one = reference(&id);
    let list = reference(&format!("{id}List"));
    let status = reference(&format!("{META}.Status"));
    let writes = || {
        vec![
            query_parameter("dryRun", "string"),
            query_parameter("fieldManager", "string"),
            query_parameter("fieldValidation", "string"),
        ]
    };
    let whole_object = json!({"content": {"*/*": {"schema": one}}, "required": true});
    let patch = json!({"schema": reference(&format!("{META}.Patch"))});
    let patches = json!({"content": {
        "application/apply-patch+yaml": patch,
        "application/json-patch+json": patch,
        "application/merge-patch+json": patch,
        "application/strategic-merge-patch+json": patch,
    }, "required": true});
    #[rustfmt::skip]
    let (method, action, name, parameters, body, response) = match verb {
        "list" => ("get", "list", "list", vec![], None, list),
        "create" => ("post", "post", "create", writes(), Some(whole_object), one),
        "get" => ("get", "get", "read", vec![], None, one),
        "update" => ("put", "put", "replace", writes(), Some(whole_object), one),
        "delete" => ("delete", "delete", "delete", vec![query_parameter("dryRun", "string")], None, status),
        "patch" => {
            let mut parameters = writes();
            parameters.push(query_parameter("force", "boolean"));
            ("patch", "patch", "patch", parameters, Some(patches), one)
        }
        _ => return None,
    };
    let scope = if all_namespaces {
        format!("{}ForAllNamespaces", resource.kind)
    } else if resource.namespaced() {
        format!("Namespaced{}", resource.kind)
    } else {
        resource.kind.to_owned()
    };
    let mut op = json!({
        "operationId": format!("{name}{}{scope}", operation_group(resource)),
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": response}}}},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": gvk(resource, resource.kind),
    });
    if !parameters.is_empty() {
        op["parameters"] = parameters.into();
    }
    if let Some(body) = body {
        op["requestBody"] = body;
    }
    Some((method, op))
}

/// The paths of one resource: its collection and its objects (in a namespace, for a
/// namespaced resource, which also has a list across all namespaces).
fn add_paths(paths: &mut Map<String, Value>, resource: &Resource) {
    let prefix = resource.group_version_path();
    let plural = resource.plural;
    let (collection, scope_parameters) = if resource.namespaced() {
        (
            format!("{prefix}/namespaces/{{namespace}}/{plural}"),
            vec![path_parameter("namespace")],
        )
    } else {
        (format!("{prefix}/{plural}"), vec![])
    };
    let mut object_parameters = vec![path_parameter("name")];
    object_parameters.extend(scope_parameters.iter().cloned());
    let item = |verbs: &[&str], all_namespaces: bool, parameters: Vec<Value>| {
        let mut item = Map::new();
        for verb in verbs.iter().filter(|v| resource.serves(v)) {
            if let Some((method, op)) = operation(resource, verb, all_namespaces) {
                item.insert(method.to_owned(), op);
            }
        }
        if !parameters.is_empty() {
            item.insert("parameters".to_owned(), parameters.into());
        }
        Value::Object(item)
    };
    paths.insert(
        format!("{collection}/{{name}}"),
        item(
            &["get", "update", "delete", "patch"],
            false,
            object_parameters,
        ),
    );
    paths.insert(
        collection,
        item(&["list", "create"], false, scope_parameters),
    );
    if resource.namespaced() && resource.serves("list") {
        paths.insert(format!("{prefix}/{plural}"), item(&["list"], true, vec![]));
    }
}

fn kind_schema(resource: &Resource) -> Value {
    let mut properties = json!({
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"allOf": [reference(&format!("{META}.ObjectMeta"))], "default": {}},
    });
    if let (Some(all), Value::Object(own)) = (properties.as_object_mut(), (resource.properties)()) {
        all.extend(own);
    }
    json!({
        "description": resource.description,
        "type": "object",
        "properties": properties,
        "x-kubernetes-group-version-kind": [gvk(resource, resource.kind)],
    })
}

fn list_schema(resource: &Resource) -> Value {
    json!({
        "type": "object",
        "required": ["items"],
        "properties": {
            "apiVersion": {"type": "string"},
            "items": {"type": "array", "items": {"allOf": [reference(&schema_id(resource))], "default": {}}},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
        },
        "x-kubernetes-group-version-kind": [gvk(resource, &resource.list_kind())],
    })
}

/// The `meta/v1` schemas every document refers to.
fn meta_schemas() -> Map<String, Value> {
    let schemas = json!({
        format!("{META}.ObjectMeta"): {
            "type": "object",
            "properties": {
                "annotations": {"type": "object", "additionalProperties": {"type": "string", "default": ""}},
                "creationTimestamp": {"type": "string", "format": "date-time"},
                "generateName": {"type": "string"},
                "generation": {"type": "integer", "format": "int64"},
                "labels": {"type": "object", "additionalProperties": {"type": "string", "default": ""}},
                "managedFields": {"type": "array", "items": {"allOf": [reference(&format!("{META}.ManagedFieldsEntry"))], "default": {}}, "x-kubernetes-list-type": "atomic"},
                "name": {"type": "string"},
                "namespace": {"type": "string"},
                "resourceVersion": {"type": "string"},
                "uid": {"type": "string"},
            },
        },
        format!("{META}.ManagedFieldsEntry"): {
            "type": "object",
            "properties": {
                "apiVersion": {"type": "string"},
                "fieldsType": {"type": "string"},
                "fieldsV1": {"type": "object"},
                "manager": {"type": "string"},
                "operation": {"type": "string"},
                "subresource": {"type": "string"},
                "time": {"type": "string", "format": "date-time"},
            },
        },
        format!("{META}.Patch"): {"type": "object"},
        format!("{META}.Status"): {
            "type": "object",
            "properties": {
                "apiVersion": {"type": "string"}, "code": {"type": "integer", "format": "int32"},
                "details": {"type": "object"}, "kind": {"type": "string"}, "message": {"type": "string"},
                "metadata": {"type": "object"}, "reason": {"type": "string"}, "status": {"type": "string"},
            },
            "x-kubernetes-group-version-kind": [{"group": "", "version": "v1", "kind": "Status"}],
        },
    });
    match schemas {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::{CONFIGMAPS, NAMESPACES};

    #[test]
    fn paths_and_schemas_come_from_the_registry() {
        assert_eq!(
            index()["paths"]["api/v1"]["serverRelativeURL"],
            format!("/openapi/v3/api/v1?hash={OPENAPI_HASH}")
        );
        let doc = document("", "v1").unwrap();
        let cm = CONFIGMAPS.plural;
        let object = &doc["paths"][format!("/api/v1/namespaces/{{namespace}}/{cm}/{{name}}")];
        assert_eq!(
            object["patch"]["operationId"],
            "patchCoreV1NamespacedConfigMap"
        );
        let parameters: Vec<&str> = object["patch"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            parameters,
            ["dryRun", "fieldManager", "fieldValidation", "force"]
        );
        assert_eq!(
            doc["paths"][format!("/api/v1/{cm}")]["get"]["operationId"],
            "listCoreV1ConfigMapForAllNamespaces"
        );
        let namespaces = &doc["paths"][format!("/api/v1/{}", NAMESPACES.plural)];
        assert_eq!(namespaces["get"]["operationId"], "listCoreV1Namespace");
        assert!(namespaces.get("post").is_none(), "namespaces are read-only");
        let schema = &doc["components"]["schemas"]["io.k8s.api.core.v1.ConfigMap"];
        assert_eq!(
            schema["x-kubernetes-group-version-kind"][0]["kind"],
            "ConfigMap"
        );
        assert_eq!(schema["properties"]["data"]["type"], "object");
        assert!(document("apps", "v1").is_none());
    }

    #[test]
    fn other_groups_are_named_as_custom_resources_are() {
        static THINGS: Resource = Resource {
            group: "argoproj.io",
            version: "v1alpha1",
            kind: "Application",
            plural: "applications",
            ..CONFIGMAPS
        };
        assert_eq!(schema_id(&THINGS), "io.argoproj.v1alpha1.Application");
        assert_eq!(operation_group(&THINGS), "ArgoprojIoV1alpha1");
        assert_eq!(THINGS.group_resource(), "applications.argoproj.io");
        assert_eq!(THINGS.group_version_path(), "/apis/argoproj.io/v1alpha1");
    }
}
