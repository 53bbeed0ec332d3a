//! The soak's report: one section per run length in docs/benchmarks.md (between
//! `<!-- soak:<length>:start -->` and `<!-- soak:<length>:end -->`, after [`SECTION`], which
//! `cargo xtask bench server` keeps when it rewrites the rest of that file), and the chart's
//! file name.

use std::fmt::Write as _;
use std::process::Command;

use anyhow::{Context, Result};

use super::Outcome;
use super::verdict::{RSS_GROWTH_LIMIT_KIB, growth};
use crate::project_root;

/// Where the soak's part of docs/benchmarks.md begins.
pub(crate) const SECTION: &str = "<!-- soak-section -->";

const INTRO: &str = "## Soak

`cargo xtask soak [--duration 10m]` (xtask/src/soak.rs) runs the release status-server on loopback \
under steady, bounded load: four clients at 25 requests per second each (three keep their \
connection, one opens a new one per request) asking for `/status.json`, `/statuses.json` and one \
more document, with and without gzip, half of them with `If-None-Match`. Every second the \
documents are swapped the way kubelet updates a ConfigMap volume (a new timestamped directory, \
`..data_tmp` renamed over `..data`), every tenth swap with one invalid document that must not \
be served; every five seconds `statusctl push` writes a new document through the fake API server. \
Every body is checked (one complete, valid document, or an array of them; an ETag never names \
two bodies). Every 10 s the server's resident memory, open file descriptors and threads are read \
from `/proc`, with the clients' p50 and p99. The run fails on any error, a failed push, file \
descriptors that grow, or resident memory that grows by more than 1 MiB after the warm-up (the \
median of the first three samples after it against the median of the last three). The shaded \
band of each chart is the warm-up. The machine is shared (other builds run at the same time), \
which shows in the latency.";

/// The chart's file name under docs/images: `soak.svg` for the default 10 minutes.
pub(crate) fn image_name(label: &str) -> String {
    if label == "10m" {
        "soak.svg".to_owned()
    } else {
        format!("soak-{label}.svg")
    }
}

pub(crate) fn verdict_word(outcome: &Outcome) -> &'static str {
    if outcome.failures.is_empty() {
        "passed"
    } else {
        "FAILED"
    }
}

fn now() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

/// The Markdown of one run.
pub(crate) fn section(label: &str, image: &str, outcome: &Outcome) -> String {
    let plan = &outcome.plan;
    let mut out = String::new();
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    let _ = writeln!(out, "### {label} (`cargo xtask soak --duration {label}`)\n");
    let _ = writeln!(
        out,
        "Run {}, {} CPUs (shared); warm-up {} s, a sample every {} s: **{}**.\n",
        now(),
        cpus,
        plan.warmup.as_secs(),
        plan.sample_every.as_secs(),
        verdict_word(outcome)
    );
    let _ = writeln!(out, "![soak, {label}](images/{image})\n");
    let _ = writeln!(out, "| | |\n| --- | --- |");
    let answered = outcome.ok + outcome.not_modified;
    let _ = writeln!(
        out,
        "| load | {} clients x {} requests/s = {} requests/s |",
        plan.clients,
        plan.requests_per_second,
        plan.clients as f64 * plan.requests_per_second
    );
    let _ = writeln!(
        out,
        "| requests answered | {answered} ({} 200, {} 304) |",
        outcome.ok, outcome.not_modified
    );
    let _ = writeln!(out, "| errors | {} |", outcome.errors);
    let _ = writeln!(
        out,
        "| latency p50 / p99 / max | {:.2} / {:.2} / {:.1} ms |",
        outcome.p50_ms, outcome.p99_ms, outcome.max_ms
    );
    let worst_p99 = outcome
        .samples
        .iter()
        .map(|s| s.p99_ms)
        .fold(0.0_f64, f64::max);
    let _ = writeln!(out, "| worst 10 s p99 | {worst_p99:.2} ms |");
    let _ = writeln!(
        out,
        "| kubelet-style swaps | {} (every tenth with an invalid document) |",
        outcome.swaps
    );
    let _ = writeln!(
        out,
        "| pushes through the fake API server | {} ({} failed), median {:.0} ms |",
        outcome.pushes, outcome.pushes_failed, outcome.push_median_ms
    );
    let _ = match outcome.push_served_median_ms {
        Some(ms) => writeln!(
            out,
            "| pushes served by the server (its ConfigMap watch) | median {ms:.0} ms after the push (one not served within 5 s is a failed push) |"
        ),
        None => writeln!(
            out,
            "| pushes served by the server | not watched: this status-server has no ConfigMap watch source |"
        ),
    };
    if let Some((rss_start, rss_end, fds_start, fds_end)) = growth(&outcome.samples, plan.warmup) {
        let _ = writeln!(
            out,
            "| resident memory after warm-up -> end | {:.2} -> {:.2} MiB ({:+} KiB; limit +{RSS_GROWTH_LIMIT_KIB} KiB) |",
            rss_start as f64 / 1024.0,
            rss_end as f64 / 1024.0,
            rss_end as i64 - rss_start as i64
        );
        let _ = writeln!(
            out,
            "| open file descriptors after warm-up -> end | {fds_start} -> {fds_end} |"
        );
    }
    let samples = &outcome.samples;
    let _ = writeln!(
        out,
        "| resident memory, all samples | {} KiB |",
        range(samples.iter().map(|s| s.rss_kib))
    );
    let _ = writeln!(
        out,
        "| open file descriptors, all samples | {} |",
        range(samples.iter().map(|s| s.fds))
    );
    let _ = writeln!(
        out,
        "| threads, all samples | {} |",
        range(samples.iter().map(|s| s.threads))
    );
    if !outcome.failures.is_empty() {
        let _ = writeln!(out, "\nFailures:\n");
        for failure in &outcome.failures {
            let _ = writeln!(out, "- {failure}");
        }
    }
    out
}

/// `min-max` of some values.
fn range(values: impl Iterator<Item = u64>) -> String {
    let v: Vec<u64> = values.collect();
    format!(
        "{}-{}",
        v.iter().min().copied().unwrap_or(0),
        v.iter().max().copied().unwrap_or(0)
    )
}

/// Puts `section` between this run length's markers in docs/benchmarks.md, adding the soak
/// part (after [`SECTION`]) or the markers when they are missing.
pub(crate) fn write_into_benchmarks(label: &str, section: &str) -> Result<()> {
    let path = project_root().join("docs/benchmarks.md");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let updated = splice(&text, label, section);
    std::fs::write(&path, updated).with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!("soak: wrote {}", path.display());
    Ok(())
}

fn splice(text: &str, label: &str, section: &str) -> String {
    let start = format!("<!-- soak:{label}:start -->");
    let end = format!("<!-- soak:{label}:end -->");
    let block = format!("{start}\n{section}{end}");
    let mut text = text.to_owned();
    if !text.contains(SECTION) {
        text = format!("{}\n\n{SECTION}\n{INTRO}\n", text.trim_end());
    }
    match (text.find(&start), text.find(&end)) {
        (Some(s), Some(e)) if s < e => format!("{}{block}{}", &text[..s], &text[e + end.len()..]),
        _ => format!("{}\n\n{block}\n", text.trim_end()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splices_each_run_length_into_its_own_place() {
        let first = splice("# Benchmarks\n\nthe table\n", "10m", "ten\n");
        assert!(first.starts_with("# Benchmarks\n\nthe table\n\n<!-- soak-section -->\n## Soak"));
        assert!(first.ends_with("<!-- soak:10m:start -->\nten\n<!-- soak:10m:end -->\n"));
        let both = splice(&first, "1h", "hour\n");
        let again = splice(&both, "10m", "ten again\n");
        assert_eq!(again.matches(SECTION).count(), 1);
        assert!(again.contains("<!-- soak:10m:start -->\nten again\n<!-- soak:10m:end -->"));
        assert!(again.contains("<!-- soak:1h:start -->\nhour\n<!-- soak:1h:end -->"));
        assert!(!again.contains("ten\n"));
        assert_eq!(image_name("10m"), "soak.svg");
        assert_eq!(image_name("1h"), "soak-1h.svg");
    }
}
