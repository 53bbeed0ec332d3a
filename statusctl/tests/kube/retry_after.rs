//! `push` honours the API server's `Retry-After` (`retryAfterSeconds` of a 429 or 503), within
//! `--timeout`: it waits at least that long before retrying, and gives up at once, saying why,
//! when that is longer than what is left of the timeout.

use std::time::{Duration, Instant};

use crate::support::{Cluster, doc, run, settings};

#[test]
fn a_429_is_retried_after_the_time_the_api_server_asks_for() {
    let cluster = Cluster::start();
    let file = cluster.file("doc.json", &doc("apps", "2026-04-21T12:00:00Z"));
    // The fake's 429 carries retryAfterSeconds: 1; a first backoff is 200-400 ms.
    cluster.server.fail_next([429]);
    let start = Instant::now();
    let r = run(cluster.statusctl().arg("push").arg(&file));
    let took = start.elapsed();
    assert_eq!(r.code, 0, "{}", r.transcript());
    assert!(took >= Duration::from_secs(1), "retried after {took:?}");
    assert!(
        r.stderr
            .contains("retrying in 1000 ms, as the API server asked (1/5)"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_retry_after_beyond_the_timeout_gives_up_at_once() {
    let cluster = Cluster::start();
    let file = cluster.file("doc.json", &doc("apps", "2026-04-21T12:00:00Z"));
    cluster.server.fail_next([429]);
    let start = Instant::now();
    let r = run(cluster
        .statusctl()
        .args(["push", "--timeout", "700ms"])
        .arg(&file));
    let took = start.elapsed();
    assert_eq!(r.code, 7, "{}", r.transcript());
    // Not waiting out a timeout that cannot be met.
    assert!(took < Duration::from_millis(600), "gave up after {took:?}");
    let mut settings = settings();
    settings.add_filter(r"only \d+ms of", "only [N]ms of");
    settings.bind(|| insta::assert_snapshot!("push_retry_after_beyond_timeout", r.transcript()));
}
