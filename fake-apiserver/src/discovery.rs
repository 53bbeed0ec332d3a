//! Discovery documents: `/version`, `/api`, `/api/v1`, `/apis`, and the OpenAPI v3 document
//! kubectl reads to learn that PATCH on ConfigMaps takes `fieldValidation` (without it, kubectl
//! would fall back to client-side validation against the protobuf OpenAPI v2 document).

use serde_json::{Value, json};

/// `/version`.
pub(crate) fn version() -> Value {
    json!({
        "major": "1",
        "minor": "35",
        "emulationMajor": "1",
        "emulationMinor": "35",
        "minCompatibilityMajor": "1",
        "minCompatibilityMinor": "34",
        "gitVersion": "v1.35.0-fake",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.25.0",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

/// `/api` (the legacy, non-aggregated form).
pub(crate) fn api(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    })
}

/// `/apis`: no API groups besides the core group.
pub(crate) fn apis() -> Value {
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": []})
}

/// `/api/v1`: the resources this fake serves.
pub(crate) fn api_v1() -> Value {
    json!({
        "kind": "APIResourceList",
        "groupVersion": "v1",
        "resources": [
            {
                "name": "configmaps",
                "singularName": "configmap",
                "namespaced": true,
                "kind": "ConfigMap",
                "verbs": ["create", "delete", "get", "list", "patch", "update"],
                "shortNames": ["cm"],
                "storageVersionHash": "qFsyl6wFWjQ=",
            },
            {
                "name": "namespaces",
                "singularName": "namespace",
                "namespaced": false,
                "kind": "Namespace",
                "verbs": ["get", "list"],
                "shortNames": ["ns"],
                "storageVersionHash": "Q3oi5N2YM8M=",
            },
        ],
    })
}

/// The hash in the OpenAPI v3 discovery URL; clients cache by it.
const OPENAPI_HASH: &str = "6C6D6B1A2F3E4D5C";

/// `/openapi/v3`: where each group-version's document is.
pub(crate) fn openapi_v3_index() -> Value {
    json!({"paths": {"api/v1": {"serverRelativeURL": format!("/openapi/v3/api/v1?hash={OPENAPI_HASH}")}}})
}

/// `/openapi/v3/api/v1`: ConfigMap paths and schemas, the subset of the real document kubectl
/// uses (PATCH parameters and request types, and the ConfigMap schema with its GVK).
pub(crate) fn openapi_v3_core() -> Value {
    let gvk = json!({"group": "", "version": "v1", "kind": "ConfigMap"});
    let cm_ref = json!({"$ref": "#/components/schemas/io.k8s.api.core.v1.ConfigMap"});
    let query = |name: &str, ty: &str| json!({"name": name, "in": "query", "schema": {"type": ty, "uniqueItems": true}});
    let ok = |schema: &Value| json!({"200": {"description": "OK", "content": {"application/json": {"schema": schema}}}});
    let patch_ref = json!({"schema": {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch"}});
    json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.35.0"},
        "paths": {
            "/api/v1/namespaces/{namespace}/configmaps": {
                "get": {"operationId": "listCoreV1NamespacedConfigMap", "responses": ok(&json!({"$ref": "#/components/schemas/io.k8s.api.core.v1.ConfigMapList"})),
                    "x-kubernetes-action": "list", "x-kubernetes-group-version-kind": gvk},
                "post": {"operationId": "createCoreV1NamespacedConfigMap",
                    "requestBody": {"content": {"*/*": {"schema": cm_ref}}, "required": true},
                    "parameters": [query("dryRun", "string"), query("fieldManager", "string"), query("fieldValidation", "string")],
                    "responses": ok(&cm_ref), "x-kubernetes-action": "post", "x-kubernetes-group-version-kind": gvk},
                "parameters": [{"name": "namespace", "in": "path", "required": true, "schema": {"type": "string", "uniqueItems": true}}],
            },
            "/api/v1/namespaces/{namespace}/configmaps/{name}": {
                "get": {"operationId": "readCoreV1NamespacedConfigMap", "responses": ok(&cm_ref),
                    "x-kubernetes-action": "get", "x-kubernetes-group-version-kind": gvk},
                "put": {"operationId": "replaceCoreV1NamespacedConfigMap",
                    "requestBody": {"content": {"*/*": {"schema": cm_ref}}, "required": true},
                    "parameters": [query("dryRun", "string"), query("fieldManager", "string"), query("fieldValidation", "string")],
                    "responses": ok(&cm_ref), "x-kubernetes-action": "put", "x-kubernetes-group-version-kind": gvk},
                "delete": {"operationId": "deleteCoreV1NamespacedConfigMap",
                    "parameters": [query("dryRun", "string")],
                    "responses": ok(&json!({"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Status"})),
                    "x-kubernetes-action": "delete", "x-kubernetes-group-version-kind": gvk},
                "patch": {"operationId": "patchCoreV1NamespacedConfigMap",
                    "requestBody": {"content": {
                        "application/apply-patch+yaml": patch_ref,
                        "application/json-patch+json": patch_ref,
                        "application/merge-patch+json": patch_ref,
                        "application/strategic-merge-patch+json": patch_ref,
                    }, "required": true},
                    "parameters": [query("dryRun", "string"), query("fieldManager", "string"), query("fieldValidation", "string"), query("force", "boolean")],
                    "responses": ok(&cm_ref), "x-kubernetes-action": "patch", "x-kubernetes-group-version-kind": gvk},
                "parameters": [
                    {"name": "name", "in": "path", "required": true, "schema": {"type": "string", "uniqueItems": true}},
                    {"name": "namespace", "in": "path", "required": true, "schema": {"type": "string", "uniqueItems": true}},
                ],
            },
        },
        "components": {"schemas": {
            "io.k8s.api.core.v1.ConfigMap": {
                "description": "ConfigMap holds configuration data for pods to consume.",
                "type": "object",
                "properties": {
                    "apiVersion": {"type": "string"},
                    "binaryData": {"type": "object", "additionalProperties": {"type": "string", "format": "byte"}},
                    "data": {"type": "object", "additionalProperties": {"type": "string", "default": ""}},
                    "immutable": {"type": "boolean"},
                    "kind": {"type": "string"},
                    "metadata": {"allOf": [{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}], "default": {}},
                },
                "x-kubernetes-group-version-kind": [gvk],
            },
            "io.k8s.api.core.v1.ConfigMapList": {
                "type": "object",
                "required": ["items"],
                "properties": {
                    "apiVersion": {"type": "string"},
                    "items": {"type": "array", "items": {"allOf": [cm_ref], "default": {}}},
                    "kind": {"type": "string"},
                    "metadata": {"type": "object"},
                },
                "x-kubernetes-group-version-kind": [{"group": "", "version": "v1", "kind": "ConfigMapList"}],
            },
            "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta": {
                "type": "object",
                "properties": {
                    "annotations": {"type": "object", "additionalProperties": {"type": "string", "default": ""}},
                    "creationTimestamp": {"type": "string", "format": "date-time"},
                    "generateName": {"type": "string"},
                    "labels": {"type": "object", "additionalProperties": {"type": "string", "default": ""}},
                    "managedFields": {"type": "array", "items": {"allOf": [{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry"}], "default": {}}, "x-kubernetes-list-type": "atomic"},
                    "name": {"type": "string"},
                    "namespace": {"type": "string"},
                    "resourceVersion": {"type": "string"},
                    "uid": {"type": "string"},
                },
            },
            "io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry": {
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
            "io.k8s.apimachinery.pkg.apis.meta.v1.Patch": {"type": "object"},
            "io.k8s.apimachinery.pkg.apis.meta.v1.Status": {
                "type": "object",
                "properties": {
                    "apiVersion": {"type": "string"}, "code": {"type": "integer", "format": "int32"},
                    "details": {"type": "object"}, "kind": {"type": "string"}, "message": {"type": "string"},
                    "metadata": {"type": "object"}, "reason": {"type": "string"}, "status": {"type": "string"},
                },
                "x-kubernetes-group-version-kind": [{"group": "", "version": "v1", "kind": "Status"}],
            },
        }},
    })
}
