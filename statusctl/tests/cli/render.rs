//! `statusctl render`: JSON and ConfigMap output, Argo CD spellings, file lists, defaults, and
//! the refusals (bad flags exit 2, an invalid document exits 1 and writes nothing).

use std::fs;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::support::{run, settings, statusctl};

/// The flags every test starts from; `--last-check` is fixed so snapshots are stable.
const BASE: [&str; 8] = [
    "render",
    "--repo",
    "production-apps",
    "--server",
    "prod-cluster-01",
    "--sync-status",
    "OutOfSync",
    "--last-check=2026-04-21T12:30:00Z",
];

fn render(extra: &[&str]) -> crate::support::Run {
    let dir = tempfile::tempdir().unwrap();
    run(statusctl(dir.path()).args(BASE).args(extra))
}

fn document(stdout: &str) -> Value {
    serde_json::from_str(stdout).expect("render prints one JSON document")
}

#[test]
fn json_output_with_every_flag() {
    let r = render(&[
        "--file",
        "apps/deployment.yaml",
        "--file",
        "apps/service.yaml",
        "--revision",
        "9f1c2e7",
        "--health-status",
        "progressing",
        "--message",
        "Sync \"failed\":\n  übung ✓",
        "--environment",
        "production",
        "--app",
        "storefront",
    ]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    settings().bind(|| insta::assert_snapshot!("render_json_every_flag", r.transcript()));
}

#[test]
fn configmap_output_with_and_without_namespace() {
    let r = render(&["--file", "a.yaml", "-o", "configmap"]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    settings().bind(|| insta::assert_snapshot!("render_configmap_default", r.transcript()));

    let r = render(&[
        "-o",
        "configmap",
        "--name",
        "team-a-status",
        "--namespace",
        "argocd",
        "--key",
        "team-a.json",
        "--message",
        "line one\nline two: ümlaut",
    ]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    settings().bind(|| insta::assert_snapshot!("render_configmap_named", r.transcript()));
}

#[test]
fn argo_cd_spellings_are_written_canonically() {
    let dir = tempfile::tempdir().unwrap();
    for (given, written) in [
        ("Synced", "SYNCED"),
        ("synced", "SYNCED"),
        ("SYNCED", "SYNCED"),
        ("OutOfSync", "OUT_OF_SYNC"),
        ("out_of_sync", "OUT_OF_SYNC"),
        ("OUT_OF_SYNC", "OUT_OF_SYNC"),
        ("Unknown", "UNKNOWN"),
        ("error", "ERROR"),
    ] {
        let r = run(statusctl(dir.path()).args([
            "render",
            "--repo=r",
            "--server=s",
            "--sync-status",
            given,
        ]));
        assert_eq!(r.code, 0, "{given}: {}", r.transcript());
        assert_eq!(document(&r.stdout)["sync_status"], written, "{given}");
    }
}

#[test]
fn files_from_a_file_and_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    // What `git diff --name-only` prints, with a Windows line end and blank lines mixed in.
    let list = "apps/deployment.yaml\r\n\napps/service.yaml\n  \nnames with spaces.yaml\n";
    fs::write(dir.path().join("changed.txt"), list).unwrap();
    let expected = [
        "from-flag.yaml",
        "apps/deployment.yaml",
        "apps/service.yaml",
        "names with spaces.yaml",
    ];

    let r = run(statusctl(dir.path()).args(BASE).args([
        "--file",
        "from-flag.yaml",
        "--files-from",
        "changed.txt",
    ]));
    assert_eq!(r.code, 0, "{}", r.transcript());
    let doc = document(&r.stdout);
    assert_eq!(doc["files"], serde_json::json!(expected));
    assert_eq!(doc["drift_count"], 4);

    let r = run(statusctl(dir.path())
        .args(BASE)
        .args(["--file", "from-flag.yaml", "--files-from", "-"])
        .write_stdin(list));
    assert_eq!(r.code, 0, "{}", r.transcript());
    assert_eq!(document(&r.stdout)["files"], serde_json::json!(expected));

    // An empty list is an empty `files` and a drift count of 0.
    let r = run(statusctl(dir.path())
        .args(BASE)
        .args(["--files-from", "-"])
        .write_stdin(""));
    assert_eq!(r.code, 0, "{}", r.transcript());
    assert_eq!(document(&r.stdout)["files"], serde_json::json!([]));
    assert_eq!(document(&r.stdout)["drift_count"], 0);

    // A line that is not UTF-8 is an input error naming the line, not a lossy file name.
    let r = run(statusctl(dir.path())
        .args(BASE)
        .args(["--files-from", "-"])
        .write_stdin(&b"ok.yaml\na\xff.yaml\n"[..]));
    assert_eq!(r.code, 2, "{}", r.transcript());
    assert_eq!(r.stdout, "");
    assert_eq!(
        r.stderr,
        "statusctl: error: --files-from <stdin>: line 2 is not UTF-8 (byte 2 of the line); file names must be UTF-8\n"
    );
}

#[test]
fn defaults_count_the_files_and_stamp_now_in_whole_utc_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let before = DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap();
    let r = run(statusctl(dir.path()).args([
        "render",
        "--repo",
        "r",
        "--server",
        "s",
        "--sync-status",
        "OutOfSync",
        "--file",
        "a",
        "--file",
        "b",
        "--file",
        "c",
    ]));
    let after = Utc::now();
    assert_eq!(r.code, 0, "{}", r.transcript());
    let doc = document(&r.stdout);
    assert_eq!(doc["drift_count"], 3);
    let stamp = doc["last_check"].as_str().unwrap();
    assert!(stamp.ends_with('Z') && !stamp.contains('.'), "{stamp}");
    let t = DateTime::parse_from_rfc3339(stamp).unwrap();
    assert!(before <= t && t <= after, "{before} <= {t} <= {after}");
    // No optional field appears unless asked for.
    let keys: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "repo",
            "server",
            "sync_status",
            "drift_count",
            "files",
            "last_check"
        ]
    );
    assert!(r.stdout.ends_with("}\n"));

    let r = run(statusctl(dir.path())
        .args(BASE)
        .args(["--drift-count", "7", "--file", "a"]));
    assert_eq!(document(&r.stdout)["drift_count"], 7);
}

#[test]
fn output_file_is_written_whole_and_nothing_is_printed() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("status.json"), "old").unwrap();
    let r = run(statusctl(dir.path()).args(BASE).args([
        "--file",
        "a.yaml",
        "--output-file",
        "status.json",
    ]));
    assert_eq!((r.code, r.stdout.as_str(), r.stderr.as_str()), (0, "", ""));
    let written = fs::read_to_string(dir.path().join("status.json")).unwrap();
    assert_eq!(document(&written)["files"], serde_json::json!(["a.yaml"]));
    let printed = render(&["--file", "a.yaml"]).stdout;
    assert_eq!(
        written, printed,
        "--output-file writes what stdout would get"
    );

    let r = run(statusctl(dir.path()).args(BASE).args([
        "-o",
        "configmap",
        "--output-file",
        "shared/cm.yaml",
    ]));
    assert_eq!(r.code, 2, "{}", r.transcript());
    assert!(
        r.stderr
            .starts_with("statusctl: error: cannot write --output-file shared/cm.yaml: "),
        "{}",
        r.stderr
    );
    // Nothing is left behind: not the target, not a temporary file.
    let mut names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["status.json"]);
}

#[test]
fn an_invalid_document_is_never_written() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(statusctl(dir.path()).args([
        "render",
        "--repo",
        "",
        "--server",
        "prod",
        "--sync-status",
        "Synced",
        "--file",
        "ok.yaml",
        "--file",
        " ",
        "--app",
        "",
        "--output-file",
        "status.json",
    ]));
    assert_eq!(r.code, 1, "{}", r.transcript());
    assert!(!dir.path().join("status.json").exists());
    settings().bind(|| insta::assert_snapshot!("render_invalid_document", r.transcript()));
}

#[test]
fn warnings_are_reported_and_the_document_still_written() {
    let r = render(&["--file", "a.yaml", "--file", "a.yaml", "--drift-count", "1"]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    settings().bind(|| insta::assert_snapshot!("render_warnings", r.transcript()));
}

#[test]
fn bad_flags_exit_2_and_say_what_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("latin1.txt"), b"ok.yaml\nM\xfcnchen.yaml\n").unwrap();
    let base = ["render", "--repo", "r", "--server", "s"];
    let mut transcript = String::new();
    for extra in [
        &["--sync-status", "Bogus"][..],
        &[],
        &["--sync-status", "Synced", "--health-status", "fine"],
        &["--sync-status", "Synced", "--drift-count", "-1"],
        &["--sync-status", "Synced", "--last-check", "yesterday"],
        &[
            "--sync-status",
            "Synced",
            "--last-check",
            "2026-04-21T12:30:00",
        ],
        &["--sync-status", "Synced", "-o", "yaml"],
        &["--sync-status", "Synced", "--name", "x"],
        &[
            "--sync-status",
            "Synced",
            "-o",
            "configmap",
            "--name",
            "Team_A",
        ],
        &[
            "--sync-status",
            "Synced",
            "-o",
            "configmap",
            "--namespace=-ns",
        ],
        &[
            "--sync-status",
            "Synced",
            "-o",
            "configmap",
            "--key",
            "a/b.json",
        ],
        &[
            "--sync-status",
            "Synced",
            "-o",
            "configmap",
            "--key",
            "..status.json",
        ],
        &["--sync-status", "Synced", "--files-from", "missing.txt"],
        &["--sync-status", "Synced", "--files-from", "."],
        &["--sync-status", "Synced", "--files-from", "latin1.txt"],
    ] {
        let r = run(statusctl(dir.path()).args(base).args(extra));
        assert_eq!(r.code, 2, "{extra:?}: {}", r.transcript());
        assert_eq!(r.stdout, "", "{extra:?}");
        let command: Vec<&str> = base.iter().chain(extra).copied().collect();
        transcript.push_str(&format!(
            "$ statusctl {}\n{}\n",
            command.join(" "),
            r.transcript()
        ));
    }
    settings().bind(|| insta::assert_snapshot!("render_bad_flags", transcript));
}

#[test]
fn rendered_documents_pass_validate_strict() {
    let r = render(&["--file", "a.yaml", "--health-status", "Healthy"]);
    let dir = tempfile::tempdir().unwrap();
    let v = run(statusctl(dir.path())
        .args(["validate", "--strict", "-"])
        .write_stdin(r.stdout));
    assert_eq!(v.code, 0, "{}", v.transcript());
}
