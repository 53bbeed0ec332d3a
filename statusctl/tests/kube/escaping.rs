//! Control characters in what servers say: a served document's strings (`check`), a served
//! body that is no document (`get`, `--wait-url`), the API server's answers quoted by `push`.
//! Anyone who can push can write them, so every human output shows them escaped: no line of
//! statusctl's output starts a GitHub workflow command, and no control byte reaches a terminal.

use fake_apiserver::{Config, Rule};
use serde_json::json;

use crate::process::Run;
use crate::raw_http::{Body, raw_server};
use crate::support::{Cluster, LIVE, NS, doc, run, settings, status_server, statusctl_in};

/// Text that would start a workflow command on a line of its own, and turn the terminal red.
const INJECTED: &str = "\n::error::INJECTED\u{1b}[31m";

/// No control character but the line ends in either stream, and no line starting `::`.
fn assert_inert(r: &Run) {
    for (stream, text) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{stream} holds a control character: {text:?}"
        );
        for line in text.lines() {
            assert!(
                !line.trim_start().starts_with("::"),
                "{stream} line starts a workflow command: {line:?}"
            );
        }
    }
}

/// A valid document whose strings hold [`INJECTED`], as JSON escapes.
fn hostile_document() -> String {
    json!({
        "repo": format!("r{INJECTED}"),
        "server": format!("s{INJECTED}"),
        "sync_status": "OUT_OF_SYNC",
        "drift_count": 1,
        "files": [format!("f{INJECTED}")],
        "last_check": "2026-04-21T12:00:00Z",
        "message": format!("m{INJECTED}"),
    })
    .to_string()
}

#[test]
fn check_shows_served_strings_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("status.json");
    std::fs::write(&file, hostile_document()).unwrap();
    let url = status_server(&["--file", file.to_str().unwrap()]);
    let mut transcript = String::new();
    for flags in [&["--require-synced"][..], &[], &["--format", "json"]] {
        let r = run(statusctl_in(dir.path())
            .args(["check", "--url", &url, "--max-age", "1m"])
            .args(flags));
        assert_eq!(r.code, 1, "{}", r.transcript());
        assert_inert(&r);
        transcript.push_str(&format!(
            "$ check {}\n{}\n",
            flags.join(" "),
            r.transcript()
        ));
    }
    let mut settings = settings();
    settings.add_filter(r"\(\d+[hmsd\d]*\s+ago\)", "([AGE] ago)");
    settings.add_filter(r"is \d+[hmsd\d]* old", "is [AGE] old");
    settings.add_filter(r#""age_seconds":\d+"#, r#""age_seconds":[AGE]"#);
    settings.bind(|| insta::assert_snapshot!("check_hostile_strings", transcript));
}

#[test]
fn an_invalid_served_document_is_quoted_escaped() {
    let dir = tempfile::tempdir().unwrap();
    // Not a document: its findings quote the value of the wrong type.
    let body = json!({"repo": "r", "drift_count": format!("k{INJECTED}")}).to_string();
    for command in ["get", "check"] {
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let (url, server) = raw_server(head, Body::Bytes(body.clone().into_bytes()));
        let r = run(statusctl_in(dir.path()).args([command, "--url", &url]));
        let _ = server.join();
        assert_eq!(r.code, 2, "{}", r.transcript());
        assert!(
            r.stderr.contains("serves an invalid status document"),
            "{}",
            r.stderr
        );
        assert!(
            r.stderr.contains(r"k\n::error::INJECTED\u{1b}[31m"),
            "{}",
            r.stderr
        );
        assert_inert(&r);
    }
}

#[test]
fn push_quotes_the_api_servers_answers_escaped() {
    let user = format!("system:serviceaccount:ci:evil{INJECTED}");
    let cluster =
        Cluster::with(Config::default().user(&user, "evil-token", vec![Rule::configmaps(["get"])]));
    let file = cluster.file("doc.json", &doc("apps", "2026-04-21T12:00:00Z"));

    // 403: the API server's message names the user.
    let r = run(cluster
        .statusctl()
        .arg("push")
        .arg("--kubeconfig")
        .arg(cluster.kubeconfig_for("evil-token"))
        .arg(&file));
    assert_eq!(r.code, 5, "{}", r.transcript());
    assert!(
        r.stderr.contains(r"evil\n::error::INJECTED\u{1b}[31m"),
        "{}",
        r.stderr
    );
    assert_inert(&r);

    // 409: the conflict names the field manager that owns the key.
    let manager = format!("pipeline{INJECTED}");
    cluster
        .server
        .apply(
            "configmaps",
            json!({"apiVersion": "v1", "kind": "ConfigMap",
                   "metadata": {"name": LIVE, "namespace": NS},
                   "data": {"status.json": doc("other", "2026-04-21T11:00:00Z")}}),
            &manager,
        )
        .unwrap();
    let r = run(cluster.statusctl().arg("push").arg(&file));
    assert_eq!(r.code, 4, "{}", r.transcript());
    assert!(
        r.stderr.contains(r"pipeline\n::error::INJECTED\u{1b}[31m"),
        "{}",
        r.stderr
    );
    assert_inert(&r);
}
