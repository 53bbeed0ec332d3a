//! `/metrics`, read by a real Prometheus text-format parser, values checked.

use std::collections::HashMap;

use prometheus_parse::{Sample, Scrape, Value};

use crate::helpers::{doc, spawn, write};

pub(crate) fn parse(text: &str) -> Scrape {
    // prometheus-parse reads the Prometheus text format; the OpenMetrics `# EOF` marker is the
    // only line it does not know, so it is checked and dropped here.
    let body = text
        .strip_suffix("# EOF\n")
        .expect("OpenMetrics text ends with # EOF");
    Scrape::parse(body.lines().map(|l| Ok(l.to_owned()))).expect("valid exposition text")
}

pub(crate) fn find<'a>(
    scrape: &'a Scrape,
    name: &str,
    labels: &[(&str, &str)],
) -> Option<&'a Sample> {
    scrape
        .samples
        .iter()
        .find(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
}

pub(crate) fn gauge(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    match find(scrape, name, labels).map(|s| &s.value) {
        Some(Value::Gauge(v)) | Some(Value::Untyped(v)) => *v,
        other => panic!("{name} {labels:?}: expected a gauge, got {other:?}"),
    }
}

pub(crate) fn counter(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    match find(scrape, name, labels).map(|s| &s.value) {
        Some(Value::Counter(v)) | Some(Value::Untyped(v)) => *v,
        other => panic!("{name} {labels:?}: expected a counter, got {other:?}"),
    }
}

#[tokio::test]
async fn metrics_parse_and_carry_the_documents() {
    let dir = tempfile::tempdir().unwrap();
    // last_check is in 2026-04 and "now" is later: stale after 1h.
    write(&dir.path().join("status.json"), &doc("production-apps", 2));
    write(&dir.path().join("staging.json"), &doc("staging-apps", 0));
    write(&dir.path().join("broken.json"), "{\"repo\": 1}");
    let server = spawn(&["--dir", dir.path().to_str().unwrap(), "--stale-after", "1h"]).await;
    for _ in 0..3 {
        assert_eq!(server.get_text("/status.json").await.0, 200);
    }
    assert_eq!(server.get_text("/nope").await.0, 404);

    let response = server.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let scrape = parse(&response.text().await.unwrap());

    let prod = [
        ("document", "status.json"),
        ("repo", "production-apps"),
        ("server", "prod-cluster-01"),
    ];
    assert_eq!(gauge(&scrape, "gitops_status_drift_count", &prod), 2.0);
    assert_eq!(
        gauge(&scrape, "gitops_status_last_check_timestamp_seconds", &prod),
        1_776_774_600.0 // 2026-04-21T12:30:00Z
    );
    assert_eq!(gauge(&scrape, "gitops_status_stale", &prod), 1.0);
    assert_eq!(
        gauge(
            &scrape,
            "gitops_status_sync",
            &[("document", "status.json"), ("status", "OUT_OF_SYNC")]
        ),
        1.0
    );
    assert_eq!(
        gauge(
            &scrape,
            "gitops_status_sync",
            &[("document", "status.json"), ("status", "SYNCED")]
        ),
        0.0
    );
    assert_eq!(
        gauge(
            &scrape,
            "gitops_status_sync",
            &[("document", "staging.json"), ("status", "SYNCED")]
        ),
        1.0
    );
    assert_eq!(
        gauge(
            &scrape,
            "gitops_status_document_valid",
            &[("document", "status.json")]
        ),
        1.0
    );
    assert_eq!(
        gauge(
            &scrape,
            "gitops_status_document_valid",
            &[("document", "broken.json")]
        ),
        0.0
    );
    assert_eq!(
        counter(
            &scrape,
            "gitops_status_reload_failures_total",
            &[("document", "broken.json")]
        ),
        1.0
    );
    assert!(counter(&scrape, "gitops_status_reloads_total", &[]) >= 1.0);
    assert_eq!(
        gauge(
            &scrape,
            "gitops_status_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        1.0
    );
    assert_eq!(
        counter(
            &scrape,
            "gitops_status_http_requests_total",
            &[("route", "/status.json"), ("code", "200")]
        ),
        3.0
    );
    assert_eq!(
        counter(
            &scrape,
            "gitops_status_http_requests_total",
            &[("route", "other"), ("code", "404")]
        ),
        1.0
    );
    let histogram = find(
        &scrape,
        "gitops_status_http_request_duration_seconds",
        &[("route", "/status.json"), ("code", "200")],
    )
    .expect("latency histogram");
    match &histogram.value {
        Value::Histogram(buckets) => {
            let inf = buckets
                .iter()
                .find(|b| b.less_than == f64::INFINITY)
                .unwrap();
            assert_eq!(inf.count, 3.0);
        }
        other => panic!("expected a histogram, got {other:?}"),
    }
    // No series for documents that are not served (broken.json never was valid).
    assert!(
        find(
            &scrape,
            "gitops_status_drift_count",
            &[("document", "broken.json")]
        )
        .is_none()
    );
    let names: HashMap<&str, ()> = scrape
        .samples
        .iter()
        .map(|s| (s.metric.as_str(), ()))
        .collect();
    assert!(
        names.keys().all(|n| n.starts_with("gitops_status_")),
        "{names:?}"
    );
}

#[tokio::test]
async fn no_stale_gauge_without_stale_after() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("status.json"), &doc("r", 0));
    let server = spawn(&["--dir", dir.path().to_str().unwrap()]).await;
    let scrape = parse(&server.get_text("/metrics").await.1);
    assert!(
        scrape
            .samples
            .iter()
            .all(|s| s.metric != "gitops_status_stale")
    );
    assert!(
        find(
            &scrape,
            "gitops_status_drift_count",
            &[("document", "status.json")]
        )
        .is_some()
    );
}

/// Undoes the exposition format's label-value escaping (`\\`, `\"`, `\n`); prometheus-parse
/// hands back the raw text between the quotes.
fn unescape(raw: &str) -> String {
    let mut out = String::new();
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => match chars.next() {
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => panic!("dangling backslash in {raw:?}"),
            },
            (c, false) => out.push(c),
        }
    }
    out
}

#[tokio::test]
async fn label_values_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    // repo: a"b\c   server: s<newline>x
    let document = r#"{"repo":"a\"b\\c","server":"s\nx","sync_status":"SYNCED","drift_count":0,"files":[],"last_check":"2026-04-21T12:30:00Z"}"#;
    write(&dir.path().join("status.json"), document);
    let server = spawn(&["--dir", dir.path().to_str().unwrap(), "--stale-after", "1h"]).await;
    assert_eq!(server.get_text("/status.json").await.0, 200);
    let text = server.get_text("/metrics").await.1;
    // Every line is a comment or a sample: an unescaped newline would split a sample in two.
    for line in text.lines() {
        assert!(
            line.starts_with('#') || line.starts_with("gitops_status_"),
            "not a sample line: {line:?} in\n{text}"
        );
    }
    let scrape = parse(&text);
    for name in [
        "gitops_status_drift_count",
        "gitops_status_last_check_timestamp_seconds",
        "gitops_status_stale",
        "gitops_status_sync",
    ] {
        let sample = find(&scrape, name, &[("document", "status.json")])
            .unwrap_or_else(|| panic!("{name} missing from\n{text}"));
        assert_eq!(unescape(&sample.labels["repo"]), "a\"b\\c", "{name}");
        assert_eq!(unescape(&sample.labels["server"]), "s\nx", "{name}");
    }
    // The other metrics survive too.
    assert_eq!(
        gauge(
            &scrape,
            "gitops_status_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        1.0
    );
}
