//! A `StatusDocument` is always valid: deserialising and building run the rules `validate`
//! runs, and agree with it finding for finding.

use chrono::DateTime;
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use status_core::{Error, HealthStatus, StatusDocument, SyncStatus, Validator};

const GOOD: &str = r#"{"repo":"r","server":"s","sync_status":"OUT_OF_SYNC","drift_count":1,"files":["a.yaml"],"last_check":"2026-04-21T12:30:00Z"}"#;

/// `GOOD` with one field replaced.
fn with(field: &str, value: Value) -> String {
    let mut map: Map<String, Value> = serde_json::from_str(GOOD).unwrap();
    map.insert(field.to_owned(), value);
    serde_json::to_string(&map).unwrap()
}

/// The failing findings' (id, path) of an `Error::Invalid`.
fn invalid(err: Error) -> Vec<(String, String)> {
    match err {
        Error::Invalid { findings } => findings
            .iter()
            .map(|f| (f.code().id().to_owned(), f.path().to_owned()))
            .collect(),
        other => panic!("expected Error::Invalid, got {other:?}"),
    }
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

fn checked() -> DateTime<chrono::FixedOffset> {
    DateTime::parse_from_rfc3339("2026-04-21T12:30:00Z").unwrap()
}

#[test]
fn a_forged_document_cannot_be_deserialised() {
    for (text, expected) in [
        (with("repo", json!("  ")), vec![("E007", "$.repo")]),
        (with("files", json!([""])), vec![("E007", "$.files[0]")]),
        (
            with("files", json!(["a", " ", 3])),
            vec![("E007", "$.files[1]"), ("E006", "$.files[2]")],
        ),
        (
            with("sync_status", json!("Synced")),
            vec![("E008", "$.sync_status")],
        ),
        (
            with("drift_count", json!(-1)),
            vec![("E009", "$.drift_count")],
        ),
        (
            with("drift_count", json!(1.5)),
            vec![("E006", "$.drift_count")],
        ),
        (
            with("last_check", json!("2026-04-21T12:30:00")),
            vec![("E010", "$.last_check")],
        ),
        (
            with("health_status", json!("healthy")),
            vec![("E011", "$.health_status")],
        ),
        (with("message", json!(7)), vec![("E006", "$.message")]),
        (
            r#"{"repo":"r"}"#.to_owned(),
            vec![
                ("E005", "$.server"),
                ("E005", "$.sync_status"),
                ("E005", "$.drift_count"),
                ("E005", "$.files"),
                ("E005", "$.last_check"),
            ],
        ),
    ] {
        let err = serde_json::from_str::<StatusDocument>(&text).unwrap_err();
        // serde's error says what is wrong: the first finding, and how many more.
        let (id, path) = expected[0];
        let code = status_core::Code::ALL
            .iter()
            .find(|c| c.id() == id)
            .unwrap();
        assert!(
            err.to_string()
                .contains(&format!("error[{}] {path}", code.name())),
            "{text}: {err}"
        );
        let map: Map<String, Value> = serde_json::from_str(&text).unwrap();
        assert_eq!(
            invalid(StatusDocument::try_from(map).unwrap_err()),
            pairs(&expected),
            "{text}"
        );
        // Through a `Value`, as another serde format would go: the same rules.
        let value: Value = serde_json::from_str(&text).unwrap();
        assert!(
            serde_json::from_value::<StatusDocument>(value).is_err(),
            "{text}"
        );
    }
}

#[test]
fn deserialising_keeps_what_validate_keeps() {
    let text = r#"{"repo":"r","server":"s","sync_status":"SYNCED","drift_count":3,"files":["a","a"],"last_check":"2026-04-21T12:30:00.5+02:00","health_status":null,"team":{"x":[1]},"revision":"abc"}"#;
    // Warnings (synced-with-drift, duplicate-file, unknown-field) do not stop it.
    let doc: StatusDocument = serde_json::from_str(text).unwrap();
    assert_eq!(
        Some(&doc),
        status_core::validate(text.as_bytes()).document()
    );
    assert_eq!(doc.health_status(), None);
    assert_eq!(
        doc.to_json(),
        r#"{"repo":"r","server":"s","sync_status":"SYNCED","drift_count":3,"files":["a","a"],"last_check":"2026-04-21T12:30:00.500+02:00","revision":"abc","team":{"x":[1]}}"#
    );
}

#[test]
fn the_builder_refuses_what_validate_refuses() {
    let base = || StatusDocument::builder("r", "s", SyncStatus::OutOfSync, checked());
    for (builder, expected) in [
        (base().repo(""), vec![("E007", "$.repo")]),
        (base().server("\t"), vec![("E007", "$.server")]),
        (
            base().files(["a.yaml", " ", "b.yaml", ""]),
            vec![("E007", "$.files[1]"), ("E007", "$.files[3]")],
        ),
        (base().file(""), vec![("E007", "$.files[0]")]),
        // An extra field named like a known one replaces it, as a later JSON key would, and
        // is checked like it.
        (
            base().extra("drift_count", -1),
            vec![("E009", "$.drift_count")],
        ),
        (
            base().extra("last_check", "now"),
            vec![("E010", "$.last_check")],
        ),
    ] {
        assert_eq!(invalid(builder.build().unwrap_err()), pairs(&expected));
    }
}

#[test]
fn app_is_optional_known_and_never_blank() {
    // Known: no unknown-field warning; written first among the optional fields.
    let doc: StatusDocument = with("app", json!("guestbook")).parse().unwrap();
    assert_eq!(doc.app(), Some("guestbook"));
    assert!(doc.extra().is_empty());
    assert!(status_core::validate(doc.to_json().as_bytes()).passes(true));
    let built = StatusDocument::builder("r", "s", SyncStatus::Synced, checked())
        .revision("abc")
        .app("guestbook")
        .build()
        .unwrap();
    assert_eq!(
        built.to_json(),
        r#"{"repo":"r","server":"s","sync_status":"SYNCED","drift_count":0,"files":[],"last_check":"2026-04-21T12:30:00Z","app":"guestbook","revision":"abc"}"#
    );
    // Absent and null mean the same; blank or not a string is an error.
    let null: StatusDocument = with("app", json!(null)).parse().unwrap();
    assert_eq!(null.app(), None);
    let blank = StatusDocument::builder("r", "s", SyncStatus::Synced, checked()).app(" ");
    assert_eq!(
        invalid(blank.build().unwrap_err()),
        pairs(&[("E007", "$.app")])
    );
    let number = with("app", json!(7)).parse::<StatusDocument>().unwrap_err();
    assert_eq!(invalid(number), pairs(&[("E006", "$.app")]));
}

#[test]
fn the_builder_fills_in_and_keeps_everything() {
    let doc = StatusDocument::builder("apps", "prod", SyncStatus::Synced, checked())
        .files(["a.yaml", "b.yaml"])
        .file("c.yaml")
        .revision("4f2c9a1")
        .health_status(HealthStatus::Progressing)
        .message("syncing")
        .environment("production")
        .app("guestbook")
        .extra("team", json!({"name": "platform"}))
        .build()
        .unwrap();
    // drift_count defaults to the number of files; SYNCED with drift is only a warning.
    assert_eq!(doc.drift_count(), 3);
    assert_eq!(
        doc.file_names().collect::<Vec<_>>(),
        ["a.yaml", "b.yaml", "c.yaml"]
    );
    assert_eq!(doc.revision(), Some("4f2c9a1"));
    assert_eq!(doc.health_status(), Some(HealthStatus::Progressing));
    assert_eq!(doc.message(), Some("syncing"));
    assert_eq!(doc.environment(), Some("production"));
    assert_eq!(doc.app(), Some("guestbook"));
    assert_eq!(doc.extra()["team"]["name"], "platform");
    let report = status_core::validate(doc.to_json().as_bytes());
    assert_eq!(report.document(), Some(&doc));
    let warnings: Vec<&str> = report.findings().iter().map(|f| f.code().name()).collect();
    assert_eq!(warnings, ["synced-with-drift", "unknown-field"]);

    // A builder from a document builds that document; a change is kept and checked.
    assert_eq!(doc.to_builder().build().unwrap(), doc);
    let fixed = doc
        .to_builder()
        .drift_count(0)
        .files(Vec::<String>::new())
        .build()
        .unwrap();
    assert_eq!((fixed.drift_count(), fixed.files().len()), (0, 0));
    assert!(status_core::validate(fixed.to_json().as_bytes()).passes(false));
    assert!(doc.to_builder().repo(" ").build().is_err());
}

#[test]
fn findings_serialise_in_one_shape_with_every_key() {
    let Err(Error::Invalid { findings }) =
        StatusDocument::builder("", "s", SyncStatus::Unknown, checked()).build()
    else {
        panic!("a blank repo was built");
    };
    assert_eq!(
        serde_json::to_value(&findings[0]).unwrap(),
        json!({"code": "E007", "name": "empty-string", "severity": "error", "path": "$.repo",
               "message": "$.repo is empty; expected a non-empty string", "line": null, "column": null})
    );
    let report = status_core::validate(b"{\"repo\": 1}");
    let first = serde_json::to_value(&report.findings()[0]).unwrap();
    let keys: Vec<&String> = first.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "code", "name", "severity", "path", "message", "line", "column"
        ]
    );
    assert_eq!(
        (first["line"].clone(), first["column"].clone()),
        (json!(1), json!(1))
    );
}

/// A value for a field: valid ones, and each kind of mistake the rules know.
fn value() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        Just(None),
        Just(Some(json!(null))),
        Just(Some(json!(""))),
        Just(Some(json!("  "))),
        Just(Some(json!("x"))),
        Just(Some(json!("SYNCED"))),
        Just(Some(json!("Synced"))),
        Just(Some(json!("Healthy"))),
        Just(Some(json!("2026-04-21T12:30:00Z"))),
        Just(Some(json!("2099-01-01T00:00:00Z"))),
        Just(Some(json!("2026-04-21T12:30:00"))),
        Just(Some(json!(0))),
        Just(Some(json!(2))),
        Just(Some(json!(-1))),
        Just(Some(json!(1.5))),
        Just(Some(json!([]))),
        Just(Some(json!(["a", "a", ""]))),
        Just(Some(json!(["a", 1]))),
        Just(Some(json!({"k": "v"}))),
        Just(Some(json!(true))),
    ]
}

/// Each field with a valid value of it.
const FIELDS: [(&str, &str); 12] = [
    ("repo", r#""apps""#),
    ("server", r#""prod""#),
    ("sync_status", r#""OUT_OF_SYNC""#),
    ("drift_count", "2"),
    ("files", r#"["a.yaml"]"#),
    ("last_check", r#""2026-04-21T12:30:00Z""#),
    ("app", r#""guestbook""#),
    ("revision", r#""4f2c9a1""#),
    ("health_status", r#""Degraded""#),
    ("message", r#""m""#),
    ("environment", r#""production""#),
    ("team", r#""platform""#),
];

/// Every field, mostly valid (so that valid documents are common too), else anything.
fn fields() -> impl Strategy<Value = Vec<Option<Value>>> {
    FIELDS
        .map(|(_, valid)| {
            let valid: Value = serde_json::from_str(valid).unwrap();
            prop_oneof![3 => Just(Some(valid)), 1 => value()].boxed()
        })
        .to_vec()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// `validate` and deserialisation accept the same objects and report the same errors (by
    /// code, path and message; only `validate` has positions).
    #[test]
    fn validate_and_deserialise_agree(values in fields()) {
        let mut map = Map::new();
        for ((name, _), value) in FIELDS.iter().zip(values) {
            if let Some(value) = value {
                map.insert((*name).to_owned(), value);
            }
        }
        let text = serde_json::to_string(&map).unwrap();
        let report = Validator::new().validate(text.as_bytes());
        let key = |f: &status_core::Finding| (f.code(), f.path().to_owned(), f.message().to_owned());
        let mut from_validate: Vec<_> = report.findings().iter().filter(|f| f.fails(false)).map(key).collect();
        match serde_json::from_str::<StatusDocument>(&text) {
            Ok(doc) => {
                prop_assert!(from_validate.is_empty(), "{text}: {from_validate:?}");
                prop_assert_eq!(report.document(), Some(&doc));
            }
            Err(_) => {
                let Err(Error::Invalid { findings }) = StatusDocument::try_from(map) else {
                    panic!("serde refused what try_from accepts: {text}");
                };
                let mut from_map: Vec<_> = findings.iter().map(key).collect();
                from_validate.sort();
                from_map.sort();
                prop_assert_eq!(from_validate, from_map, "{}", text);
                prop_assert!(findings.iter().all(|f| f.line().is_none()));
            }
        }
    }

    /// Whatever the builder accepts, `validate` accepts as the same document.
    #[test]
    fn built_documents_validate_and_round_trip(
        repo in "[a-z ]{0,6}",
        files in prop::collection::vec("[a-z. ]{0,4}", 0..4),
        drift in prop::option::of(0u64..5),
        status in 0usize..4,
        seconds in 0i64..4_102_444_800,
    ) {
        let last_check = DateTime::from_timestamp(seconds, 0).unwrap().fixed_offset();
        let mut builder = StatusDocument::builder(repo.clone(), "s", SyncStatus::ALL[status], last_check)
            .files(files.clone());
        if let Some(drift) = drift {
            builder = builder.drift_count(drift);
        }
        let blank = |s: &String| s.trim().is_empty();
        match builder.build() {
            Ok(doc) => {
                prop_assert!(!blank(&repo) && !files.iter().any(blank));
                let report = status_core::validate(doc.to_json().as_bytes());
                prop_assert_eq!(report.document(), Some(&doc));
                prop_assert_eq!(serde_json::from_str::<StatusDocument>(&doc.to_json_pretty()).ok(), Some(doc));
            }
            Err(err) => {
                prop_assert!(blank(&repo) || files.iter().any(blank));
                prop_assert!(invalid(err).iter().all(|(id, _)| id == "E007"));
            }
        }
    }
}
