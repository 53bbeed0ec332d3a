//! Findings: what validation reports about a document, each with a stable code and a JSON path.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::StatusDocument;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The document is not a valid status document; it must not be served or pushed.
    Error,
    /// The document is valid but probably not what its author meant. `--strict` makes it an error.
    Warning,
}

impl Severity {
    /// `"error"` or `"warning"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! codes {
    ($($variant:ident = ($id:literal, $name:literal, $severity:ident, $desc:literal),)*) => {
        /// A stable identifier for a kind of finding.
        ///
        /// Both the short id (`E005`) and the name (`missing-field`) are stable across releases:
        /// scripts may match on either. New codes may be added in minor releases.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Code {
            $(#[doc = $desc] $variant,)*
        }

        impl Code {
            /// Every code, in id order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The short id, such as `E005`: `E` for errors, `W` for warnings.
            pub fn id(self) -> &'static str {
                match self { $(Code::$variant => $id,)* }
            }

            /// The kebab-case name, such as `missing-field`.
            pub fn name(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// The severity a finding of this code has (before `--strict`).
            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$severity,)* }
            }

            /// What the code means, one sentence, as documented in docs/schema.md.
            pub fn description(self) -> &'static str {
                match self { $(Code::$variant => $desc,)* }
            }
        }
    };
}

codes! {
    InvalidUtf8 = ("E001", "invalid-utf8", Error, "The bytes are not UTF-8."),
    EmptyDocument = ("E002", "empty-document", Error, "The document is empty or only white space."),
    SyntaxError = ("E003", "syntax-error", Error, "The bytes are not JSON (the finding has the line and column)."),
    NotAnObject = ("E004", "not-an-object", Error, "The top level is not a JSON object."),
    MissingField = ("E005", "missing-field", Error, "A required field is absent."),
    WrongType = ("E006", "wrong-type", Error, "A field has the wrong JSON type."),
    EmptyString = ("E007", "empty-string", Error, "A string that must not be empty is empty or only white space."),
    InvalidSyncStatus = ("E008", "invalid-sync-status", Error, "`sync_status` is not one of SYNCED, OUT_OF_SYNC, UNKNOWN, ERROR."),
    NegativeDriftCount = ("E009", "negative-drift-count", Error, "`drift_count` is negative."),
    InvalidTimestamp = ("E010", "invalid-timestamp", Error, "`last_check` is not an RFC 3339 timestamp."),
    InvalidHealthStatus = ("E011", "invalid-health-status", Error, "`health_status` is not one of Argo CD's health statuses."),
    TooLarge = ("E012", "too-large", Error, "The document is larger than a ConfigMap can hold (1 MiB)."),
    TooDeep = ("E013", "too-deep", Error, "The JSON nests deeper than the parser allows (128 levels)."),
    ByteOrderMark = ("E014", "byte-order-mark", Error, "The document starts with a byte order mark, which JSON forbids."),
    UnknownField = ("W001", "unknown-field", Warning, "A field this version does not know; it is kept and served as-is."),
    DriftBelowFiles = ("W002", "drift-below-files", Warning, "`drift_count` is smaller than the number of `files`."),
    DuplicateFile = ("W003", "duplicate-file", Warning, "The same entry appears twice in `files`."),
    FutureLastCheck = ("W004", "future-last-check", Warning, "`last_check` is more than five minutes in the future."),
    SyncedWithDrift = ("W005", "synced-with-drift", Warning, "`sync_status` is SYNCED but `drift_count` is not 0."),
    DuplicateKey = ("W006", "duplicate-key", Warning, "A top-level field appears twice; readers keep only the last."),
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// One thing validation found in a document.
///
/// ```
/// let report = status_core::validate(br#"{"repo": ""}"#);
/// let repo = report.findings.iter().find(|f| f.path == "$.repo").unwrap();
/// assert_eq!(repo.code.name(), "empty-string");
/// assert_eq!(repo.code.id(), "E007");
/// assert_eq!((repo.line, repo.column), (Some(1), Some(10)));
/// // Missing fields point at the object they are missing from.
/// let server = report.findings.iter().find(|f| f.path == "$.server").unwrap();
/// assert_eq!(server.code.name(), "missing-field");
/// assert_eq!(server.line, Some(1));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What kind of finding this is.
    pub code: Code,
    /// How serious it is.
    pub severity: Severity,
    /// Where in the document, as a JSON path (`$`, `$.files[2]`).
    pub path: String,
    /// What is wrong and what was expected, for people.
    pub message: String,
    /// The 1-based line in the source, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The 1-based column (in characters) in the source, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
}

impl Finding {
    /// A finding of `code` at `path`, with the code's own severity and no position.
    pub fn new(code: Code, path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code,
            severity: code.severity(),
            path: path.into(),
            message: message.into(),
            line: None,
            column: None,
        }
    }

    /// The same finding at a line and column.
    pub fn at(mut self, line: usize, column: usize) -> Self {
        self.line = Some(line);
        self.column = Some(column);
        self
    }

    /// Whether the finding fails validation: errors always, warnings when `strict`.
    pub fn fails(&self, strict: bool) -> bool {
        self.severity == Severity::Error || strict
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}] {}", self.severity, self.code, self.path)?;
        if let (Some(line), Some(column)) = (self.line, self.column) {
            write!(f, " (line {line}, column {column})")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The outcome of validating one document: the findings, and the document when it is valid.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The parsed document; `None` when any error was found.
    pub document: Option<StatusDocument>,
    /// Every finding, errors and warnings, in document order.
    pub findings: Vec<Finding>,
}

impl Report {
    /// Whether the document has no errors (warnings allowed).
    pub fn is_valid(&self) -> bool {
        self.document.is_some()
    }

    /// Whether the document passes: no errors, and with `strict` no warnings either.
    pub fn passes(&self, strict: bool) -> bool {
        self.is_valid() && !self.findings.iter().any(|f| f.fails(strict))
    }

    /// The findings of one severity.
    pub fn of(&self, severity: Severity) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.severity == severity)
    }

    /// The document, or an [`Error::Invalid`](crate::Error::Invalid) with the findings that fail it.
    pub fn into_result(self, strict: bool) -> Result<StatusDocument, crate::Error> {
        let failing: Vec<Finding> = self
            .findings
            .iter()
            .filter(|f| f.fails(strict))
            .cloned()
            .collect();
        match self.document {
            Some(doc) if failing.is_empty() => Ok(doc),
            _ => Err(crate::Error::Invalid { findings: failing }),
        }
    }
}
