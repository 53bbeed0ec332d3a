//! The watch against an API server that misbehaves: unreachable at start, gone mid-watch (and
//! back with changes made meanwhile), history compacted (410, relist), watches closed by the
//! server. Documents already read stay served throughout; nothing unchanged is re-served as a
//! change.

use super::{Cluster, RECOVERY, by_name, eventually_within, serve, source_health};
use crate::helpers::doc;
use crate::metrics::{counter, parse};

#[tokio::test]
async fn an_api_server_unreachable_at_start_leaves_the_files_served_until_it_answers() {
    let cluster = Cluster::start();
    cluster.put("live", &[], &[("live.json", &doc("live", 0))]);
    cluster.api.stop();
    let file = cluster.file("status.json", &doc("file", 0));
    let server = serve(
        &cluster,
        &["--file", file.to_str().unwrap(), "--kube-configmap", "live"],
    )
    .await;
    // The file is served and the server is ready, whatever the API server does.
    assert_eq!(server.get_text("/status.json").await, (200, doc("file", 0)));
    assert_eq!(server.get_text("/readyz").await.0, 200);
    eventually_within(&server, RECOVERY, "/readyz", "the watch down", |_, b| {
        b.contains("cannot reach the API server")
    })
    .await;
    let health = source_health(&server, &by_name("live")).await;
    assert_eq!(health["healthy"], false, "{health}");
    assert_eq!(server.get_text("/status/live.json").await.0, 404);
    let (_, readyz) = server.get_text("/readyz").await;
    let readyz: serde_json::Value = serde_json::from_str(&readyz).unwrap();
    let port = cluster.api.port().to_string();
    insta::with_settings!({filters => vec![(port.as_str(), "[port]")]}, {
        insta::assert_snapshot!(
            "readyz_watch_unreachable",
            serde_json::to_string_pretty(&readyz).unwrap()
        );
    });

    cluster.api.restart().unwrap();
    eventually_within(&server, RECOVERY, "/status/live.json", "live", |s, b| {
        s == 200 && b == doc("live", 0)
    })
    .await;
    eventually_within(&server, RECOVERY, "/readyz", "the watch healthy", |_, b| {
        !b.contains("\"healthy\":false")
    })
    .await;
    let health = source_health(&server, &by_name("live")).await;
    assert!(health.get("error").is_none(), "{health}");
}

#[tokio::test]
async fn an_api_server_gone_mid_watch_keeps_the_documents_and_brings_the_changes_made_meanwhile() {
    let cluster = Cluster::start();
    cluster.put(
        "live",
        &[],
        &[
            ("status.json", &doc("before", 0)),
            ("other.json", &doc("same", 0)),
        ],
    );
    let server = serve(&cluster, &["--kube-configmap", "live"]).await;
    server
        .eventually("/status.json", "before", |s, b| {
            s == 200 && b == doc("before", 0)
        })
        .await;
    let other = server.get("/status/other.json").await;
    let (etag, modified) = (
        other.headers()["etag"].clone(),
        other.headers()["last-modified"].clone(),
    );

    cluster.api.stop();
    eventually_within(&server, RECOVERY, "/readyz", "the watch down", |_, b| {
        b.contains("\"healthy\":false")
    })
    .await;
    // Still serving, still ready: the last documents read.
    assert_eq!(
        server.get_text("/status.json").await,
        (200, doc("before", 0))
    );
    assert_eq!(server.get_text("/readyz").await.0, 200);

    // Changed while the API server is away; then it comes back with its state.
    cluster.put(
        "live",
        &[],
        &[
            ("status.json", &doc("meanwhile", 2)),
            ("other.json", &doc("same", 0)),
        ],
    );
    cluster.api.restart().unwrap();
    eventually_within(&server, RECOVERY, "/status.json", "the change", |s, b| {
        s == 200 && b == doc("meanwhile", 2)
    })
    .await;
    let other = server.get("/status/other.json").await;
    assert_eq!(
        other.headers()["etag"],
        etag,
        "unchanged bytes keep their tag"
    );
    assert_eq!(other.headers()["last-modified"], modified);
    eventually_within(&server, RECOVERY, "/readyz", "the watch up", |_, b| {
        !b.contains("\"healthy\":false")
    })
    .await;
}

#[tokio::test]
async fn compacted_history_means_a_relist_and_the_same_bytes_keep_their_validators() {
    let cluster = Cluster::start();
    cluster.put(
        "live",
        &[],
        &[
            ("status.json", &doc("same", 0)),
            ("other.json", &doc("o", 0)),
        ],
    );
    let server = serve(&cluster, &["--kube-configmap", "live"]).await;
    server
        .eventually("/status.json", "same", |s, b| {
            s == 200 && b == doc("same", 0)
        })
        .await;
    let before = server.get("/status.json").await;
    let all_before = server.get("/statuses.json").await;
    let lists = || {
        cluster
            .api
            .requests()
            .iter()
            .filter(|r| {
                r.method == "GET" && r.path.ends_with("/configmaps") && !r.query.contains("watch")
            })
            .count()
    };
    let lists_before = lists();

    // Every version handed out is compacted away, and the watch is closed: the watch resumes
    // from its last version, gets 410 Expired, and lists again.
    cluster.api.compact();
    cluster.api.drop_watches();
    let deadline = std::time::Instant::now() + RECOVERY;
    while lists() == lists_before {
        assert!(std::time::Instant::now() < deadline, "no relist after 410");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // The relist brought the same bytes: nothing is re-served as a change.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let after = server.get("/status.json").await;
    assert_eq!(after.headers()["etag"], before.headers()["etag"]);
    assert_eq!(
        after.headers()["last-modified"],
        before.headers()["last-modified"]
    );
    let all_after = server.get("/statuses.json").await;
    assert_eq!(all_after.headers()["etag"], all_before.headers()["etag"]);
    assert_eq!(
        all_after.headers()["last-modified"],
        all_before.headers()["last-modified"]
    );

    // And the watch goes on after the relist.
    cluster.put(
        "live",
        &[],
        &[
            ("status.json", &doc("next", 1)),
            ("other.json", &doc("o", 0)),
        ],
    );
    eventually_within(&server, RECOVERY, "/status.json", "next", |s, b| {
        s == 200 && b == doc("next", 1)
    })
    .await;
}

#[tokio::test]
async fn watches_closed_by_the_server_are_watched_again() {
    let cluster = Cluster::start();
    cluster.put("live", &[], &[("status.json", &doc("v1", 0))]);
    let server = serve(&cluster, &["--kube-configmap", "live"]).await;
    server
        .eventually("/status.json", "v1", |s, b| s == 200 && b == doc("v1", 0))
        .await;
    for round in 2..5 {
        cluster.api.drop_watches();
        let repo = format!("v{round}");
        cluster.put("live", &[], &[("status.json", &doc(&repo, 0))]);
        eventually_within(&server, RECOVERY, "/status.json", &repo, |s, b| {
            s == 200 && b == doc(&repo, 0)
        })
        .await;
    }
    let source = by_name("live");
    let restarts = |body: &str| {
        counter(
            &parse(body),
            "gitops_status_source_watch_restarts_total",
            &[("source", &source)],
        )
    };
    // The health that counts a watch may arrive just after the event the watch brought.
    eventually_within(&server, RECOVERY, "/metrics", "3 restarts", |_, b| {
        restarts(b) >= 3.0
    })
    .await;
    let scrape = parse(&server.get_text("/metrics").await.1);
    assert_eq!(
        super::super::metrics::gauge(&scrape, "gitops_status_source_up", &[("source", &source)]),
        1.0
    );
    assert!(
        super::super::metrics::gauge(
            &scrape,
            "gitops_status_source_last_event_timestamp_seconds",
            &[("source", &source)]
        ) > 1.7e9
    );
}
