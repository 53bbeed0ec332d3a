//! Findings for bad (and borderline) documents, snapshotted: codes, paths, positions and messages
//! are part of the contract, so every change to them shows up in review.

use chrono::{TimeZone, Utc};
use status_core::{Report, Validator};

fn validator() -> Validator {
    // A fixed "now" so the future-timestamp check is repeatable.
    Validator::new().now(Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap())
}

fn render(report: &Report) -> String {
    let mut out = format!(
        "valid: {}, passes --strict: {}\n",
        report.is_valid(),
        report.passes(true)
    );
    for f in report.findings() {
        out.push_str(&format!("{} {}\n", f.code().id(), f));
    }
    out
}

const GOOD: &str = r#"{
  "repo": "production-apps",
  "server": "prod-cluster-01",
  "sync_status": "OUT_OF_SYNC",
  "drift_count": 2,
  "files": ["deployment.yaml", "service.yaml"],
  "last_check": "2026-04-21T12:30:00Z"
}"#;

/// `GOOD` with one top-level field replaced (or removed with `None`).
fn with(field: &str, value: Option<&str>) -> String {
    let mut map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(GOOD).unwrap();
    match value {
        Some(v) => {
            map.insert(field.to_owned(), serde_json::from_str(v).unwrap());
        }
        None => {
            map.remove(field);
        }
    }
    serde_json::to_string_pretty(&map).unwrap()
}

/// `GOOD` with the text of one value replaced as written: a number's spelling survives, which
/// `with` (through serde_json) would normalise.
fn spelled(field: &str, literal: &str) -> String {
    let value = match field {
        "drift_count" => "2",
        "last_check" => "\"2026-04-21T12:30:00Z\"",
        other => panic!("no spelling for {other}"),
    };
    let from = format!("\"{field}\": {value}");
    assert!(GOOD.contains(&from));
    GOOD.replace(&from, &format!("\"{field}\": {literal}"))
}

macro_rules! bad {
    ($($name:ident => $src:expr;)*) => {
        $(
            #[test]
            fn $name() {
                let src: Vec<u8> = ($src).into();
                let report = validator().validate(&src);
                insta::assert_snapshot!(stringify!($name), render(&report));
            }
        )*
    };
}

bad! {
    empty_file => "";
    only_whitespace => " \n\t\n";
    not_utf8 => b"{\"repo\": \"caf\xe9\"}".to_vec();
    byte_order_mark => format!("\u{feff}{GOOD}");
    trailing_comma => "{\"repo\": \"r\",\n}";
    truncated => &GOOD[..40];
    root_is_array => "[1, 2]";
    root_is_string => "\"SYNCED\"";
    empty_object => "{}";
    repo_is_number => with("repo", Some("42"));
    repo_is_empty => with("repo", Some("\"\""));
    server_is_blank => with("server", Some("\"   \""));
    server_missing => with("server", None);
    sync_status_argo_spelling => with("sync_status", Some("\"OutOfSync\""));
    sync_status_lower_case => with("sync_status", Some("\"synced\""));
    sync_status_bogus => with("sync_status", Some("\"BOGUS\""));
    sync_status_null => with("sync_status", Some("null"));
    drift_count_negative => with("drift_count", Some("-1"));
    drift_count_fraction => with("drift_count", Some("1.5"));
    drift_count_string => with("drift_count", Some("\"2\""));
    drift_count_huge => with("drift_count", Some("1e30"));
    drift_count_exponent => spelled("drift_count", "1e2");
    drift_count_point_zero => spelled("drift_count", "2.0");
    drift_count_negative_zero_point_zero => spelled("drift_count", "-0.0");
    drift_count_above_2_pow_53 => spelled("drift_count", "9007199254740992");
    drift_count_2_pow_64 => spelled("drift_count", "18446744073709551616");
    drift_count_out_of_f64_range => spelled("drift_count", "1e400");
    out_of_range_in_unknown_fields => GOOD.replacen('{', "{\"big\": [1, -1e400],\n  \"bigger\": 1e999,", 1);
    out_of_range_in_a_broken_document => GOOD.replacen('{', "{\"big\": 1e400, oops", 1);
    last_check_space => spelled("last_check", "\"2026-04-21 12:30:00Z\"");
    last_check_lower_case_t => spelled("last_check", "\"2026-04-21t12:30:00Z\"");
    last_check_lower_case_z => spelled("last_check", "\"2026-04-21T12:30:00z\"");
    last_check_leap_second => spelled("last_check", "\"2026-12-31T23:59:60Z\"");
    last_check_year_zero => spelled("last_check", "\"0000-01-01T00:00:00Z\"");
    last_check_offset_without_colon => spelled("last_check", "\"2026-04-21T12:30:00+0200\"");
    syntax_error_after_non_ascii => "{\"repo\": \"caf\u{e9} \u{1F600}\" x}";
    drift_below_one_file => with("drift_count", Some("0")).replace("\"deployment.yaml\", ", "");
    repo_is_array_of_one => with("repo", Some("[\"apps\"]"));
    files_not_array => with("files", Some("\"deployment.yaml\""));
    files_bad_entries => with("files", Some("[\"a.yaml\", \"\", 3, null]"));
    last_check_words => with("last_check", Some("\"yesterday\""));
    last_check_no_offset => with("last_check", Some("\"2026-04-21T10:00:00\""));
    last_check_epoch_number => with("last_check", Some("1745229600"));
    health_status_wrong_case => with("health_status", Some("\"healthy\""));
    revision_is_number => with("revision", Some("123"));
    message_is_object => with("message", Some("{\"text\": \"hi\"}"));
    app_is_blank => with("app", Some("\" \""));
    app_is_number => with("app", Some("7"));
    nested_ten_thousand_deep => format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    deep_inside_a_field => with("files", None).replacen('{', &format!("{{\"extra\": {}1{},", "[".repeat(200), "]".repeat(200)), 1);
    too_large => format!("{{\"repo\": \"{}\"}}", "x".repeat(status_core::MAX_DOCUMENT_BYTES));
    everything_wrong => "{\"repo\": 1, \"server\": \"\", \"sync_status\": \"NOPE\", \"drift_count\": -3, \"files\": {}, \"last_check\": \"\"}";
    warnings_only => with("files", Some("[\"a.yaml\", \"b.yaml\", \"a.yaml\"]"));
    synced_with_drift => with("sync_status", Some("\"SYNCED\""));
    future_last_check => with("last_check", Some("\"2027-01-01T00:00:00Z\""));
    duplicate_key => GOOD.replacen('{', "{\"sync_status\": \"SYNCED\",", 1);
    unknown_fields => with("team", Some("\"platform\"")).replacen('{', "{\"weird key\": true,", 1);
}

#[test]
fn negative_zero_is_the_integer_zero() {
    // JSON Schema reads `-0` as 0 (an integer, >= 0), and so does status-core: one verdict.
    let report = validator().validate(spelled("drift_count", "-0").as_bytes());
    assert!(report.is_valid(), "{:?}", report.findings());
    let doc = report.into_document().unwrap();
    assert_eq!(doc.drift_count(), 0);
    assert!(doc.to_json().contains("\"drift_count\":0"), "written as 0");
    // Deserialised from a value (no source text), `-0` is 0 as well.
    let doc: status_core::StatusDocument =
        serde_json::from_str(&spelled("drift_count", "-0")).unwrap();
    assert_eq!(doc.drift_count(), 0);
}

#[test]
fn the_largest_drift_count_is_two_to_the_53_minus_one() {
    let max = status_core::MAX_DRIFT_COUNT;
    assert_eq!(max, 9_007_199_254_740_991);
    let report = validator().validate(spelled("drift_count", &max.to_string()).as_bytes());
    assert_eq!(report.document().map(|d| d.drift_count()), Some(max));
    let report = validator().validate(spelled("drift_count", &(max + 1).to_string()).as_bytes());
    assert!(!report.is_valid());
    // The builder applies the same bound.
    let doc = report_document();
    assert!(doc.to_builder().drift_count(max).build().is_ok());
    assert!(doc.to_builder().drift_count(max + 1).build().is_err());
}

fn report_document() -> status_core::StatusDocument {
    validator()
        .validate(GOOD.as_bytes())
        .into_document()
        .unwrap()
}

#[test]
fn a_document_of_exactly_the_limit_is_read_and_one_byte_more_is_not() {
    let limit = status_core::MAX_DOCUMENT_BYTES;
    let pad = |len: usize| {
        let mut doc = GOOD.trim_end_matches('}').to_owned();
        doc.push_str(",\n  \"pad\": \"\"}");
        let missing = len - doc.len();
        doc.replace(
            "\"pad\": \"\"",
            &format!("\"pad\": \"{}\"", "x".repeat(missing)),
        )
    };
    let at_limit = pad(limit);
    assert_eq!(at_limit.len(), limit);
    assert!(validator().validate(at_limit.as_bytes()).is_valid());
    let over = pad(limit + 1);
    let report = validator().validate(over.as_bytes());
    assert_eq!(report.findings()[0].code().name(), "too-large");
    // A validator given a smaller limit says that limit, not a ConfigMap's.
    let small = Validator::new().max_bytes(10).validate(GOOD.as_bytes());
    assert_eq!(
        small.findings()[0].message(),
        "the document is larger than 10 bytes, the limit of this validator"
    );
    let one = Validator::new().max_bytes(1).validate(b"{}");
    assert!(one.findings()[0].message().contains("larger than 1 byte,"));
    assert!(
        Validator::new().max_bytes(2).validate(b"{}").findings()[0]
            .code()
            .name()
            != "too-large"
    );
}
