//! Every document status-core accepts decodes in the clients that read documents, to the same
//! instant and count: Go (`encoding/json` into a `time.Time`, and Grafana Infinity's first
//! layout, `time.RFC3339`), JavaScript (`JSON.parse`, `new Date`) and Python (`json.loads`,
//! `datetime.fromisoformat`). The programs are in `tests/clients/`.
//!
//! A few hundred generated timestamps and documents (valid ones and near-misses: only what
//! status-core accepts is written out) go to a temporary directory, and each program reads all
//! of it in one run. A missing interpreter skips its client loudly, but fails under CI
//! (`CI` set), where `cargo xtask tools` installs Go.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

/// The documents status-core accepts, by file name, with the instant (Unix milliseconds,
/// floored) and count every client must read.
fn accepted(dir: &Path) -> Vec<(String, i64, u64)> {
    let mut runner = TestRunner::deterministic();
    let stamps = support::timestamp();
    let documents = support::document();
    let mut texts = Vec::new();
    for i in 0..400u64 {
        let stamp = stamps.new_tree(&mut runner).unwrap().current();
        texts.push(format!(
            r#"{{"repo": "r", "server": "s", "sync_status": "OUT_OF_SYNC", "drift_count": {i}, "files": [], "last_check": {}}}"#,
            serde_json::Value::String(stamp)
        ));
    }
    for _ in 0..400 {
        texts.push(documents.new_tree(&mut runner).unwrap().current());
    }
    // The bounds, spelled as they may be.
    texts.push(r#"{"repo": "r", "server": "s", "sync_status": "SYNCED", "drift_count": -0, "files": [], "last_check": "0001-01-01T00:00:00+23:59"}"#.to_owned());
    texts.push(r#"{"repo": "r", "server": "s", "sync_status": "ERROR", "drift_count": 9007199254740991, "files": [], "last_check": "9999-12-31T23:59:59.999999999-23:59"}"#.to_owned());
    let mut out = Vec::new();
    for text in texts {
        let Some(doc) = status_core::validate(text.as_bytes()).into_document() else {
            continue;
        };
        let name = format!("{:04}.json", out.len());
        std::fs::write(dir.join(&name), &text).unwrap();
        out.push((name, doc.last_check().timestamp_millis(), doc.drift_count()));
    }
    out
}

/// The program's output, or `None` when its interpreter is not installed.
fn run(program: &str, args: &[&str], dir: &Path) -> Option<String> {
    let mut cmd = Command::new(program);
    cmd.args(args).arg(dir);
    // Go caches builds under HOME, which a CI container may not have writable.
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    cmd.env("GOCACHE", tmp.join("go-cache"))
        .env("GOPATH", tmp.join("go-path"))
        .env("GO111MODULE", "off")
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients"));
    match cmd.output() {
        Ok(out) => {
            assert!(
                out.status.success(),
                "{program} {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            Some(String::from_utf8(out.stdout).unwrap())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let message =
                format!("{program} is not installed: the {program} client was NOT tested");
            assert!(
                std::env::var_os("CI").is_none(),
                "{message} (CI must have it: cargo xtask tools)"
            );
            eprintln!("\n!!! SKIPPED: {message} !!!\n");
            None
        }
        Err(e) => panic!("cannot run {program}: {e}"),
    }
}

#[test]
fn every_accepted_document_decodes_in_go_javascript_and_python() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("client-documents");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let expected = accepted(&dir);
    assert!(
        expected.len() > 300,
        "only {} accepted documents",
        expected.len()
    );
    let want: Vec<String> = expected
        .iter()
        .map(|(name, millis, drift)| format!("{name} {millis} {drift}"))
        .collect();
    let mut tested = Vec::new();
    for (client, program, args) in [
        ("Go", "go", &["run", "decode.go"][..]),
        ("JavaScript", "node", &["decode.js"][..]),
        ("Python", "python3", &["decode.py"][..]),
    ] {
        let Some(out) = run(program, args, &dir) else {
            continue;
        };
        let got: Vec<&str> = out.lines().collect();
        for (want, got) in want.iter().zip(&got) {
            let name = &want[..9];
            let text = std::fs::read_to_string(dir.join(name)).unwrap();
            assert_eq!(got, want, "{client} reads {name} differently: {text}");
        }
        assert_eq!(
            got.len(),
            want.len(),
            "{client} read another number of documents"
        );
        tested.push(client);
    }
    eprintln!(
        "{} accepted documents decoded alike by {tested:?}",
        want.len()
    );
}
