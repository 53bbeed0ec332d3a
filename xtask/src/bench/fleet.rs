//! `cargo xtask bench fleet`: status-server watching 2,000 Argo CD Applications of realistic
//! size (about 6 KB each, made from status-core's fixtures: `fleet/generate.rs`) in the fake
//! API server, while Argo CD's churn rewrites 20 of them a second. It measures what issue 10
//! asks of the chart's limits (100m CPU, 64 Mi), and writes the figures into
//! docs/benchmarks.md between markers:
//!
//! - the whole fleet served (`/statuses.json` holds every Application) after start: < 15 s;
//! - resident memory: < 48 MiB at its peak (`VmHWM`, the list and the churn included);
//! - the server's average CPU during 30 s of churn: < 0.10 core (nothing else asks it
//!   anything meanwhile);
//! - change-to-served during another 30 s of churn, from the fake's acknowledgement of the
//!   write to the first response carrying the new document (probing every 5 ms): p95 < 2 s,
//!   goal < 200 ms.
//!
//! The fake runs as a process of its own (`fleet/fake.rs`), so its CPU time (serving the list,
//! storing the writes, encoding the watch events) is measured apart, and reported too. After
//! the churn, what a person opening the pages costs: the first `/` (gzip) and the first page of
//! one document, each rendered by that request. The machine's load average is recorded with
//! the figures: on a shared machine they are noisy.

mod fake;
mod generate;

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use super::proc::{clock_ticks_per_second, cpu_ticks, vm_hwm_kib, vm_rss_kib};
use crate::host::{ChildProcess, build_release, free_port, http_get};
use crate::target_dir;
use fake::Fake;
use generate::NAMESPACE;

/// The markers of the section in docs/benchmarks.md.
const START: &str = "<!-- bench-fleet:start -->";
const END: &str = "<!-- bench-fleet:end -->";

/// How many Applications.
const FLEET: usize = 2000;
/// Changes per second.
const RATE: u32 = 20;
/// How long each phase of churn lasts.
const CHURN: Duration = Duration::from_secs(30);
/// How often a pending change is probed.
const PROBE_EVERY: Duration = Duration::from_millis(5);
/// How long the fleet, or one change, may take before the run fails.
const GIVE_UP: Duration = Duration::from_secs(60);
/// The resource, as the fake's commands name it.
const RESOURCE: &str = "applications.argoproj.io";

/// The targets (issue 10).
const TARGET_SERVED: Duration = Duration::from_secs(15);
const TARGET_RSS_MIB: f64 = 48.0;
const TARGET_CPU: f64 = 0.10;
const TARGET_P95: Duration = Duration::from_secs(2);
const GOAL_P95: Duration = Duration::from_millis(200);

pub(crate) fn run() -> Result<()> {
    let release = build_release(&["status-server", "fake-apiserver"])?;
    let work = target_dir().join("bench-fleet");
    drop(std::fs::remove_dir_all(&work));
    std::fs::create_dir_all(&work)?;

    let fixtures = generate::fixtures()?;
    let mut apps: Vec<Value> = (0..FLEET)
        .map(|i| generate::application(i, &fixtures))
        .collect();
    let written = apps.iter().map(|a| a.to_string().len()).sum::<usize>() / FLEET;
    let kubeconfig = work.join("kubeconfig");
    let mut fake = Fake::start(&release.join("fake-apiserver"), &kubeconfig, NAMESPACE)?;
    for app in &apps {
        fake.create(RESOURCE, app)?;
    }
    eprintln!("bench fleet: {FLEET} Applications of {written} bytes on average in the fake");

    let load_before = super::proc::load_average();
    let port = free_port()?;
    let started = Instant::now();
    let server = start_server(&release.join("status-server"), &kubeconfig, port)?;
    let pid = server.id();
    let served_after = wait_for_fleet(port, started)?;
    let rss_served = vm_rss_kib(pid);
    eprintln!("bench fleet: the fleet was served {served_after:?} after start");
    std::thread::sleep(Duration::from_secs(2));

    let mut churn = Churn {
        fake: &mut fake,
        apps: &mut apps,
        next: 1,
    };
    // Phase 1: churn alone, for the CPU it costs.
    let ticks = clock_ticks_per_second();
    let (server_before, fake_before) = (cpu_ticks(pid), cpu_ticks(churn.fake.process.id()));
    let quiet = churn.run(pid, None)?;
    let server_cpu = (cpu_ticks(pid) - server_before) as f64 / ticks / quiet.elapsed.as_secs_f64();
    let fake_cpu = (cpu_ticks(churn.fake.process.id()) - fake_before) as f64
        / ticks
        / quiet.elapsed.as_secs_f64();
    eprintln!("bench fleet: {server_cpu:.3} core during the churn (the fake: {fake_cpu:.3})");

    // Phase 2: churn with every change probed until served.
    let (probes, answers) = mpsc::channel();
    let (latencies, done) = mpsc::channel();
    let prober = std::thread::spawn(move || probe(port, &answers, &latencies));
    let probed = churn.run(pid, Some(&probes))?;
    drop(probes);
    let mut samples: Vec<Duration> = done.iter().collect::<Result<Vec<_>>>()?;
    let _ = prober.join();
    samples.sort();
    let pages = Pages::measure(port)?;
    let peak = vm_hwm_kib(pid);
    let load = (load_before, super::proc::load_average());

    let figures = Figures {
        written,
        served_after,
        rss_served,
        rss_churn: quiet.rss_max.max(probed.rss_max),
        peak,
        changes: quiet.changes,
        server_cpu,
        fake_cpu,
        samples,
        pages,
        load,
    };
    let section = render(&figures)?;
    println!("\n{section}");
    super::write_section(START, END, &section)
}

/// The fleet section of the current docs/benchmarks.md, for `bench server` to keep.
pub(crate) fn existing_section() -> Option<String> {
    super::existing_section(START, END)
}

fn start_server(binary: &Path, kubeconfig: &Path, port: u16) -> Result<ChildProcess> {
    let child = Command::new(binary)
        .env_clear()
        .args(["--argocd-namespace", NAMESPACE, "--kubeconfig"])
        .arg(kubeconfig)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        // One worker, as in the chart's 100m pod.
        .args(["--workers", "1"])
        .env("STATUS_SERVER_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .context("cannot start status-server")?;
    Ok(ChildProcess::new(child))
}

/// Waits until `/statuses.json` holds every Application; how long after `started` it did.
fn wait_for_fleet(port: u16, started: Instant) -> Result<Duration> {
    let url = format!("http://127.0.0.1:{port}/statuses.json");
    loop {
        if let Ok(response) = http_get(&url, &[])
            && response.status == 200
            && serde_json::from_slice::<Vec<Value>>(&response.body).is_ok_and(|a| a.len() == FLEET)
        {
            return Ok(started.elapsed());
        }
        if started.elapsed() > GIVE_UP {
            bail!("the fleet was not served within {GIVE_UP:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Argo CD's churn: [`RATE`] changes a second to the fleet in the fake.
struct Churn<'a> {
    fake: &'a mut Fake,
    apps: &'a mut [Value],
    /// The number of the next change.
    next: usize,
}

/// What one phase of churn did.
struct Phase {
    changes: usize,
    elapsed: Duration,
    /// The most resident memory sampled (once a second), in KiB.
    rss_max: u64,
}

/// A change to probe for: the Application, the document it must be served as, and when the
/// fake stored it.
type Probe = (String, String, Instant);

impl Churn<'_> {
    /// Changes the fleet for [`CHURN`], at [`RATE`] a second, on a fixed schedule; each
    /// change stored is sent to `probes` when there are any.
    fn run(&mut self, pid: u32, probes: Option<&mpsc::Sender<Probe>>) -> Result<Phase> {
        let interval = Duration::from_secs(1) / RATE;
        let started = Instant::now();
        let mut changes = 0;
        let mut rss_max = 0;
        while started.elapsed() < CHURN {
            let due = started + interval * changes as u32;
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            // A stride coprime with the fleet's size: every Application once before any twice,
            // so no change is overtaken by the next to the same one.
            let n = self.next;
            let i = (n * 7919) % self.apps.len();
            generate::change(&mut self.apps[i], n);
            let app = &self.apps[i];
            self.fake.replace(RESOURCE, app)?;
            let stored = Instant::now();
            if let Some(probes) = probes {
                let name = generate::name(i);
                let document = status_core::argocd::from_value(app, chrono::Utc::now())
                    .with_context(|| format!("{name} does not map"))?
                    .to_json_pretty();
                probes.send((name, document, stored))?;
            }
            self.next += 1;
            changes += 1;
            if changes % RATE as usize == 0 {
                rss_max = rss_max.max(vm_rss_kib(pid));
            }
        }
        Ok(Phase {
            changes,
            elapsed: started.elapsed(),
            rss_max,
        })
    }
}

/// Probes each change until it is served, every [`PROBE_EVERY`]; sends each latency.
fn probe(port: u16, changes: &mpsc::Receiver<Probe>, latencies: &mpsc::Sender<Result<Duration>>) {
    let mut pending: Vec<Probe> = Vec::new();
    let mut open = true;
    while open || !pending.is_empty() {
        loop {
            match changes.try_recv() {
                Ok(change) => pending.push(change),
                Err(mpsc::TryRecvError::Empty) => break,
                Err(mpsc::TryRecvError::Disconnected) => {
                    open = false;
                    break;
                }
            }
        }
        let mut still = Vec::new();
        for (name, document, stored) in pending {
            let url = format!("http://127.0.0.1:{port}/status/{name}.json");
            let served =
                http_get(&url, &[]).is_ok_and(|r| r.status == 200 && r.body == document.as_bytes());
            if served {
                let _ = latencies.send(Ok(stored.elapsed()));
            } else if stored.elapsed() > GIVE_UP {
                let _ = latencies.send(Err(anyhow::anyhow!(
                    "{name}'s change was not served within {GIVE_UP:?}"
                )));
                return;
            } else {
                still.push((name, document, stored));
            }
        }
        pending = still;
        std::thread::sleep(PROBE_EVERY);
    }
}

/// Everything the section reports.
struct Figures {
    /// The average size of an Application as written, in bytes.
    written: usize,
    served_after: Duration,
    /// Resident memory once the fleet was served, in KiB.
    rss_served: u64,
    /// The most resident memory sampled during the churn, in KiB.
    rss_churn: u64,
    /// The peak resident memory (`VmHWM`), in KiB.
    peak: u64,
    /// Changes in the CPU phase.
    changes: usize,
    /// Cores used on average during the churn.
    server_cpu: f64,
    fake_cpu: f64,
    /// Change-to-served, sorted.
    samples: Vec<Duration>,
    pages: Pages,
    /// The machine's 1-minute load average before and after.
    load: (String, String),
}

/// The first requests for the pages after the churn, each rendering what it serves.
struct Pages {
    /// `/` with gzip: the time to the whole answer, and its size.
    overview: (Duration, usize),
    /// `/status/<app>.html` of one Application.
    page: (Duration, usize),
}

impl Pages {
    fn measure(port: u16) -> Result<Self> {
        let get = |path: &str, headers: &[(&str, &str)]| -> Result<(Duration, usize)> {
            let started = Instant::now();
            let response = http_get(&format!("http://127.0.0.1:{port}{path}"), headers)?;
            let elapsed = started.elapsed();
            if response.status != 200 {
                bail!("GET {path}: {}", response.status);
            }
            Ok((elapsed, response.body.len()))
        };
        Ok(Self {
            overview: get("/", &[("Accept-Encoding", "gzip")])?,
            page: get(&format!("/status/{}.html", generate::name(7)), &[])?,
        })
    }
}

impl Figures {
    fn percentile(&self, p: f64) -> Duration {
        let n = self.samples.len();
        if n == 0 {
            return Duration::MAX;
        }
        // Nearest rank.
        let rank = ((p / 100.0) * n as f64).ceil().max(1.0) as usize;
        self.samples[rank.min(n) - 1]
    }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "NOT met" }
}

fn render(f: &Figures) -> Result<String> {
    let mut out = String::new();
    writeln!(out, "## Fleet scale (issue 10)")?;
    writeln!(out)?;
    writeln!(
        out,
        "Generated by `cargo xtask bench fleet` (xtask/src/bench/fleet.rs); the release status-server with `--argocd-namespace argocd --workers 1` against the fake API server (its own process, over HTTPS), holding {FLEET} Argo CD Applications of {} bytes on average as written (made from status-core's fixtures: 32 to 40 resources, history, an operation, conditions, labels and annotations). The churn is Argo CD's: {RATE} writes a second, each a new `reconciledAt` (every tenth also drifting or re-syncing a resource, which flips the sync status), for {} s with nothing else asking the server anything (CPU), then {} s more with every change probed every {} ms until served (latency, {} changes).",
        f.written,
        CHURN.as_secs(),
        CHURN.as_secs(),
        PROBE_EVERY.as_millis(),
        f.samples.len(),
    )?;
    writeln!(out)?;
    writeln!(out, "| what | measured | target | |")?;
    writeln!(out, "| --- | ---: | --- | --- |")?;
    writeln!(
        out,
        "| the whole fleet served after start | {:.2} s | < {} s | {} |",
        f.served_after.as_secs_f64(),
        TARGET_SERVED.as_secs(),
        verdict(f.served_after < TARGET_SERVED)
    )?;
    let peak = mib(f.peak);
    writeln!(
        out,
        "| resident memory at its peak (`VmHWM`) | {peak:.1} MiB | < {TARGET_RSS_MIB} MiB | {} |",
        verdict(peak < TARGET_RSS_MIB)
    )?;
    writeln!(
        out,
        "| resident memory once the fleet is served; the most during the churn | {:.1} MiB; {:.1} MiB | | |",
        mib(f.rss_served),
        mib(f.rss_churn)
    )?;
    writeln!(
        out,
        "| average CPU during the churn ({} changes) | {:.3} core | < {TARGET_CPU} core | {} |",
        f.changes,
        f.server_cpu,
        verdict(f.server_cpu < TARGET_CPU)
    )?;
    let p95 = f.percentile(95.0);
    let latency_verdict = if p95 < GOAL_P95 {
        "met, and the goal (< 200 ms)"
    } else {
        verdict(p95 < TARGET_P95)
    };
    writeln!(
        out,
        "| change-to-served p50 / p95 / max | {} / {} / {} | p95 < 2 s (goal < 200 ms) | {latency_verdict} |",
        ms(f.percentile(50.0)),
        ms(p95),
        ms(f.percentile(100.0))
    )?;
    writeln!(
        out,
        "| the fake API server's own CPU during the churn (not the server's) | {:.3} core | | |",
        f.fake_cpu
    )?;
    writeln!(
        out,
        "| after the churn, the first `/` (gzip, rendered and compressed by that request) | {}, {} KiB | | |",
        ms(f.pages.overview.0),
        f.pages.overview.1 / 1024
    )?;
    writeln!(
        out,
        "| the first page of one Application (`/status/<app>.html`, rendered by that request) | {}, {} KiB | | |",
        ms(f.pages.page.0),
        f.pages.page.1 / 1024
    )?;
    writeln!(
        out,
        "| the machine's load average (1 min) before and after, on {} CPUs | {} → {} | | |",
        std::thread::available_parallelism().map_or(0, usize::from),
        f.load.0,
        f.load.1
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "The peak is the first list: kube reads a list answer whole before it is parsed, and holds it twice for a moment, and the fake answers all {FLEET} Applications in one page, as it ignores `limit`; a real API server reading from etcd pages kube's list by 500. Each Application is reduced to its document as it is parsed: status-core keeps only the fields the mapping reads, and of `status.resources` only the entries that can be drift, so once the list is done the server holds {:.1} MiB. Under the churn each change costs a watch event's parse, the mapping, one document's validation, and one publication that merges that key and reassembles `/statuses.json` from cached parts (recompressing one chunk of about 32 documents). Nothing for people is rendered then: a document version's page, badges and overview card, its own gzip form, and the overview (at most once a second) are rendered by the first request that asks for them and kept while that version is served, so a fleet nobody is looking at costs no HTML, and one somebody is looking at costs the pages they open.",
        mib(f.rss_served)
    )?;
    Ok(out)
}
