//! `cargo xtask bench server`: status-server against nginx, side by side, written to
//! docs/benchmarks.md.
//!
//! Baselines are all Debian nginx (`nginx-light`, one worker, sendfile, access log off): the
//! seed's configuration (nginx-unprivileged's default), a tuned one (`open_file_cache`), and one
//! with `gzip_static on` over a precompressed `.json.gz` (the best a static server does). Each
//! server is pinned to CPU 0 with `taskset`, wrk to CPU 1; every server serves the same three
//! documents (200 B, 64 KiB, ~500 KiB) at the same path, with and without `Accept-Encoding: gzip`.
//! A run with any non-2xx/3xx response is a failure, not a figure. Then the reload latency (time
//! from the `..data` symlink swap to the new document being served) and the binary size.
//!
//! `BENCH_SERVER_SECONDS` sets the length of each run (default 5), `BENCH_SERVER_REPEAT` how many
//! runs each figure is the best of (default 2).
//!
//! Then the pages for people (`/`, `/badge.svg`) against `/status.json` on status-server alone.
//!
//! This module runs the whole benchmark; `servers` starts the servers under test, `wrk` loads
//! them and reads the figures, `sampling` reads their memory and CPU from `/proc`, `reload`
//! times reloads, `pages` measures the pages, and `report` writes docs/benchmarks.md.

mod pages;
mod reload;
mod report;
mod sampling;
mod servers;
mod wrk;

use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::{cargo, project_root, run_cmd, target_dir};

use self::reload::reload_latency;
use self::report::render;
use self::servers::{NginxFlavour, ServerKind, Tools, served_encoding};
use self::wrk::{Outcome, wrk, wrk_sampling_rss};

const SERVER_CPU: &str = "0";
const CLIENT_CPU: &str = "1";
const CONNECTIONS: &str = "64";

pub(crate) fn run() -> Result<()> {
    // The machine's own load, before this run adds to it (the report gives it).
    let load_before = super::proc::load_average();
    let seconds: u64 = std::env::var("BENCH_SERVER_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let repeat: u32 = std::env::var("BENCH_SERVER_REPEAT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2);
    let tools = Tools::find_or_install()?;
    run_cmd(cargo().args(["build", "--release", "-p", "status-server"]))?;
    let binary = target_dir().join("release/status-server");
    let binary_size = std::fs::metadata(&binary)
        .with_context(|| format!("no release binary at {}", binary.display()))?
        .len();

    let work = target_dir().join("bench-server");
    drop(std::fs::remove_dir_all(&work));
    let www = work.join("www");
    let docs_dir = www.join("status");
    std::fs::create_dir_all(&docs_dir)?;
    let sizes = [
        ("200 B", "small", 200),
        ("64 KiB", "medium", 64 * 1024),
        ("500 KiB", "large", 500 * 1024),
    ];
    let mut actual_sizes = Vec::new();
    for (_, key, size) in sizes {
        let doc = document(size);
        if !status_core::validate(doc.as_bytes()).is_valid() {
            bail!("generated {key} document is not valid");
        }
        let path = docs_dir.join(format!("{key}.json"));
        std::fs::write(&path, &doc)?;
        // gzip_static serves this file; status-server ignores it (not a `*.json` key).
        run_cmd(Command::new("gzip").args(["-9", "-k", "-f"]).arg(&path))?;
        let gz = std::fs::metadata(docs_dir.join(format!("{key}.json.gz")))?.len();
        actual_sizes.push((doc.len(), gz));
    }

    let mut servers: Vec<ServerKind> = NginxFlavour::ALL
        .iter()
        .map(|f| ServerKind::Nginx(*f))
        .collect();
    servers.push(ServerKind::StatusServer);

    let mut results = Vec::new();
    for kind in &servers {
        let mut server = kind.start(&tools, &binary, &work, &www)?;
        let idle_rss = server.rss_kib();
        for (label, key, _) in sizes {
            for gzip in [false, true] {
                let url = format!("http://127.0.0.1:{}/status/{key}.json", server.port);
                let encoding = served_encoding(server.port, key, gzip)?;
                eprintln!("bench: {} {label} gzip={gzip} ({encoding})", kind.name());
                // Warm up (caches, connection pools), then measure.
                wrk(&tools, &url, gzip, 1)?;
                // Best of `repeat` runs: the machine is shared, and a neighbour's burst only
                // ever makes a run slower. Any failed run fails the cell.
                let mut best: Option<(Outcome, u64)> = None;
                for _ in 0..repeat {
                    let (outcome, rss) = wrk_sampling_rss(&tools, &url, gzip, seconds, &server)?;
                    best = Some(match (best, outcome) {
                        (Some((Outcome::Failed(why), r)), _) => (Outcome::Failed(why), r),
                        (_, Outcome::Failed(why)) => (Outcome::Failed(why), rss),
                        (Some((old, r)), new) if old.rps() >= new.rps() => (old, r.max(rss)),
                        (Some((_, r)), new) => (new, r.max(rss)),
                        (None, new) => (new, rss),
                    });
                }
                let Some((outcome, load_rss)) = best else {
                    bail!("BENCH_SERVER_REPEAT must be at least 1");
                };
                results.push(Row {
                    server: kind.name(),
                    size: label,
                    gzip,
                    encoding,
                    outcome,
                    idle_rss,
                    load_rss,
                });
            }
        }
        server.stop();
    }

    let page_rows = pages::measure(&tools, &binary, &work, (seconds, repeat))?;
    let reload = reload_latency(&binary, &work)?;
    let report = render(
        &results,
        &reload,
        binary_size,
        &actual_sizes,
        (seconds, repeat),
        &tools,
        &load_before,
    );
    let report = format!("{report}{}", pages::render(&page_rows));
    println!("{report}");
    // `bench live` and `bench fleet` write their own sections of the file: keep them.
    let mut report = report;
    for section in [
        super::live::existing_section(),
        super::fleet::existing_section(),
    ]
    .into_iter()
    .flatten()
    {
        report = format!("{report}\n{section}");
    }
    let out = project_root().join("docs/benchmarks.md");
    // The soak's part of the file (`cargo xtask soak`) is not this benchmark's: keep it.
    let soak = std::fs::read_to_string(&out)
        .ok()
        .and_then(|old| old.find(crate::soak::SECTION).map(|i| old[i..].to_owned()))
        .map_or(String::new(), |part| format!("\n{part}"));
    std::fs::write(&out, format!("{report}{soak}"))
        .with_context(|| format!("cannot write {}", out.display()))?;
    eprintln!("bench: wrote {}", out.display());
    Ok(())
}

/// A valid status document of about `size` bytes, shaped like the seed's (indented, a list of
/// changed files), so compression ratios are realistic.
fn document(size: usize) -> String {
    let head = "{\n  \"repo\": \"production-apps\",\n  \"server\": \"prod-cluster-01\",\n  \"sync_status\": \"OUT_OF_SYNC\",\n";
    let tail = "  \"last_check\": \"2026-04-21T12:30:00Z\"\n}\n";
    if size <= 256 {
        let base = format!(
            "{head}  \"drift_count\": 2,\n  \"files\": [\"deployment.yaml\", \"service.yaml\"],\n{tail}"
        );
        return base;
    }
    let mut files = Vec::new();
    let mut len = head.len() + tail.len() + 40;
    let mut i = 0usize;
    let kinds = [
        "deployment",
        "service",
        "configmap",
        "ingress",
        "hpa",
        "secret",
    ];
    while len < size {
        let f = format!(
            "    \"apps/team-{}/{}/{}-{i:05}.yaml\"",
            i % 37,
            kinds[i % kinds.len()],
            kinds[(i / 7) % kinds.len()]
        );
        len += f.len() + 2;
        files.push(f);
        i += 1;
    }
    format!(
        "{head}  \"drift_count\": {},\n  \"files\": [\n{}\n  ],\n{tail}",
        files.len(),
        files.join(",\n")
    )
}

/// One cell of the throughput table: a server, a document size, with or without gzip.
struct Row {
    server: &'static str,
    size: &'static str,
    gzip: bool,
    encoding: &'static str,
    outcome: Outcome,
    idle_rss: u64,
    load_rss: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_documents_are_valid_and_about_the_size_asked() {
        for size in [200, 64 * 1024, 500 * 1024] {
            let doc = document(size);
            assert!(status_core::validate(doc.as_bytes()).is_valid());
            assert!(
                doc.len() >= size * 9 / 10 && doc.len() <= size * 11 / 10 + 64,
                "{size}: {}",
                doc.len()
            );
        }
    }
}
