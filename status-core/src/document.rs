//! The status document itself: the typed form of `status.json`.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, SecondsFormat};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// One GitOps status document, as served at `/status.json`.
///
/// The six seed fields are required; the optional ones are omitted when absent. Fields this
/// version does not know are kept in [`StatusDocument::extra`] and written back unchanged, so a
/// newer producer never loses data through an older consumer.
///
/// Parse documents with [`str::parse`], [`parse`](crate::parse) or [`validate`](crate::validate):
/// they apply every rule. The serde `Deserialize` impl checks only the JSON types (it accepts an
/// empty `repo`, say), and a document built in code is not checked until it is validated: run
/// `validate(doc.to_json().as_bytes())` before publishing one you built.
///
/// ```
/// use status_core::{StatusDocument, SyncStatus};
///
/// let doc: StatusDocument = r#"{
///   "repo": "production-apps", "server": "prod-cluster-01", "sync_status": "SYNCED",
///   "drift_count": 2, "files": ["deployment.yaml", "service.yaml"],
///   "last_check": "2026-04-21T12:30:00Z", "team": "platform"
/// }"#.parse()?;
/// assert_eq!(doc.sync_status, SyncStatus::Synced);
/// assert_eq!(doc.extra["team"], "platform");
/// assert!(doc.to_json_pretty().contains(r#""last_check": "2026-04-21T12:30:00Z""#));
/// # Ok::<(), status_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(
    title = "GitOps status document",
    description = "The document gitops-status serves at /status.json: whether a GitOps deployment is in sync."
)]
pub struct StatusDocument {
    /// The Git repository the deployment is synced from (a name or a URL).
    #[schemars(length(min = 1), regex(pattern = r"\S"))]
    pub repo: String,
    /// The cluster or server the repository is deployed to.
    #[schemars(length(min = 1), regex(pattern = r"\S"))]
    pub server: String,
    /// Whether the live state matches the repository.
    pub sync_status: SyncStatus,
    /// How many resources or files differ between the repository and the live state.
    pub drift_count: u64,
    /// The files (or resources) that differ; may be empty.
    pub files: Vec<NonEmptyString>,
    /// When the status was last checked, as an RFC 3339 timestamp.
    #[serde(
        serialize_with = "serialize_timestamp",
        deserialize_with = "deserialize_timestamp"
    )]
    #[schemars(with = "String", extend("format" = "date-time"))]
    pub last_check: DateTime<FixedOffset>,
    /// The Git revision (commit SHA, tag or branch) that was checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// Argo CD's health status of the deployed resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_status: Option<HealthStatus>,
    /// A free-form message for people, such as the last sync result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The environment name (production, staging, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// Fields this version does not know, kept verbatim.
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Map<String, Value>,
}

/// A string that is not empty: the type of each entry of `files`.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(transparent)]
pub struct NonEmptyString(#[schemars(length(min = 1), regex(pattern = r"\S"))] pub String);

impl NonEmptyString {
    /// The string itself.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NonEmptyString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl StatusDocument {
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

    /// The `files` entries as plain strings.
    pub fn file_names(&self) -> impl Iterator<Item = &str> {
        self.files.iter().map(NonEmptyString::as_str)
    }
}

impl FromStr for StatusDocument {
    type Err = crate::Error;

    /// Parses and validates a document; warnings do not fail, errors do.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        crate::parse(s.as_bytes())
    }
}

fn serialize_timestamp<S: Serializer>(t: &DateTime<FixedOffset>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_timestamp(t))
}

fn deserialize_timestamp<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<DateTime<FixedOffset>, D::Error> {
    let raw = String::deserialize(d)?;
    DateTime::parse_from_rfc3339(&raw).map_err(serde::de::Error::custom)
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

/// Whether the live state matches the repository. Serialised in the seed's upper-case spelling.
///
/// Parsing with [`str::parse`] also accepts Argo CD's spellings (`Synced`, `OutOfSync`,
/// `Unknown`) and any case, which is what `statusctl render --sync-status` uses; a document
/// itself must carry the canonical spelling.
///
/// ```
/// use status_core::SyncStatus;
/// assert_eq!("OutOfSync".parse::<SyncStatus>()?, SyncStatus::OutOfSync);
/// assert_eq!(SyncStatus::OutOfSync.as_str(), "OUT_OF_SYNC");
/// # Ok::<(), status_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum SyncStatus {
    /// The live state matches the repository.
    #[serde(rename = "SYNCED")]
    Synced,
    /// The live state differs from the repository.
    #[serde(rename = "OUT_OF_SYNC")]
    OutOfSync,
    /// The state could not be determined.
    #[serde(rename = "UNKNOWN")]
    Unknown,
    /// The check itself failed.
    #[serde(rename = "ERROR")]
    Error,
}

impl SyncStatus {
    /// Every value, in the order the schema lists them.
    pub const ALL: [SyncStatus; 4] = [Self::Synced, Self::OutOfSync, Self::Unknown, Self::Error];

    /// The canonical spelling, as written in documents.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Synced => "SYNCED",
            Self::OutOfSync => "OUT_OF_SYNC",
            Self::Unknown => "UNKNOWN",
            Self::Error => "ERROR",
        }
    }

    /// The canonical value for an exact canonical spelling, and nothing else.
    pub fn from_canonical(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

impl fmt::Display for SyncStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SyncStatus {
    type Err = crate::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let folded: String = s
            .chars()
            .filter(|c| !matches!(c, '_' | '-' | ' '))
            .flat_map(char::to_lowercase)
            .collect();
        match folded.as_str() {
            "synced" => Ok(Self::Synced),
            "outofsync" => Ok(Self::OutOfSync),
            "unknown" => Ok(Self::Unknown),
            "error" => Ok(Self::Error),
            _ => Err(crate::Error::UnknownValue {
                field: "sync_status",
                value: s.to_owned(),
                expected: "SYNCED, OUT_OF_SYNC, UNKNOWN, ERROR (or Argo CD's Synced, OutOfSync, Unknown)",
            }),
        }
    }
}

/// Argo CD's health status of the deployed resources.
///
/// ```
/// use status_core::HealthStatus;
/// assert_eq!("healthy".parse::<HealthStatus>()?, HealthStatus::Healthy);
/// assert_eq!(HealthStatus::Degraded.as_str(), "Degraded");
/// # Ok::<(), status_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum HealthStatus {
    /// All resources are healthy.
    Healthy,
    /// Resources are still becoming healthy.
    Progressing,
    /// A resource failed or cannot become healthy.
    Degraded,
    /// A resource is paused or suspended.
    Suspended,
    /// A resource is missing from the cluster.
    Missing,
    /// The health could not be determined.
    Unknown,
}

impl HealthStatus {
    /// Every value, in the order the schema lists them.
    pub const ALL: [HealthStatus; 6] = [
        Self::Healthy,
        Self::Progressing,
        Self::Degraded,
        Self::Suspended,
        Self::Missing,
        Self::Unknown,
    ];

    /// Argo CD's spelling, as written in documents.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Healthy => "Healthy",
            Self::Progressing => "Progressing",
            Self::Degraded => "Degraded",
            Self::Suspended => "Suspended",
            Self::Missing => "Missing",
            Self::Unknown => "Unknown",
        }
    }

    /// The value for an exact Argo CD spelling, and nothing else.
    pub fn from_canonical(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

impl fmt::Display for HealthStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for HealthStatus {
    type Err = crate::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| crate::Error::UnknownValue {
                field: "health_status",
                value: s.to_owned(),
                expected: "Healthy, Progressing, Degraded, Suspended, Missing, Unknown",
            })
    }
}
