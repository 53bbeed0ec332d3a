//! Validation: bytes in, a [`Report`] of findings out. The only place the document rules live.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};

use crate::finding::{Code, Finding, Report};
use crate::locate::{Index, Path, line_columns};
use crate::{HealthStatus, SyncStatus};

/// The largest document accepted: a ConfigMap holds at most 1 MiB of data in all.
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

/// How far in the future `last_check` may be before it is reported (clock skew between CI
/// runners and the cluster is common and harmless).
const FUTURE_TOLERANCE_SECONDS: i64 = 5 * 60;

const REQUIRED: [(&str, &str); 6] = [
    ("repo", "a non-empty string"),
    ("server", "a non-empty string"),
    ("sync_status", "one of SYNCED, OUT_OF_SYNC, UNKNOWN, ERROR"),
    ("drift_count", "a whole number >= 0"),
    ("files", "an array of non-empty strings"),
    (
        "last_check",
        "an RFC 3339 timestamp such as 2026-04-21T10:00:00Z",
    ),
];
const OPTIONAL: [&str; 4] = ["revision", "health_status", "message", "environment"];

/// Validates documents; holds the settings a check depends on.
///
/// Most callers want [`validate`](crate::validate). A `Validator` fixes "now", which makes the
/// future-timestamp check repeatable in tests.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use status_core::Validator;
///
/// let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
/// let report = Validator::new().now(now).validate(br#"{"repo": "r", "server": "s",
///     "sync_status": "SYNCED", "drift_count": 0, "files": [],
///     "last_check": "2026-04-21T10:00:00Z"}"#);
/// assert!(report.is_valid());
/// assert_eq!(report.findings[0].code.name(), "future-last-check");
/// ```
#[derive(Debug, Clone)]
pub struct Validator {
    now: Option<DateTime<Utc>>,
    max_bytes: usize,
}

impl Default for Validator {
    fn default() -> Self {
        Self::new()
    }
}

impl Validator {
    /// A validator with the default limits, comparing timestamps with the system clock.
    pub fn new() -> Self {
        Self {
            now: None,
            max_bytes: MAX_DOCUMENT_BYTES,
        }
    }

    /// Compares `last_check` with this instant instead of the system clock.
    pub fn now(mut self, now: DateTime<Utc>) -> Self {
        self.now = Some(now);
        self
    }

    /// Accepts documents up to `max_bytes` instead of [`MAX_DOCUMENT_BYTES`].
    pub fn max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// Validates one document.
    pub fn validate(&self, bytes: &[u8]) -> Report {
        let mut check = Check {
            src: "",
            index: Index::default(),
            findings: Vec::new(),
            offsets: Vec::new(),
        };
        let document = check.run(self, bytes);
        let mut findings = check.positioned();
        // Document order is what a reader scans; errors before warnings at the same spot.
        findings.sort_by_key(|f| {
            (
                f.line.unwrap_or(usize::MAX),
                f.column.unwrap_or(0),
                f.severity,
            )
        });
        Report { document, findings }
    }
}

struct Check<'a> {
    src: &'a str,
    /// Positions of the top-level members, built once the source is known to be JSON.
    index: Index,
    findings: Vec<Finding>,
    /// For each finding, the byte offset its line and column are still to be computed from.
    offsets: Vec<Option<usize>>,
}

impl<'a> Check<'a> {
    /// The findings with their lines and columns, computed in one pass over the source.
    fn positioned(self) -> Vec<Finding> {
        let Check {
            src,
            mut findings,
            offsets,
            ..
        } = self;
        let pending: Vec<(usize, usize)> = offsets
            .iter()
            .enumerate()
            .filter_map(|(i, offset)| offset.map(|o| (i, o)))
            .collect();
        let positions = line_columns(src, &pending.iter().map(|&(_, o)| o).collect::<Vec<_>>());
        for ((i, _), (line, column)) in pending.into_iter().zip(positions) {
            findings[i].line = Some(line);
            findings[i].column = Some(column);
        }
        findings
    }

    /// Adds a finding whose position is already known (or unknowable).
    fn add(&mut self, finding: Finding) {
        self.findings.push(finding);
        self.offsets.push(None);
    }

    fn run(&mut self, settings: &Validator, bytes: &'a [u8]) -> Option<crate::StatusDocument> {
        if bytes.len() > settings.max_bytes {
            self.add(Finding::new(
                Code::TooLarge,
                "$",
                format!(
                    "the document is {} bytes; a ConfigMap holds at most {} bytes (1 MiB) in all",
                    bytes.len(),
                    settings.max_bytes
                ),
            ));
            return None;
        }
        let src = match std::str::from_utf8(bytes) {
            Ok(src) => src,
            Err(e) => {
                let valid = &bytes[..e.valid_up_to()];
                // The valid prefix is UTF-8 by definition, so positions can be counted in it.
                let prefix = std::str::from_utf8(valid).unwrap_or_default();
                let (line, column) = crate::locate::line_column(prefix, prefix.len());
                self.add(
                    Finding::new(
                        Code::InvalidUtf8,
                        "$",
                        format!(
                            "byte {} (0x{:02x}) is not valid UTF-8; JSON documents must be UTF-8",
                            e.valid_up_to(),
                            bytes[e.valid_up_to()]
                        ),
                    )
                    .at(line, column),
                );
                return None;
            }
        };
        self.src = src;
        if src.starts_with('\u{feff}') {
            self.add(
                Finding::new(
                    Code::ByteOrderMark,
                    "$",
                    "the document starts with a UTF-8 byte order mark, which JSON forbids (RFC 8259, section 8.1); save it without one",
                )
                .at(1, 1),
            );
            return None;
        }
        if src.trim().is_empty() {
            self.add(Finding::new(
                Code::EmptyDocument,
                "$",
                "the document is empty; expected a JSON object with repo, server, sync_status, drift_count, files and last_check",
            ));
            return None;
        }
        let value: Value = match serde_json::from_str(src) {
            Ok(value) => value,
            Err(e) => {
                self.add(syntax_finding(&e));
                return None;
            }
        };
        self.index = Index::build(src);
        let Value::Object(object) = &value else {
            self.push(
                Code::NotAnObject,
                &Path::root(),
                format!(
                    "expected a JSON object with repo, server, sync_status, drift_count, files and last_check, found {}",
                    describe(&value)
                ),
            );
            return None;
        };
        self.check_object(settings, object);
        if self.findings.iter().any(|f| f.fails(false)) {
            return None;
        }
        match serde_json::from_value(value) {
            Ok(doc) => Some(doc),
            Err(e) => {
                // Unreachable when the checks above are complete; reported rather than trusted.
                self.push(Code::WrongType, &Path::root(), e.to_string());
                None
            }
        }
    }

    fn check_object(&mut self, settings: &Validator, object: &Map<String, Value>) {
        let root = Path::root();
        for (field, expected) in REQUIRED {
            if !object.contains_key(field) {
                self.push(
                    Code::MissingField,
                    &root,
                    format!("missing required field `{field}`: expected {expected}"),
                );
                // The path names the field, the position the object it belongs in.
                if let Some(last) = self.findings.last_mut() {
                    last.path = root.key(field).to_string();
                }
            }
        }
        for (key, value) in object {
            let path = root.key(key);
            match key.as_str() {
                "repo" | "server" => self.non_empty_string(&path, value),
                "sync_status" => self.sync_status(&path, value),
                "drift_count" => self.drift_count(&path, value),
                "files" => self.files(&path, value),
                "last_check" => self.last_check(settings, &path, value),
                "health_status" => self.health_status(&path, value),
                "revision" | "message" | "environment" => self.optional_string(&path, value),
                _ => self.push(
                    Code::UnknownField,
                    &path,
                    format!(
                        "unknown field `{key}` is kept and served as-is; known fields are {}, {}",
                        REQUIRED.map(|(f, _)| f).join(", "),
                        OPTIONAL.join(", ")
                    ),
                ),
            }
        }
        self.consistency(object);
        self.duplicate_keys();
    }

    fn duplicate_keys(&mut self) {
        use std::collections::hash_map::Entry;
        let mut first: HashMap<&str, usize> = HashMap::new();
        let mut duplicates = Vec::new();
        for member in &self.index.members {
            match first.entry(&member.key) {
                Entry::Vacant(slot) => {
                    slot.insert(member.key_offset);
                }
                Entry::Occupied(seen) => {
                    duplicates.push((member.key.clone(), *seen.get(), member.key_offset))
                }
            }
        }
        if duplicates.is_empty() {
            return;
        }
        let firsts: Vec<usize> = duplicates.iter().map(|&(_, first, _)| first).collect();
        let first_lines = line_columns(self.src, &firsts);
        for ((key, _, offset), (first_line, _)) in duplicates.into_iter().zip(first_lines) {
            self.findings.push(Finding::new(
                Code::DuplicateKey,
                Path::root().key(&key).to_string(),
                format!("`{key}` appears again (first on line {first_line}); JSON readers keep only the last value"),
            ));
            self.offsets.push(Some(offset));
        }
    }

    fn consistency(&mut self, object: &Map<String, Value>) {
        let drift = object.get("drift_count").and_then(Value::as_u64);
        let files = object.get("files").and_then(Value::as_array);
        if let (Some(drift), Some(files)) = (drift, files)
            && (drift as usize) < files.len()
        {
            self.push(
                Code::DriftBelowFiles,
                &Path::root().key("drift_count"),
                format!(
                    "drift_count is {drift} but files lists {} entries; drift_count counts the drifted files",
                    files.len()
                ),
            );
        }
        if object.get("sync_status").and_then(Value::as_str) == Some(SyncStatus::Synced.as_str())
            && let Some(drift @ 1..) = drift
        {
            self.push(
                Code::SyncedWithDrift,
                &Path::root().key("sync_status"),
                format!("sync_status is SYNCED but drift_count is {drift}; expected OUT_OF_SYNC, or drift_count 0"),
            );
        }
    }

    fn non_empty_string(&mut self, path: &Path, value: &Value) {
        match value {
            Value::String(s) if s.trim().is_empty() => self.push(
                Code::EmptyString,
                path,
                format!("{path} is empty; expected a non-empty string"),
            ),
            Value::String(_) => {}
            other => self.wrong_type(path, "a non-empty string", other),
        }
    }

    fn optional_string(&mut self, path: &Path, value: &Value) {
        if !matches!(value, Value::String(_) | Value::Null) {
            self.wrong_type(path, "a string", value);
        }
    }

    fn sync_status(&mut self, path: &Path, value: &Value) {
        let Value::String(s) = value else {
            return self.wrong_type(path, "one of SYNCED, OUT_OF_SYNC, UNKNOWN, ERROR", value);
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
            format!(
                "sync_status is {s:?}; expected one of SYNCED, OUT_OF_SYNC, UNKNOWN, ERROR{hint}"
            ),
        );
    }

    fn drift_count(&mut self, path: &Path, value: &Value) {
        match value {
            Value::Number(n) if n.is_u64() => {}
            Value::Number(n) if n.is_i64() => self.push(
                Code::NegativeDriftCount,
                path,
                format!("drift_count is {n}; expected a whole number >= 0"),
            ),
            Value::Number(n) => self.push(
                Code::WrongType,
                path,
                format!("drift_count is {n}; expected a whole number >= 0 (no fraction, at most 18446744073709551615)"),
            ),
            other => self.wrong_type(path, "a whole number >= 0", other),
        }
    }

    fn files(&mut self, path: &Path, value: &Value) {
        let Value::Array(items) = value else {
            return self.wrong_type(path, "an array of non-empty strings", value);
        };
        let mut seen: HashMap<&str, usize> = HashMap::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let item_path = path.index(i);
            match item {
                Value::String(s) if s.trim().is_empty() => self.push(
                    Code::EmptyString,
                    &item_path,
                    format!("{item_path} is empty; expected a file name"),
                ),
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
                other => self.wrong_type(&item_path, "a non-empty string (a file name)", other),
            }
        }
    }

    fn last_check(&mut self, settings: &Validator, path: &Path, value: &Value) {
        let Value::String(s) = value else {
            return self.wrong_type(
                path,
                "an RFC 3339 timestamp string such as \"2026-04-21T10:00:00Z\"",
                value,
            );
        };
        match DateTime::parse_from_rfc3339(s) {
            Ok(t) => {
                let now = settings.now.unwrap_or_else(Utc::now);
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
        let expected = "one of Healthy, Progressing, Degraded, Suspended, Missing, Unknown";
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
        self.findings
            .push(Finding::new(code, path.to_string(), message));
        self.offsets.push(self.index.offset(self.src, path));
    }
}

fn syntax_finding(e: &serde_json::Error) -> Finding {
    let full = e.to_string();
    // serde_json appends " at line L column C"; the finding carries those as fields.
    let message = full
        .rsplit_once(" at line ")
        .map_or(full.as_str(), |(m, _)| m);
    let (code, message) = if message.contains("recursion limit") {
        (
            Code::TooDeep,
            "the JSON nests more than 128 levels deep; a status document needs two".to_owned(),
        )
    } else {
        (Code::SyntaxError, format!("invalid JSON: {message}"))
    };
    let finding = Finding::new(code, "$", message);
    if e.line() > 0 {
        finding.at(e.line(), e.column().max(1))
    } else {
        finding
    }
}

/// "a number (3)", "a string (\"x\")", "an array", for messages.
fn describe(value: &Value) -> String {
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
