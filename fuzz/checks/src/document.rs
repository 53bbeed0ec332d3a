//! Documents: validation on arbitrary bytes, on structured near-miss documents, and the Argo CD
//! mapping on arbitrary bytes.

use arbitrary::{Arbitrary, Unstructured};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;
use status_core::{
    Code, MAX_DOCUMENT_BYTES, Report, Severity, StatusDocument, SyncStatus, Validator, argocd,
};

/// The clock every check uses, so that a run is repeatable.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

/// Validation on arbitrary bytes: it never panics; [`status_core::parse`] agrees with
/// [`Report::is_valid`]; a report is well formed; and a valid document re-serialises (compact
/// and pretty) to bytes that validate again to an equal document, as serde and the builder
/// also give back.
pub fn validate(bytes: &[u8]) {
    let report = Validator::new().now(now()).validate(bytes);
    well_formed(bytes, &report);
    let parsed = status_core::parse(bytes);
    assert_eq!(
        parsed.is_ok(),
        report.is_valid(),
        "parse and validate disagree: {parsed:?}"
    );
    let Some(doc) = report.document() else {
        let Err(status_core::Error::Invalid { findings }) = report.clone().into_result(false)
        else {
            panic!("an invalid report gave a document");
        };
        assert!(!findings.is_empty(), "an invalid document with no error");
        assert!(findings.iter().all(|f| f.severity() == Severity::Error));
        return;
    };
    assert_eq!(parsed.as_ref().ok(), Some(doc));
    round_trip(doc);
}

/// A valid document survives every way out and back in.
fn round_trip(doc: &StatusDocument) {
    for text in [doc.to_json(), doc.to_json_pretty()] {
        let again = Validator::new().now(now()).validate(text.as_bytes());
        assert_eq!(
            again.document(),
            Some(doc),
            "{text} does not validate back to the document: {:?}",
            again.findings()
        );
        // What status-core writes has no spelling findings of its own making.
        assert!(
            again
                .findings()
                .iter()
                .all(|f| f.severity() == Severity::Warning),
            "{:?}",
            again.findings()
        );
        let deserialised: StatusDocument = match serde_json::from_str(&text) {
            Ok(doc) => doc,
            Err(e) => panic!("{text} does not deserialise: {e}"),
        };
        assert_eq!(&deserialised, doc);
    }
    assert_eq!(doc.to_builder().build().as_ref(), Ok(doc));
}

/// What every report must be, valid or not.
fn well_formed(bytes: &[u8], report: &Report) {
    let findings = report.findings();
    if bytes.len() > MAX_DOCUMENT_BYTES {
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].code(), Code::TooLarge);
    }
    let has_error = findings.iter().any(|f| f.severity() == Severity::Error);
    assert_eq!(report.is_valid(), !has_error, "{findings:?}");
    let lines = bytes.iter().filter(|&&b| b == b'\n').count() + 1;
    let mut last = (0, 0);
    for f in findings {
        assert!(f.path().starts_with('$'), "{f}");
        assert_eq!(f.severity(), f.code().severity());
        match (f.line(), f.column()) {
            (Some(line), Some(column)) => {
                assert!(line >= 1 && column >= 1 && line <= lines, "{f}");
                assert!(
                    (line, column) >= last,
                    "findings out of order: {findings:?}"
                );
                last = (line, column);
            }
            (None, None) => last = (usize::MAX, 0),
            _ => panic!("a line without a column: {f}"),
        }
    }
}

/// A document built from near-misses of every field, written with varied spellings; then
/// [`validate`]'s properties. Reaches the field rules far more often than raw bytes do. A
/// `pad` stretches the document to within a few bytes of the size limit, either side.
pub fn document(bytes: &[u8]) {
    let mut u = Unstructured::new(bytes);
    let Ok(spec) = Spec::arbitrary(&mut u) else {
        return;
    };
    let text = spec.render();
    validate(text.as_bytes());
    // Now and then (a 1 MiB document costs a thousand small ones), the same document padded
    // to within 64 bytes of the limit, either side: too large exactly when it is over, and
    // otherwise valid exactly when the document was (an unknown field changes nothing).
    if let Some(delta) = spec.pad.filter(|d| d % 16 == 0) {
        let target = MAX_DOCUMENT_BYTES.saturating_add_signed(isize::from(delta / 16 % 64));
        if let Some(padded) = pad(&text, target) {
            let validator = Validator::new().now(now());
            let report = validator.validate(padded.as_bytes());
            let too_large = report.findings().iter().any(|f| f.code() == Code::TooLarge);
            assert_eq!(too_large, padded.len() > MAX_DOCUMENT_BYTES);
            if !too_large {
                let original = validator.validate(text.as_bytes());
                assert_eq!(report.is_valid(), original.is_valid(), "{text}");
            }
        }
    }
}

/// `text` (an object) with a trailing unknown field that makes it `target` bytes long.
fn pad(text: &str, target: usize) -> Option<String> {
    let body = text.trim_end().strip_suffix('}')?;
    let head = format!("{body}, \"pad\": \"");
    let fill = target.checked_sub(head.len() + 2)?;
    Some(format!("{head}{}\"}}", "x".repeat(fill)))
}

/// A document's fields, each a near-miss choice.
#[derive(Debug, Arbitrary)]
struct Spec {
    repo: Text,
    server: Text,
    sync_status: Choice,
    drift_count: Number,
    files: Vec<Text>,
    last_check: Stamp,
    health_status: Option<Choice>,
    app: Option<Text>,
    extra: Option<(Text, Number)>,
    /// Which fields to leave out (a bit each) and to write twice.
    omit: u8,
    twice: u8,
    pretty: bool,
    pad: Option<i16>,
}

/// A string, or another JSON value where a string belongs.
#[derive(Debug, Arbitrary)]
enum Text {
    Name(String),
    Blank(u8),
    Null,
    Number(i32),
}

/// An enumerated value: a spelling from the tables, another case of one, or anything.
#[derive(Debug, Arbitrary)]
enum Choice {
    Sync(u8),
    Health(u8),
    Lower(u8),
    Other(String),
}

/// A number, spelled one of the ways JSON allows.
#[derive(Debug, Arbitrary)]
enum Number {
    Integer(i64),
    Unsigned(u64),
    Near2Pow53(i8),
    Fraction(u32, u8),
    Exponent(u32, i16),
    NegativeZero(bool),
    Huge(u16),
    Text(String),
}

/// A timestamp: the profile's, with one part changed.
#[derive(Debug, Arbitrary)]
struct Stamp {
    year: u16,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
    fraction: Option<u32>,
    separator: u8,
    offset: Option<(bool, u8, u8)>,
    lower_z: bool,
    colon: bool,
}

impl Text {
    fn json(&self) -> String {
        match self {
            Text::Name(s) => Value::String(s.clone()).to_string(),
            Text::Blank(n) => Value::String(" ".repeat(usize::from(n % 3))).to_string(),
            Text::Null => "null".to_owned(),
            Text::Number(n) => n.to_string(),
        }
    }
}

impl Choice {
    fn json(&self) -> String {
        let health = status_core::HealthStatus::ALL;
        let pick = |n: &u8, list: &[&'static str]| list[usize::from(*n) % list.len()].to_owned();
        let text = match self {
            Choice::Sync(n) => pick(n, &SyncStatus::ALL.map(SyncStatus::as_str)),
            Choice::Health(n) => pick(n, &health.map(|h| h.as_str())),
            Choice::Lower(n) => pick(n, &SyncStatus::ALL.map(SyncStatus::as_str)).to_lowercase(),
            Choice::Other(s) => s.clone(),
        };
        Value::String(text).to_string()
    }
}

impl Number {
    fn json(&self) -> String {
        const MAX: i64 = (1 << 53) - 1;
        match self {
            Number::Integer(n) => n.to_string(),
            Number::Unsigned(n) => n.to_string(),
            Number::Near2Pow53(d) => (MAX + i64::from(*d % 4)).to_string(),
            Number::Fraction(n, digits) => format!("{n}.{}", "0".repeat(usize::from(digits % 3))),
            Number::Exponent(n, e) => format!("{}e{}", n % 1000, e % 400),
            Number::NegativeZero(fraction) => if *fraction { "-0.0" } else { "-0" }.to_owned(),
            Number::Huge(digits) => format!("1{}", "0".repeat(usize::from(digits % 400))),
            Number::Text(s) => Value::String(s.clone()).to_string(),
        }
    }
}

impl Stamp {
    fn json(&self) -> String {
        let separator = match self.separator % 4 {
            0 | 1 => 'T',
            2 => 't',
            _ => ' ',
        };
        let mut s = format!(
            "{:04}-{:02}-{:02}{separator}{:02}:{:02}:{:02}",
            self.year % 10_000,
            self.month % 14,
            self.day % 33,
            self.hour % 25,
            self.minute % 61,
            self.second % 62
        );
        if let Some(fraction) = self.fraction {
            s.push_str(&format!(".{fraction}"));
        }
        match self.offset {
            None if self.lower_z => s.push('z'),
            None => s.push('Z'),
            Some((east, hours, minutes)) => {
                let sign = if east { '+' } else { '-' };
                let colon = if self.colon { ":" } else { "" };
                s.push_str(&format!(
                    "{sign}{:02}{colon}{:02}",
                    hours % 26,
                    minutes % 61
                ));
            }
        }
        Value::String(s).to_string()
    }
}

impl Spec {
    fn render(&self) -> String {
        let fields: Vec<(&str, String)> = vec![
            ("repo", self.repo.json()),
            ("server", self.server.json()),
            ("sync_status", self.sync_status.json()),
            ("drift_count", self.drift_count.json()),
            (
                "files",
                format!(
                    "[{}]",
                    self.files
                        .iter()
                        .map(Text::json)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            ("last_check", self.last_check.json()),
        ];
        let mut members = Vec::new();
        for (i, (name, value)) in fields.iter().enumerate() {
            if self.omit & (1 << i) != 0 {
                continue;
            }
            members.push(format!("{:?}: {value}", name));
            if self.twice & (1 << i) != 0 {
                members.push(format!("{:?}: {value}", name));
            }
        }
        if let Some(health) = &self.health_status {
            members.push(format!("\"health_status\": {}", health.json()));
        }
        if let Some(app) = &self.app {
            members.push(format!("\"app\": {}", app.json()));
        }
        if let Some((key, value)) = &self.extra {
            members.push(format!("{}: {}", key.json(), value.json()));
        }
        let separator = if self.pretty { ",\n  " } else { "," };
        format!("{{{}}}", members.join(separator))
    }
}

/// The Argo CD mapping on arbitrary bytes: it never panics; what it maps is a valid document
/// (by validation of its JSON too); reading the bytes as a `Value` first gives the same answer.
pub fn argocd(bytes: &[u8]) {
    let mapped = argocd::from_slice(bytes, now());
    if let Ok(doc) = &mapped {
        let report = Validator::new()
            .now(now())
            .validate(doc.to_json().as_bytes());
        assert_eq!(report.document(), Some(doc), "{:?}", report.findings());
    }
    if let Err(e) = &mapped {
        assert!(
            matches!(e, status_core::Error::InvalidApplication { path, .. } if path.starts_with('$')),
            "{e:?}"
        );
    }
    // serde refuses a repeated field that a `Value` keeps the last of: compare only when the
    // typed read succeeded.
    if let (Ok(value), Ok(_)) = (
        serde_json::from_slice::<Value>(bytes),
        argocd::Application::from_slice(bytes),
    ) {
        assert_eq!(argocd::from_value(&value, now()), mapped);
    }
}
