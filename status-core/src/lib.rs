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
//! let codes: Vec<&str> = report.findings().iter().map(|f| f.code().name()).collect();
//! assert_eq!(codes, ["invalid-sync-status", "negative-drift-count", "empty-string", "invalid-timestamp"]);
//! assert_eq!(report.findings()[2].path(), "$.files[0]");
//! ```
//!
//! A [`StatusDocument`] is always a valid one: [`validate`], [`parse`], serde deserialisation and
//! [`StatusDocument::builder`] all apply the same rules, and a document's fields are read
//! through methods. [`Report`] and [`Finding`] are likewise made only by this crate.
//!
//! Three rules the programs share live here too: [`duration`], the spelling of how old a document
//! may be, [`timestamp`], the spelling of `last_check` every reader parses, and
//! [`is_document_key`], which ConfigMap keys are documents. And [`argocd`] maps an
//! Argo CD Application to the document of what Argo CD observed.
//!
//! # Public dependencies
//!
//! The API exposes types of two crates, re-exported so callers need not match versions by hand:
//! [`chrono`] 0.4 (`DateTime<FixedOffset>` for `last_check`) and [`serde_json`] 1 (`Map` and
//! `Value` for unknown fields and the schema), with serde_json's `preserve_order` feature
//! enabled, which keeps unknown fields in their order. A major version change of either is a
//! major version change of this crate.
//!
//! This crate does no I/O and knows nothing of HTTP or Kubernetes.

#![deny(clippy::unwrap_used, clippy::expect_used, missing_docs)]

pub mod argocd;
mod builder;
mod document;
pub mod duration;
mod finding;
mod key;
mod locate;
mod non_empty;
mod printable;
mod report;
mod rules;
mod schema;
mod statuses;
pub mod timestamp;
mod validate;

pub use chrono;
pub use serde_json;

pub use builder::StatusDocumentBuilder;
pub use document::{StatusDocument, format_timestamp};
pub use finding::{Code, Finding, Severity};
pub use key::{document_name, is_document_key};
pub use non_empty::NonEmptyString;
pub use printable::printable;
pub use report::Report;
pub use rules::MAX_DRIFT_COUNT;
pub use statuses::{HealthStatus, SyncStatus};
pub use validate::{MAX_DOCUMENT_BYTES, Validator};

/// What can go wrong in this crate.
///
/// ```
/// use status_core::Error;
///
/// match status_core::parse(br#"{"repo": "apps"}"#) {
///     Err(Error::Invalid { findings }) => {
///         assert_eq!(findings.len(), 5, "five required fields are missing");
///         assert!(findings.iter().all(|f| f.code().name() == "missing-field"));
///     }
///     other => panic!("{other:?}"),
/// }
/// let err = "Bogus".parse::<status_core::SyncStatus>().unwrap_err();
/// assert!(matches!(err, Error::UnknownValue { field: "sync_status", .. }));
/// let err = status_core::duration::parse("soon").unwrap_err();
/// assert!(err.to_string().starts_with("`soon` is not a duration"));
/// ```
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
    /// An Argo CD Application cannot be mapped to a document (see [`argocd`]): a field the
    /// mapping needs is missing, blank or of the wrong type, or the input is not a JSON object.
    #[error("invalid Argo CD Application: {message}")]
    InvalidApplication {
        /// The JSON path of the field in the Application, such as `$.spec.destination`.
        path: String,
        /// What is wrong there and what was expected; it names the path too.
        message: String,
    },
    /// A duration is not in the [`duration`] grammar, or is longer than [`duration::MAX`].
    #[error("{}", duration::message(.input, .reason))]
    InvalidDuration {
        /// The text given.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A timestamp is not in the [`timestamp`] profile (the spelling every reader parses).
    #[error("{}", timestamp::message(.input, .reason))]
    InvalidTimestamp {
        /// The text given.
        input: String,
        /// What is wrong with it, and its fix when only the spelling is wrong.
        reason: String,
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
    schema::document_schema()
}

// The crate README's examples compile and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
