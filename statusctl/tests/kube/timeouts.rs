//! Each timeout bounds its whole exchange: a server that sends its head at once and then one
//! body byte every half second never goes quiet for long, yet must not hold `get`, `check` or
//! `push --wait-url` past their timeouts. Durations out of range, and zero, are usage errors.

use std::time::{Duration, Instant};

use crate::raw_http::trickling_server;
use crate::support::{Cluster, doc, run, settings, statusctl_in};

/// A byte every half second for two minutes.
fn trickler() -> String {
    trickling_server(Duration::from_millis(500), 240)
}

#[test]
fn get_and_check_timeouts_bound_a_trickling_body() {
    let dir = tempfile::tempdir().unwrap();
    let url = trickler();
    let mut transcript = String::new();
    for command in ["get", "check"] {
        let start = Instant::now();
        let r = run(statusctl_in(dir.path()).args([command, "--url", &url, "--timeout", "2s"]));
        let took = start.elapsed();
        assert_eq!(r.code, 2, "{}", r.transcript());
        assert!(
            took < Duration::from_millis(3500),
            "{command} --timeout 2s took {took:?}"
        );
        transcript.push_str(&format!("$ {command} --timeout 2s\n{}\n", r.transcript()));
    }
    let mut settings = settings();
    settings.add_filter(r"\(\d+ bytes? of it read\)", "([N] bytes of it read)");
    settings.bind(|| insta::assert_snapshot!("timeout_trickling_body", transcript));
}

#[test]
fn wait_timeout_bounds_a_trickling_body() {
    let cluster = Cluster::start();
    let file = cluster.file("doc.json", &doc("apps", "2026-04-21T12:00:00Z"));
    let url = trickler();
    let start = Instant::now();
    let r = run(cluster
        .statusctl()
        .args(["push", "--wait-url", &url, "--wait-timeout", "2s"])
        .arg(&file));
    let took = start.elapsed();
    assert_eq!(r.code, 8, "{}", r.transcript());
    // The push itself takes milliseconds; the wait its 2 s and at most a quarter second more.
    assert!(took < Duration::from_millis(3500), "took {took:?}");
    assert!(
        r.stderr.contains("no complete answer within"),
        "{}",
        r.stderr
    );
}

#[test]
fn durations_out_of_range_or_zero_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("doc.json"),
        doc("apps", "2026-04-21T12:00:00Z"),
    )
    .unwrap();
    let mut transcript = String::new();
    let cases: [&[&str]; 8] = [
        &["push", "doc.json", "--timeout", "18446744073709551615s"],
        &[
            "check",
            "--url",
            "http://h",
            "--timeout",
            "18446744073709551615s",
        ],
        &[
            "get",
            "--url",
            "http://h",
            "--timeout",
            "18446744073709551615s",
        ],
        &["push", "doc.json", "--timeout", "0"],
        &["push", "doc.json", "--timeout", "0s"],
        &[
            "push",
            "doc.json",
            "--wait-url",
            "http://h",
            "--wait-timeout",
            "0ms",
        ],
        &["get", "--url", "http://h", "--timeout", "0"],
        &["check", "--url", "http://h", "--timeout", "0m"],
    ];
    for args in cases {
        let r = run(statusctl_in(dir.path()).args(args));
        assert_eq!(r.code, 2, "{args:?}: {}", r.transcript());
        assert_eq!(r.stdout, "");
        // Refused as a flag value, before anything is read or sent.
        assert!(
            r.stderr.starts_with("error: invalid value"),
            "{args:?}: {}",
            r.stderr
        );
        transcript.push_str(&format!(
            "$ statusctl {}\n{}\n",
            args.join(" "),
            r.transcript()
        ));
    }
    settings().bind(|| insta::assert_snapshot!("duration_usage_errors", transcript));
}
