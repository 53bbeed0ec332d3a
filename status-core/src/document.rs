//! The status document itself: the typed form of `status.json`, which only a valid document
//! can become.

use std::str::FromStr;

use chrono::{DateTime, FixedOffset, SecondsFormat};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::builder::StatusDocumentBuilder;
use crate::finding::{Code, Finding};
use crate::rules::{self, Field};
use crate::{Error, HealthStatus, NonEmptyString, SyncStatus};

/// One GitOps status document, as served at `/status.json`.
///
/// A `StatusDocument` is always valid: every way to get one applies the document rules, and its
/// fields are read through methods, so none can be made invalid afterwards. Parse one with
/// [`str::parse`], [`parse`](crate::parse) or [`validate`](crate::validate) (which also report
/// warnings, lines and columns); deserialise one with serde (any serde format; an invalid
/// document is a deserialisation error naming the findings); or build one in code with
/// [`StatusDocument::builder`], which runs the same rules.
///
/// The six seed fields are required; the optional ones are omitted when absent. Fields this
/// version does not know are kept in [`StatusDocument::extra`] and written back unchanged, so a
/// newer producer never loses data through an older consumer. `#[non_exhaustive]`: fields may be
/// added in minor releases.
///
/// ```
/// use status_core::{StatusDocument, SyncStatus};
///
/// let doc: StatusDocument = r#"{
///   "repo": "production-apps", "server": "prod-cluster-01", "sync_status": "SYNCED",
///   "drift_count": 2, "files": ["deployment.yaml", "service.yaml"],
///   "last_check": "2026-04-21T12:30:00Z", "team": "platform"
/// }"#.parse()?;
/// assert_eq!(doc.sync_status(), SyncStatus::Synced);
/// assert_eq!(doc.extra()["team"], "platform");
/// assert!(doc.to_json_pretty().contains(r#""last_check": "2026-04-21T12:30:00Z""#));
///
/// // Deserialising applies the same rules: a blank repo is no document.
/// let forged = r#"{"repo": "  ", "server": "s", "sync_status": "SYNCED", "drift_count": 0,
///     "files": [], "last_check": "2026-04-21T12:30:00Z"}"#;
/// let err = status_core::serde_json::from_str::<StatusDocument>(forged).unwrap_err();
/// assert!(err.to_string().contains("error[empty-string] $.repo"), "{err}");
/// # Ok::<(), status_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "Map<String, Value>")]
// The schema describes the document, not the map deserialisation goes through.
#[schemars(
    !try_from,
    title = "GitOps status document",
    description = "The document gitops-status serves at /status.json: whether a GitOps deployment is in sync."
)]
#[non_exhaustive]
pub struct StatusDocument {
    /// The Git repository the deployment is synced from (a name or a URL).
    #[schemars(length(min = 1), regex(pattern = r"\S"))]
    pub(crate) repo: String,
    /// The cluster or server the repository is deployed to.
    #[schemars(length(min = 1), regex(pattern = r"\S"))]
    pub(crate) server: String,
    /// Whether the live state matches the repository.
    pub(crate) sync_status: SyncStatus,
    /// How many resources or files differ between the repository and the live state.
    #[schemars(range(max = 9_007_199_254_740_991u64))]
    pub(crate) drift_count: u64,
    /// The files (or resources) that differ; may be empty.
    pub(crate) files: Vec<NonEmptyString>,
    /// When the status was last checked, as an RFC 3339 timestamp.
    #[serde(serialize_with = "serialize_timestamp")]
    #[schemars(with = "String", extend("format" = "date-time", "pattern" = crate::timestamp::PATTERN))]
    pub(crate) last_check: DateTime<FixedOffset>,
    /// The Argo CD Application, or any deployable unit's name, that this document describes.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(default, length(min = 1), regex(pattern = r"\S"))]
    pub(crate) app: Option<String>,
    /// The Git revision (commit SHA, tag or branch) that was checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(default)]
    pub(crate) revision: Option<String>,
    /// Argo CD's health status of the deployed resources.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(default)]
    pub(crate) health_status: Option<HealthStatus>,
    /// A free-form message for people, such as the last sync result.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(default)]
    pub(crate) message: Option<String>,
    /// The environment name (production, staging, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(default)]
    pub(crate) environment: Option<String>,
    /// Fields this version does not know, kept verbatim.
    #[serde(flatten)]
    #[schemars(skip)]
    pub(crate) extra: Map<String, Value>,
}

impl StatusDocument {
    /// Starts a document from its required fields; see [`StatusDocumentBuilder`].
    ///
    /// `drift_count` defaults to the number of files, `files` to none.
    pub fn builder(
        repo: impl Into<String>,
        server: impl Into<String>,
        sync_status: SyncStatus,
        last_check: DateTime<FixedOffset>,
    ) -> StatusDocumentBuilder {
        StatusDocumentBuilder::new(repo.into(), server.into(), sync_status, last_check)
    }

    /// A builder holding this document's fields, to change some and build (and check) again.
    pub fn to_builder(&self) -> StatusDocumentBuilder {
        StatusDocumentBuilder::from_document(self.clone())
    }

    /// The Git repository the deployment is synced from (a name or a URL); never blank.
    pub fn repo(&self) -> &str {
        &self.repo
    }

    /// The cluster or server the repository is deployed to; never blank.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Whether the live state matches the repository.
    pub fn sync_status(&self) -> SyncStatus {
        self.sync_status
    }

    /// How many resources or files differ between the repository and the live state.
    pub fn drift_count(&self) -> u64 {
        self.drift_count
    }

    /// The files (or resources) that differ; may be empty.
    pub fn files(&self) -> &[NonEmptyString] {
        &self.files
    }

    /// The `files` entries as plain strings.
    pub fn file_names(&self) -> impl Iterator<Item = &str> {
        self.files.iter().map(NonEmptyString::as_str)
    }

    /// When the status was last checked, with the offset the document gave.
    pub fn last_check(&self) -> DateTime<FixedOffset> {
        self.last_check
    }

    /// The Argo CD Application, or any deployable unit's name, that this document describes;
    /// never blank when present.
    pub fn app(&self) -> Option<&str> {
        self.app.as_deref()
    }

    /// The Git revision (commit SHA, tag or branch) that was checked.
    pub fn revision(&self) -> Option<&str> {
        self.revision.as_deref()
    }

    /// Argo CD's health status of the deployed resources.
    pub fn health_status(&self) -> Option<HealthStatus> {
        self.health_status
    }

    /// A free-form message for people, such as the last sync result.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// The environment name (production, staging, ...).
    pub fn environment(&self) -> Option<&str> {
        self.environment.as_deref()
    }

    /// Fields this version does not know, kept verbatim and in their order.
    pub fn extra(&self) -> &Map<String, Value> {
        &self.extra
    }

    /// The document as compact JSON.
    pub fn to_json(&self) -> String {
        // Serialising this type cannot fail: every field is a string, number, array or JSON value.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The document as indented JSON with a trailing newline, as `statusctl render` writes it.
    pub fn to_json_pretty(&self) -> String {
        let mut out = serde_json::to_string_pretty(self).unwrap_or_default();
        out.push('\n');
        out
    }

    /// The typed document from an object the rules accepted (no error findings).
    ///
    /// Only moves values into fields: the rules have been run, and running them again here
    /// would cost `validate` a second pass. A value the rules should have refused is reported
    /// rather than trusted (a `wrong-type` finding at `$`), so a gap in the rules cannot panic.
    pub(crate) fn from_checked(object: Map<String, Value>) -> Result<Self, Finding> {
        let mismatch = |field: Field| {
            Finding::new(
                Code::WrongType,
                "$",
                format!(
                    "{} passed validation but does not hold {}; this is a bug in status-core",
                    field.name(),
                    field.expected()
                ),
            )
        };
        let string = |field: Field, value: Value| match value {
            Value::String(s) => Ok(s),
            _ => Err(mismatch(field)),
        };
        let optional = |field: Field, value: Value| match value {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s)),
            _ => Err(mismatch(field)),
        };
        let (mut repo, mut server, mut sync_status, mut drift_count, mut files, mut last_check) =
            (None, None, None, None, None, None);
        let mut doc_optional: [Option<String>; 4] = [None, None, None, None];
        let mut health_status = None;
        let mut extra = Map::new();
        for (key, value) in object {
            let Some(field) = Field::of(&key) else {
                extra.insert(key, value);
                continue;
            };
            match field {
                Field::Repo => repo = Some(string(field, value)?),
                Field::Server => server = Some(string(field, value)?),
                Field::SyncStatus => {
                    let s = string(field, value)?;
                    sync_status =
                        Some(SyncStatus::from_canonical(&s).ok_or_else(|| mismatch(field))?);
                }
                Field::DriftCount => {
                    drift_count = Some(rules::drift_value(&value).ok_or_else(|| mismatch(field))?);
                }
                Field::Files => {
                    let Value::Array(items) = value else {
                        return Err(mismatch(field));
                    };
                    let mut names = Vec::with_capacity(items.len());
                    for item in items {
                        match item {
                            Value::String(s) if !rules::is_blank(&s) => {
                                names.push(NonEmptyString::unchecked(s));
                            }
                            _ => return Err(mismatch(field)),
                        }
                    }
                    files = Some(names);
                }
                Field::LastCheck => {
                    let s = string(field, value)?;
                    last_check = Some(crate::timestamp::check(&s).map_err(|_| mismatch(field))?);
                }
                Field::HealthStatus => {
                    health_status = match optional(field, value)? {
                        None => None,
                        Some(s) => {
                            Some(HealthStatus::from_canonical(&s).ok_or_else(|| mismatch(field))?)
                        }
                    };
                }
                Field::Revision => doc_optional[0] = optional(field, value)?,
                Field::Message => doc_optional[1] = optional(field, value)?,
                Field::Environment => doc_optional[2] = optional(field, value)?,
                Field::App => doc_optional[3] = optional(field, value)?,
            }
        }
        let [revision, message, environment, app] = doc_optional;
        Ok(Self {
            repo: repo.ok_or_else(|| mismatch(Field::Repo))?,
            server: server.ok_or_else(|| mismatch(Field::Server))?,
            sync_status: sync_status.ok_or_else(|| mismatch(Field::SyncStatus))?,
            drift_count: drift_count.ok_or_else(|| mismatch(Field::DriftCount))?,
            files: files.ok_or_else(|| mismatch(Field::Files))?,
            last_check: last_check.ok_or_else(|| mismatch(Field::LastCheck))?,
            app,
            revision,
            health_status,
            message,
            environment,
            extra,
        })
    }
}

/// Checks a JSON object with the document rules (without positions) and makes it a document;
/// this is how serde deserialises a `StatusDocument`.
///
/// Fails with [`Error::Invalid`] holding the error findings; warnings do not fail.
impl TryFrom<Map<String, Value>> for StatusDocument {
    type Error = Error;

    fn try_from(object: Map<String, Value>) -> Result<Self, Error> {
        let mut findings = Vec::new();
        rules::check_object(&object, None, &mut findings);
        findings.retain(|f| f.fails(false));
        if !findings.is_empty() {
            return Err(Error::Invalid { findings });
        }
        Self::from_checked(object).map_err(|finding| Error::Invalid {
            findings: vec![finding],
        })
    }
}

impl FromStr for StatusDocument {
    type Err = Error;

    /// Parses and validates a document; warnings do not fail, errors do.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        crate::parse(s.as_bytes())
    }
}

fn serialize_timestamp<S: Serializer>(t: &DateTime<FixedOffset>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_timestamp(t))
}

/// Formats a timestamp the way documents carry it: RFC 3339, `Z` for UTC, and fractional
/// seconds only when there are some.
///
/// ```
/// let t = chrono::DateTime::parse_from_rfc3339("2026-04-21T12:30:00+00:00").unwrap();
/// assert_eq!(status_core::format_timestamp(&t), "2026-04-21T12:30:00Z");
/// ```
pub fn format_timestamp(t: &DateTime<FixedOffset>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}
