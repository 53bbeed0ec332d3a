//! Control characters in what statusctl prints about files: a document's keys, a file's name, a
//! flag's value. Each is shown escaped (`\n`, `\u{1b}`), so it stays on its own line, cannot
//! start a GitHub workflow command (`::error::`) and sends no escape sequence to a terminal.

use std::fs;

use crate::support::{Run, run, settings, statusctl};

/// A valid document with an unknown key holding an escape sequence, a newline that starts a
/// workflow command, and a `%`: a warning names the key.
const HOSTILE_KEY: &str = r#"{"repo":"r","server":"s","sync_status":"SYNCED","drift_count":0,"files":[],"last_check":"2026-04-21T12:00:00Z","\u001b[31mk\n::error::INJECTED%0A":1}"#;

/// A file name that does the same.
const HOSTILE_NAME: &str = "x\n::error::NAME\u{1b}[2J.json";

/// No control character but the line ends, and no line that starts a workflow command unless
/// it is one of ours (`::error file=`, `::warning file=`).
fn assert_inert(r: &Run) {
    for (stream, text) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{stream} holds a control character: {text:?}"
        );
        for line in text.lines() {
            assert!(
                !line.starts_with("::")
                    || line.starts_with("::error file=")
                    || line.starts_with("::warning file="),
                "{stream} line starts a workflow command: {line:?}"
            );
        }
    }
}

#[test]
fn validate_shows_hostile_keys_and_names_escaped_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("doc.json"), HOSTILE_KEY).unwrap();
    fs::write(dir.path().join(HOSTILE_NAME), "{}").unwrap();
    let mut transcript = String::new();
    for format in ["human", "github", "json"] {
        for file in ["doc.json", HOSTILE_NAME, "missing\u{1b}[1m.json"] {
            let r = run(statusctl(dir.path()).args(["validate", "--format", format, file]));
            assert!(
                r.code == 0 || r.code == 1 || r.code == 2,
                "{}",
                r.transcript()
            );
            if format != "json" {
                assert_inert(&r);
            } else {
                // JSON escapes by itself; stderr is statusctl's.
                assert!(!r.stdout.contains('\u{1b}'), "{}", r.stdout);
                assert!(!r.stderr.chars().any(|c| c.is_control() && c != '\n'));
                continue;
            }
            transcript.push_str(&format!(
                "$ validate --format {format} {file:?}\n{}\n",
                r.transcript()
            ));
        }
    }
    settings().bind(|| insta::assert_snapshot!("validate_hostile_text", transcript));
}

#[test]
fn render_shows_hostile_flag_values_escaped() {
    let dir = tempfile::tempdir().unwrap();
    // A duplicate file is a warning that names it; an empty repo an error.
    let r = run(statusctl(dir.path()).args([
        "render",
        "--repo",
        "r",
        "--server",
        "s",
        "--sync-status",
        "Synced",
        "--file",
        "a\n::error::DUP\u{1b}[31m",
        "--file",
        "a\n::error::DUP\u{1b}[31m",
    ]));
    assert_eq!(r.code, 0, "{}", r.transcript());
    // stdout is the document (JSON escapes by itself): only stderr is for people.
    assert_inert(&Run {
        code: r.code,
        stdout: String::new(),
        stderr: r.stderr.clone(),
    });
    assert!(
        r.stderr.contains(r"a\n::error::DUP\u{1b}[31m"),
        "{}",
        r.stderr
    );

    let r = run(statusctl(dir.path()).args([
        "render",
        "--repo",
        "r",
        "--server",
        "s",
        "--sync-status",
        "Synced",
        "--output-file",
        "no/such\n::error::DIR\u{1b}/status.json",
    ]));
    assert_eq!(r.code, 2, "{}", r.transcript());
    assert_inert(&r);
}

#[test]
fn usage_errors_show_the_value_given_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let mut transcript = String::new();
    for args in [
        &[
            "render",
            "--repo",
            "r",
            "--server",
            "s",
            "--sync-status",
            "x\n::error::STATUS\u{1b}[31m",
        ][..],
        &["push", "doc.json", "--key", "k\n::error::KEY\u{1b}[2J"],
        &[
            "get",
            "--url",
            "http://h",
            "--timeout",
            "1s\n::error::TIMEOUT",
        ],
        &["validate", "--format\u{1b}[31m", "doc.json"],
    ] {
        let r = run(statusctl(dir.path()).args(args));
        assert_eq!(r.code, 2, "{}", r.transcript());
        assert_inert(&r);
        transcript.push_str(&format!("$ statusctl {args:?}\n{}\n", r.transcript()));
    }
    settings().bind(|| insta::assert_snapshot!("usage_errors_escaped", transcript));
}
