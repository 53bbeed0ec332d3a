//! `status_core::argocd`: the documents Argo CD Applications map to (fixtures modelled on
//! Argo CD's own status, snapshotted), the decisions the mapping table leaves open, and the
//! errors, each naming the JSON path it is about.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use status_core::argocd::{self, Application};
use status_core::{Error, HealthStatus, StatusDocument, SyncStatus};

/// The time of collection every test passes: later than every time in the fixtures.
fn now() -> DateTime<Utc> {
    "2026-04-21T12:35:00Z".parse().unwrap()
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/argocd")
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(format!("{name}.json"))).unwrap()
}

/// Every fixture, and what it shows.
const FIXTURES: [(&str, &str); 11] = [
    (
        "single-source-synced",
        "a whole Application as kubectl prints it (history, syncResult, managedFields): SYNCED, Healthy, no files",
    ),
    (
        "out-of-sync",
        "OUT_OF_SYNC: core kinds keep an empty group slot, in Argo CD's order, a resource to prune counts",
    ),
    (
        "cluster-scoped",
        "cluster-scoped resources keep an empty namespace slot (both slots empty for a Namespace)",
    ),
    (
        "multi-source",
        "spec.sources: repo from sources[0], revision from status.sync.revisions[0]",
    ),
    (
        "hooks",
        "hooks never count as drift, even one marked OutOfSync; the one real drift does",
    ),
    (
        "comparison-error",
        "a ComparisonError condition: ERROR with its message (the warning condition before it is not an error)",
    ),
    (
        "sync-failed",
        "operationState.phase Failed: ERROR with the operation's message; the drift is still listed",
    ),
    (
        "no-reconciled-at",
        "no reconciledAt: last_check is operationState.finishedAt",
    ),
    (
        "destination-by-name",
        "destination.name when there is no destination.server; Suspended health",
    ),
    (
        "brand-new",
        "no status yet: UNKNOWN, no files, last_check is the time of collection",
    ),
    (
        "source-hydrator",
        "a source hydrator: repo from drySource.repoURL (its syncSource has none)",
    ),
];

#[test]
fn each_fixture_maps_to_its_reviewed_document() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots/argocd");
    settings.set_prepend_module_to_snapshot(false);
    for (name, shows) in FIXTURES {
        let doc =
            argocd::from_slice(&fixture(name), now()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let report = status_core::validate(doc.to_json_pretty().as_bytes());
        assert!(report.passes(true), "{name}: {:?}", report.findings());
        settings.set_description(shows);
        settings.bind(|| insta::assert_snapshot!(name, doc.to_json_pretty()));
    }
}

#[test]
fn every_fixture_is_listed() {
    let mut on_disk: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = FIXTURES.iter().map(|(n, _)| format!("{n}.json")).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
}

#[test]
fn bytes_values_and_serde_read_the_same_application() {
    for (name, _) in FIXTURES {
        let bytes = fixture(name);
        let value: Value = serde_json::from_slice(&bytes).unwrap();
        let from_bytes = argocd::from_slice(&bytes, now()).unwrap();
        assert_eq!(
            argocd::from_value(&value, now()).unwrap(),
            from_bytes,
            "{name}"
        );
        let app: Application = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(app, Application::from_value(&value).unwrap(), "{name}");
        assert_eq!(app.to_document(now()).unwrap(), from_bytes, "{name}");
        assert_eq!(app.namespace(), Some("argocd"), "{name}");
        assert_eq!(app.name(), from_bytes.app(), "{name}");
        assert!(app.resource_version().is_some(), "{name}");
    }
}

/// The `guestbook` fixture as a value, changed by `edit`, mapped.
fn mapped(edit: impl FnOnce(&mut Value)) -> Result<StatusDocument, Error> {
    let mut value: Value = serde_json::from_slice(&fixture("single-source-synced")).unwrap();
    edit(&mut value);
    argocd::from_value(&value, now())
}

#[test]
fn argo_cds_source_precedence_decides_repo() {
    // Both set: Argo CD syncs from `sources` and ignores `source`; so does the document.
    let doc = mapped(|v| {
        v["spec"]["sources"] =
            json!([{"repoURL": "https://example.com/first.git"}, {"repoURL": "x"}]);
    })
    .unwrap();
    assert_eq!(doc.repo(), "https://example.com/first.git");
    // An empty `sources` is no sources.
    let doc = mapped(|v| v["spec"]["sources"] = json!([])).unwrap();
    assert_eq!(
        doc.repo(),
        "https://github.com/argoproj/argocd-example-apps.git"
    );
    // A hydrator's syncSource.repoURL, when set, is where Argo CD syncs from.
    let doc = mapped(|v| {
        v["spec"]["sourceHydrator"] = json!({
            "drySource": {"repoURL": "https://example.com/dry.git"},
            "syncSource": {"repoURL": "https://example.com/hydrated.git", "targetBranch": "env/prod"}});
    })
    .unwrap();
    assert_eq!(doc.repo(), "https://example.com/hydrated.git");
}

#[test]
fn health_outside_argo_cds_set_is_unknown_and_empty_health_is_left_out() {
    let health = |status: Value| {
        mapped(|v| v["status"]["health"] = json!({"status": status}))
            .unwrap()
            .health_status()
    };
    assert_eq!(health(json!("Healthy")), Some(HealthStatus::Healthy));
    assert_eq!(health(json!("Deploying")), Some(HealthStatus::Unknown));
    // Spelled as Argo CD spells it, or it is not its value.
    assert_eq!(health(json!("healthy")), Some(HealthStatus::Unknown));
    assert_eq!(health(json!("")), None);
    assert_eq!(health(Value::Null), None);
}

#[test]
fn which_conditions_and_phases_are_errors() {
    let with_conditions = |conditions: Value| {
        let doc = mapped(|v| v["status"]["conditions"] = conditions).unwrap();
        (doc.sync_status(), doc.message().map(str::to_owned))
    };
    for kind in [
        "ComparisonError",
        "InvalidSpecError",
        "SyncError",
        "UnknownError",
    ] {
        assert_eq!(
            with_conditions(json!([{"type": kind, "message": "why"}])),
            (SyncStatus::Error, Some("why".to_owned())),
            "{kind}"
        );
    }
    for kind in [
        "DeletionError",
        "SharedResourceWarning",
        "OrphanedResourceWarning",
    ] {
        assert_eq!(
            with_conditions(json!([{"type": kind, "message": "why"}])),
            (SyncStatus::Synced, None),
            "{kind}"
        );
    }
    // The first error condition's message.
    assert_eq!(
        with_conditions(
            json!([{"type": "SyncError", "message": "first"}, {"type": "ComparisonError", "message": "second"}])
        ),
        (SyncStatus::Error, Some("first".to_owned()))
    );

    let with_phase = |phase: &str, conditions: Value| {
        let doc = mapped(|v| {
            v["status"]["operationState"]["phase"] = phase.into();
            v["status"]["operationState"]["message"] = "the operation's message".into();
            v["status"]["conditions"] = conditions;
        })
        .unwrap();
        (doc.sync_status(), doc.message().map(str::to_owned))
    };
    let failed = (
        SyncStatus::Error,
        Some("the operation's message".to_owned()),
    );
    assert_eq!(with_phase("Failed", Value::Null), failed);
    assert_eq!(with_phase("Error", Value::Null), failed);
    // An error condition without a message takes the failed operation's.
    assert_eq!(
        with_phase("Failed", json!([{"type": "SyncError", "message": ""}])),
        failed
    );
    // A succeeded or running operation is no error, and its message is not the document's.
    assert_eq!(
        with_phase("Succeeded", Value::Null),
        (SyncStatus::Synced, None)
    );
    assert_eq!(
        with_phase("Running", Value::Null),
        (SyncStatus::Synced, None)
    );
}

#[test]
fn sync_codes_other_than_synced_and_out_of_sync_are_unknown() {
    for (code, expected) in [
        (json!("Synced"), SyncStatus::Synced),
        (json!("OutOfSync"), SyncStatus::OutOfSync),
        (json!("Unknown"), SyncStatus::Unknown),
        (json!(""), SyncStatus::Unknown),
        (json!("Pending"), SyncStatus::Unknown),
        (Value::Null, SyncStatus::Unknown),
    ] {
        let doc = mapped(|v| v["status"]["sync"]["status"] = code.clone()).unwrap();
        assert_eq!(doc.sync_status(), expected, "{code}");
    }
}

#[test]
fn last_check_and_revision_fall_back_in_order() {
    let doc = mapped(|v| {
        let status = v["status"].as_object_mut().unwrap();
        status.remove("reconciledAt");
        status.remove("operationState");
        v["status"]["sync"]["revision"] = "".into();
        v["status"]["sync"]["revisions"] = json!(["", "b"]);
    })
    .unwrap();
    assert_eq!(doc.last_check(), now().fixed_offset(), "no time of its own");
    assert_eq!(doc.revision(), None, "an empty revisions[0] is no revision");
    let doc = mapped(|v| {
        v["status"]["reconciledAt"] = Value::Null;
        v["status"]["sync"]["revision"] = Value::Null;
        v["status"]["sync"]["revisions"] = json!(["27.3.0"]);
    })
    .unwrap();
    assert_eq!(doc.last_check().to_rfc3339(), "2026-04-20T16:02:01+00:00");
    assert_eq!(doc.revision(), Some("27.3.0"));
}

/// A change to the guestbook fixture.
type Edit = fn(&mut Value);

#[test]
fn errors_name_the_json_path() {
    let cases: Vec<(&str, Edit)> = vec![
        ("no metadata", |v| {
            drop(v.as_object_mut().unwrap().remove("metadata"))
        }),
        ("blank name", |v| v["metadata"]["name"] = " ".into()),
        ("name a number", |v| v["metadata"]["name"] = 7.into()),
        ("no spec", |v| {
            drop(v.as_object_mut().unwrap().remove("spec"))
        }),
        ("spec a string", |v| v["spec"] = "guestbook".into()),
        ("no source", |v| {
            drop(v["spec"].as_object_mut().unwrap().remove("source"))
        }),
        ("repoURL missing", |v| {
            v["spec"]["source"] = json!({"path": "guestbook"})
        }),
        ("repoURL empty", |v| {
            v["spec"]["source"]["repoURL"] = "".into()
        }),
        ("sources[0] not an object", |v| {
            v["spec"]["sources"] = json!(["https://x"])
        }),
        ("sources an object", |v| {
            v["spec"]["sources"] = json!({"repoURL": "x"})
        }),
        ("hydrator without a repo", |v| {
            v["spec"]["sourceHydrator"] = json!({"syncSource": {"targetBranch": "x"}});
        }),
        ("no destination", |v| {
            drop(v["spec"].as_object_mut().unwrap().remove("destination"))
        }),
        ("destination names no cluster", |v| {
            v["spec"]["destination"] = json!({"namespace": "guestbook", "server": ""});
        }),
        ("destination.server a list", |v| {
            v["spec"]["destination"]["server"] = json!(["a", "b"])
        }),
        ("status a list", |v| v["status"] = json!([])),
        ("reconciledAt not a time", |v| {
            v["status"]["reconciledAt"] = "yesterday".into()
        }),
        ("reconciledAt without offset", |v| {
            v["status"]["reconciledAt"] = "2026-04-21T12:30:07".into();
        }),
        ("finishedAt a number", |v| {
            drop(v["status"].as_object_mut().unwrap().remove("reconciledAt"));
            v["status"]["operationState"]["finishedAt"] = 1_745_229_600.into();
        }),
        ("resource status a boolean", |v| {
            v["status"]["resources"][1]["status"] = true.into()
        }),
        ("hook a string", |v| {
            v["status"]["resources"][0]["hook"] = "true".into()
        }),
        ("drifted kind a number", |v| {
            v["status"]["resources"][1]["status"] = "OutOfSync".into();
            v["status"]["resources"][1]["kind"] = 3.into();
        }),
        ("condition type a number", |v| {
            v["status"]["conditions"] = json!([{"type": 1}])
        }),
        ("health a string", |v| {
            v["status"]["health"] = "Healthy".into()
        }),
        ("revisions a string", |v| {
            v["status"]["sync"]["revision"] = Value::Null;
            v["status"]["sync"]["revisions"] = "abc".into();
        }),
        ("phase an object", |v| {
            v["status"]["operationState"]["phase"] = json!({})
        }),
    ];
    let mut out = String::new();
    for (what, edit) in cases {
        let Err(Error::InvalidApplication { path, message }) = mapped(edit) else {
            panic!("{what}: mapped");
        };
        assert!(
            message.starts_with(&path),
            "{what}: {message} is not about {path}"
        );
        out.push_str(&format!("{what}\n  {path}\n  {message}\n"));
    }
    for (what, bytes) in [
        ("not JSON", &b"{\"metadata\": "[..]),
        ("an array", b"[{}]"),
        ("null", b"null"),
        ("a field twice", br#"{"spec": {}, "spec": {}}"#),
    ] {
        let Err(Error::InvalidApplication { path, message }) = argocd::from_slice(bytes, now())
        else {
            panic!("{what}: mapped");
        };
        out.push_str(&format!("{what}\n  {path}\n  {message}\n"));
    }
    insta::assert_snapshot!("argocd_errors", out);
}

#[test]
fn a_non_object_is_no_application_for_serde_either() {
    let err = serde_json::from_str::<Application>("[1, 2]").unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid Argo CD Application: the Application is an array of 2 items; expected a JSON object"
    );
    let err = Application::from_value(&json!("guestbook")).unwrap_err();
    assert!(
        err.to_string().contains("a string (\"guestbook\")"),
        "{err}"
    );
}
