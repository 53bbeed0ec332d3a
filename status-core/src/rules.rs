//! The field rules: what each top-level field may hold, checked on a parsed JSON object.
//!
//! This is the one copy of them. [`validate`](crate::validate) runs them on the object it parsed
//! and adds a line and column to each finding; deserializing a [`StatusDocument`] and
//! [`StatusDocumentBuilder::build`] run them on a map, without positions. Findings go to a
//! [`Sink`], so the rules neither know nor pay for where they end up.
//!
//! [`StatusDocument`]: crate::StatusDocument
//! [`StatusDocumentBuilder::build`]: crate::StatusDocumentBuilder::build

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};

use crate::finding::{Code, Finding};
use crate::locate::Path;
use crate::statuses::{health_status_spellings, sync_status_spellings};
use crate::{HealthStatus, SyncStatus};

/// How far in the future `last_check` may be before it is reported (clock skew between CI
/// runners and the cluster is common and harmless).
const FUTURE_TOLERANCE_SECONDS: i64 = 5 * 60;

/// What an entry of `files` must be.
const FILE_ENTRY: &str = "a non-empty string (a file name)";

macro_rules! fields {
    ($($variant:ident = ($name:literal, $required:literal, $expected:expr),)+) => {
        /// A top-level field this version knows.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum Field {
            $($variant,)+
        }

        impl Field {
            /// Every known field, in the order documents are written.
            pub(crate) const ALL: [Field; [$($name),+].len()] = [$(Field::$variant),+];

            /// The field's name in documents.
            pub(crate) fn name(self) -> &'static str {
                match self { $(Field::$variant => $name,)+ }
            }

            /// Whether a document must have it.
            pub(crate) fn required(self) -> bool {
                match self { $(Field::$variant => $required,)+ }
            }

            /// What the field must hold, as every message about it says it ("a non-empty
            /// string").
            pub(crate) fn expected(self) -> &'static str {
                match self { $(Field::$variant => $expected,)+ }
            }

            /// The field named `key`, if this version knows it.
            pub(crate) fn of(key: &str) -> Option<Field> {
                match key {
                    $($name => Some(Field::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

// The one list of the fields, in document order: the six seed fields, then the optional ones,
// `app` first among them (it names what the rest describes, so a fleet reads by it).
fields! {
    Repo = ("repo", true, "a non-empty string"),
    Server = ("server", true, "a non-empty string"),
    SyncStatus = ("sync_status", true, concat!("one of ", sync_status_spellings!())),
    DriftCount = ("drift_count", true, "a whole number >= 0"),
    Files = ("files", true, "an array of non-empty strings"),
    LastCheck = ("last_check", true, "an RFC 3339 timestamp such as 2026-04-21T10:00:00Z"),
    App = ("app", false, "a non-empty string"),
    Revision = ("revision", false, "a string"),
    HealthStatus = ("health_status", false, concat!("one of ", health_status_spellings!())),
    Message = ("message", false, "a string"),
    Environment = ("environment", false, "a string"),
}

/// "repo, server, sync_status, drift_count, files and last_check": what a document must have.
pub(crate) fn required_fields() -> String {
    let names: Vec<&str> = Field::ALL
        .into_iter()
        .filter(|f| f.required())
        .map(Field::name)
        .collect();
    match names.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// Where findings go: with a position ([`validate`](crate::validate)) or without.
pub(crate) trait Sink {
    /// Takes a finding about the value at `at` (for a missing field, the object it is missing
    /// from).
    fn found(&mut self, finding: Finding, at: &Path);
}

/// Collects findings without positions.
impl Sink for Vec<Finding> {
    fn found(&mut self, finding: Finding, _at: &Path) {
        self.push(finding);
    }
}

/// Whether a string is blank: empty or only white space. The rule behind `empty-string` (E007).
pub(crate) fn is_blank(s: &str) -> bool {
    s.trim().is_empty()
}

/// The `empty-string` finding for a blank string at `path` that should be `expected`.
pub(crate) fn blank_finding(path: &Path, expected: &str) -> Finding {
    Finding::new(
        Code::EmptyString,
        path.to_string(),
        format!("{path} is empty; expected {expected}"),
    )
}

/// Runs every field rule and consistency check on a document's top-level object.
///
/// `now` is the instant `last_check` is compared with (the system clock when `None`).
pub(crate) fn check_object(
    object: &Map<String, Value>,
    now: Option<DateTime<Utc>>,
    sink: &mut impl Sink,
) {
    let mut rules = Rules { now, sink };
    rules.object(object);
}

struct Rules<'s, S: Sink> {
    now: Option<DateTime<Utc>>,
    sink: &'s mut S,
}

impl<S: Sink> Rules<'_, S> {
    fn object(&mut self, object: &Map<String, Value>) {
        let root = Path::root();
        for field in Field::ALL {
            if field.required() && !object.contains_key(field.name()) {
                let name = field.name();
                // The path names the field, the position the object it belongs in.
                self.sink.found(
                    Finding::new(
                        Code::MissingField,
                        root.key(name).to_string(),
                        format!(
                            "missing required field `{name}`: expected {}",
                            field.expected()
                        ),
                    ),
                    &root,
                );
            }
        }
        for (key, value) in object {
            let path = root.key(key);
            match Field::of(key) {
                Some(field @ (Field::Repo | Field::Server)) => {
                    self.non_empty_string(field, &path, value)
                }
                Some(Field::SyncStatus) => self.sync_status(&path, value),
                Some(Field::DriftCount) => self.drift_count(&path, value),
                Some(Field::Files) => self.files(&path, value),
                Some(Field::LastCheck) => self.last_check(&path, value),
                Some(Field::HealthStatus) => self.health_status(&path, value),
                // Optional, but never blank when present: a nameless app names nothing.
                Some(Field::App) => {
                    if !value.is_null() {
                        self.non_empty_string(Field::App, &path, value);
                    }
                }
                Some(field @ (Field::Revision | Field::Message | Field::Environment)) => {
                    if !matches!(value, Value::String(_) | Value::Null) {
                        self.wrong_type(&path, field.expected(), value);
                    }
                }
                None => self.push(
                    Code::UnknownField,
                    &path,
                    format!(
                        "unknown field `{key}` is kept and served as-is; known fields are {}",
                        Field::ALL.map(Field::name).join(", ")
                    ),
                ),
            }
        }
        self.consistency(object);
    }

    fn consistency(&mut self, object: &Map<String, Value>) {
        let drift = object.get(Field::DriftCount.name()).and_then(Value::as_u64);
        let files = object.get(Field::Files.name()).and_then(Value::as_array);
        if let (Some(drift), Some(files)) = (drift, files)
            && (drift as usize) < files.len()
        {
            self.push(
                Code::DriftBelowFiles,
                &Path::root().key(Field::DriftCount.name()),
                format!(
                    "drift_count is {drift} but files lists {} entries; drift_count counts the drifted files",
                    files.len()
                ),
            );
        }
        let synced = SyncStatus::Synced.as_str();
        let out_of_sync = SyncStatus::OutOfSync.as_str();
        if object.get(Field::SyncStatus.name()).and_then(Value::as_str) == Some(synced)
            && let Some(drift @ 1..) = drift
        {
            self.push(
                Code::SyncedWithDrift,
                &Path::root().key(Field::SyncStatus.name()),
                format!(
                    "sync_status is {synced} but drift_count is {drift}; expected {out_of_sync}, or drift_count 0"
                ),
            );
        }
    }

    fn non_empty_string(&mut self, field: Field, path: &Path, value: &Value) {
        match value {
            Value::String(s) if is_blank(s) => {
                self.sink.found(blank_finding(path, field.expected()), path)
            }
            Value::String(_) => {}
            other => self.wrong_type(path, field.expected(), other),
        }
    }

    fn sync_status(&mut self, path: &Path, value: &Value) {
        let expected = Field::SyncStatus.expected();
        let Value::String(s) = value else {
            return self.wrong_type(path, expected, value);
        };
        if SyncStatus::from_canonical(s).is_some() {
            return;
        }
        let hint = match s.parse::<SyncStatus>() {
            Ok(canonical) => format!(
                "; write \"{canonical}\" (statusctl render accepts Argo CD's \"{s}\" and writes \"{canonical}\")"
            ),
            Err(_) => String::new(),
        };
        self.push(
            Code::InvalidSyncStatus,
            path,
            format!("sync_status is {s:?}; expected {expected}{hint}"),
        );
    }

    fn drift_count(&mut self, path: &Path, value: &Value) {
        let expected = Field::DriftCount.expected();
        match value {
            Value::Number(n) if n.is_u64() => {}
            Value::Number(n) if n.is_i64() => self.push(
                Code::NegativeDriftCount,
                path,
                format!("drift_count is {n}; expected {expected}"),
            ),
            Value::Number(n) => self.push(
                Code::WrongType,
                path,
                format!(
                    "drift_count is {n}; expected {expected} (no fraction, at most {})",
                    u64::MAX
                ),
            ),
            other => self.wrong_type(path, expected, other),
        }
    }

    fn files(&mut self, path: &Path, value: &Value) {
        let Value::Array(items) = value else {
            return self.wrong_type(path, Field::Files.expected(), value);
        };
        let mut seen: HashMap<&str, usize> = HashMap::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let item_path = path.index(i);
            match item {
                Value::String(s) if is_blank(s) => self
                    .sink
                    .found(blank_finding(&item_path, "a file name"), &item_path),
                Value::String(s) => {
                    if let Some(first) = seen.insert(s, i) {
                        seen.insert(s, first);
                        self.push(
                            Code::DuplicateFile,
                            &item_path,
                            format!("{s:?} is listed already at {}", path.index(first)),
                        );
                    }
                }
                other => self.wrong_type(&item_path, FILE_ENTRY, other),
            }
        }
    }

    fn last_check(&mut self, path: &Path, value: &Value) {
        let Value::String(s) = value else {
            return self.wrong_type(path, Field::LastCheck.expected(), value);
        };
        match DateTime::parse_from_rfc3339(s) {
            Ok(t) => {
                let now = self.now.unwrap_or_else(Utc::now);
                if t.with_timezone(&Utc) > now + Duration::seconds(FUTURE_TOLERANCE_SECONDS) {
                    self.push(
                        Code::FutureLastCheck,
                        path,
                        format!(
                            "last_check {s} is in the future (now is {}); is a clock wrong?",
                            now.format("%Y-%m-%dT%H:%M:%SZ")
                        ),
                    );
                }
            }
            Err(e) => {
                // The commonest mistake is a local time without an offset; say so plainly.
                let why =
                    if chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").is_ok() {
                        "it has no UTC offset; add Z for UTC or an offset such as +02:00".to_owned()
                    } else {
                        e.to_string()
                    };
                self.push(
                    Code::InvalidTimestamp,
                    path,
                    format!("last_check {s:?} is not an RFC 3339 timestamp ({why}); expected a date, time and offset such as \"2026-04-21T10:00:00Z\""),
                )
            }
        }
    }

    fn health_status(&mut self, path: &Path, value: &Value) {
        let expected = Field::HealthStatus.expected();
        match value {
            Value::Null => {}
            Value::String(s) if HealthStatus::from_canonical(s).is_some() => {}
            Value::String(s) => self.push(
                Code::InvalidHealthStatus,
                path,
                format!("health_status is {s:?}; expected {expected}"),
            ),
            other => self.wrong_type(path, expected, other),
        }
    }

    fn wrong_type(&mut self, path: &Path, expected: &str, found: &Value) {
        self.push(
            Code::WrongType,
            path,
            format!("{path} is {}; expected {expected}", describe(found)),
        );
    }

    fn push(&mut self, code: Code, path: &Path, message: String) {
        self.sink
            .found(Finding::new(code, path.to_string(), message), path);
    }
}

/// "a number (3)", "a string (\"x\")", "an array", for messages.
pub(crate) fn describe(value: &Value) -> String {
    fn clip(s: &str) -> String {
        if s.chars().count() > 40 {
            format!("{}...", s.chars().take(40).collect::<String>())
        } else {
            s.to_owned()
        }
    }
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("a boolean ({b})"),
        Value::Number(n) => format!("a number ({n})"),
        Value::String(s) => format!("a string ({:?})", clip(s)),
        Value::Array(a) => format!("an array of {} items", a.len()),
        Value::Object(_) => "an object".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_field_table_is_consistent() {
        for field in Field::ALL {
            assert_eq!(Field::of(field.name()), Some(field));
        }
        assert_eq!(
            required_fields(),
            "repo, server, sync_status, drift_count, files and last_check"
        );
        assert_eq!(
            Field::SyncStatus.expected(),
            "one of SYNCED, OUT_OF_SYNC, UNKNOWN, ERROR"
        );
        assert_eq!(Field::of("team"), None);
    }

    #[test]
    fn the_fields_are_the_schemas_properties_in_order() {
        let schema = crate::json_schema();
        let properties: Vec<&str> = schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(properties, Field::ALL.map(Field::name));
        let required: Vec<&str> = schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let ours: Vec<&str> = Field::ALL
            .into_iter()
            .filter(|f| f.required())
            .map(Field::name)
            .collect();
        assert_eq!(required, ours);
    }
}
