//! [`StatusDocumentBuilder`]: a status document built in code, checked by the same rules as one
//! parsed from JSON.

use chrono::{DateTime, FixedOffset};
use serde_json::{Map, Value};

use crate::finding::{Code, Finding};
use crate::{Error, HealthStatus, NonEmptyString, StatusDocument, SyncStatus};

/// Builds a [`StatusDocument`] in code; [`build`](Self::build) checks it with the document rules.
///
/// Start with [`StatusDocument::builder`] (the required fields) or
/// [`StatusDocument::to_builder`] (an existing document), set what else is known, and build.
/// Nothing is checked until `build`, which runs exactly the rules that
/// [`validate`](crate::validate) runs, on the JSON the document would serialise to, and fails
/// with their error findings (without lines and columns: there is no source text).
///
/// ```
/// use chrono::DateTime;
/// use status_core::{Error, StatusDocument, SyncStatus};
///
/// let checked = DateTime::parse_from_rfc3339("2026-04-21T12:30:00Z").unwrap();
/// let doc = StatusDocument::builder("production-apps", "prod-cluster-01", SyncStatus::OutOfSync, checked)
///     .files(["deployment.yaml", "service.yaml"])
///     .revision("4f2c9a1")
///     .build()?;
/// assert_eq!(doc.drift_count(), 2, "drift_count defaults to the number of files");
/// assert_eq!(
///     doc.to_json(),
///     r#"{"repo":"production-apps","server":"prod-cluster-01","sync_status":"OUT_OF_SYNC","drift_count":2,"files":["deployment.yaml","service.yaml"],"last_check":"2026-04-21T12:30:00Z","revision":"4f2c9a1"}"#
/// );
///
/// // Change a field of an existing document: it is checked again.
/// let Err(Error::Invalid { findings }) = doc.to_builder().server(" ").build() else { panic!() };
/// assert_eq!(findings[0].code().name(), "empty-string");
/// assert_eq!(findings[0].path(), "$.server");
/// # Ok::<(), status_core::Error>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct StatusDocumentBuilder {
    /// The fields as set so far, unchecked: never handed out, only serialised and checked.
    draft: StatusDocument,
    /// `None` until set: then the number of files, whatever they end up being.
    drift_count: Option<u64>,
}

impl StatusDocumentBuilder {
    pub(crate) fn new(
        repo: String,
        server: String,
        sync_status: SyncStatus,
        last_check: DateTime<FixedOffset>,
    ) -> Self {
        Self {
            draft: StatusDocument {
                repo,
                server,
                sync_status,
                drift_count: 0,
                files: Vec::new(),
                last_check,
                app: None,
                revision: None,
                health_status: None,
                message: None,
                environment: None,
                extra: Map::new(),
            },
            drift_count: None,
        }
    }

    pub(crate) fn from_document(document: StatusDocument) -> Self {
        Self {
            drift_count: Some(document.drift_count),
            draft: document,
        }
    }

    /// Sets `repo`.
    pub fn repo(mut self, repo: impl Into<String>) -> Self {
        self.draft.repo = repo.into();
        self
    }

    /// Sets `server`.
    pub fn server(mut self, server: impl Into<String>) -> Self {
        self.draft.server = server.into();
        self
    }

    /// Sets `sync_status`.
    pub fn sync_status(mut self, sync_status: SyncStatus) -> Self {
        self.draft.sync_status = sync_status;
        self
    }

    /// Sets `last_check`.
    pub fn last_check(mut self, last_check: DateTime<FixedOffset>) -> Self {
        self.draft.last_check = last_check;
        self
    }

    /// Sets `drift_count`; without it, `drift_count` is the number of files (as `statusctl
    /// render` does).
    pub fn drift_count(mut self, drift_count: u64) -> Self {
        self.drift_count = Some(drift_count);
        self
    }

    /// Replaces `files` with these entries, in order.
    pub fn files<I, S>(mut self, files: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.draft.files = files
            .into_iter()
            .map(|f| NonEmptyString::unchecked(f.into()))
            .collect();
        self
    }

    /// Appends one entry to `files`.
    pub fn file(mut self, file: impl Into<String>) -> Self {
        self.draft
            .files
            .push(NonEmptyString::unchecked(file.into()));
        self
    }

    /// Sets `app`: the Argo CD Application, or any deployable unit's name (`build` refuses a
    /// blank one).
    pub fn app(mut self, app: impl Into<String>) -> Self {
        self.draft.app = Some(app.into());
        self
    }

    /// Sets `revision`.
    pub fn revision(mut self, revision: impl Into<String>) -> Self {
        self.draft.revision = Some(revision.into());
        self
    }

    /// Sets `health_status`.
    pub fn health_status(mut self, health_status: HealthStatus) -> Self {
        self.draft.health_status = Some(health_status);
        self
    }

    /// Sets `message`.
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.draft.message = Some(message.into());
        self
    }

    /// Sets `environment`.
    pub fn environment(mut self, environment: impl Into<String>) -> Self {
        self.draft.environment = Some(environment.into());
        self
    }

    /// Sets a field this version does not know, kept and served verbatim (and reported by
    /// `validate` as an `unknown-field` warning).
    ///
    /// Extra fields are written after the known ones, as a later duplicate key in JSON would
    /// be: an extra field named like a known one (`"drift_count"`) replaces that field's value,
    /// and `build` checks the result.
    pub fn extra(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.draft.extra.insert(key.into(), value.into());
        self
    }

    /// Checks the document with the document rules and returns it.
    ///
    /// Fails with [`Error::Invalid`] holding every error finding (warnings, such as
    /// `synced-with-drift`, do not fail; run [`validate`](crate::validate) on
    /// [`StatusDocument::to_json`] to see them).
    pub fn build(self) -> Result<StatusDocument, Error> {
        let Self {
            mut draft,
            drift_count,
        } = self;
        draft.drift_count = drift_count.unwrap_or(draft.files.len() as u64);
        // The draft's serialised form is what the document would be written as; checking that
        // (rather than the typed fields) is what makes these the rules `validate` applies.
        match serde_json::to_value(&draft) {
            Ok(Value::Object(object)) => StatusDocument::try_from(object),
            other => Err(Error::Invalid {
                findings: vec![Finding::new(
                    Code::NotAnObject,
                    "$",
                    format!(
                        "the document did not serialise to a JSON object ({}); this is a bug in status-core",
                        match other {
                            Ok(value) => crate::rules::describe(&value),
                            Err(e) => e.to_string(),
                        }
                    ),
                )],
            }),
        }
    }
}
