//! `cargo xtask bench push`: the wall time of one `statusctl push` against the fake API server,
//! next to the seed's `kubectl create configmap --dry-run=client -o yaml | kubectl apply
//! --server-side -f -` against the same server; plus statusctl's binary size and cold start.
//!
//! Both run as a CI job runs them: a new process each time, over TLS with a bearer token. kubectl
//! is measured twice: with an empty discovery cache (a fresh CI runner, new HOME per run) and with
//! a warm one (same HOME). Each figure is the median of `BENCH_PUSH_RUNS` runs (default 15),
//! after one warm-up run. The table is printed and written into docs/ci.md between the
//! `bench-push` markers.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::host::{build_release, start_fake_apiserver};
use crate::{project_root, target_dir};

const START: &str = "<!-- bench-push:start -->";
const END: &str = "<!-- bench-push:end -->";

pub(crate) fn run() -> Result<()> {
    let runs: usize = std::env::var("BENCH_PUSH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(15)
        .max(3);
    // Installs the tools unless a directory of them is named, then finds kubectl where every
    // test finds it.
    if std::env::var_os(fake_apiserver::tools::TOOLS_ENV).is_none() {
        crate::tools::install()?;
    }
    let kubectl = fake_apiserver::tools::find("kubectl")?;
    let release = build_release(&["statusctl", "fake-apiserver"])?;
    let statusctl = release.join("statusctl");
    let work = target_dir().join("bench-push");
    drop(std::fs::remove_dir_all(&work));
    std::fs::create_dir_all(&work)?;
    let kubeconfig = work.join("kubeconfig");

    // Stopped when dropped, at the end of the benchmark or on an error.
    let _fake = start_fake_apiserver(&release.join("fake-apiserver"), &kubeconfig)?;

    // A new document per run (a later last_check each time), as successive pipelines push.
    let doc_for = |tool: &str, i: usize| -> Result<PathBuf> {
        let path = work.join(format!("{tool}-{i}.json"));
        std::fs::write(
            &path,
            format!(
                "{{\"repo\":\"production-apps\",\"server\":\"prod-cluster-01\",\"sync_status\":\"SYNCED\",\"drift_count\":0,\"files\":[],\"last_check\":\"2026-04-21T12:{:02}:{:02}Z\"}}\n",
                i / 60,
                i % 60
            ),
        )?;
        Ok(path)
    };
    let home = work.join("home");
    std::fs::create_dir_all(&home)?;

    let push = |doc: PathBuf| {
        let mut cmd = Command::new(&statusctl);
        cmd.env_clear()
            .env("HOME", &home)
            .env("KUBECONFIG", &kubeconfig)
            .args(["push", "--configmap", "bench-statusctl"])
            .arg(&doc);
        cmd
    };
    let seed = |home: &Path, doc: PathBuf| {
        let k = kubectl.display();
        let script = format!(
            "{k} create configmap bench-kubectl --from-file=status.json={} --dry-run=client -o yaml | {k} apply --server-side -f -",
            doc.display()
        );
        let mut cmd = Command::new("sh");
        cmd.env_clear()
            .env("HOME", home)
            .env("KUBECONFIG", &kubeconfig)
            .args(["-c", &script]);
        cmd
    };
    let version = || {
        let mut cmd = Command::new(&statusctl);
        cmd.env_clear().arg("--version");
        cmd
    };

    let statusctl_times = time(runs, |i| Ok(push(doc_for("statusctl", i)?)))?;
    // The runs really pushed: the stored document is the last run's.
    let stored = Command::new(&kubectl)
        .env_clear()
        .env("HOME", &home)
        .env("KUBECONFIG", &kubeconfig)
        .args([
            "get",
            "configmap",
            "bench-statusctl",
            "-o",
            "jsonpath={.data.status\\.json}",
        ])
        .output()?;
    let expected = std::fs::read_to_string(doc_for("statusctl", runs)?)?;
    if String::from_utf8_lossy(&stored.stdout).trim() != expected.trim() {
        bail!("after the statusctl runs the ConfigMap does not hold the last document pushed");
    }
    let warm_home = work.join("kubectl-warm");
    std::fs::create_dir_all(&warm_home)?;
    let kubectl_warm = time(runs, |i| Ok(seed(&warm_home, doc_for("warm", i)?)))?;
    let kubectl_cold = time(runs, |i| {
        let fresh = work.join(format!("kubectl-cold-{i}"));
        std::fs::create_dir_all(&fresh)?;
        Ok(seed(&fresh, doc_for("cold", i)?))
    })?;
    let cold_start = time(runs.max(20), |_| Ok(version()))?;
    let size = std::fs::metadata(&statusctl)?.len();

    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    let mut table = String::new();
    writeln!(
        table,
        "| What (median of {runs} runs, one process each, TLS + token) | Wall time | statusctl / it |"
    )?;
    writeln!(table, "| --- | ---: | ---: |")?;
    writeln!(
        table,
        "| `statusctl push` of a new document (GET, then apply of one key) | {} | |",
        ms(statusctl_times)
    )?;
    writeln!(
        table,
        "| seed: `kubectl create --dry-run=client -o yaml \\| kubectl apply --server-side -f -`, fresh discovery cache (a new CI runner) | {} | {:.2}x |",
        ms(kubectl_cold),
        ratio(statusctl_times, kubectl_cold)
    )?;
    writeln!(
        table,
        "| the same, warm discovery cache (same HOME) | {} | {:.2}x |",
        ms(kubectl_warm),
        ratio(statusctl_times, kubectl_warm)
    )?;
    writeln!(
        table,
        "| `statusctl --version` (cold start) | {} | |",
        ms(cold_start)
    )?;
    writeln!(table)?;
    writeln!(
        table,
        "statusctl release binary: {:.1} MiB ({size} bytes; TLS by rustls, no OpenSSL). Measured by `cargo xtask bench push` on {} cores.",
        size as f64 / 1024.0 / 1024.0,
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    )?;
    println!("\n{table}");
    write_into_docs(&table)
}

/// Runs `make(0)` to warm up, then `make(1..=runs)`; the median wall time. A failed run is an
/// error, not a figure.
fn time(runs: usize, mut make: impl FnMut(usize) -> Result<Command>) -> Result<Duration> {
    let mut times = Vec::with_capacity(runs);
    for i in 0..=runs {
        let mut cmd = make(i)?;
        cmd.stdout(Stdio::null()).stderr(Stdio::piped());
        let started = Instant::now();
        let out = cmd.output().context("cannot run the benchmarked command")?;
        let elapsed = started.elapsed();
        if !out.status.success() {
            bail!(
                "a benchmarked run failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        if i > 0 {
            times.push(elapsed);
        }
    }
    times.sort();
    Ok(times[times.len() / 2])
}

fn ratio(ours: Duration, theirs: Duration) -> f64 {
    ours.as_secs_f64() / theirs.as_secs_f64().max(f64::MIN_POSITIVE)
}

/// Replaces the text between the markers in docs/ci.md.
fn write_into_docs(table: &str) -> Result<()> {
    let path = project_root().join("docs/ci.md");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let (Some(start), Some(end)) = (text.find(START), text.find(END)) else {
        eprintln!("docs/ci.md has no {START} ... {END} markers; not updated");
        return Ok(());
    };
    let updated = format!("{}{START}\n{table}{}", &text[..start], &text[end..]);
    std::fs::write(&path, updated)?;
    eprintln!("wrote the figures into {}", path.display());
    Ok(())
}
