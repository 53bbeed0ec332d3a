//! Files as an attacker or a hurried user leaves them: FIFOs where documents belong, names
//! that try to forge log lines, and kubelet swapping generations as fast as it can.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::binary::{Process, mkfifo};
use crate::helpers::{doc, spawn, write};
use crate::kubelet::ConfigMapVolume;

/// `--file` naming a FIFO: opening it would wait for a writer forever. The server starts
/// anyway, says why it has no document, and stops on SIGTERM.
#[tokio::test]
async fn a_fifo_as_the_file_at_start_is_refused_and_the_server_binds() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("status.json");
    mkfifo(&fifo);
    let mut server = Process::start(&["--file", fifo.to_str().unwrap()]);
    let (status, body) = server.get_within("/readyz", Duration::from_secs(10)).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        server
            .get_within("/healthz", Duration::from_secs(5))
            .await
            .0,
        200
    );
    server.log_shows("not a regular file (a FIFO)").await;
    let exit = server.terminate_within(Duration::from_secs(5)).await;
    assert!(exit.success(), "{exit}; log:\n{}", server.log());
}

/// A document swapped for a FIFO at run time keeps its last good version served (and
/// `/readyz` ready), is logged, does not stop later documents from being served, and does
/// not hold up the shutdown.
#[tokio::test]
async fn a_document_swapped_for_a_fifo_keeps_its_last_good_version() {
    for flag in ["--file", "--dir"] {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("status.json");
        write(&key, &doc("first", 0));
        let target = if flag == "--file" { &key } else { dir.path() };
        let mut server = Process::start(&[flag, target.to_str().unwrap()]);
        server
            .eventually("/status.json", "the first document", |s, b| {
                s == 200 && b == doc("first", 0)
            })
            .await;

        let fifo = dir.path().join("fifo.tmp");
        mkfifo(&fifo);
        std::fs::rename(&fifo, &key).unwrap();
        server.log_shows("not a regular file (a FIFO)").await;
        assert_eq!(
            server
                .get_within("/status.json", Duration::from_secs(5))
                .await,
            (200, doc("first", 0)),
            "{flag}"
        );
        assert_eq!(
            server.get_within("/readyz", Duration::from_secs(5)).await.0,
            200
        );

        let next = dir.path().join("next.tmp");
        write(&next, &doc("second", 0));
        std::fs::rename(&next, &key).unwrap();
        server
            .eventually("/status.json", "the document after the FIFO", |s, b| {
                s == 200 && b == doc("second", 0)
            })
            .await;
        // Swapped for a FIFO again: the shutdown does not wait on it.
        mkfifo(&fifo);
        std::fs::rename(&fifo, &key).unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let exit = server.terminate_within(Duration::from_secs(5)).await;
        assert!(exit.success(), "{flag}: {exit}; log:\n{}", server.log());
    }
}

/// A file name with a line break in it stays inside its own log line, escaped, in the text
/// log (the JSON log escapes it as JSON does).
#[tokio::test]
async fn a_file_name_cannot_forge_a_log_line() {
    let dir = tempfile::tempdir().unwrap();
    let name = "nl\nINJECTED level=ERROR x\u{1b}[31m.json";
    let file = dir.path().join(name);
    write(&file, "{ not json");
    let missing = dir.path().join("gone\r\nINJECTED too");
    let mut server = Process::start(&[
        "--file",
        file.to_str().unwrap(),
        "--dir",
        missing.to_str().unwrap(),
    ]);
    server.get_within("/readyz", Duration::from_secs(10)).await;
    server.log_shows("INJECTED too").await;
    server.log_shows("INJECTED level=ERROR").await;
    server.terminate_within(Duration::from_secs(5)).await;
    let log = server.log();
    for line in log.lines() {
        assert!(
            !line.starts_with("INJECTED") && !line.contains('\u{1b}') && !line.contains('\r'),
            "a forged line: {line:?}\nlog:\n{log}"
        );
    }
    assert!(
        log.contains(r"nl\nINJECTED level=ERROR x\u{1b}[31m.json"),
        "{log}"
    );
}

/// Kubelet swapping `..data` as fast as it can: every `/statuses.json` holds documents of one
/// generation only (each generation's documents carry its number in `repo`).
#[tokio::test]
async fn a_snapshot_never_mixes_two_configmap_generations() {
    const KEYS: usize = 12;
    let names: Vec<String> = std::iter::once("status.json".to_owned())
        .chain((1..KEYS).map(|i| format!("app-{i:02}.json")))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let first = generation(&names, 0);
    let pairs: Vec<(&str, &str)> = first
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut volume = ConfigMapVolume::new(dir.path(), &pairs);
    let server = spawn(&["--dir", dir.path().to_str().unwrap()]).await;

    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let swapper = {
        let stop = stop.clone();
        let names = names.clone();
        std::thread::spawn(move || {
            let mut g = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                g += 1;
                let keys = generation(&names, g);
                let pairs: Vec<(&str, &str)> =
                    keys.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                volume.update(&pairs);
            }
            g
        })
    };
    let deadline = Instant::now() + Duration::from_secs(4);
    let mut seen = BTreeSet::new();
    let mut reads = 0;
    let mut mixed = None;
    while Instant::now() < deadline && mixed.is_none() {
        let (status, body) = server.get_text("/statuses.json").await;
        assert_eq!(status, 200, "{body:.300}");
        let documents: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
        let repos: BTreeSet<&str> = documents
            .iter()
            .filter_map(|d| d["repo"].as_str())
            .collect();
        if repos.len() != 1 || documents.len() != KEYS {
            mixed = Some(format!("{} documents from {repos:?}", documents.len()));
        }
        seen.extend(repos.into_iter().map(str::to_owned));
        reads += 1;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let swaps = swapper.join().unwrap();
    assert_eq!(
        mixed, None,
        "a snapshot mixed generations (after {reads} reads, {swaps} swaps)"
    );
    assert!(
        seen.len() > 1,
        "the swaps were served ({reads} reads, {swaps} swaps, seen {seen:?})"
    );
}

/// The documents of one generation, each carrying its number.
fn generation(names: &[String], g: u32) -> Vec<(String, String)> {
    names
        .iter()
        .map(|n| (n.clone(), doc(&format!("generation-{g}"), 0)))
        .collect()
}
