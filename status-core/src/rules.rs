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
use crate::timestamp;
use crate::{HealthStatus, SyncStatus};

/// How far in the future `last_check` may be before it is reported (clock skew between CI
/// runners and the cluster is common and harmless).
const FUTURE_TOLERANCE_SECONDS: i64 = 5 * 60;

/// The largest `drift_count`: 2^53 - 1, the largest whole number every JSON reader holds exactly
/// (JavaScript's `Number.MAX_SAFE_INTEGER`; RFC 7493's I-JSON advises no larger integer). Above
/// it, JavaScript reads another number than the one written.
///
/// ```
/// use status_core::{MAX_DRIFT_COUNT, StatusDocument, SyncStatus};
///
/// let t = status_core::timestamp::parse("2026-04-21T12:30:00Z")?;
/// let builder = StatusDocument::builder("apps", "prod", SyncStatus::OutOfSync, t);
/// assert!(builder.clone().drift_count(MAX_DRIFT_COUNT).build().is_ok());
/// assert!(builder.drift_count(MAX_DRIFT_COUNT + 1).build().is_err());
/// # Ok::<(), status_core::Error>(())
/// ```
pub const MAX_DRIFT_COUNT: u64 = (1 << 53) - 1;

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
    DriftCount = ("drift_count", true, "a whole number from 0 to 9007199254740991, written as an integer"),
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

    /// The source text of the top-level member `key`'s value, when there is source text: how a
    /// number was spelled, which its parsed value forgets (`-0.0` and `-0` parse alike).
    fn literal(&self, _key: &str) -> Option<&str> {
        None
    }
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
        // The count, once its rule accepted it: the consistency checks judge only a real one.
        let mut drift = None;
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
                Some(Field::DriftCount) => drift = self.drift_count(&path, value),
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
        self.consistency(object, drift);
    }

    fn consistency(&mut self, object: &Map<String, Value>, drift: Option<u64>) {
        let files = object.get(Field::Files.name()).and_then(Value::as_array);
        if let (Some(drift), Some(files)) = (drift, files)
            && (drift as usize) < files.len()
        {
            self.push(
                Code::DriftBelowFiles,
                &Path::root().key(Field::DriftCount.name()),
                format!(
                    "drift_count is {drift} but files lists {}; drift_count counts the drifted files",
                    plural(files.len(), "entry", "entries")
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

    /// Checks `drift_count`; the count when it is one (for the consistency checks).
    fn drift_count(&mut self, path: &Path, value: &Value) -> Option<u64> {
        let expected = Field::DriftCount.expected();
        let Value::Number(n) = value else {
            self.wrong_type(path, expected, value);
            return None;
        };
        // How the number was written, when there is source text: its value forgets.
        let literal = self.sink.literal(Field::DriftCount.name());
        let shown = literal.map_or_else(|| n.to_string(), str::to_owned);
        let is_integer_literal = |l: &str| {
            let digits = l.strip_prefix('-').unwrap_or(l);
            !digits.is_empty() && digits.bytes().all(|c| c.is_ascii_digit())
        };
        let f = n.as_f64().unwrap_or(f64::NAN);
        let count = match n.as_u64() {
            // A number beyond f64 that validation replaced by 0 (and reports on its own).
            Some(_) if literal.is_some_and(|l| !is_integer_literal(l)) => return None,
            Some(count) if count > MAX_DRIFT_COUNT => {
                self.push(Code::WrongType, path, too_large(&shown));
                return None;
            }
            Some(count) => return Some(count),
            // JSON's `-0` is the value 0, as JSON Schema and every reader take it; a `-0.0`
            // is another spelling of it, refused below as `1.0` is.
            None if f == 0.0 && literal.is_none_or(is_integer_literal) => return Some(0),
            None if n.is_i64() || f < 0.0 => {
                self.push(
                    Code::NegativeDriftCount,
                    path,
                    format!("drift_count is {shown}; expected {expected}"),
                );
                return None;
            }
            None => f,
        };
        let message = if count.fract() != 0.0 {
            format!("drift_count is {shown}, which has a fraction; expected {expected}")
        } else if count > MAX_DRIFT_COUNT as f64 {
            too_large(&shown)
        } else {
            // A whole number written with a fraction or an exponent (`1.0`, `1e2`): JSON
            // Schema's `integer` is a value and accepts it, but readers decoding into integers
            // do not (the one deliberate difference from the schema, in docs/schema.md).
            format!(
                "drift_count is written {shown}; write it as the integer {}, digits only (Go's encoding/json and other readers that decode it into an integer refuse a fraction or an exponent)",
                count as u64
            )
        };
        self.push(Code::WrongType, path, message);
        None
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
        match timestamp::check(s) {
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
            Err(reason) => self.push(
                Code::InvalidTimestamp,
                path,
                format!(
                    "last_check {}",
                    timestamp::message(s, &timestamp::explain(s, &reason))
                ),
            ),
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

/// The value of a `drift_count` the rules accept: a whole number, or JSON's `-0`.
pub(crate) fn drift_value(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| *f == 0.0 && f.is_sign_negative())
                .map(|_| 0)
        }),
        _ => None,
    }
}

/// The finding's message for a `drift_count` above [`MAX_DRIFT_COUNT`].
fn too_large(n: impl std::fmt::Display) -> String {
    format!(
        "drift_count is {n}; expected at most {MAX_DRIFT_COUNT} (2^53 - 1, the largest whole number every JSON reader holds exactly)"
    )
}

/// "1 entry", "2 entries".
pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
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
        Value::Array(a) => format!("an array of {}", plural(a.len(), "item", "items")),
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
