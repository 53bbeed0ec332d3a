//! Findings: what validation reports about a document, each with a stable code and a JSON path.

use std::fmt;

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::statuses::sync_status_spellings;

/// How serious a finding is.
///
/// `#[non_exhaustive]`: a later version may grade findings more finely (a `note`, say).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
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
    ($($variant:ident = ($id:literal, $name:literal, $severity:ident, $desc:expr),)*) => {
        /// A stable identifier for a kind of finding.
        ///
        /// Both the short id (`E005`) and the name (`missing-field`) are stable across releases:
        /// scripts may match on either. New codes may be added in minor releases.
        ///
        /// ```
        /// use status_core::{Code, Severity};
        ///
        /// let report = status_core::validate(br#"{"repo": "apps"}"#);
        /// let first = &report.findings()[0];
        /// assert_eq!(first.code(), Code::MissingField);
        /// assert_eq!((first.code().id(), first.code().name()), ("E005", "missing-field"));
        /// assert_eq!(first.code().severity(), Severity::Error);
        /// // Every code, for a table of them:
        /// assert!(Code::ALL.iter().any(|c| c.id() == "W003" && c.name() == "duplicate-file"));
        /// ```
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
    InvalidSyncStatus = ("E008", "invalid-sync-status", Error, concat!("`sync_status` is not one of ", sync_status_spellings!(), ".")),
    NegativeDriftCount = ("E009", "negative-drift-count", Error, "`drift_count` is negative."),
    InvalidTimestamp = ("E010", "invalid-timestamp", Error, "`last_check` is not a timestamp in the profile every reader parses (RFC 3339 with an upper-case T and Z, no leap second)."),
    InvalidHealthStatus = ("E011", "invalid-health-status", Error, "`health_status` is not one of Argo CD's health statuses."),
    TooLarge = ("E012", "too-large", Error, "The document is larger than a ConfigMap can hold (1 MiB)."),
    TooDeep = ("E013", "too-deep", Error, "The JSON nests deeper than the parser allows (128 levels)."),
    ByteOrderMark = ("E014", "byte-order-mark", Error, "The document starts with a byte order mark, which JSON forbids."),
    NumberOutOfRange = ("E015", "number-out-of-range", Error, "A number is beyond the range of a 64-bit float (such as 1e400); JSON readers disagree on what it is."),
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

/// A code serialises as its name (`"missing-field"`); a [`Finding`] carries both id and name.
impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// One thing validation found in a document.
///
/// Findings are made by this crate only (validation, deserialization and the builder): another
/// crate can read one, print it and serialise it, but not forge one.
///
/// ```
/// let report = status_core::validate(br#"{"repo": ""}"#);
/// let repo = report.findings().iter().find(|f| f.path() == "$.repo").unwrap();
/// assert_eq!(repo.code().name(), "empty-string");
/// assert_eq!(repo.code().id(), "E007");
/// assert_eq!((repo.line(), repo.column()), (Some(1), Some(10)));
/// // Missing fields point at the object they are missing from.
/// let server = report.findings().iter().find(|f| f.path() == "$.server").unwrap();
/// assert_eq!(server.code().name(), "missing-field");
/// assert_eq!(server.line(), Some(1));
/// // The one JSON shape of a finding, as statusctl and status-server print it:
/// assert_eq!(
///     status_core::serde_json::to_string(repo)?,
///     r#"{"code":"E007","name":"empty-string","severity":"error","path":"$.repo","message":"$.repo is empty; expected a non-empty string","line":1,"column":10}"#
/// );
/// # Ok::<(), status_core::serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Finding {
    code: Code,
    path: String,
    message: String,
    line: Option<usize>,
    column: Option<usize>,
}

impl Finding {
    /// A finding of `code` at `path`, with no position.
    pub(crate) fn new(code: Code, path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code,
            path: path.into(),
            message: message.into(),
            line: None,
            column: None,
        }
    }

    /// The same finding at a line and column.
    pub(crate) fn at(mut self, line: usize, column: usize) -> Self {
        self.line = Some(line);
        self.column = Some(column);
        self
    }

    /// What kind of finding this is.
    pub fn code(&self) -> Code {
        self.code
    }

    /// How serious it is: always its code's severity.
    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    /// Where in the document, as a JSON path (`$`, `$.files[2]`, `$["odd key"]`); for a
    /// missing field, the path of the field that is missing.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What is wrong and what was expected, for people.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The 1-based line in the source, when known (never for a document that was not parsed
    /// from text, such as one deserialised from a map or built in code).
    pub fn line(&self) -> Option<usize> {
        self.line
    }

    /// The 1-based column (in characters) in the source, when known.
    pub fn column(&self) -> Option<usize> {
        self.column
    }

    /// Whether the finding fails validation: errors always, warnings when `strict`.
    pub fn fails(&self, strict: bool) -> bool {
        self.severity() == Severity::Error || strict
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}] {}", self.severity(), self.code, self.path)?;
        if let (Some(line), Some(column)) = (self.line, self.column) {
            write!(f, " (line {line}, column {column})")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// `{"code": "E005", "name": "missing-field", "severity": "error", "path": "$.repo",
/// "message": "...", "line": 1, "column": 10}`: every key always present, `null` when unknown,
/// so scripts can rely on the shape. `statusctl validate --format json` and status-server's 503
/// body both print findings this way.
impl Serialize for Finding {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = s.serialize_struct("Finding", 7)?;
        out.serialize_field("code", self.code.id())?;
        out.serialize_field("name", self.code.name())?;
        out.serialize_field("severity", &self.severity())?;
        out.serialize_field("path", &self.path)?;
        out.serialize_field("message", &self.message)?;
        out.serialize_field("line", &self.line)?;
        out.serialize_field("column", &self.column)?;
        out.end()
    }
}
