//! Live reload of a kubelet-style ConfigMap mount: swaps, invalid updates, never-valid keys,
//! readiness, deletions, directories that appear late, and torn reads under load.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::helpers::{doc, doc_of_size, spawn, write};
use crate::kubelet::ConfigMapVolume;

#[tokio::test]
async fn a_configmap_swap_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let mut volume = ConfigMapVolume::new(dir.path(), &[("status.json", &doc("v1", 0))]);
    let server = spawn(&["--dir", dir.path().to_str().unwrap()]).await;
    assert_eq!(server.get_text("/status.json").await, (200, doc("v1", 0)));

    volume.update(&[
        ("status.json", &doc("v2", 1)),
        ("extra.json", &doc("extra", 0)),
    ]);
    server
        .eventually("/status.json", "v2", |s, b| s == 200 && b == doc("v2", 1))
        .await;
    assert_eq!(
        server.get_text("/status/extra.json").await,
        (200, doc("extra", 0))
    );
    // Kubelet's own entries are not documents.
    assert_eq!(server.get_text("/status/..data.json").await.0, 404);
    let (_, all) = server.get_text("/statuses.json").await;
    assert_eq!(all, format!("[{},{}]", doc("extra", 0), doc("v2", 1)));
}

#[tokio::test]
async fn an_unchanged_key_keeps_its_validators_when_another_key_changes() {
    let dir = tempfile::tempdir().unwrap();
    let mut volume = ConfigMapVolume::new(
        dir.path(),
        &[
            ("status.json", &doc("same", 0)),
            ("other.json", &doc("o1", 0)),
        ],
    );
    let server = spawn(&["--dir", dir.path().to_str().unwrap()]).await;
    let before = server.get("/status.json").await;
    let last_modified = before.headers()["last-modified"].clone();
    let etag = before.headers()["etag"].clone();
    let other_before = server.get("/status/other.json").await.headers()["last-modified"]
        .to_str()
        .unwrap()
        .to_owned();

    // Kubelet rewrites every key on any change; only other.json differs.
    volume.update(&[
        ("status.json", &doc("same", 0)),
        ("other.json", &doc("o2", 0)),
    ]);
    server
        .eventually("/status/other.json", "o2", |s, b| {
            s == 200 && b == doc("o2", 0)
        })
        .await;
    let after = server.get("/status.json").await;
    assert_eq!(after.headers()["last-modified"], last_modified);
    assert_eq!(after.headers()["etag"], etag);
    // The changed key is newer than what a client of the old version holds.
    assert_eq!(
        get_since(&server, "/status/other.json", &other_before).await,
        200
    );
    assert_eq!(
        get_since(&server, "/status.json", last_modified.to_str().unwrap()).await,
        304
    );
}

#[tokio::test]
async fn an_invalid_update_keeps_the_last_good_document() {
    let dir = tempfile::tempdir().unwrap();
    let mut volume = ConfigMapVolume::new(dir.path(), &[("status.json", &doc("good", 0))]);
    let server = spawn(&["--dir", dir.path().to_str().unwrap()]).await;
    assert_eq!(server.get_text("/status.json").await, (200, doc("good", 0)));

    volume.update(&[(
        "status.json",
        r#"{"repo": "broken", "sync_status": "MAYBE"}"#,
    )]);
    server
        .eventually("/metrics", "the rejection", |_, m| {
            m.contains(r#"gitops_status_document_valid{document="status.json"} 0"#)
        })
        .await;
    assert_eq!(server.get_text("/status.json").await, (200, doc("good", 0)));
    assert_eq!(
        server.get_text("/readyz").await.0,
        200,
        "last good counts as ready"
    );

    // Fixing the document serves the fix.
    volume.update(&[("status.json", &doc("fixed", 0))]);
    server
        .eventually("/status.json", "the fix", |s, b| {
            s == 200 && b == doc("fixed", 0)
        })
        .await;
    let (_, metrics) = server.get_text("/metrics").await;
    assert!(metrics.contains(r#"gitops_status_document_valid{document="status.json"} 1"#));
    assert!(metrics.contains(r#"gitops_status_reload_failures_total{document="status.json"} 1"#));
}

#[tokio::test]
async fn a_never_valid_key_is_503_and_readyz_follows_status_json() {
    let dir = tempfile::tempdir().unwrap();
    let mut volume = ConfigMapVolume::new(
        dir.path(),
        &[
            ("status.json", "{\"repo\": \"\"}"),
            ("other.json", &doc("other", 0)),
        ],
    );
    let server = spawn(&["--dir", dir.path().to_str().unwrap()]).await;

    let (status, body) = server.get_text("/status.json").await;
    assert_eq!(status, 503);
    let body = body.replace(&dir.path().display().to_string(), "[dir]");
    insta::assert_snapshot!("never_valid_503", body);
    let (status, ready) = server.get_text("/readyz").await;
    assert_eq!(status, 503);
    insta::assert_snapshot!("readyz_never_valid_503", ready);
    assert_eq!(
        server.get_text("/status/other.json").await.0,
        200,
        "other keys are served"
    );
    let (_, all) = server.get_text("/statuses.json").await;
    assert_eq!(
        all,
        format!("[{}]", doc("other", 0)),
        "only valid documents are listed"
    );

    volume.update(&[
        ("status.json", &doc("now-valid", 0)),
        ("other.json", &doc("other", 0)),
    ]);
    server.eventually("/readyz", "ready", |s, _| s == 200).await;
    assert_eq!(
        server.get_text("/status.json").await,
        (200, doc("now-valid", 0))
    );
}

#[tokio::test]
async fn readyz_waits_for_status_json_in_an_empty_or_missing_directory() {
    let base = tempfile::tempdir().unwrap();
    let empty = base.path().join("default");
    std::fs::create_dir(&empty).unwrap();
    let live = base.path().join("live"); // does not exist yet
    let server = spawn(&[
        "--dir",
        empty.to_str().unwrap(),
        "--dir",
        live.to_str().unwrap(),
        "--rescan-interval",
        "100ms",
    ])
    .await;
    let (status, body) = server.get_text("/readyz").await;
    assert_eq!(
        (status, body.as_str()),
        (
            503,
            "{\"status\":\"not_ready\",\"reason\":\"no status.json found yet\",\"sources\":[{\"source\":\"files\",\"healthy\":true,\"documents\":0}]}\n"
        )
    );
    assert_eq!(server.get_text("/status.json").await.0, 404);
    assert_eq!(server.get_text("/healthz").await.0, 200);

    // The default ConfigMap gets its document: ready, via inotify on an existing directory.
    ConfigMapVolume::new(&empty, &[("status.json", &doc("default", 0))]);
    server.eventually("/readyz", "ready", |s, _| s == 200).await;

    // The live directory appears later and overrides the default key by key.
    std::fs::create_dir(&live).unwrap();
    ConfigMapVolume::new(&live, &[("status.json", &doc("live", 0))]);
    server
        .eventually("/status.json", "the live document", |s, b| {
            s == 200 && b == doc("live", 0)
        })
        .await;
}

#[tokio::test]
async fn a_deleted_key_disappears() {
    let dir = tempfile::tempdir().unwrap();
    let mut volume = ConfigMapVolume::new(
        dir.path(),
        &[
            ("status.json", &doc("p", 0)),
            ("gone.json", &doc("gone", 0)),
        ],
    );
    let server = spawn(&["--dir", dir.path().to_str().unwrap()]).await;
    assert_eq!(server.get_text("/status/gone.json").await.0, 200);
    volume.update(&[("status.json", &doc("p", 0))]);
    server
        .eventually("/status/gone.json", "404", |s, _| s == 404)
        .await;
    let (_, metrics) = server.get_text("/metrics").await;
    assert!(
        !metrics.contains("gone.json"),
        "its series went with it:\n{metrics}"
    );
}

#[tokio::test]
async fn a_plain_file_edit_is_picked_up() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("status.json");
    write(&path, &doc("before", 0));
    let server = spawn(&["--file", path.to_str().unwrap()]).await;
    // An editor's save: write a temporary file and rename it over the old one.
    let tmp = dir.path().join(".status.json.swp");
    write(&tmp, &doc("after", 1));
    std::fs::rename(&tmp, &path).unwrap();
    server
        .eventually("/status.json", "the edit", |s, b| {
            s == 200 && b == doc("after", 1)
        })
        .await;
}

/// While clients read in a loop, 200 swaps alternate two large documents: every response must
/// be 200 and exactly one of the two, never a mix, an error or a 404.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_torn_reads_during_swaps() {
    let a = doc_of_size("alpha", 64 * 1024);
    let b = doc_of_size("bravo", 64 * 1024);
    let dir = tempfile::tempdir().unwrap();
    let mut volume = ConfigMapVolume::new(dir.path(), &[("status.json", &a)]);
    let server = Arc::new(spawn(&["--dir", dir.path().to_str().unwrap()]).await);

    let stop = Arc::new(AtomicBool::new(false));
    let seen_b = Arc::new(AtomicUsize::new(0));
    let mut clients = Vec::new();
    for _ in 0..4 {
        let (server, stop, seen_b, a, b) = (
            server.clone(),
            stop.clone(),
            seen_b.clone(),
            a.clone(),
            b.clone(),
        );
        clients.push(tokio::spawn(async move {
            let mut requests = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let (status, body) = server.get_text("/status.json").await;
                assert_eq!(status, 200, "request {requests}: {body:.200}");
                assert!(
                    body == a || body == b,
                    "torn or foreign body ({} bytes)",
                    body.len()
                );
                if body == b {
                    seen_b.fetch_add(1, Ordering::Relaxed);
                }
                requests += 1;
            }
            requests
        }));
    }
    let swapper = tokio::task::spawn_blocking(move || {
        for i in 0..200 {
            let next = if i % 2 == 0 { &b } else { &a };
            volume.update(&[("status.json", next)]);
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    });
    swapper.await.unwrap();
    stop.store(true, Ordering::Relaxed);
    let mut total = 0;
    for client in clients {
        total += client.await.expect("client assertions held");
    }
    assert!(total > 0);
    assert!(seen_b.load(Ordering::Relaxed) > 0, "the swaps were served");
}

/// GETs `path` with `If-Modified-Since: since`.
async fn get_since(server: &crate::helpers::TestServer, path: &str, since: &str) -> u16 {
    server
        .client
        .get(server.url(path))
        .header("if-modified-since", since)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Sets a file's modification time `ago` in the past.
fn backdate(path: &std::path::Path, ago: std::time::Duration) {
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(std::time::SystemTime::now() - ago)
        .unwrap();
}

#[tokio::test]
async fn if_modified_since_never_hides_a_changed_body() {
    let hour = std::time::Duration::from_secs(3600);
    let lo = tempfile::tempdir().unwrap();
    let hi = tempfile::tempdir().unwrap();
    // The default is older than the live key, as in the chart.
    write(&lo.path().join("status.json"), &doc("default", 0));
    backdate(&lo.path().join("status.json"), hour);
    write(&hi.path().join("status.json"), &doc("live", 1));
    write(&hi.path().join("other.json"), &doc("other", 0));
    let server = spawn(&[
        "--dir",
        lo.path().to_str().unwrap(),
        "--dir",
        hi.path().to_str().unwrap(),
    ])
    .await;
    let first = server.get("/status.json").await;
    let seen = first.headers()["last-modified"]
        .to_str()
        .unwrap()
        .to_owned();
    let all_first = server.get("/statuses.json").await;
    let all_seen = all_first.headers()["last-modified"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(get_since(&server, "/status.json", &seen).await, 304);

    // The live key is deleted: the older default takes over. Its file is older, but the body
    // the client has is not this one.
    std::fs::remove_file(hi.path().join("status.json")).unwrap();
    server
        .eventually("/status.json", "the default", |s, b| {
            s == 200 && b == doc("default", 0)
        })
        .await;
    assert_eq!(get_since(&server, "/status.json", &seen).await, 200);
    assert_eq!(get_since(&server, "/statuses.json", &all_seen).await, 200);

    // A document removed from /statuses.json changes the array, with no newer file anywhere.
    let all_seen = server.get("/statuses.json").await.headers()["last-modified"]
        .to_str()
        .unwrap()
        .to_owned();
    std::fs::remove_file(hi.path().join("other.json")).unwrap();
    server
        .eventually("/statuses.json", "one document", |s, b| {
            s == 200 && b == format!("[{}]", doc("default", 0))
        })
        .await;
    assert_eq!(get_since(&server, "/statuses.json", &all_seen).await, 200);

    // Two edits within one second: the second one is not hidden by the first's date.
    let seen = server.get("/status.json").await.headers()["last-modified"]
        .to_str()
        .unwrap()
        .to_owned();
    write(&lo.path().join("status.json"), &doc("edited", 2));
    server
        .eventually("/status.json", "the edit", |s, b| {
            s == 200 && b == doc("edited", 2)
        })
        .await;
    assert_eq!(get_since(&server, "/status.json", &seen).await, 200);
}
