//! The outcome of validating one document: its findings, and the document when it is valid.

use crate::finding::{Finding, Severity};
use crate::{Error, StatusDocument};

/// The outcome of validating one document: the findings, and the document when it is valid.
///
/// Only [`validate`](crate::validate) (and [`Validator::validate`](crate::Validator::validate))
/// makes one, so a `Report` that holds a document always means the document passed.
///
/// ```
/// use status_core::Severity;
///
/// // SYNCED with drift: valid, with one warning.
/// let report = status_core::validate(br#"{"repo": "apps", "server": "prod",
///     "sync_status": "SYNCED", "drift_count": 1, "files": ["a.yaml"],
///     "last_check": "2026-04-21T10:00:00Z"}"#);
/// assert!(report.is_valid());
/// assert!(report.passes(false));
/// assert!(!report.passes(true), "--strict fails on warnings");
/// assert_eq!(report.of(Severity::Warning).count(), 1);
/// assert_eq!(report.document().map(|d| d.repo()), Some("apps"));
///
/// // Under --strict, the warning is the error.
/// let err = report.into_result(true).unwrap_err();
/// assert!(err.to_string().contains("warning[synced-with-drift] $.sync_status"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    document: Option<StatusDocument>,
    findings: Vec<Finding>,
}

impl Report {
    pub(crate) fn new(document: Option<StatusDocument>, findings: Vec<Finding>) -> Self {
        Self { document, findings }
    }

    /// The parsed document; `None` when any error was found.
    pub fn document(&self) -> Option<&StatusDocument> {
        self.document.as_ref()
    }

    /// The parsed document, by value; `None` when any error was found.
    pub fn into_document(self) -> Option<StatusDocument> {
        self.document
    }

    /// Every finding, errors and warnings, in document order.
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

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
        self.findings
            .iter()
            .filter(move |f| f.severity() == severity)
    }

    /// The document, or an [`Error::Invalid`] with the findings that fail it (warnings too when
    /// `strict`).
    pub fn into_result(self, strict: bool) -> Result<StatusDocument, Error> {
        let passes = self.passes(strict);
        match self.document {
            Some(doc) if passes => Ok(doc),
            _ => Err(Error::Invalid {
                findings: self
                    .findings
                    .into_iter()
                    .filter(|f| f.fails(strict))
                    .collect(),
            }),
        }
    }
}
