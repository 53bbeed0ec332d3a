//! `cargo xtask bench live`: how long a change takes to be served, through the watch of the
//! ConfigMap (a `statusctl push` to the fake API server) and through a kubelet-style volume
//! swap (the `..data` rename), 50 changes each, written into docs/benchmarks.md between
//! markers (which `bench server` keeps when it rewrites the file).
//!
//! Both are measured from the moment the change is where the server reads it (the push has
//! returned: the API server holds it; the rename is done) to the first response carrying it,
//! polling over fresh connections. In a cluster the volume path has kubelet's sync (60-120 s)
//! in front of the swap; the watch path has nothing in front of it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::host::{ChildProcess, build_release, free_port, http_get, start_fake_apiserver};
use crate::target_dir;

/// The markers of the section in docs/benchmarks.md.
pub(crate) const START: &str = "<!-- bench-live:start -->";
pub(crate) const END: &str = "<!-- bench-live:end -->";

/// How many changes each path is timed over.
const CHANGES: usize = 50;
/// How long one change may take before the run fails.
const GIVE_UP: Duration = Duration::from_secs(30);

pub(crate) fn run() -> Result<()> {
    let release = build_release(&["status-server", "statusctl", "fake-apiserver"])?;
    let work = target_dir().join("bench-live");
    drop(std::fs::remove_dir_all(&work));
    std::fs::create_dir_all(&work)?;

    let watch = through_the_watch(&release, &work)?;
    let volume = through_a_volume_swap(&release.join("status-server"), &work)?;
    let section = render(&watch, &volume)?;
    println!("\n{section}");
    super::write_section(START, END, &section)
}

/// What one path measured: each change's latency, sorted, in milliseconds.
struct Latencies {
    samples_ms: Vec<f64>,
    /// For the watch: the median wall time of the `statusctl push` processes themselves.
    push_ms: Option<f64>,
}

impl Latencies {
    fn percentile(&self, p: f64) -> f64 {
        let n = self.samples_ms.len();
        if n == 0 {
            return f64::NAN;
        }
        // Nearest rank.
        let rank = ((p / 100.0) * n as f64).ceil().max(1.0) as usize;
        self.samples_ms[rank.min(n) - 1]
    }
}

/// A document with a marker (its revision) and a `last_check` that moves forward, as
/// successive pipelines push (`statusctl push` refuses an older one).
fn document(i: usize) -> String {
    format!(
        "{{\n  \"repo\": \"production-apps\",\n  \"server\": \"prod-cluster-01\",\n  \"sync_status\": \"SYNCED\",\n  \"revision\": \"rev-{i}\",\n  \"drift_count\": 0,\n  \"files\": [],\n  \"last_check\": \"2026-04-21T{:02}:{:02}:00Z\"\n}}\n",
        10 + i / 60,
        i % 60
    )
}

/// Waits until `url` serves a body containing `marker`; the time it took from `since`.
fn served(url: &str, marker: &str, since: Instant) -> Result<Duration> {
    loop {
        if let Ok(response) = http_get(url, &[])
            && response.status == 200
            && String::from_utf8_lossy(&response.body).contains(marker)
        {
            return Ok(since.elapsed());
        }
        if since.elapsed() > GIVE_UP {
            bail!("{marker} was not served at {url} within {GIVE_UP:?}");
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn start_server(binary: &Path, args: &[&str], port: u16) -> Result<ChildProcess> {
    let child = Command::new(binary)
        .env_clear()
        .args(args)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--workers", "1", "--rescan-interval", "1h"])
        .env("STATUS_SERVER_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .context("cannot start status-server")?;
    Ok(ChildProcess::new(child))
}

fn through_the_watch(release: &Path, work: &Path) -> Result<Latencies> {
    let kubeconfig = work.join("kubeconfig");
    let _fake = start_fake_apiserver(&release.join("fake-apiserver"), &kubeconfig)?;
    let home = work.join("home");
    std::fs::create_dir_all(&home)?;
    let push = |i: usize| -> Result<Duration> {
        let path: PathBuf = work.join(format!("push-{i}.json"));
        std::fs::write(&path, document(i))?;
        let started = Instant::now();
        let status = Command::new(release.join("statusctl"))
            .env_clear()
            .env("HOME", &home)
            .env("KUBECONFIG", &kubeconfig)
            .args(["push", "--configmap", "bench-live"])
            .arg(&path)
            .stdout(Stdio::null())
            .status()
            .context("cannot run statusctl push")?;
        if !status.success() {
            bail!("statusctl push failed ({status})");
        }
        Ok(started.elapsed())
    };
    push(0)?;
    let port = free_port()?;
    let kubeconfig_arg = kubeconfig.display().to_string();
    let mut server = start_server(
        &release.join("status-server"),
        &[
            "--kube-configmap",
            "bench-live",
            "--kubeconfig",
            &kubeconfig_arg,
            "--kube-namespace",
            "default",
        ],
        port,
    )?;
    let url = format!("http://127.0.0.1:{port}/status.json");
    served(&url, "rev-0", Instant::now())?;
    let mut samples = Vec::new();
    let mut pushes = Vec::new();
    for i in 1..=CHANGES {
        pushes.push(push(i)?.as_secs_f64() * 1000.0);
        // The push has returned: the API server holds the change.
        let latency = served(&url, &format!("rev-{i}\""), Instant::now())?;
        samples.push(latency.as_secs_f64() * 1000.0);
        std::thread::sleep(Duration::from_millis(50));
    }
    server.stop();
    samples.sort_by(f64::total_cmp);
    pushes.sort_by(f64::total_cmp);
    Ok(Latencies {
        samples_ms: samples,
        push_ms: pushes.get(pushes.len() / 2).copied(),
    })
}

/// Kubelet's update of a ConfigMap volume: a new timestamped directory, a `..data_tmp` link to
/// it, renamed over `..data`.
fn through_a_volume_swap(binary: &Path, work: &Path) -> Result<Latencies> {
    let dir = work.join("volume");
    std::fs::create_dir_all(&dir)?;
    let stage = |i: usize| -> Result<String> {
        let ts = format!("..2026_11_24_11_00_00.{i:09}");
        std::fs::create_dir(dir.join(&ts))?;
        std::fs::write(dir.join(&ts).join("status.json"), document(i))?;
        drop(std::fs::remove_file(dir.join("..data_tmp")));
        std::os::unix::fs::symlink(&ts, dir.join("..data_tmp"))?;
        Ok(ts)
    };
    let mut previous = stage(0)?;
    std::fs::rename(dir.join("..data_tmp"), dir.join("..data"))?;
    std::os::unix::fs::symlink("..data/status.json", dir.join("status.json"))?;
    let port = free_port()?;
    let dir_arg = dir.display().to_string();
    let mut server = start_server(binary, &["--dir", &dir_arg], port)?;
    let url = format!("http://127.0.0.1:{port}/status.json");
    served(&url, "rev-0", Instant::now())?;
    let mut samples = Vec::new();
    for i in 1..=CHANGES {
        let ts = stage(i)?;
        let swapped = Instant::now();
        std::fs::rename(dir.join("..data_tmp"), dir.join("..data"))?;
        let latency = served(&url, &format!("rev-{i}\""), swapped)?;
        samples.push(latency.as_secs_f64() * 1000.0);
        std::fs::remove_dir_all(dir.join(&previous))?;
        previous = ts;
        std::thread::sleep(Duration::from_millis(50));
    }
    server.stop();
    samples.sort_by(f64::total_cmp);
    Ok(Latencies {
        samples_ms: samples,
        push_ms: None,
    })
}

fn render(watch: &Latencies, volume: &Latencies) -> Result<String> {
    let mut out = String::new();
    writeln!(out, "## Push-to-served latency (issue 9)")?;
    writeln!(out)?;
    writeln!(
        out,
        "Generated by `cargo xtask bench live` (xtask/src/bench/live.rs); {CHANGES} changes per path, one `status.json` of about 250 bytes, status-server with `--workers 1`, polling `/status.json` every millisecond over fresh connections. Each latency runs from the moment the change is where the server reads it to the first response carrying it: for the watch, from `statusctl push` returning (the fake API server, over HTTPS, holds the write); for the volume, from kubelet's `..data` rename. In a cluster, kubelet's own sync (60-120 s) comes before that rename; nothing comes before the watch's event."
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "| path | min | p50 | p95 | max | target p95 < 1 s (goal < 100 ms) |"
    )?;
    writeln!(out, "| --- | ---: | ---: | ---: | ---: | --- |")?;
    for (name, l) in [
        ("watch (`--kube-configmap`)", watch),
        ("volume swap (`--dir`)", volume),
    ] {
        let p95 = l.percentile(95.0);
        let verdict = if p95 < 100.0 {
            "met, and the goal"
        } else if p95 < 1000.0 {
            "met"
        } else {
            "NOT met"
        };
        writeln!(
            out,
            "| {name} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | {verdict} |",
            l.percentile(0.0),
            l.percentile(50.0),
            p95,
            l.percentile(100.0),
        )?;
    }
    if let Some(push) = watch.push_ms {
        writeln!(out)?;
        writeln!(
            out,
            "The `statusctl push` processes themselves took {push:.1} ms (median; start, TLS, a GET and an apply). The watch path's latency is mostly the publisher's coalescing window (it waits 5 ms for the rest of a burst); the volume path adds the file source's own 15 ms wait for the rest of kubelet's swap."
        )?;
    }
    Ok(out)
}

/// The live section of the current docs/benchmarks.md, markers included, for `bench server`
/// to keep when it rewrites the file.
pub(crate) fn existing_section() -> Option<String> {
    super::existing_section(START, END)
}
