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
