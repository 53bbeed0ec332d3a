//! Every example document in the seed's README validates (warnings allowed), and the typed API
//! keeps what it does not know.

use status_core::{Code, Severity, SyncStatus, validate};

#[test]
fn the_seeds_argocd_values_validate_cleanly() {
    let report = validate(
        br#"{"repo": "my-repo", "server": "my-server", "sync_status": "SYNCED",
            "drift_count": 0, "files": [], "last_check": "2026-04-21T10:00:00Z"}"#,
    );
    assert!(report.passes(true), "{:?}", report.findings());
}

#[test]
fn the_seeds_custom_status_json_validates_with_a_warning() {
    // The seed's "Custom Status JSON": SYNCED with drift_count 2 is contradictory but valid.
    let report = validate(
        br#"{"repo": "production-apps", "server": "prod-cluster-01", "sync_status": "SYNCED",
            "drift_count": 2, "files": ["deployment.yaml", "service.yaml"],
            "last_check": "2026-04-21T12:30:00Z"}"#,
    );
    assert!(report.is_valid());
    assert!(!report.passes(true));
    let codes: Vec<Code> = report.findings().iter().map(|f| f.code()).collect();
    assert_eq!(codes, [Code::SyncedWithDrift]);
    assert_eq!(report.findings()[0].severity(), Severity::Warning);
    assert_eq!(report.document().unwrap().sync_status(), SyncStatus::Synced);
}

#[test]
fn the_repository_example_validates() {
    let src = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/status.json"
    ))
    .unwrap();
    assert!(validate(&src).is_valid());
}

#[test]
fn unknown_and_optional_fields_survive_a_round_trip() {
    let src = r#"{"repo":"r","server":"s","sync_status":"ERROR","drift_count":0,"files":[],"last_check":"2026-04-21T12:30:00.250+02:00","revision":"abc","health_status":"Degraded","message":"m","environment":"prod","team":{"name":"platform"},"z":[1,2]}"#;
    let doc = status_core::parse(src.as_bytes()).unwrap();
    assert_eq!(
        doc.to_json(),
        src,
        "fields, order, offsets and fractions are kept"
    );
}

#[test]
fn every_code_has_a_distinct_id_and_name_and_a_description() {
    let mut ids: Vec<&str> = Code::ALL.iter().map(|c| c.id()).collect();
    let mut names: Vec<&str> = Code::ALL.iter().map(|c| c.name()).collect();
    ids.dedup();
    names.sort();
    names.dedup();
    assert_eq!(ids.len(), Code::ALL.len());
    assert_eq!(names.len(), Code::ALL.len());
    for code in Code::ALL {
        assert_eq!(
            code.id().starts_with('E'),
            code.severity() == Severity::Error,
            "{code}"
        );
        assert!(code.description().ends_with('.'), "{code}");
    }
}

#[test]
fn the_schema_agrees_with_the_validator_on_enumerations() {
    let schema = status_core::json_schema();
    let sync: Vec<&str> = schema["properties"]["sync_status"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(sync, SyncStatus::ALL.map(SyncStatus::as_str));
    let health: Vec<&str> = schema["properties"]["health_status"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(health, status_core::HealthStatus::ALL.map(|h| h.as_str()));
    assert_eq!(schema["properties"]["drift_count"]["minimum"], 0);
    assert_eq!(schema["properties"]["files"]["items"]["minLength"], 1);
    // The validator rejects blank strings (E007); so must the schema (Helm validates with it).
    for blank_checked in [
        &schema["properties"]["repo"],
        &schema["properties"]["server"],
        &schema["properties"]["app"],
        &schema["properties"]["files"]["items"],
    ] {
        assert_eq!(blank_checked["pattern"], r"\S");
    }
}

#[test]
fn docs_schema_md_lists_every_code() {
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/schema.md")).unwrap();
    for code in Code::ALL {
        let row = format!("| {} | `{}` |", code.id(), code.name());
        assert!(
            docs.contains(&row),
            "docs/schema.md has no row for {code}: add `{row} ...`"
        );
    }
}

#[test]
fn a_document_with_a_hundred_thousand_findings_is_reported_whole() {
    // Positions are computed in one pass: were each finding to rescan the source, these 1 MiB
    // one-line documents would take minutes (and CI would time out), not milliseconds.
    let doc = |items: &str, drift: usize| {
        format!(
            r#"{{"repo":"r","server":"s","sync_status":"OUT_OF_SYNC","drift_count":{drift},"files":[{items}],"last_check":"2026-04-21T10:00:00Z"}}"#
        )
    };
    let cases = [
        (
            doc(&vec![r#""a""#; 100_000].join(","), 100_000),
            Code::DuplicateFile,
            99_999,
            3,
        ),
        (
            doc(&vec!["1"; 200_000].join(","), 0),
            Code::WrongType,
            200_000,
            1,
        ),
    ];
    for (src, code, count, last_item_len) in cases {
        let report = validate(src.as_bytes());
        let found: Vec<_> = report
            .findings()
            .iter()
            .filter(|f| f.code() == code)
            .collect();
        assert_eq!(found.len(), count, "{code}");
        let last = found.last().unwrap();
        let array_end = src.find("],\"last_check\"").unwrap();
        assert_eq!(
            last.path(),
            if code == Code::WrongType {
                "$.files[199999]"
            } else {
                "$.files[99999]"
            }
        );
        assert_eq!(
            (last.line(), last.column()),
            (Some(1), Some(array_end - last_item_len + 1))
        );
    }
}
