//! The reload latency: how long status-server takes to serve a new document after kubelet's
//! atomic `..data` symlink swap, woken by inotify alone (the periodic re-scan is set to 1 h).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use super::document;
use super::sampling::Running;
use crate::host::{ChildProcess, free_port, http_get};

/// What the reload benchmark measured.
pub(super) struct ReloadLatency {
    /// Each swap's latency, sorted.
    pub(super) samples_ms: Vec<f64>,
    /// The RSS of this server (one small document, started and idle).
    pub(super) idle_rss_kib: u64,
}

/// Times kubelet-style updates: from the rename of `..data_tmp` over `..data` to the first GET
/// that returns the new document (polling over fresh connections).
pub(super) fn reload_latency(binary: &Path, work: &Path) -> Result<ReloadLatency> {
    let dir = work.join("reload");
    std::fs::create_dir_all(&dir)?;
    let write_version = |i: usize| -> Result<String> {
        let ts = format!("..2026_11_24_11_00_00.{i:09}");
        std::fs::create_dir(dir.join(&ts))?;
        let doc = document(200).replace(
            "\"drift_count\": 2",
            &format!("\"revision\": \"rev-{i}\",\n  \"drift_count\": 2"),
        );
        std::fs::write(dir.join(&ts).join("status.json"), doc)?;
        drop(std::fs::remove_file(dir.join("..data_tmp")));
        std::os::unix::fs::symlink(&ts, dir.join("..data_tmp"))?;
        Ok(ts)
    };
    let first = write_version(0)?;
    std::fs::rename(dir.join("..data_tmp"), dir.join("..data"))?;
    std::os::unix::fs::symlink("..data/status.json", dir.join("status.json"))?;
    let port = free_port()?;
    let child = Command::new(binary)
        .arg("--dir")
        .arg(&dir)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--workers", "1", "--rescan-interval", "1h"])
        .env("STATUS_SERVER_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()?;
    let mut server = Running {
        process: ChildProcess::new(child),
        port,
    };
    let url = format!("http://127.0.0.1:{port}/status.json");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !http_get(&url, &[]).is_ok_and(|r| r.status == 200) {
        if Instant::now() > deadline {
            bail!("status-server did not start for the reload benchmark");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    let idle_rss_kib = server.rss_kib();
    let mut previous = first;
    let mut samples = Vec::new();
    for i in 1..=20 {
        let ts = write_version(i)?;
        let marker = format!("rev-{i}");
        let swapped = Instant::now();
        std::fs::rename(dir.join("..data_tmp"), dir.join("..data"))?;
        loop {
            let response = http_get(&url, &[])?;
            if response.status == 200 && String::from_utf8_lossy(&response.body).contains(&marker) {
                break;
            }
            if swapped.elapsed() > Duration::from_secs(15) {
                bail!("update {i} was not served within 15 s");
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        samples.push(swapped.elapsed().as_secs_f64() * 1000.0);
        std::fs::remove_dir_all(dir.join(&previous))?;
        previous = ts;
        std::thread::sleep(Duration::from_millis(50));
    }
    server.stop();
    samples.sort_by(f64::total_cmp);
    Ok(ReloadLatency {
        samples_ms: samples,
        idle_rss_kib,
    })
}
