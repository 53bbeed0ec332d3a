//! The pages for people against `/status.json` (issue 11): status-server serving a team's
//! worth of documents, wrk on `/status.json`, `/` (the overview of all of them) and
//! `/badge.svg`, with and without `Accept-Encoding: gzip` (browsers always send it). The
//! pages are rendered once per change and served from bytes like the documents, so each
//! should be within 10% of `/status.json`'s req/s.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Result, bail};

use super::servers::{ServerKind, Tools};
use super::wrk::{Outcome, wrk, wrk_sampling_rss};

/// The documents served: one team's applications.
pub(super) const DOCUMENTS: usize = 20;

/// The routes compared, the first being the reference. `/statuses.json` is not held to the
/// target: it is there to show what a body of every document costs over one document's (the
/// overview is such a body), measured in the same rounds.
const ROUTES: [&str; 4] = ["/status.json", "/statuses.json", "/", "/badge.svg"];

/// The route measured for comparison only.
const ALL_DOCUMENTS: &str = "/statuses.json";

/// One measured route.
pub(super) struct PageRow {
    route: &'static str,
    gzip: bool,
    bytes: usize,
    outcome: Outcome,
}

/// Starts status-server over [`DOCUMENTS`] documents and measures each route.
pub(super) fn measure(
    tools: &Tools,
    binary: &Path,
    work: &Path,
    (seconds, repeat): (u64, u32),
) -> Result<Vec<PageRow>> {
    let www = work.join("pages-www");
    let dir = www.join("status");
    std::fs::create_dir_all(&dir)?;
    for i in 0..DOCUMENTS {
        // `small.json` is what the start-up check asks for; `status.json` is the badge's.
        let key = match i {
            0 => "status".to_owned(),
            1 => "small".to_owned(),
            i => format!("app-{i:02}"),
        };
        let (sync, health, files) = match i % 4 {
            0 | 1 => ("SYNCED", "Healthy", String::new()),
            2 => (
                "OUT_OF_SYNC",
                "Progressing",
                format!("\"apps/app-{i}/deployment.yaml\", \"apps/app-{i}/service.yaml\""),
            ),
            _ => ("ERROR", "Degraded", String::new()),
        };
        let drift = files.matches(".yaml").count();
        let doc = format!(
            "{{\n  \"repo\": \"https://git.example.com/team/app-{i}.git\",\n  \"app\": \"app-{i}\",\n  \"server\": \"prod-cluster-01\",\n  \"sync_status\": \"{sync}\",\n  \"health_status\": \"{health}\",\n  \"drift_count\": {drift},\n  \"files\": [{files}],\n  \"revision\": \"4f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a3{}\",\n  \"last_check\": \"2026-04-21T12:30:00Z\"\n}}\n",
            i % 10
        );
        if !status_core::validate(doc.as_bytes()).is_valid() {
            bail!("generated page benchmark document {key} is not valid");
        }
        std::fs::write(dir.join(format!("{key}.json")), doc)?;
    }
    let server = ServerKind::StatusServer.start(tools, binary, work, &www)?;
    let mut rows = Vec::new();
    for gzip in [true, false] {
        let accept: &[(&str, &str)] = if gzip {
            &[("Accept-Encoding", "gzip")]
        } else {
            &[]
        };
        let mut best: Vec<Option<Outcome>> = ROUTES.iter().map(|_| None).collect();
        let mut bytes = Vec::new();
        for route in ROUTES {
            let url = format!("http://127.0.0.1:{}{route}", server.port);
            let response = crate::host::http_get(&url, accept)?;
            if response.status != 200 {
                bail!("GET {route} answered {}", response.status);
            }
            bytes.push(response.body.len());
            wrk(tools, &url, gzip, 1)?;
        }
        // Rounds of every route in turn, rather than every run of one route and then the
        // next: on a shared machine the load drifts, and the routes should meet the same.
        for _ in 0..repeat {
            for (i, route) in ROUTES.iter().enumerate() {
                eprintln!("bench: pages {route} gzip={gzip} ({} bytes)", bytes[i]);
                let url = format!("http://127.0.0.1:{}{route}", server.port);
                let (outcome, _) = wrk_sampling_rss(tools, &url, gzip, seconds, &server)?;
                best[i] = Some(match best[i].take() {
                    Some(Outcome::Failed(why)) => Outcome::Failed(why),
                    Some(old) if old.rps() >= outcome.rps() => old,
                    _ => outcome,
                });
            }
        }
        for ((route, outcome), bytes) in ROUTES.iter().zip(best).zip(bytes) {
            let Some(outcome) = outcome else {
                bail!("BENCH_SERVER_REPEAT must be at least 1");
            };
            rows.push(PageRow {
                route,
                gzip,
                bytes,
                outcome,
            });
        }
    }
    Ok(rows)
}

/// The section of docs/benchmarks.md.
pub(super) fn render(rows: &[PageRow]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n## Pages for people (issue 11)\n\nstatus-server (`--workers 1`, pinned as above) serving \
         {DOCUMENTS} documents of about 350 bytes (synced, out of sync with files, errors); the \
         same wrk runs against `/status.json`, the overview `/` (all {DOCUMENTS} as cards) and \
         `/badge.svg`, in rounds (each route once per round, the best round kept). The pages \
         are rendered (and compressed) by the first request after a change and then served \
         from those bytes with their ETag and gzip form, like the documents; wrk's warm-up \
         makes that first request. Target: each within 10% of `/status.json`'s req/s; on a \
         loaded machine the CPU per request is the steadier comparison. `/statuses.json` (all \
         {DOCUMENTS} documents in one body) is measured in the same rounds for comparison: what \
         a body of every document costs over one document's, with no page rendering at all. \
         Browsers always send `Accept-Encoding: gzip`, so the gzip rows are what people get; \
         without it the overview is some 18 KB a request (the cards of every document, as \
         written), and its rate is bound by the bytes written, as `/statuses.json`'s would be \
         at that size.\n"
    );
    let _ = writeln!(
        out,
        "| route | client accepts gzip | bytes sent | req/s | p99 | server CPU per request | vs `/status.json` req/s | within 10% |\n|---|---|---:|---:|---:|---:|---:|---|"
    );
    for row in rows {
        let reference = rows
            .iter()
            .find(|r| r.route == ROUTES[0] && r.gzip == row.gzip)
            .map(|r| r.outcome.rps());
        let (rps, p99, cpu) = match &row.outcome {
            Outcome::Measured {
                rps,
                p99_ms,
                cpu_us_per_request,
                ..
            } => (
                format!("{rps:.0}"),
                format!("{p99_ms:.2} ms"),
                format!("{cpu_us_per_request:.1} µs"),
            ),
            Outcome::Failed(why) => (format!("FAILED: {why}"), "-".into(), "-".into()),
        };
        let ratio = reference
            .filter(|r| *r > 0.0)
            .map(|r| row.outcome.rps() / r);
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {rps} | {p99} | {cpu} | {} | {} |",
            row.route,
            if row.gzip { "yes" } else { "no" },
            row.bytes,
            ratio.map_or("n/a".into(), |r| format!("{r:.2}x")),
            match ratio {
                _ if row.route == ROUTES[0] => "(reference)",
                _ if row.route == ALL_DOCUMENTS => "(comparison)",
                Some(r) if r >= 0.9 => "met",
                Some(_) => "NOT met",
                None => "not measured",
            }
        );
    }
    out
}
