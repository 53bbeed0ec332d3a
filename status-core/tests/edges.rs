//! Behaviour at the edges, each pinned because a mutant of the code survived without it
//! (`cargo xtask mutants`, docs/testing.md): strict results, the clock-skew tolerance and its
//! boundary, the size limit, positions after awkward tokens, the lenient status spellings.

use chrono::{Duration, TimeZone, Utc};
use status_core::{Code, Error, HealthStatus, Severity, SyncStatus, Validator};

fn doc(sync: &str, drift: u64, files: &str, last_check: &str) -> String {
    format!(
        r#"{{"repo": "r", "server": "s", "sync_status": "{sync}", "drift_count": {drift}, "files": [{files}], "last_check": "{last_check}"}}"#
    )
}

#[test]
fn strict_results_fail_on_warnings_and_lenient_ones_do_not() {
    // SYNCED with drift: one warning, no error.
    let text = doc("SYNCED", 1, r#""a.yaml""#, "2026-04-21T10:00:00Z");
    let report = status_core::validate(text.as_bytes());
    assert!(report.is_valid() && report.passes(false) && !report.passes(true));
    assert!(report.clone().into_result(false).is_ok());
    let Err(Error::Invalid { findings }) = report.into_result(true) else {
        panic!("--strict accepted a document with a warning");
    };
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].code(), Code::SyncedWithDrift);
    assert!(findings[0].fails(true) && !findings[0].fails(false));
    // A clean document passes strict too, and an error fails both.
    let clean = doc("OUT_OF_SYNC", 1, r#""a.yaml""#, "2026-04-21T10:00:00Z");
    assert!(
        status_core::validate(clean.as_bytes())
            .into_result(true)
            .is_ok()
    );
    let bad = status_core::validate(b"{}");
    assert!(!bad.passes(false) && !bad.passes(true));
    assert_eq!(
        bad.of(Severity::Error).count(),
        bad.findings().len(),
        "every finding of {{}} is an error"
    );
    assert_eq!(bad.of(Severity::Warning).count(), 0);
}

#[test]
fn last_check_may_be_five_minutes_ahead_and_not_a_second_more() {
    let now = Utc.with_ymd_and_hms(2026, 4, 21, 10, 0, 0).unwrap();
    let at = |ahead: Duration| {
        let t = (now + ahead).format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let report = Validator::new()
            .now(now)
            .validate(doc("OUT_OF_SYNC", 0, "", &t).as_bytes());
        assert!(report.is_valid());
        report
            .findings()
            .iter()
            .any(|f| f.code() == Code::FutureLastCheck)
    };
    assert!(!at(Duration::zero()));
    assert!(
        !at(Duration::seconds(300)),
        "exactly the tolerance is not reported"
    );
    assert!(at(Duration::seconds(301)));
    assert!(at(Duration::days(400)));
    assert!(!at(-Duration::days(400)), "the past is not the future");
    // Without a fixed clock the system's is used: a year ahead of it is in the future.
    let next_year = (Utc::now() + Duration::days(365))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let report = status_core::validate(doc("OUT_OF_SYNC", 0, "", &next_year).as_bytes());
    assert_eq!(report.findings()[0].code(), Code::FutureLastCheck);
    assert!(
        report.findings()[0]
            .message()
            .contains("is in the future (now is 20")
    );
}

#[test]
fn positions_after_empty_arrays_escaped_strings_and_nesting() {
    let cases: [(&str, &str, (usize, usize)); 6] = [
        (r#"{"a\"b\\": 0, "repo": 1}"#, "$.repo", (1, 23)),
        (r#"{"files": [], "repo": 1}"#, "$.repo", (1, 23)),
        (r#"{"repo": "a\"b\\", "server": 2}"#, "$.server", (1, 30)),
        (r#"{"x": {"y": [[], {}]}, "repo": []}"#, "$.repo", (1, 32)),
        ("{\"files\": [\n  \"a\",\n  \"\"\n]}", "$.files[1]", (3, 3)),
        (r#"{"files": ["a\"]", 2]}"#, "$.files[1]", (1, 20)),
    ];
    for (src, path, position) in cases {
        let report = status_core::validate(src.as_bytes());
        let finding = report
            .findings()
            .iter()
            .find(|f| f.path() == path)
            .unwrap_or_else(|| panic!("{src}: no finding at {path}: {:?}", report.findings()));
        assert_eq!(
            (finding.line(), finding.column()),
            (Some(position.0), Some(position.1)),
            "{src}: {finding}"
        );
    }
}

#[test]
fn duplicate_keys_name_the_line_of_the_first() {
    let src = "{\"repo\": \"a\",\n\"repo\": \"b\"}";
    let report = status_core::validate(src.as_bytes());
    let dup = report
        .findings()
        .iter()
        .find(|f| f.code() == Code::DuplicateKey)
        .unwrap();
    assert_eq!((dup.line(), dup.column()), (Some(2), Some(1)));
    assert!(dup.message().contains("first on line 1"), "{dup}");
}

#[test]
fn every_sync_status_parses_in_any_case_and_only_canonical_ones_validate() {
    for (text, status) in [
        ("unknown", SyncStatus::Unknown),
        ("error", SyncStatus::Error),
        ("Error", SyncStatus::Error),
        ("out_of_sync", SyncStatus::OutOfSync),
        ("SYNCED", SyncStatus::Synced),
    ] {
        assert_eq!(text.parse::<SyncStatus>().ok(), Some(status), "{text}");
    }
    for status in SyncStatus::ALL {
        let text = doc(status.as_str(), 0, "", "2026-04-21T10:00:00Z");
        let parsed = status_core::parse(text.as_bytes()).unwrap();
        assert_eq!(parsed.sync_status(), status);
        assert_eq!(status.to_string(), status.as_str());
    }
    for health in HealthStatus::ALL {
        assert_eq!(
            health.as_str().to_lowercase().parse::<HealthStatus>().ok(),
            Some(health)
        );
        assert_eq!(health.to_string(), health.as_str());
    }
}

#[test]
fn the_size_limit_is_the_validators() {
    let text = doc("OUT_OF_SYNC", 0, "", "2026-04-21T10:00:00Z");
    let exact = Validator::new()
        .max_bytes(text.len())
        .validate(text.as_bytes());
    assert!(exact.is_valid(), "a document of exactly max_bytes is read");
    let under = Validator::new()
        .max_bytes(text.len() - 1)
        .validate(text.as_bytes());
    assert_eq!(under.findings()[0].code(), Code::TooLarge);
    assert!(!under.is_valid());
    assert!(Validator::default().validate(text.as_bytes()).is_valid());
}

#[test]
fn paths_write_identifiers_plainly_and_other_keys_quoted() {
    let src = r#"{"_private": 1, "1st": 2, "a b": 3, "ok_2": 4}"#;
    let report = status_core::validate(src.as_bytes());
    let paths: Vec<&str> = report
        .findings()
        .iter()
        .filter(|f| f.code() == Code::UnknownField)
        .map(|f| f.path())
        .collect();
    assert_eq!(
        paths,
        ["$._private", r#"$["1st"]"#, r#"$["a b"]"#, "$.ok_2"]
    );
}

#[test]
fn a_missing_field_points_at_its_object_after_leading_white_space() {
    let report = status_core::validate(b"\n\n  {\"server\": \"s\"}");
    let repo = report
        .findings()
        .iter()
        .find(|f| f.path() == "$.repo")
        .unwrap();
    assert_eq!((repo.line(), repo.column()), (Some(3), Some(3)), "{repo}");
}

#[test]
fn a_repeated_field_is_judged_and_located_by_its_last_value() {
    // serde_json keeps the last value, so the finding is about it, and points at it.
    let src =
        "{\"repo\": \"fine\",\n \"repo\": 7,\n \"files\": [\"a\"],\n \"files\": [\"b\", \"\"]}";
    let report = status_core::validate(src.as_bytes());
    let repo = report
        .findings()
        .iter()
        .find(|f| f.code() == Code::WrongType)
        .unwrap();
    assert_eq!(
        (repo.path(), repo.line(), repo.column()),
        ("$.repo", Some(2), Some(10))
    );
    let blank = report
        .findings()
        .iter()
        .find(|f| f.code() == Code::EmptyString)
        .unwrap();
    assert_eq!(
        (blank.path(), blank.line(), blank.column()),
        ("$.files[1]", Some(4), Some(17))
    );
}

#[test]
fn numbers_out_of_range_are_reported_up_to_sixteen() {
    // Each costs a parse of the whole document: a flood is cut short, not followed to its end.
    let flood: Vec<String> = (0..20).map(|i| format!("\"n{i}\": 1e400")).collect();
    let report = status_core::validate(format!("{{{}}}", flood.join(", ")).as_bytes());
    let out_of_range = report
        .findings()
        .iter()
        .filter(|f| f.code() == Code::NumberOutOfRange)
        .count();
    assert_eq!(out_of_range, 16);
    assert!(!report.is_valid());
}
