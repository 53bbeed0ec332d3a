//! `cargo xtask soak [--duration 10m] [--server PATH]`: the release status-server on loopback
//! for a long while under steady, bounded load, with its documents changing underneath it, and
//! a verdict.
//!
//! - Load (`client`): four clients, 25 requests per second each, over the document mix
//!   (`/status.json`, `/statuses.json`, one more document; with and without gzip; half of them
//!   with `If-None-Match`); three keep their connection, one opens a new one per request.
//!   Every body is checked: one complete, valid document (or an array of them), and an ETag
//!   never names two bodies.
//! - Churn (`world`): a kubelet-style swap of the whole volume every second (every tenth breaks
//!   one document, which the server must not serve), and a `statusctl push` through the fake
//!   API server every five seconds. A server with a ConfigMap watch source (`--kube-configmap`
//!   in its `--help`) watches the pushed ConfigMap in the fake, and must serve each push within
//!   5 s; one without it watches the directory only, and the push lands in the fake.
//! - Samples every 10 s (`verdict`): the server's resident memory, open file descriptors and
//!   threads from `/proc`, and the clients' answers, errors, p50 and p99.
//! - Verdict: fails on any client error or failed push, descriptor growth, or resident memory
//!   growing by more than 1 MiB after the warm-up. The samples are drawn into
//!   `docs/images/soak*.svg` (`chart`) and summarised in docs/benchmarks.md (`report`).
//!
//! Loopback only; every loop is bounded by the run's deadline.

mod chart;
mod client;
mod report;
mod verdict;
mod world;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::host::{ChildProcess, build_release, free_port, http_get, start_fake_apiserver};
use crate::{project_root, target_dir};

use self::client::{Client, Tally};
use self::verdict::{Sample, quantile, read_proc};
use self::world::{Pusher, Volume, every, wait_for};

pub(crate) use self::report::SECTION;

/// How a soak runs.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) duration: Duration,
    pub(crate) sample_every: Duration,
    pub(crate) warmup: Duration,
    pub(crate) clients: usize,
    /// Per client.
    pub(crate) requests_per_second: f64,
    pub(crate) swap_every: Duration,
    pub(crate) push_every: Duration,
}

impl Plan {
    /// The plan of `cargo xtask soak --duration <duration>`.
    pub(crate) fn for_duration(duration: Duration) -> Plan {
        Plan {
            duration,
            sample_every: Duration::from_secs(10),
            // Long enough for the allocator and the caches to settle; a fifth of a short run.
            warmup: Duration::from_secs(60).min(duration / 5),
            clients: 4,
            requests_per_second: 25.0,
            swap_every: Duration::from_secs(1),
            push_every: Duration::from_secs(5),
        }
    }
}

/// The three programs a soak runs.
pub(crate) struct Binaries {
    pub(crate) server: PathBuf,
    pub(crate) statusctl: PathBuf,
    pub(crate) fake_apiserver: PathBuf,
}

/// What a soak saw.
pub(crate) struct Outcome {
    pub(crate) plan: Plan,
    pub(crate) samples: Vec<Sample>,
    pub(crate) ok: u64,
    pub(crate) not_modified: u64,
    pub(crate) errors: u64,
    /// p50 and p99 over the whole run, in milliseconds.
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
    pub(crate) max_ms: f64,
    pub(crate) swaps: u64,
    pub(crate) pushes: u64,
    pub(crate) pushes_failed: u64,
    pub(crate) push_median_ms: f64,
    /// With a watching server: the median time from a push to its being served.
    pub(crate) push_served_median_ms: Option<f64>,
    /// Everything that failed the soak (empty: it passed).
    pub(crate) failures: Vec<String>,
}

pub(crate) fn run(args: &[String]) -> Result<()> {
    let mut duration = Duration::from_secs(600);
    let mut label = "10m".to_owned();
    let mut server = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--duration" => {
                let value = args.next().context("--duration needs a value (10m, 1h)")?;
                duration = status_core::duration::parse(value)
                    .with_context(|| format!("--duration {value}"))?;
                label = value.clone();
            }
            // Another build of the server (a branch's, a debug build) in place of this tree's.
            "--server" => server = Some(PathBuf::from(args.next().context("--server PATH")?)),
            other => bail!(
                "unknown argument `{other}` (cargo xtask soak [--duration 10m] [--server PATH])"
            ),
        }
    }
    let release = build_release(&["status-server", "statusctl", "fake-apiserver"])?;
    let binaries = Binaries {
        server: server.unwrap_or_else(|| release.join("status-server")),
        statusctl: release.join("statusctl"),
        fake_apiserver: release.join("fake-apiserver"),
    };
    let plan = Plan::for_duration(duration);
    eprintln!("soak: {label}, {plan:?}");
    // One work directory per run length: a soak empties its own when it starts.
    let outcome = soak(&binaries, &plan, &target_dir().join("soak").join(&label))?;
    let image = report::image_name(&label);
    let images = project_root().join("docs/images");
    std::fs::create_dir_all(&images)?;
    chart::draw(
        &images.join(&image),
        &outcome.samples,
        plan.warmup.as_secs_f64(),
        &format!(
            "status-server soak, {label}: {}",
            report::verdict_word(&outcome)
        ),
    )?;
    let section = report::section(&label, &image, &outcome);
    println!("{section}");
    report::write_into_benchmarks(&label, &section)?;
    if !outcome.failures.is_empty() {
        bail!("the soak failed:\n- {}", outcome.failures.join("\n- "));
    }
    eprintln!("soak: passed");
    Ok(())
}

/// Runs one soak in `work` (emptied first) and judges it.
pub(crate) fn soak(binaries: &Binaries, plan: &Plan, work: &Path) -> Result<Outcome> {
    drop(std::fs::remove_dir_all(work));
    std::fs::create_dir_all(work)?;
    let mut volume = Volume::create(&work.join("volume"))?;

    // The fake API server, for the pushes.
    let kubeconfig = work.join("kubeconfig");
    let _fake = start_fake_apiserver(&binaries.fake_apiserver, &kubeconfig)?;

    // The server, as the chart runs it but on loopback: one worker (a 100m pod).
    let port = free_port()?;
    let log = std::fs::File::create(work.join("status-server.log"))?;
    let mut server = ChildProcess::new(
        Command::new(&binaries.server)
            .arg("--dir")
            .arg(&volume.dir)
            .args(["--listen", &format!("127.0.0.1:{port}"), "--workers", "1"])
            .args(watch_args(&binaries.server, &kubeconfig)?)
            .env("STATUS_SERVER_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .context("cannot start status-server")?,
    );
    let base = format!("http://127.0.0.1:{port}");
    let watching = !watch_args(&binaries.server, &kubeconfig)?.is_empty();
    wait_for(
        "status-server serving /status.json",
        Duration::from_secs(15),
        || http_get(&format!("{base}/status.json"), &[]).is_ok_and(|r| r.status == 200),
    )?;
    let pid = server.id();

    let started = Instant::now();
    let deadline = started + plan.duration;
    let tally = Arc::new(Mutex::new(Tally::default()));
    let addr = format!("127.0.0.1:{port}").parse()?;
    let mut pusher = Pusher {
        statusctl: binaries.statusctl.clone(),
        kubeconfig,
        work: work.to_owned(),
        pushes: 0,
        failed: 0,
        first_failures: Vec::new(),
        times_ms: Vec::new(),
        served_at: watching.then(|| format!("{base}/status/{}", world::PUSHED_KEY)),
        served_ms: Vec::new(),
    };
    let (samples, all_latencies) = std::thread::scope(|scope| -> Result<_> {
        for index in 0..plan.clients {
            let client = Client {
                addr,
                keep_alive: index != 0,
                requests_per_second: plan.requests_per_second,
                index,
            };
            let tally = Arc::clone(&tally);
            scope.spawn(move || client.run(deadline, &tally));
        }
        let swaps = scope.spawn(|| every(plan.swap_every, deadline, || volume.swap()));
        let pushes = scope.spawn(|| every(plan.push_every, deadline, || pusher.push()));
        let sampled = sample(pid, plan, started, deadline, &tally, &mut server);
        swaps
            .join()
            .map_err(|_| anyhow::anyhow!("the swapper panicked"))??;
        pushes
            .join()
            .map_err(|_| anyhow::anyhow!("the pusher panicked"))??;
        sampled
    })?;
    server.stop();

    let tally = tally.lock().unwrap_or_else(|p| p.into_inner());
    let mut latencies = all_latencies;
    let ms = |us: u64| us as f64 / 1000.0;
    let failures = verdict::failures(
        &samples,
        plan.warmup,
        plan.clients as u64,
        &tally.first_errors,
        tally.errors,
        &pusher.first_failures,
        pusher.failed,
    );
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied()
    };
    Ok(Outcome {
        plan: plan.clone(),
        p50_ms: ms(quantile(&mut latencies, 0.5)),
        p99_ms: ms(quantile(&mut latencies, 0.99)),
        max_ms: ms(quantile(&mut latencies, 1.0)),
        samples,
        ok: tally.ok,
        not_modified: tally.not_modified,
        errors: tally.errors,
        swaps: volume.swaps,
        pushes: pusher.pushes,
        pushes_failed: pusher.failed,
        push_median_ms: median(pusher.times_ms.clone()).unwrap_or(0.0),
        push_served_median_ms: median(pusher.served_ms.clone()),
        failures,
    })
}

/// The flags that make the server watch the pushed ConfigMap in the fake API server, when it
/// has a ConfigMap watch source (`--kube-configmap`); none when it watches files only.
fn watch_args(server: &Path, kubeconfig: &Path) -> Result<Vec<std::ffi::OsString>> {
    let help = Command::new(server)
        .arg("--help")
        .output()
        .context("cannot run status-server --help")?;
    if !String::from_utf8_lossy(&help.stdout).contains("--kube-configmap") {
        return Ok(Vec::new());
    }
    let mut args: Vec<std::ffi::OsString> = ["--kube-configmap", world::LIVE_CONFIGMAP]
        .into_iter()
        .chain(["--kube-namespace", "default", "--kubeconfig"])
        .map(Into::into)
        .collect();
    args.push(kubeconfig.into());
    Ok(args)
}

/// Samples the server every interval until the deadline: (samples, every latency in µs).
/// The clients' tally is drained each time, so each sample covers its own interval.
fn sample(
    pid: u32,
    plan: &Plan,
    started: Instant,
    deadline: Instant,
    tally: &Mutex<Tally>,
    server: &mut ChildProcess,
) -> Result<(Vec<Sample>, Vec<u64>)> {
    let mut samples = Vec::new();
    let mut all = Vec::new();
    let mut next = started + plan.sample_every;
    while next <= deadline {
        let now = Instant::now();
        if next > now {
            std::thread::sleep(next - now);
        }
        next += plan.sample_every;
        if let Some(status) = server.try_wait()? {
            bail!("status-server exited during the soak ({status})");
        }
        let (rss_kib, fds, threads) =
            read_proc(pid).context("cannot read the server's /proc entries")?;
        let drained = tally.lock().unwrap_or_else(|p| p.into_inner()).drain();
        let mut interval = drained.latencies_us;
        let sample = Sample {
            at_s: started.elapsed().as_secs_f64(),
            rss_kib,
            fds,
            threads,
            answered: interval.len() as u64,
            errors: drained.errors,
            p50_ms: quantile(&mut interval, 0.5) as f64 / 1000.0,
            p99_ms: quantile(&mut interval, 0.99) as f64 / 1000.0,
        };
        eprintln!(
            "soak: {:>5.0}s rss {} KiB, fds {}, threads {}, {} answered, {} errors, p50 {:.2} ms, p99 {:.2} ms",
            sample.at_s,
            rss_kib,
            fds,
            threads,
            sample.answered,
            sample.errors,
            sample.p50_ms,
            sample.p99_ms
        );
        all.extend(interval);
        samples.push(sample);
    }
    Ok((samples, all))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The debug builds of the three programs. Built by the very command `cargo xtask ci` runs
    /// (`cargo test --workspace --all-targets`), so that there it finds them built; any other
    /// selection of packages unifies features differently and would build them again
    /// (`cargo()` leaves out the variables cargo set for this test, for the same reason).
    fn debug_binaries() -> Binaries {
        let mut cargo = crate::cargo();
        let status = cargo
            .args([
                "test",
                "--quiet",
                "--workspace",
                "--all-targets",
                "--no-run",
            ])
            .current_dir(project_root())
            .status()
            .unwrap();
        assert!(status.success());
        let debug = target_dir().join("debug");
        Binaries {
            server: debug.join("status-server"),
            statusctl: debug.join("statusctl"),
            fake_apiserver: debug.join("fake-apiserver"),
        }
    }

    /// The soak's whole machinery for a few seconds, faster: clients, kubelet-style swaps
    /// (with the broken document), pushes, samples. What `cargo xtask ci` checks of the soak;
    /// growth is judged by the unit tests of `verdict` and by real runs, not by seconds of a
    /// debug build.
    #[test]
    fn a_short_soak_sees_no_error() {
        let plan = Plan {
            duration: Duration::from_secs(8),
            sample_every: Duration::from_secs(1),
            warmup: Duration::from_secs(2),
            clients: 3,
            requests_per_second: 20.0,
            swap_every: Duration::from_millis(200),
            push_every: Duration::from_secs(2),
        };
        let work = tempfile::tempdir().unwrap();
        let outcome = soak(&debug_binaries(), &plan, work.path()).unwrap();
        let growth_aside: Vec<&String> = outcome
            .failures
            .iter()
            .filter(|f| !f.contains("grew"))
            .collect();
        assert!(growth_aside.is_empty(), "{growth_aside:#?}");
        assert_eq!((outcome.errors, outcome.pushes_failed), (0, 0));
        assert!(outcome.ok > 200, "only {} answered", outcome.ok);
        assert!(outcome.not_modified > 5, "{} 304s", outcome.not_modified);
        assert!(outcome.swaps >= 30, "{} swaps", outcome.swaps);
        assert!(outcome.pushes >= 3, "{} pushes", outcome.pushes);
        assert_eq!(outcome.samples.len(), 8);
        assert!(outcome.samples.iter().all(|s| s.rss_kib > 0 && s.fds > 3));
    }
}
