//! Documents from watched ConfigMaps: by name and by label selector, precedence over files and
//! between ConfigMaps, the clash rule, deletions, invalid updates and never-valid keys.

use super::{Cluster, NAMESPACE, by_name, serve, source_health};
use crate::helpers::doc;
use crate::metrics::{gauge, parse};

#[tokio::test]
async fn a_configmap_watched_by_name_is_served_key_by_key_and_follows_changes() {
    let cluster = Cluster::start();
    cluster.put(
        "live",
        &[],
        &[
            ("status.json", &doc("v1", 0)),
            ("staging.json", &doc("staging", 0)),
            ("notes.txt", "not a document"),
        ],
    );
    cluster.put("other", &[], &[("other.json", &doc("other", 0))]);
    let server = serve(&cluster, &["--kube-configmap", "live"]).await;
    server
        .eventually("/status.json", "v1", |s, b| s == 200 && b == doc("v1", 0))
        .await;
    assert_eq!(
        server.get_text("/status/staging.json").await,
        (200, doc("staging", 0))
    );
    // Only the watched ConfigMap, only its documents.
    assert_eq!(server.get_text("/status/other.json").await.0, 404);
    assert_eq!(server.get_text("/status/notes.txt").await.0, 404);

    // A push: served through the watch, byte for byte.
    cluster.put("live", &[], &[("status.json", &doc("v2", 3))]);
    server
        .eventually("/status.json", "v2", |s, b| s == 200 && b == doc("v2", 3))
        .await;
    // The key the push left out is gone with it (server-side apply removed it).
    assert_eq!(server.get_text("/status/staging.json").await.0, 404);
    assert_eq!(
        server.get_text("/statuses.json").await.1,
        format!("[{}]", doc("v2", 3))
    );

    let health = source_health(&server, &by_name("live")).await;
    assert_eq!(health["healthy"], true, "{health}");
    assert_eq!(health["documents"], 1);
}

#[tokio::test]
async fn a_selector_serves_every_matching_configmap_as_labels_come_and_go() {
    let cluster = Cluster::start();
    let label = [("gitops-status.io/documents", "true")];
    cluster.put("team-a", &label, &[("a.json", &doc("a", 0))]);
    cluster.put("team-b", &label, &[("b.json", &doc("b", 0))]);
    cluster.put("unlabelled", &[], &[("c.json", &doc("c", 0))]);
    let server = serve(
        &cluster,
        &["--kube-selector", "gitops-status.io/documents=true"],
    )
    .await;
    server
        .eventually("/statuses.json", "a and b", |s, b| {
            s == 200 && b == format!("[{},{}]", doc("a", 0), doc("b", 0))
        })
        .await;
    assert_eq!(server.get_text("/status/c.json").await.0, 404);

    // A ConfigMap that gains the label joins; one that loses it leaves with its documents.
    cluster.put("unlabelled", &label, &[("c.json", &doc("c", 0))]);
    cluster.put("team-a", &[], &[("a.json", &doc("a", 0))]);
    server
        .eventually("/statuses.json", "b and c", |s, b| {
            s == 200 && b == format!("[{},{}]", doc("b", 0), doc("c", 0))
        })
        .await;
    let source = format!("configmaps/{NAMESPACE}?gitops-status.io/documents=true");
    let health = source_health(&server, &source).await;
    assert_eq!(health["documents"], 2, "{health}");
}

#[tokio::test]
async fn configmaps_override_files_and_a_later_configmap_an_earlier_one_with_a_reported_clash() {
    let cluster = Cluster::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("status.json"), doc("file", 0)).unwrap();
    std::fs::write(dir.path().join("defaults.json"), doc("defaults", 0)).unwrap();
    let label = [("team", "x")];
    cluster.put("team-a", &label, &[("status.json", &doc("a", 0))]);
    let server = serve(
        &cluster,
        &[
            "--dir",
            dir.path().to_str().unwrap(),
            "--kube-selector",
            "team",
        ],
    )
    .await;
    // The file is served at once, then the ConfigMap overrides it.
    server
        .eventually("/status.json", "team-a's", |s, b| {
            s == 200 && b == doc("a", 0)
        })
        .await;
    assert_eq!(
        server.get_text("/status/defaults.json").await,
        (200, doc("defaults", 0))
    );
    let scrape = parse(&server.get_text("/metrics").await.1);
    assert!(
        !scrape
            .samples
            .iter()
            .any(|s| s.metric == "gitops_status_document_shadowed"),
        "a ConfigMap over a file is precedence, not a clash"
    );

    // team-b sorts after team-a: its version wins, and the clash is exported.
    cluster.put("team-b", &label, &[("status.json", &doc("b", 0))]);
    server
        .eventually("/status.json", "team-b's", |s, b| {
            s == 200 && b == doc("b", 0)
        })
        .await;
    let scrape = parse(&server.get_text("/metrics").await.1);
    let shadowed = |scrape: &_| {
        gauge(
            scrape,
            "gitops_status_document_shadowed",
            &[
                ("document", "status.json"),
                ("source", &by_name("team-a")),
                ("by", &by_name("team-b")),
            ],
        )
    };
    assert_eq!(shadowed(&scrape), 1.0);

    // An update of the hidden one changes nothing served.
    let etag = server.get("/status.json").await.headers()["etag"].clone();
    cluster.put("team-a", &label, &[("status.json", &doc("a2", 0))]);
    cluster.put(
        "team-b",
        &label,
        &[("status.json", &doc("b", 0)), ("nudge.json", &doc("n", 0))],
    );
    server
        .eventually("/status/nudge.json", "the later write", |s, _| s == 200)
        .await;
    assert_eq!(server.get("/status.json").await.headers()["etag"], etag);

    // A deleted ConfigMap takes its documents with it: team-a's again, then the file's.
    cluster.delete("team-b");
    server
        .eventually("/status.json", "team-a's", |s, b| {
            s == 200 && b == doc("a2", 0)
        })
        .await;
    assert_eq!(server.get_text("/status/nudge.json").await.0, 404);
    cluster.delete("team-a");
    server
        .eventually("/status.json", "the file's", |s, b| {
            s == 200 && b == doc("file", 0)
        })
        .await;
    let scrape = parse(&server.get_text("/metrics").await.1);
    assert!(
        !scrape
            .samples
            .iter()
            .any(|s| s.metric == "gitops_status_document_shadowed")
    );
}

#[tokio::test]
async fn an_invalid_update_keeps_the_last_good_document_and_never_valid_answers_503() {
    let cluster = Cluster::start();
    cluster.put(
        "live",
        &[],
        &[
            ("status.json", &doc("good", 0)),
            ("broken.json", "{\"repo\": 1}"),
        ],
    );
    let server = serve(&cluster, &["--kube-configmap", "live"]).await;
    server
        .eventually("/status.json", "good", |s, b| {
            s == 200 && b == doc("good", 0)
        })
        .await;
    let (status, body) = server.get_text("/status/broken.json").await;
    assert_eq!(status, 503);
    assert!(body.contains("\"document_invalid\""), "{body}");

    cluster.put(
        "live",
        &[],
        &[
            ("status.json", "{\"repo\": \"x\"}"),
            ("broken.json", "{\"repo\": 1}"),
        ],
    );
    server
        .eventually("/metrics", "status.json invalid", |_, b| {
            b.contains("gitops_status_document_valid{document=\"status.json\"} 0")
        })
        .await;
    assert_eq!(
        server.get_text("/status.json").await,
        (200, doc("good", 0)),
        "the last good version stays served"
    );
    assert_eq!(server.get_text("/readyz").await.0, 200);

    // Fixed: served, and broken.json fixed too.
    cluster.put(
        "live",
        &[],
        &[
            ("status.json", &doc("fixed", 0)),
            ("broken.json", &doc("now-valid", 0)),
        ],
    );
    server
        .eventually("/status/broken.json", "now-valid", |s, b| {
            s == 200 && b == doc("now-valid", 0)
        })
        .await;
    assert_eq!(
        server.get_text("/status.json").await,
        (200, doc("fixed", 0))
    );
}
