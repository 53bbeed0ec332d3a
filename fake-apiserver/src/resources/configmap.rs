//! ConfigMaps (`v1`, namespaced): the registry entry, the validation the real API server
//! applies (key names, the 1 MiB limit, `immutable`), the `kubectl get` DATA column, and the
//! protobuf form `kubectl create configmap` sends.

use serde_json::{Value, json};

use super::{AGE, Column, Generation, Resource, Scope};
use crate::proto::{self, Fields, Wire};
use crate::status::ApiError;

/// The total size of `data` plus `binaryData` a ConfigMap may have (the real `MaxSecretSize`).
pub const MAX_CONFIGMAP_BYTES: usize = 1024 * 1024;

/// `configmaps`, as the real server describes them in discovery.
pub(crate) static CONFIGMAPS: Resource = Resource {
    group: "",
    version: "v1",
    kind: "ConfigMap",
    plural: "configmaps",
    singular: "configmap",
    short_names: &["cm"],
    scope: Scope::Namespaced,
    verbs: &[
        "create", "delete", "get", "list", "patch", "update", "watch",
    ],
    fields: &["data", "binaryData", "immutable"],
    generation: Generation::None,
    storage_version_hash: "qFsyl6wFWjQ=",
    description: "ConfigMap holds configuration data for pods to consume.",
    properties,
    validate,
    columns: &[
        Column {
            name: "Data",
            description: "Data contains the configuration data.",
            priority: 0,
            cell: data_count,
        },
        AGE,
    ],
    protobuf: Some(from_protobuf),
};

fn properties() -> Value {
    json!({
        "binaryData": {"type": "object", "additionalProperties": {"type": "string", "format": "byte"}},
        "data": {"type": "object", "additionalProperties": {"type": "string", "default": ""}},
        "immutable": {"type": "boolean"},
    })
}

/// The DATA column: how many keys `data` and `binaryData` hold.
fn data_count(cm: &Value) -> Value {
    let count = |section: &str| {
        cm.get(section)
            .and_then(Value::as_object)
            .map_or(0, |m| m.len())
    };
    (count("data") + count("binaryData")).into()
}

/// A valid ConfigMap key: `[-._a-zA-Z0-9]+`, at most 253 characters, not `.` or `..`.
fn key_errors(key: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if key.len() > 253 {
        errors.push("must be no more than 253 characters".to_owned());
    }
    if key.is_empty()
        || !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        errors.push("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')".to_owned());
    }
    if key == "." {
        errors.push("must not be '.'".to_owned());
    } else if key == ".." {
        errors.push("must not be '..'".to_owned());
    } else if key.starts_with("..") {
        errors.push("must not start with '..'".to_owned());
    }
    errors
}

/// The ConfigMap validation of the real API server that matters here.
fn validate(obj: &Value, current: Option<&Value>) -> Result<(), ApiError> {
    let name = obj["metadata"]["name"].as_str().unwrap_or_default();
    let mut errors: Vec<(String, &'static str, String)> = Vec::new();
    let mut total = 0usize;
    for section in ["data", "binaryData"] {
        let Some(map) = obj.get(section) else {
            continue;
        };
        if map.is_null() {
            continue;
        }
        let Some(map) = map.as_object() else {
            return Err(ApiError::bad_request(format!(
                "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot unmarshal {section} into Go struct field ConfigMap.{section} of type map[string]string"
            )));
        };
        for (key, value) in map {
            for message in key_errors(key) {
                errors.push((
                    format!("{section}[{key}]"),
                    "FieldValueInvalid",
                    format!("Invalid value: {key:?}: {message}"),
                ));
            }
            let Some(text) = value.as_str() else {
                return Err(ApiError::bad_request(format!(
                    "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot unmarshal {} into Go struct field ConfigMap.{section} of type string",
                    json_type(value)
                )));
            };
            total += if section == "binaryData" {
                text.len() / 4 * 3 - text.chars().rev().take_while(|c| *c == '=').count()
            } else {
                text.len()
            };
        }
    }
    if let (Some(data), Some(binary)) = (
        obj.get("data").and_then(Value::as_object),
        obj.get("binaryData").and_then(Value::as_object),
    ) {
        for key in data.keys().filter(|k| binary.contains_key(*k)) {
            errors.push((
                format!("data[{key}]"),
                "FieldValueInvalid",
                format!("Invalid value: {key:?}: duplicate of key present in binaryData"),
            ));
        }
    }
    if total > MAX_CONFIGMAP_BYTES {
        errors.push((
            "[]".to_owned(),
            "FieldValueTooLong",
            format!("Too long: must have at most {MAX_CONFIGMAP_BYTES} bytes"),
        ));
    }
    if let Some(current) = current
        && current.get("immutable") == Some(&Value::Bool(true))
    {
        for section in ["data", "binaryData"] {
            if obj.get(section) != current.get(section) {
                errors.push((
                    section.to_owned(),
                    "FieldValueForbidden",
                    "Forbidden: field is immutable when `immutable` is set".to_owned(),
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid("ConfigMap", name, &errors))
    }
}

/// The JSON type as Go's decoder names it in its messages.
fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Decodes a protobuf `v1.ConfigMap` (in its `runtime.Unknown` envelope) into its JSON form:
/// `kubectl create configmap NAME --from-literal=...` without `--dry-run` sends one.
fn from_protobuf(body: &[u8]) -> Result<Value, String> {
    let raw = proto::envelope(body, CONFIGMAPS.kind)?;
    let mut cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}});
    for field in Fields(raw) {
        match field? {
            (1, Wire::Bytes(meta)) => cm["metadata"] = proto::object_meta(meta)?,
            (2, Wire::Bytes(entry)) => {
                let (k, v) = proto::map_entry(entry)?;
                proto::insert(
                    &mut cm,
                    "data",
                    k,
                    Value::String(String::from_utf8_lossy(&v).into_owned()),
                );
            }
            (3, Wire::Bytes(entry)) => {
                let (k, v) = proto::map_entry(entry)?;
                proto::insert(
                    &mut cm,
                    "binaryData",
                    k,
                    Value::String(crate::tls::base64(&v)),
                );
            }
            (4, Wire::Varint(b)) => cm["immutable"] = Value::Bool(b != 0),
            _ => {}
        }
    }
    Ok(cm)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(number: u64, bytes: &[u8]) -> Vec<u8> {
        let mut out = vec![
            u8::try_from((number << 3) | 2).unwrap(),
            u8::try_from(bytes.len()).unwrap(),
        ];
        out.extend_from_slice(bytes);
        out
    }

    #[test]
    fn decodes_a_configmap_in_its_envelope() {
        let meta = [field(1, b"live"), field(3, b"default")].concat();
        let entry = [field(1, b"status.json"), field(2, b"{}")].concat();
        let cm = [field(1, &meta), field(2, &entry), vec![0x20, 1]].concat();
        let type_meta = [field(1, b"v1"), field(2, b"ConfigMap")].concat();
        let body = [b"k8s\0".to_vec(), field(1, &type_meta), field(2, &cm)].concat();
        assert_eq!(
            from_protobuf(&body).unwrap(),
            json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "live", "namespace": "default"},
                "data": {"status.json": "{}"}, "immutable": true})
        );
        assert!(from_protobuf(b"{}").is_err());
        assert!(from_protobuf(&body[..body.len() - 3]).is_err());
        let secret = [field(1, b"v1"), field(2, b"Secret")].concat();
        let body = [b"k8s\0".to_vec(), field(1, &secret), field(2, &cm)].concat();
        assert_eq!(
            from_protobuf(&body).unwrap_err(),
            "expected a ConfigMap, got Secret"
        );
    }

    #[test]
    fn names_in_messages() {
        assert_eq!(CONFIGMAPS.api_version(), "v1");
        assert_eq!(CONFIGMAPS.group_resource(), "configmaps");
        assert_eq!(CONFIGMAPS.group_version_path(), "/api/v1");
    }

    #[test]
    fn keys_and_sizes_are_validated_as_the_real_server_does() {
        let cm = |data: Value| json!({"metadata": {"name": "cm"}, "data": data});
        assert!(validate(&cm(json!({"a.json": "x", "B_2-c": ""})), None).is_ok());
        for bad in ["", ".", "..", "..x", "a/b", "a b"] {
            let err = validate(&cm(json!({ bad: "x" })), None).unwrap_err();
            assert_eq!((err.code, err.reason), (422, "Invalid"), "{bad:?}");
        }
        let err = validate(&cm(json!({"a": 1})), None).unwrap_err();
        assert_eq!(err.code, 400);
        assert!(
            err.message.ends_with(
                "cannot unmarshal number into Go struct field ConfigMap.data of type string"
            ),
            "{}",
            err.message
        );
        let at_limit = "x".repeat(MAX_CONFIGMAP_BYTES);
        assert!(validate(&cm(json!({"a": at_limit})), None).is_ok());
        let immutable = json!({"metadata": {"name": "cm"}, "data": {"a": "1"}, "immutable": true});
        let err = validate(&cm(json!({"a": "2"})), Some(&immutable)).unwrap_err();
        assert_eq!(
            err.message,
            "ConfigMap \"cm\" is invalid: data: Forbidden: field is immutable when `immutable` is set"
        );
    }
}
