//! The round-trip property through the real binary: anything `render` writes, `validate`
//! accepts, as JSON and inside `-o configmap`. (render.rs's unit tests run the same property
//! in-process over many more cases.)

use std::fs;

use proptest::prelude::*;

use crate::support::{run, statusctl};

/// Flag values as CI would pass them: plain names, unicode, quotes, backslashes, line breaks.
/// Process arguments cannot hold NUL, so it is left out.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9._/-]{1,16}",
        "[^\u{0}]{0,12}",
        "[\"\\\\\n\r\t ä😀:#%,]{0,8}",
    ]
}

fn sync_status() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "SYNCED",
        "Synced",
        "OUT_OF_SYNC",
        "OutOfSync",
        "outofsync",
        "UNKNOWN",
        "Unknown",
        "ERROR",
    ])
}

proptest! {
    // Each case starts three processes; 64 cases keep this a few seconds.
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn what_render_writes_validate_accepts(
        repo in value(),
        server in value(),
        status in sync_status(),
        files in prop::collection::vec(value(), 0..4),
        drift in prop::option::of(0u64..1_000),
        message in prop::option::of(value()),
        seconds in 0i64..4_102_444_800,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut args = vec![
            "render".to_owned(),
            format!("--repo={repo}"),
            format!("--server={server}"),
            format!("--sync-status={status}"),
        ];
        args.extend(files.iter().map(|f| format!("--file={f}")));
        if let Some(drift) = drift {
            args.push(format!("--drift-count={drift}"));
        }
        if let Some(message) = &message {
            args.push(format!("--message={message}"));
        }
        let stamp = chrono::DateTime::from_timestamp(seconds, 0).unwrap().to_rfc3339();
        args.push(format!("--last-check={stamp}"));

        let rendered = run(statusctl(dir.path()).args(&args).args(["--output-file", "status.json"]));
        // Render refuses (exit 1, nothing written) exactly when a required string is blank.
        let blank = |s: &String| s.trim().is_empty();
        let refused = blank(&repo) || blank(&server) || files.iter().any(blank);
        prop_assert_eq!(rendered.code, if refused { 1 } else { 0 }, "{}", rendered.transcript());
        if refused {
            prop_assert!(!dir.path().join("status.json").exists());
            return Ok(());
        }
        let validated = run(statusctl(dir.path()).args(["validate", "status.json"]));
        prop_assert_eq!(validated.code, 0, "{}", validated.transcript());

        let manifest = run(statusctl(dir.path()).args(&args).args(["-o", "configmap"]));
        prop_assert_eq!(manifest.code, 0, "{}", manifest.transcript());
        let cm: serde_yaml::Value = serde_yaml::from_str(&manifest.stdout).unwrap();
        let json = cm["data"]["status.json"].as_str().unwrap();
        prop_assert_eq!(json, fs::read_to_string(dir.path().join("status.json")).unwrap());
    }
}
