//! Validation: bytes in, a [`Report`] of findings out, each with its line and column.
//!
//! This module owns what only source text has: its size, encoding and syntax, duplicate keys,
//! and positions. What the fields may hold is [`rules`](crate::rules), which this module runs
//! on the parsed object (and deserialisation and the builder run without positions).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::StatusDocument;
use crate::finding::{Code, Finding};
use crate::locate::{Index, Path, line_columns};
use crate::report::Report;
use crate::rules::{self, Field, Sink, describe, required_fields};

/// The largest document accepted: a ConfigMap holds at most 1 MiB of data in all.
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

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
/// assert_eq!(report.findings()[0].code().name(), "future-last-check");
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
            out_of_range: Vec::new(),
        };
        let document = check.run(self, bytes);
        let mut findings = check.positioned();
        // Document order is what a reader scans; errors before warnings at the same spot.
        findings.sort_by_key(|f| {
            (
                f.line().unwrap_or(usize::MAX),
                f.column().unwrap_or(0),
                f.severity(),
            )
        });
        Report::new(document, findings)
    }
}

struct Check<'a> {
    src: &'a str,
    /// Positions of the top-level members, built once the source is known to be JSON.
    index: Index,
    findings: Vec<Finding>,
    /// For each finding, the byte offset its line and column are still to be computed from.
    offsets: Vec<Option<usize>>,
    /// Numbers beyond f64 met while parsing: where each starts, and its text.
    out_of_range: Vec<(usize, String)>,
}

impl<'a> Check<'a> {
    /// The findings with their lines and columns, computed in one pass over the source.
    fn positioned(self) -> Vec<Finding> {
        let Check {
            src,
            findings,
            offsets,
            ..
        } = self;
        let pending: Vec<usize> = offsets.iter().flatten().copied().collect();
        // In the order of `pending`, which is the order of the findings that have an offset.
        let mut positions = line_columns(src, &pending).into_iter();
        findings
            .into_iter()
            .zip(offsets)
            .map(
                |(finding, offset)| match offset.and_then(|_| positions.next()) {
                    Some((line, column)) => finding.at(line, column),
                    None => finding,
                },
            )
            .collect()
    }

    /// Adds a finding whose position is already known (or unknowable).
    fn add(&mut self, finding: Finding) {
        self.findings.push(finding);
        self.offsets.push(None);
    }

    fn run(&mut self, settings: &Validator, bytes: &'a [u8]) -> Option<StatusDocument> {
        if bytes.len() > settings.max_bytes {
            // Only "more than": a caller that bounds its read (as it should) hands over the
            // limit plus one byte, not the size of what it was reading.
            let message = if settings.max_bytes == MAX_DOCUMENT_BYTES {
                format!(
                    "the document is larger than 1 MiB ({MAX_DOCUMENT_BYTES} bytes), the most a ConfigMap holds in all"
                )
            } else {
                format!(
                    "the document is larger than {}, the limit of this validator",
                    rules::plural(settings.max_bytes, "byte", "bytes")
                )
            };
            self.add(Finding::new(Code::TooLarge, "$", message));
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
                format!(
                    "the document is empty; expected a JSON object with {}",
                    required_fields()
                ),
            ));
            return None;
        }
        let (value, patched) = self.parse(src);
        if value.is_some() || !self.out_of_range.is_empty() {
            self.index = Index::build(patched.as_deref().unwrap_or(src));
        }
        for (offset, literal) in std::mem::take(&mut self.out_of_range) {
            self.number_out_of_range(offset, &literal);
        }
        let value = value?;
        let object = match value {
            Value::Object(object) => object,
            other => {
                self.push(
                    Code::NotAnObject,
                    &Path::root(),
                    format!(
                        "expected a JSON object with {}, found {}",
                        required_fields(),
                        describe(&other)
                    ),
                );
                return None;
            }
        };
        rules::check_object(&object, settings.now, self);
        self.duplicate_keys();
        if self.findings.iter().any(|f| f.fails(false)) {
            return None;
        }
        match StatusDocument::from_checked(object) {
            Ok(doc) => Some(doc),
            Err(finding) => {
                self.found(finding, &Path::root());
                None
            }
        }
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

    fn push(&mut self, code: Code, path: &Path, message: String) {
        self.found(Finding::new(code, path.to_string(), message), path);
    }

    /// Parses the source. A number beyond f64 (`1e400`) is JSON, but serde_json (like Go,
    /// which refuses the document, and unlike JavaScript, which reads Infinity) cannot hold it:
    /// each such number is noted (for an error of its own at the field that holds it, rather
    /// than a syntax error) and replaced by a `0` padded to its length, so that the rest of the
    /// document is still checked and every offset still holds.
    fn parse(&mut self, src: &str) -> (Option<Value>, Option<String>) {
        let mut patched: Option<String> = None;
        loop {
            let text = patched.as_deref().unwrap_or(src);
            let e = match serde_json::from_str(text) {
                Ok(value) => return (Some(value), patched),
                Err(e) => e,
            };
            match number_out_of_range(text, &e) {
                // Each one costs a parse: a few are reported, a flood is cut short.
                Some(_) if self.out_of_range.len() == MAX_OUT_OF_RANGE => return (None, patched),
                Some(range) => {
                    self.out_of_range
                        .push((range.start, src[range.clone()].to_owned()));
                    let zero = format!("0{}", " ".repeat(range.len() - 1));
                    patched
                        .get_or_insert_with(|| src.to_owned())
                        .replace_range(range, &zero);
                }
                None => {
                    self.add(syntax_finding(text, &e));
                    return (None, patched);
                }
            }
        }
    }

    fn number_out_of_range(&mut self, offset: usize, literal: &str) {
        let path = self.index.path_at(offset);
        let mut message = format!(
            "{path} holds {literal}, a number beyond the range of a 64-bit float (about 1.8e308); JSON readers disagree on such a number (JavaScript reads Infinity, Go refuses the document)"
        );
        if path == Path::root().key(Field::DriftCount.name()) {
            message.push_str(&format!("; expected {}", Field::DriftCount.expected()));
        }
        self.findings.push(Finding::new(
            Code::NumberOutOfRange,
            path.to_string(),
            message,
        ));
        self.offsets.push(Some(offset));
    }
}

/// How many numbers out of range are reported before validation stops looking.
const MAX_OUT_OF_RANGE: usize = 16;

/// The byte range of the number serde_json found out of range; `None` for any other error.
fn number_out_of_range(src: &str, e: &serde_json::Error) -> Option<std::ops::Range<usize>> {
    if !e.to_string().starts_with("number out of range") {
        return None;
    }
    // serde_json stops on the number's last character.
    let last = crate::locate::byte_offset(src, e.line(), e.column())?;
    let is_number = |c: &u8| c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E');
    let bytes = src.as_bytes();
    let start = bytes[..=last]
        .iter()
        .rposition(|c| !is_number(c))
        .map_or(0, |i| i + 1);
    Some(start..last + 1)
}

/// Findings from the rules get the position of the value they are about, once the source has
/// been indexed (offsets now, lines and columns in one pass at the end).
impl Sink for Check<'_> {
    fn found(&mut self, finding: Finding, at: &Path) {
        self.offsets.push(self.index.offset(self.src, at));
        self.findings.push(finding);
    }

    fn literal(&self, key: &str) -> Option<&str> {
        self.index.literal(self.src, key)
    }
}

fn syntax_finding(src: &str, e: &serde_json::Error) -> Finding {
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
    // serde_json counts columns in bytes; findings count characters.
    // Parsing a non-empty str, serde_json always has a position in it.
    match crate::locate::byte_offset(src, e.line(), e.column().max(1)) {
        Some(offset) => {
            let (line, column) = crate::locate::line_column(src, offset);
            finding.at(line, column)
        }
        None => finding,
    }
}
