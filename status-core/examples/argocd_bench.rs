//! What mapping one Argo CD Application costs, read two ways: into the minimal typed
//! [`Application`] (what a watch should deserialise events into), and into a
//! `serde_json::Value` first. The Application is the size issue #10 plans the fleet for: ~6 KB,
//! with sync history and 30+ resources.
//!
//! `cargo run --release -p status-core --example argocd_bench` (a debug build works too and
//! gives upper bounds).

use std::hint::black_box;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use status_core::argocd::{self, Application};
use status_core::chrono::Utc;

/// How many resources the Application lists.
const RESOURCES: usize = 32;

/// The guestbook fixture grown to a fleet-sized Application.
fn application() -> Vec<u8> {
    let mut app: Value = serde_json::from_slice(include_bytes!(
        "../tests/fixtures/argocd/single-source-synced.json"
    ))
    .unwrap_or_default();
    let kinds = [
        ("", "Service"),
        ("apps", "Deployment"),
        ("", "ConfigMap"),
        ("networking.k8s.io", "Ingress"),
        ("autoscaling", "HorizontalPodAutoscaler"),
        ("policy", "PodDisruptionBudget"),
    ];
    let resources: Vec<Value> = (0..RESOURCES)
        .map(|i| {
            let (group, kind) = kinds[i % kinds.len()];
            json!({"group": group, "version": "v1", "kind": kind, "namespace": "guestbook",
                   "name": format!("guestbook-{i}"),
                   "status": if i % 9 == 4 { "OutOfSync" } else { "Synced" }})
        })
        .collect();
    let history: Vec<Value> = (0..5)
        .map(|i| {
            json!({"id": i, "revision": format!("{i:040x}"), "deployedAt": "2026-04-20T16:02:01Z",
                   "deployStartedAt": "2026-04-20T16:01:58Z", "initiatedBy": {"automated": true},
                   "source": app["spec"]["source"].clone()})
        })
        .collect();
    app["status"]["resources"] = Value::Array(resources);
    app["status"]["history"] = Value::Array(history);
    serde_json::to_vec(&app).unwrap_or_default()
}

/// Runs `f` for about a second; the mean and the best time of one run.
fn measure(label: &str, mut f: impl FnMut()) -> Duration {
    let mut runs = 0u32;
    let mut best = Duration::MAX;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(1) || runs < 10 {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed());
        runs += 1;
    }
    let mean = start.elapsed() / runs;
    println!("{label:>44}: mean {mean:>9.2?}, best {best:>9.2?} ({runs} runs)");
    mean
}

fn main() {
    let bytes = application();
    let now = Utc::now();
    let doc = argocd::from_slice(&bytes, now).unwrap_or_else(|e| panic!("{e}"));
    println!(
        "Application: {} bytes, {} resources in status, {} drifted; build: {}",
        bytes.len(),
        RESOURCES,
        doc.drift_count(),
        if cfg!(debug_assertions) {
            "debug (upper bounds)"
        } else {
            "release"
        }
    );

    let typed = measure("bytes -> Application -> document (typed)", || {
        let app = Application::from_slice(black_box(&bytes)).unwrap_or_else(|e| panic!("{e}"));
        black_box(app.to_document(now).ok());
    });
    let via_value = measure("bytes -> Value -> document", || {
        let value: Value = serde_json::from_slice(black_box(&bytes)).unwrap_or_default();
        black_box(argocd::from_value(&value, now).ok());
    });
    measure("bytes -> Value (the parse alone)", || {
        black_box(serde_json::from_slice::<Value>(black_box(&bytes)).ok());
    });
    let value: Value = serde_json::from_slice(&bytes).unwrap_or_default();
    measure("Value -> document (already parsed)", || {
        black_box(argocd::from_value(black_box(&value), now).ok());
    });
    let app = Application::from_slice(&bytes).unwrap_or_else(|e| panic!("{e}"));
    measure("Application -> document (the mapping alone)", || {
        black_box(black_box(&app).to_document(now).ok());
    });

    // The fleet of issue #10: 2,000 Applications at start, then 20 changes a second.
    for (label, per) in [("typed", typed), ("via Value", via_value)] {
        println!(
            "{label:>10}: 2,000 Applications in {:>7.1?}; 20 changes/s use {:.3}% of one core",
            per * 2000,
            per.as_secs_f64() * 20.0 * 100.0
        );
    }
}
