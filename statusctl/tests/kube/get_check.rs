//! `statusctl get` and `statusctl check` against a real status-server (its library, started
//! in-process on a free port): healthy, stale, out of sync, drifted, unreachable, invalid.

use std::path::Path;

use chrono::{Duration, SecondsFormat, Utc};

use crate::raw_http::{Body, raw_server};
use crate::support::{run, settings, status_server, statusctl_in};

/// Starts a status-server serving `file`; returns the base URL.
fn serve(file: &Path) -> String {
    status_server(&["--file", file.to_str().unwrap()])
}

fn document(sync_status: &str, drift: u64, age: Duration) -> String {
    let last_check = (Utc::now() - age).to_rfc3339_opts(SecondsFormat::Secs, true);
    let files: Vec<String> = (0..drift)
        .map(|i| format!("\"apps/app-{i}.yaml\""))
        .collect();
    format!(
        "{{\"repo\": \"production-apps\", \"server\": \"prod-cluster-01\", \"sync_status\": \"{sync_status}\", \"drift_count\": {drift}, \"files\": [{}], \"last_check\": \"{last_check}\"}}\n",
        files.join(", ")
    )
}

fn with_times_hidden() -> insta::Settings {
    let mut s = settings();
    s.add_filter(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "[TIME]");
    s.add_filter(r"\(\d+[hms\d]*\s+ago\)", "([AGE] ago)");
    s.add_filter(r#""age_seconds":\d+"#, r#""age_seconds":[AGE]"#);
    s.add_filter(r"is \d+[hms\d]* old", "is [AGE] old");
    s
}

#[test]
fn get_prints_the_served_document_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let body = document("SYNCED", 0, Duration::minutes(1));
    let file = dir.path().join("status.json");
    std::fs::write(&file, &body).unwrap();
    let url = serve(&file);
    let out = run(statusctl_in(dir.path()).args(["get", "--url", &url]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, body);
    // The same by its key name, and by the full URL.
    let out = run(statusctl_in(dir.path()).args(["get", "--url", &url, "--name", "status.json"]));
    assert_eq!(out.stdout, body);
    let out = run(statusctl_in(dir.path()).args(["get", "--url", &format!("{url}/status.json")]));
    assert_eq!(out.stdout, body);
    // A document that is not there: cannot read, exit 2.
    let out = run(statusctl_in(dir.path()).args(["get", "--url", &url, "--name", "payments"]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("/status/payments.json: the server answered 404"),
        "{}",
        out.stderr
    );
}

#[test]
fn check_healthy_stale_out_of_sync_drifted() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("status.json");
    let mut transcript = String::new();
    let cases: [(&str, String, &[&str], i32); 5] = [
        (
            "healthy",
            document("SYNCED", 0, Duration::minutes(2)),
            &["--max-age", "10m", "--require-synced", "--max-drift", "0"],
            0,
        ),
        (
            "stale",
            document("SYNCED", 0, Duration::minutes(30)),
            &["--max-age", "10m"],
            1,
        ),
        (
            "out of sync",
            document("OUT_OF_SYNC", 2, Duration::minutes(1)),
            &["--require-synced"],
            1,
        ),
        (
            "drifted, as json",
            document("OUT_OF_SYNC", 3, Duration::minutes(1)),
            &["--max-drift", "2", "--format", "json"],
            1,
        ),
        (
            "out of sync but not required",
            document("OUT_OF_SYNC", 1, Duration::minutes(1)),
            &["--max-age", "10m"],
            0,
        ),
    ];
    for (name, body, flags, code) in cases {
        std::fs::write(&file, body).unwrap();
        let url = serve(&file);
        let out = run(statusctl_in(dir.path())
            .args(["check", "--url", &url])
            .args(flags));
        assert_eq!(out.code, code, "{name}: {}", out.transcript());
        transcript.push_str(&format!(
            "# {name}: check {}\n{}\n",
            flags.join(" "),
            out.transcript()
        ));
    }
    with_times_hidden().bind(|| insta::assert_snapshot!("check_cases", transcript));
}

#[test]
fn check_cannot_read_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let out = run(statusctl_in(dir.path()).args(["check", "--url", &url, "--max-age", "10m"]));
    assert_eq!(out.code, 2, "{}", out.transcript());
    assert!(out.stderr.contains("cannot connect"), "{}", out.stderr);
    let out = run(statusctl_in(dir.path()).args(["check", "--url", &url, "--format", "json"]));
    assert_eq!(out.code, 2);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["readable"], false);
    assert_eq!(json["healthy"], false);
}

#[test]
fn get_and_check_refuse_bodies_over_1_mib() {
    let dir = tempfile::tempdir().unwrap();
    let close_delimited =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n";

    // A body without end and without Content-Length: statusctl stops after 1 MiB + 1 byte and
    // hangs up; the server gets nowhere near its 256 MiB cap (socket buffers aside).
    let cap = 256 * 1024 * 1024;
    let (url, server) = raw_server(close_delimited.to_owned(), Body::Endless { cap });
    let out = run(statusctl_in(dir.path()).args(["get", "--url", &url]));
    let written = server.join().unwrap();
    assert_eq!(out.code, 2, "{}", out.transcript());
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr
            .contains("/status.json: the response is too large (over 1 MiB)"),
        "{}",
        out.stderr
    );
    assert!(
        written < 64 * 1024 * 1024,
        "statusctl read {written} bytes of an endless body"
    );

    // A Content-Length over the limit is refused before any body byte is awaited.
    let head =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000000000\r\n\r\n";
    let (url, server) = raw_server(head.to_owned(), Body::Nothing);
    let out = run(statusctl_in(dir.path()).args(["check", "--url", &url, "--format", "json"]));
    server.join().unwrap();
    assert_eq!(out.code, 2, "{}", out.transcript());
    assert!(
        out.stderr
            .contains("too large (over 1 MiB: Content-Length 5000000000)"),
        "{}",
        out.stderr
    );
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["readable"], false);
    assert!(
        json["error"].as_str().unwrap().contains("too large"),
        "{json}"
    );
}

#[test]
fn get_reads_a_body_of_exactly_1_mib_and_refuses_one_byte_more() {
    let dir = tempfile::tempdir().unwrap();
    let max = status_core::MAX_DOCUMENT_BYTES;
    let padded = |len: usize| {
        let mut body = document("SYNCED", 0, Duration::minutes(1)).into_bytes();
        body.resize(len, b' ');
        body
    };
    for with_length in [false, true] {
        for (len, code) in [(max, 0), (max + 1, 2)] {
            let body = padded(len);
            let length = if with_length {
                format!("Content-Length: {len}\r\n")
            } else {
                String::new()
            };
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{length}Connection: close\r\n\r\n"
            );
            let (url, server) = raw_server(head, Body::Bytes(body.clone()));
            let out = run(statusctl_in(dir.path()).args(["get", "--url", &url]));
            let _ = server.join();
            assert_eq!(
                out.code, code,
                "{len} bytes, Content-Length given: {with_length}: {}",
                out.stderr
            );
            if code == 0 {
                // Printed as served, plus the newline `get` adds to a body without one.
                assert_eq!(out.stdout.len(), len + 1);
            } else {
                assert!(
                    out.stderr.contains("too large (over 1 MiB"),
                    "{}",
                    out.stderr
                );
            }
        }
    }
}

/// A password in `--url` is sent (Basic authentication) and never printed, whatever goes
/// wrong: no connection, no answer in time, a refusal, a body too large, an invalid document,
/// a URL that cannot be used; in `check --format json` too.
#[test]
fn a_password_in_the_url_is_never_printed() {
    const PASS: &str = "hunter2-pass-that-must-not-show";
    let dir = tempfile::tempdir().unwrap();
    let with_password = |url: &str| url.replacen("http://", &format!("http://ci:{PASS}@"), 1);
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port())
    };
    let file = dir.path().join("status.json");
    std::fs::write(&file, document("SYNCED", 0, Duration::minutes(1))).unwrap();
    let served = serve(&file);
    let one_shot = |head: &str, body: Body| raw_server(head.to_owned(), body).0;
    let invalid = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n";
    let huge = "HTTP/1.1 200 OK\r\nContent-Length: 5000000000\r\n\r\n";
    let cases: Vec<(&str, String, &[&str])> = vec![
        ("no connection", with_password(&closed), &[]),
        (
            "no answer in time",
            with_password(&crate::raw_http::trickling_server(
                std::time::Duration::from_millis(500),
                20,
            )),
            &["--timeout", "1s"],
        ),
        ("a refusal", with_password(&served), &["--name", "missing"]),
        (
            "an invalid document",
            with_password(&one_shot(invalid, Body::Bytes(b"{}".to_vec()))),
            &[],
        ),
        (
            "too large",
            with_password(&one_shot(huge, Body::Nothing)),
            &[],
        ),
        ("an invalid port", format!("http://ci:{PASS}@h:99999/"), &[]),
        ("no scheme", format!("ci:{PASS}@h"), &[]),
    ];
    for (what, url, flags) in cases {
        for command in [&["get"][..], &["check"], &["check", "--format", "json"]] {
            let out = run(statusctl_in(dir.path())
                .args(command)
                .args(["--url", &url])
                .args(flags));
            assert_eq!(out.code, 2, "{what}: {}", out.transcript());
            assert!(
                !out.stdout.contains(PASS) && !out.stderr.contains(PASS),
                "{what}: {command:?} printed the password: {}",
                out.transcript()
            );
            assert!(out.stderr.contains("ci:***@"), "{what}: {}", out.stderr);
            // The one-shot servers answer once: the other commands find them gone, which is
            // a connection failure, another path that must not print it either.
        }
    }
}
