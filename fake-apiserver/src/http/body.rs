//! Request bodies: the size limit, decoding by content type (JSON, YAML, and protobuf for the
//! kinds whose registry entry reads it), and `fieldValidation=Strict`'s check for unknown
//! fields against the resource's declared fields.

use serde_json::Value;

use crate::resources::Resource;
use crate::status::ApiError;

/// The largest request body the real API server takes (3 MiB).
pub(crate) const MAX_REQUEST_BYTES: usize = 3 * 1024 * 1024;

/// The fields of `metadata` a client may send.
const OBJECT_META: &[&str] = &[
    "name",
    "namespace",
    "labels",
    "annotations",
    "resourceVersion",
    "uid",
    "creationTimestamp",
    "generateName",
    "managedFields",
    "ownerReferences",
    "finalizers",
    "generation",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "selfLink",
];

/// The media type of a `Content-Type` value, without parameters.
pub(crate) fn media_type(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or("").trim()
}

/// 413 when the body is over the real server's limit.
pub(crate) fn check_size(body: &[u8]) -> Result<(), ApiError> {
    if body.len() > MAX_REQUEST_BYTES {
        return Err(ApiError::too_large(MAX_REQUEST_BYTES));
    }
    Ok(())
}

/// A JSON body (an object, or a patch).
pub(crate) fn json(body: &[u8], resource: &Resource) -> Result<Value, ApiError> {
    check_size(body)?;
    serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(format!(
            "the object provided is unrecognized (must be of type {}): couldn't get version/kind; json parse error: {e}",
            resource.kind
        ))
    })
}

/// A YAML body (what apply sends; JSON is YAML too).
pub(crate) fn yaml(body: &[u8]) -> Result<Value, ApiError> {
    check_size(body)?;
    serde_yaml::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))
}

/// The object of a POST or PUT, in any of the encodings the real server takes for it.
pub(crate) fn object(
    body: &[u8],
    content_type: &str,
    resource: &Resource,
) -> Result<Value, ApiError> {
    check_size(body)?;
    match (media_type(content_type), resource.protobuf) {
        ("" | "application/json", _) => json(body, resource),
        ("application/yaml", _) => yaml(body),
        ("application/vnd.kubernetes.protobuf", Some(decode)) => decode(body).map_err(|e| {
            ApiError::bad_request(format!(
                "the object provided is unrecognized (must be of type {}): {e}",
                resource.kind
            ))
        }),
        (other, _) => Err(ApiError::unsupported_media_type(other)),
    }
}

/// With `fieldValidation=Strict` (`strict`), a field the resource does not declare is a 400,
/// worded as the real server words it for apply and for other writes.
pub(crate) fn check_fields(
    obj: &Value,
    resource: &Resource,
    strict: bool,
    apply: bool,
) -> Result<(), ApiError> {
    if !strict {
        return Ok(());
    }
    let known =
        |k: &str| matches!(k, "apiVersion" | "kind" | "metadata") || resource.fields.contains(&k);
    let mut unknown = Vec::new();
    if let Some(map) = obj.as_object() {
        unknown.extend(map.keys().filter(|k| !known(k)).map(|k| format!(".{k}")));
    }
    if let Some(map) = obj.get("metadata").and_then(Value::as_object) {
        unknown.extend(
            map.keys()
                .filter(|k| !OBJECT_META.contains(&k.as_str()))
                .map(|k| format!(".metadata.{k}")),
        );
    }
    match unknown.first() {
        None => Ok(()),
        Some(field) if apply => Err(ApiError::bad_request(format!(
            "failed to create typed patch object ({}/{}, Kind={}): {field}: field not declared in schema",
            resource.group, resource.version, resource.kind
        ))),
        Some(field) => Err(ApiError::bad_request(format!(
            "strict decoding error: unknown field \"{}\"",
            field.trim_start_matches('.')
        ))),
    }
}
