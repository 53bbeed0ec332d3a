//! Validation throughput on a 1 KiB and a (just under) 1 MiB document; run by `cargo xtask bench`.

use std::hint::black_box;
use std::time::{Duration, Instant};

fn document(target_bytes: usize) -> String {
    let head = r#"{"repo":"production-apps","server":"prod-cluster-01","sync_status":"OUT_OF_SYNC","drift_count":DRIFT,"files":["#;
    let tail =
        r#"],"last_check":"2026-04-21T12:30:00Z","revision":"4f2c9a1","environment":"production"}"#;
    let mut files = Vec::new();
    let mut size = head.len() + tail.len() + 8;
    while size < target_bytes {
        let name = format!(
            "\"apps/team-{:03}/overlays/production/deployment-{:05}.yaml\"",
            files.len() % 97,
            files.len()
        );
        size += name.len() + 1;
        if size >= target_bytes {
            break;
        }
        files.push(name);
    }
    let drift = files.len().to_string();
    format!(
        "{}{}{}",
        head.replace("DRIFT", &drift),
        files.join(","),
        tail
    )
}

fn measure(label: &str, doc: &str) {
    let bytes = doc.as_bytes();
    let report = status_core::validate(bytes);
    assert!(
        report.is_valid(),
        "benchmark document must be valid: {:?}",
        report.findings().first()
    );
    let files = report.document().map_or(0, |d| d.files().len());
    let mut runs = 0u32;
    let mut best = Duration::MAX;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(2) || runs < 5 {
        let t = Instant::now();
        black_box(status_core::validate(black_box(bytes)));
        best = best.min(t.elapsed());
        runs += 1;
    }
    let mean = start.elapsed() / runs;
    let mib_s = bytes.len() as f64 / (1024.0 * 1024.0) / mean.as_secs_f64();
    println!(
        "validate {label:>20}: {:>8} bytes, {files:>6} files: mean {mean:>10.3?}, best {best:>10.3?}, {mib_s:>7.1} MiB/s ({runs} runs)",
        bytes.len()
    );
}

fn main() {
    measure("1 KiB", &document(1024));
    measure("1 MiB", &document(status_core::MAX_DOCUMENT_BYTES));
    // The worst case for reporting: one warning (with its line and column) per entry.
    let duplicates = vec![r#""a.yaml""#; 110_000].join(",");
    measure(
        "1 MiB, 110k warnings",
        &format!(
            r#"{{"repo":"r","server":"s","sync_status":"OUT_OF_SYNC","drift_count":110000,"files":[{duplicates}],"last_check":"2026-04-21T10:00:00Z"}}"#
        ),
    );
}
