//! The mapping itself: from the fields of an Application that [`object`](super::object) read
//! to a [`StatusDocument`], one rule per document field (the table in the module docs of
//! [`argocd`](super)), each failing with the JSON path of the field it could not use.

use chrono::{DateTime, FixedOffset, Utc};

use super::object::{Condition, Resource, Root, Source, Spec, Status};
use super::slot::Slot;
use crate::rules::is_blank;
use crate::{Error, HealthStatus, StatusDocument, SyncStatus};

/// The condition types that make the document `ERROR`: Argo CD's error conditions about the
/// comparison or the sync itself. `DeletionError` is left out: it is about deleting the
/// Application, not about whether it is in sync; the `*Warning` types are warnings.
pub(crate) const ERROR_CONDITIONS: [&str; 4] = [
    "ComparisonError",
    "InvalidSpecError",
    "SyncError",
    "UnknownError",
];

/// The `operationState.phase` values of a sync that did not succeed.
const FAILED_PHASES: [&str; 2] = ["Failed", "Error"];

/// The document for an Application, with `now` as `last_check` when the Application has no
/// time of its own.
pub(crate) fn document(root: &Root, now: DateTime<Utc>) -> Result<StatusDocument, Error> {
    let metadata = object(&root.metadata, "$.metadata")?
        .ok_or_else(|| missing("$.metadata", "an object with the Application's name"))?;
    let app = required(&metadata.name, "$.metadata.name", "the Application's name")?;
    let spec = object(&root.spec, "$.spec")?.ok_or_else(|| {
        missing(
            "$.spec",
            "an object with the Application's source and destination",
        )
    })?;
    let repo = repo(spec)?;
    let server = server(spec)?;

    // A brand-new Application has no status until the controller first reconciles it: nothing
    // is known yet, which is what UNKNOWN with no files says.
    let Some(status) = object(&root.status, "$.status")? else {
        return StatusDocument::builder(repo, server, SyncStatus::Unknown, now.fixed_offset())
            .app(app)
            .build();
    };
    let observed = Observed::of(status, now)?;
    let mut builder =
        StatusDocument::builder(repo, server, observed.sync_status, observed.last_check)
            .files(observed.files)
            .app(app);
    if let Some(revision) = observed.revision {
        builder = builder.revision(revision);
    }
    if let Some(health) = observed.health {
        builder = builder.health_status(health);
    }
    if let Some(message) = observed.message {
        builder = builder.message(message);
    }
    builder.build()
}

/// The repository Argo CD syncs from, chosen as Argo CD chooses its source
/// (`ApplicationSpec.GetSource`): a source hydrator's (its `syncSource.repoURL`, else its
/// `drySource.repoURL`), else the first of `sources` when there are any, else `source`.
fn repo(spec: &Spec) -> Result<String, Error> {
    if let Some(hydrator) = object(&spec.source_hydrator, "$.spec.sourceHydrator")? {
        let sync = "$.spec.sourceHydrator.syncSource";
        if let Some(source) = object(&hydrator.sync_source, sync)?
            && let Some(url) = non_blank(&source.repo_url, &format!("{sync}.repoURL"))?
        {
            return Ok(url.to_owned());
        }
        return source_repo(&hydrator.dry_source, "$.spec.sourceHydrator.drySource");
    }
    if let Some(sources) = list(&spec.sources, "$.spec.sources")?
        && let Some(first) = sources.first()
    {
        return source_repo(first, "$.spec.sources[0]");
    }
    if matches!(spec.source, Slot::Absent) {
        return Err(missing(
            "$.spec.source",
            "a source with a repoURL (or a non-empty spec.sources)",
        ));
    }
    source_repo(&spec.source, "$.spec.source")
}

fn source_repo(slot: &Slot<Source>, path: &str) -> Result<String, Error> {
    let source = object(slot, path)?.ok_or_else(|| missing(path, "a source with a repoURL"))?;
    required(
        &source.repo_url,
        &format!("{path}.repoURL"),
        "the repository's URL",
    )
    .map(str::to_owned)
}

/// The cluster: `destination.server` (its API URL), else `destination.name` (its name in Argo
/// CD). Argo CD requires one of them.
fn server(spec: &Spec) -> Result<String, Error> {
    let destination = object(&spec.destination, "$.spec.destination")?
        .ok_or_else(|| missing("$.spec.destination", "an object with a server or a name"))?;
    let server = non_blank(&destination.server, "$.spec.destination.server")?;
    let name = non_blank(&destination.name, "$.spec.destination.name")?;
    server.or(name).map(str::to_owned).ok_or_else(|| {
        invalid(
            "$.spec.destination",
            "$.spec.destination sets neither server nor name; expected one of them (the cluster's API URL or its name in Argo CD)".to_owned(),
        )
    })
}

/// What the status says, as document fields.
struct Observed {
    sync_status: SyncStatus,
    files: Vec<String>,
    last_check: DateTime<FixedOffset>,
    revision: Option<String>,
    health: Option<HealthStatus>,
    message: Option<String>,
}

impl Observed {
    fn of(status: &Status, now: DateTime<Utc>) -> Result<Self, Error> {
        let operation = object(&status.operation_state, "$.status.operationState")?;
        let phase = match operation {
            Some(op) => text(&op.phase, "$.status.operationState.phase")?,
            None => None,
        };
        let operation_message = match operation {
            Some(op) => non_blank(&op.message, "$.status.operationState.message")?,
            None => None,
        };
        let failed = phase.is_some_and(|p| FAILED_PHASES.contains(&p));
        let error_condition = error_condition(status)?;
        let sync = object(&status.sync, "$.status.sync")?;

        let (sync_status, message) = if let Some(condition_message) = error_condition {
            let message = condition_message.or(operation_message.filter(|_| failed));
            (SyncStatus::Error, message)
        } else if failed {
            (SyncStatus::Error, operation_message)
        } else {
            let code = match sync {
                Some(sync) => text(&sync.status, "$.status.sync.status")?,
                None => None,
            };
            let sync_status = match code {
                Some("Synced") => SyncStatus::Synced,
                Some("OutOfSync") => SyncStatus::OutOfSync,
                // Argo CD's `Unknown`, an empty status, or a code this version does not know.
                _ => SyncStatus::Unknown,
            };
            (sync_status, None)
        };

        let last_check = match text(&status.reconciled_at, "$.status.reconciledAt")? {
            Some(t) => timestamp(t, "$.status.reconciledAt")?,
            None => match operation {
                Some(op) => match text(&op.finished_at, "$.status.operationState.finishedAt")? {
                    Some(t) => timestamp(t, "$.status.operationState.finishedAt")?,
                    None => now.fixed_offset(),
                },
                None => now.fixed_offset(),
            },
        };

        let revision = match sync {
            Some(sync) => match non_blank(&sync.revision, "$.status.sync.revision")? {
                Some(revision) => Some(revision),
                None => match list(&sync.revisions, "$.status.sync.revisions")? {
                    Some([first, ..]) => non_blank(first, "$.status.sync.revisions[0]")?,
                    _ => None,
                },
            },
            None => None,
        };

        let health = match object(&status.health, "$.status.health")? {
            Some(health) => non_blank(&health.status, "$.status.health.status")?.map(|s| {
                // Argo CD's own set; it turns any other value a custom health check returns
                // into Unknown, and so does this (HealthStatus may grow, the document stays
                // valid).
                HealthStatus::from_canonical(s).unwrap_or(HealthStatus::Unknown)
            }),
            None => None,
        };

        Ok(Self {
            sync_status,
            files: drifted(status)?,
            last_check,
            revision: revision.map(str::to_owned),
            health,
            message: message.map(str::to_owned),
        })
    }
}

/// Whether an error condition is present (`Some`), and its message when it has one (the
/// first such condition's).
fn error_condition(status: &Status) -> Result<Option<Option<&str>>, Error> {
    let Some(conditions) = list(&status.conditions, "$.status.conditions")? else {
        return Ok(None);
    };
    let mut found = None;
    for (i, slot) in conditions.iter().enumerate() {
        let path = format!("$.status.conditions[{i}]");
        let Some(Condition { kind, message }) = object(slot, &path)? else {
            continue;
        };
        let kind = text(kind, &format!("{path}.type"))?;
        let message = non_blank(message, &format!("{path}.message"))?;
        if found.is_none() && kind.is_some_and(|k| ERROR_CONDITIONS.contains(&k)) {
            found = Some(message);
        }
    }
    Ok(found)
}

/// The `OutOfSync` resources, as Argo CD's resource keys `group/kind/namespace/name` (an empty
/// group or namespace leaves its slot empty), in Argo CD's order.
///
/// Hooks never count: Argo CD gives them no sync status of their own and leaves them out of
/// the Application's (its UI leaves them out of the diff and the sync panel too), so an
/// `OutOfSync` on a hook entry is not drift of the Application.
fn drifted(status: &Status) -> Result<Vec<String>, Error> {
    let resources = match &status.resources {
        Slot::Absent => return Ok(Vec::new()),
        Slot::Found(resources) => resources,
        Slot::Wrong(what) => return Err(wrong("$.status.resources", what, "an array")),
    };
    let mut files = Vec::new();
    // Only the entries not passed over were kept when the Application was read (with their
    // indices); the checks below are the whole rule all the same.
    for (i, slot) in &resources.0 {
        let path = format!("$.status.resources[{i}]");
        let Some(resource) = object(slot, &path)? else {
            continue;
        };
        let Resource {
            group,
            kind,
            namespace,
            name,
            status,
            hook,
        } = resource;
        let hook = match hook {
            Slot::Found(hook) => *hook,
            Slot::Absent => false,
            Slot::Wrong(what) => return Err(wrong(&format!("{path}.hook"), what, "a boolean")),
        };
        if hook || text(status, &format!("{path}.status"))? != Some("OutOfSync") {
            continue;
        }
        let part =
            |slot, field| text(slot, &format!("{path}.{field}")).map(Option::unwrap_or_default);
        files.push(format!(
            "{}/{}/{}/{}",
            part(group, "group")?,
            part(kind, "kind")?,
            part(namespace, "namespace")?,
            part(name, "name")?
        ));
    }
    Ok(files)
}

/// The object in `slot`; an error naming `path` when it holds something else.
fn object<'a, T>(slot: &'a Slot<T>, path: &str) -> Result<Option<&'a T>, Error> {
    match slot {
        Slot::Absent => Ok(None),
        Slot::Found(value) => Ok(Some(value)),
        Slot::Wrong(what) => Err(wrong(path, what, "an object")),
    }
}

/// The array in `slot`; an error naming `path` when it holds something else.
fn list<'a, T>(slot: &'a Slot<Vec<T>>, path: &str) -> Result<Option<&'a [T]>, Error> {
    match slot {
        Slot::Absent => Ok(None),
        Slot::Found(items) => Ok(Some(items)),
        Slot::Wrong(what) => Err(wrong(path, what, "an array")),
    }
}

/// The string in `slot`, empty or not; an error naming `path` when it holds something else.
fn text<'a>(slot: &'a Slot<String>, path: &str) -> Result<Option<&'a str>, Error> {
    match slot {
        Slot::Absent => Ok(None),
        Slot::Found(s) => Ok(Some(s)),
        Slot::Wrong(what) => Err(wrong(path, what, "a string")),
    }
}

/// The string in `slot` unless it is blank (Argo CD leaves unset strings out, or empty).
fn non_blank<'a>(slot: &'a Slot<String>, path: &str) -> Result<Option<&'a str>, Error> {
    Ok(text(slot, path)?.filter(|s| !is_blank(s)))
}

/// The string in `slot`, which must be there and not blank.
fn required<'a>(slot: &'a Slot<String>, path: &str, expected: &str) -> Result<&'a str, Error> {
    match text(slot, path)? {
        None => Err(missing(path, expected)),
        Some(s) if is_blank(s) => Err(invalid(
            path,
            format!("{path} is empty; expected {expected}"),
        )),
        Some(s) => Ok(s),
    }
}

/// A time of the Application, in the profile every reader of the document parses (Argo CD
/// writes Go's `time.RFC3339`, which is in it): refused here with its path, rather than by the
/// document's rules without one.
fn timestamp(s: &str, path: &str) -> Result<DateTime<FixedOffset>, Error> {
    crate::timestamp::check(s).map_err(|reason| {
        invalid(
            path,
            format!(
                "{path} {}",
                crate::timestamp::message(s, &crate::timestamp::explain(s, &reason))
            ),
        )
    })
}

fn invalid(path: &str, message: String) -> Error {
    Error::InvalidApplication {
        path: path.to_owned(),
        message,
    }
}

fn missing(path: &str, expected: &str) -> Error {
    invalid(path, format!("{path} is missing; expected {expected}"))
}

fn wrong(path: &str, what: &str, expected: &str) -> Error {
    invalid(path, format!("{path} is {what}; expected {expected}"))
}
