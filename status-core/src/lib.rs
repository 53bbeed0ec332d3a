//! The GitOps status document: its schema, parsing and validation.
//!
//! A status document tells dashboards and people whether a GitOps deployment is in sync. It is
//! the JSON object that gitops-status serves at `/status.json`:
//!
//! ```json
//! {
//!   "repo": "production-apps",
//!   "server": "prod-cluster-01",
//!   "sync_status": "SYNCED",
//!   "drift_count": 0,
//!   "files": [],
//!   "last_check": "2026-04-21T12:30:00Z"
//! }
//! ```
//!
//! [`validate`] turns bytes into a [`Report`]: every [`Finding`] (errors and warnings) with a
//! stable [`Code`], a JSON path and, where it can be known, a line and column. [`parse`] is the
//! short form that returns the [`StatusDocument`] or an [`Error`]. [`json_schema`] is the JSON
//! Schema of the document.
//!
//! ```
//! let report = status_core::validate(br#"{"repo": "apps", "server": "prod",
//!     "sync_status": "BOGUS", "drift_count": -1, "files": [""], "last_check": "yesterday"}"#);
//! assert!(!report.is_valid());
//! let codes: Vec<&str> = report.findings.iter().map(|f| f.code.name()).collect();
//! assert_eq!(codes, ["invalid-sync-status", "negative-drift-count", "empty-string", "invalid-timestamp"]);
//! assert_eq!(report.findings[2].path, "$.files[0]");
//! ```
//!
//! This crate does no I/O and knows nothing of HTTP or Kubernetes.

#![deny(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod document;
mod finding;
mod locate;
mod validate;

pub use document::{HealthStatus, NonEmptyString, StatusDocument, SyncStatus, format_timestamp};
pub use finding::{Code, Finding, Report, Severity};
pub use validate::{MAX_DOCUMENT_BYTES, Validator};

/// What can go wrong in this crate.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The document failed validation; `findings` holds every finding that fails it.
    #[error("invalid status document: {}", summary(.findings))]
    Invalid {
        /// The failing findings, in document order (at least one).
        findings: Vec<Finding>,
    },
    /// A value given for an enumerated field is not one of its values.
    #[error("invalid {field} {value:?}: expected one of {expected}")]
    UnknownValue {
        /// The field, such as `sync_status`.
        field: &'static str,
        /// The value given.
        value: String,
        /// The accepted values, for the message.
        expected: &'static str,
    },
}

fn summary(findings: &[Finding]) -> String {
    match findings {
        [] => "no findings".to_owned(),
        [one] => one.to_string(),
        [first, rest @ ..] => format!("{first} (and {} more)", rest.len()),
    }
}

/// Validates one document with the default [`Validator`].
///
/// ```
/// let report = status_core::validate(br#"{"repo": "r", "server": "s", "sync_status": "SYNCED",
///     "drift_count": 0, "files": [], "last_check": "2026-04-21T10:00:00Z"}"#);
/// assert!(report.passes(true));
/// ```
pub fn validate(bytes: &[u8]) -> Report {
    Validator::new().validate(bytes)
}

/// Parses a document, failing on any error (warnings are allowed).
///
/// ```
/// let err = status_core::parse(b"{}").unwrap_err();
/// assert!(err.to_string().starts_with("invalid status document: error[missing-field] $.repo"));
/// ```
pub fn parse(bytes: &[u8]) -> Result<StatusDocument, Error> {
    validate(bytes).into_result(false)
}

/// The JSON Schema of a status document.
///
/// It describes the types; the consistency checks that only warn (see [`Code`]) are not in it.
/// Unknown fields are allowed, as they are kept and served. It uses only keywords that mean the
/// same in draft-07 and 2020-12, and declares draft-07, the newest draft Helm 3 validates.
///
/// ```
/// let schema = status_core::json_schema();
/// assert_eq!(schema["required"].as_array().unwrap().len(), 6);
/// assert_eq!(schema["properties"]["sync_status"]["enum"][1], "OUT_OF_SYNC");
/// ```
pub fn json_schema() -> serde_json::Value {
    let mut schema =
        serde_json::to_value(schemars::schema_for!(StatusDocument)).unwrap_or_default();
    inline_definitions(&mut schema);
    simplify(&mut schema);
    if let Some(map) = schema.as_object_mut() {
        map.insert(
            "$schema".to_owned(),
            "http://json-schema.org/draft-07/schema#".into(),
        );
    }
    schema
}

/// Turns `oneOf`/`anyOf` lists of constants into a plain `enum` (validators then say "must be
/// one of ..." instead of "does not match any of oneOf"), and drops the non-standard `format`s
/// schemars adds for integer widths.
fn simplify(value: &mut serde_json::Value) {
    use serde_json::Value;
    let Value::Object(map) = value else {
        if let Value::Array(items) = value {
            items.iter_mut().for_each(simplify);
        }
        return;
    };
    for key in ["oneOf", "anyOf"] {
        let Some(Value::Array(alternatives)) = map.get(key) else {
            continue;
        };
        let mut flat = Vec::new();
        for alternative in alternatives {
            collect_constants(alternative, &mut flat);
        }
        if flat.iter().all(Option::is_some) {
            let values: Vec<Value> = flat.into_iter().flatten().collect();
            map.remove(key);
            let nullable = values.contains(&Value::Null);
            map.insert(
                "type".to_owned(),
                if nullable {
                    serde_json::json!(["string", "null"])
                } else {
                    "string".into()
                },
            );
            map.insert("enum".to_owned(), Value::Array(values));
        }
    }
    if map
        .get("format")
        .and_then(Value::as_str)
        .is_some_and(|f| f.starts_with("uint") || f.starts_with("int"))
    {
        map.remove("format");
    }
    map.values_mut().for_each(simplify);
}

/// The constant string values (and `null`) an alternative allows; `None` for anything else.
fn collect_constants(alternative: &serde_json::Value, out: &mut Vec<Option<serde_json::Value>>) {
    use serde_json::Value;
    if let Some(c) = alternative.get("const") {
        out.push(Some(c.clone()));
    } else if alternative.get("type").and_then(Value::as_str) == Some("null") {
        out.push(Some(Value::Null));
    } else if let Some(Value::Array(inner)) = alternative
        .get("oneOf")
        .or_else(|| alternative.get("anyOf"))
    {
        inner.iter().for_each(|a| collect_constants(a, out));
    } else if let Some(Value::Array(values)) = alternative.get("enum") {
        out.extend(values.iter().cloned().map(Some));
    } else {
        out.push(None);
    }
}

/// Replaces `$ref`s into `$defs` by the definitions themselves: the schema is small, and an
/// inlined schema can be embedded under any key (Helm's `values.schema.json` embeds it twice).
fn inline_definitions(schema: &mut serde_json::Value) {
    use serde_json::Value;
    let defs = schema
        .as_object_mut()
        .and_then(|o| o.remove("$defs"))
        .unwrap_or(Value::Null);
    fn walk(value: &mut Value, defs: &Value) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(target)) = map.get("$ref")
                    && let Some(name) = target.strip_prefix("#/$defs/")
                    && let Some(def) = defs.get(name)
                {
                    let mut def = def.clone();
                    walk(&mut def, defs);
                    map.remove("$ref");
                    if let Value::Object(def) = def {
                        for (k, v) in def {
                            map.entry(k).or_insert(v);
                        }
                    }
                }
                map.values_mut().for_each(|v| walk(v, defs));
            }
            Value::Array(items) => items.iter_mut().for_each(|v| walk(v, defs)),
            _ => {}
        }
    }
    walk(schema, &defs);
}
