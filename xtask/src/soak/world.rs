//! What changes around the server during a soak: its documents, swapped the way kubelet updates
//! a ConfigMap volume (a new timestamped directory, a `..data_tmp` symlink to it renamed over
//! `..data`, the old directory removed), and pushes through the fake API server
//! (`statusctl push`, server-side apply of one key), as CI pipelines make them; with a server
//! that watches the pushed ConfigMap, each push must be served within seconds.
//!
//! Every tenth swap writes an invalid `team-c.json`: the server must keep serving the last
//! good one (the clients check every body), as it does when someone breaks a ConfigMap.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// The keys of the soak's ConfigMap volume.
pub(crate) const KEYS: [&str; 4] = ["status.json", "team-a.json", "team-b.json", "team-c.json"];

/// A valid document whose size and content change with `n` (a few hundred bytes to ~3 KiB).
pub(crate) fn document(key: &str, n: u64) -> String {
    let files: Vec<String> = (0..n % 60)
        .map(|i| format!("\"apps/{key}/manifest-{i:03}.yaml\""))
        .collect();
    let sync = if files.is_empty() {
        "SYNCED"
    } else {
        "OUT_OF_SYNC"
    };
    format!(
        "{{\n  \"repo\": \"soak-{key}\",\n  \"server\": \"soak-cluster\",\n  \"sync_status\": \"{sync}\",\n  \"drift_count\": {},\n  \"files\": [{}],\n  \"revision\": \"rev-{n}\",\n  \"last_check\": \"2026-11-24T{:02}:{:02}:{:02}Z\"\n}}\n",
        files.len(),
        files.join(", "),
        (n / 3600) % 24,
        (n / 60) % 60,
        n % 60
    )
}

/// How many swaps a key's document stays the same for.
fn changes_every(key: &str) -> u64 {
    match key {
        "team-a.json" => 10,
        "team-b.json" => 3,
        _ => 1,
    }
}

/// A kubelet-style ConfigMap volume.
pub(crate) struct Volume {
    pub(crate) dir: PathBuf,
    current: Option<String>,
    /// Swaps made so far.
    pub(crate) swaps: u64,
}

impl Volume {
    /// Lays out the first version: `..<ts>/`, `..data -> ..<ts>`, and a symlink per key.
    pub(crate) fn create(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let mut volume = Volume {
            dir: dir.to_owned(),
            current: None,
            swaps: 0,
        };
        volume.swap()?;
        for key in KEYS {
            std::os::unix::fs::symlink(format!("..data/{key}"), dir.join(key))
                .with_context(|| format!("linking {key}"))?;
        }
        Ok(volume)
    }

    /// Writes the next version and swaps it in atomically, as kubelet does.
    pub(crate) fn swap(&mut self) -> Result<()> {
        let n = self.swaps;
        let version = format!("..2026_11_24_00_00_00.{n:09}");
        let new = self.dir.join(&version);
        std::fs::create_dir(&new).with_context(|| format!("creating {}", new.display()))?;
        for key in KEYS {
            let text = if key == "team-c.json" && n % 10 == 9 {
                // Broken by hand: the server must keep the last good team-c.json.
                "{\"repo\": \"soak-team-c\", \"sync_status\": \"BOGUS\"".to_owned()
            } else {
                // As with a real ConfigMap, most keys stay the same between most updates
                // (so conditional requests get 304s), and some change every time.
                document(key, n / changes_every(key))
            };
            std::fs::write(new.join(key), text)?;
        }
        let tmp = self.dir.join("..data_tmp");
        drop(std::fs::remove_file(&tmp));
        std::os::unix::fs::symlink(&version, &tmp)?;
        std::fs::rename(&tmp, self.dir.join("..data"))
            .context("renaming ..data_tmp over ..data")?;
        if let Some(old) = self.current.replace(version) {
            std::fs::remove_dir_all(self.dir.join(old))?;
        }
        self.swaps += 1;
        Ok(())
    }
}

/// `statusctl push` to the fake API server: a new document each time, to one key.
pub(crate) struct Pusher {
    pub(crate) statusctl: PathBuf,
    pub(crate) kubeconfig: PathBuf,
    pub(crate) work: PathBuf,
    pub(crate) pushes: u64,
    pub(crate) failed: u64,
    pub(crate) first_failures: Vec<String>,
    /// Wall time of each push, in milliseconds.
    pub(crate) times_ms: Vec<f64>,
    /// With a server that watches the pushed ConfigMap: the document's URL there. Each push
    /// must then be served within [`SERVED_WITHIN`].
    pub(crate) served_at: Option<String>,
    /// Time from a push's end to the server serving it, in milliseconds.
    pub(crate) served_ms: Vec<f64>,
}

/// How soon a watching server must serve a push (the chart promises "within a second").
pub(crate) const SERVED_WITHIN: Duration = Duration::from_secs(5);

/// The ConfigMap and key the soak pushes to.
pub(crate) const LIVE_CONFIGMAP: &str = "soak-live";
pub(crate) const PUSHED_KEY: &str = "pushed.json";

impl Pusher {
    /// Pushes the next document; a failed push is recorded, not returned.
    pub(crate) fn push(&mut self) -> Result<()> {
        let n = self.pushes;
        let file = self.work.join("push.json");
        std::fs::write(&file, document("pushed", n))?;
        let started = Instant::now();
        let out = Command::new(&self.statusctl)
            .env_clear()
            .env("HOME", &self.work)
            .env("KUBECONFIG", &self.kubeconfig)
            .args(["push", "--configmap", LIVE_CONFIGMAP, "--key", PUSHED_KEY])
            .arg(&file)
            .stdin(Stdio::null())
            .output()
            .context("cannot run statusctl push")?;
        self.times_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        self.pushes += 1;
        let failure = if !out.status.success() {
            Some(format!(
                "push {n}: {} {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        } else if let Some(url) = &self.served_at {
            let pushed = Instant::now();
            let marker = format!("\"revision\": \"rev-{n}\"");
            let served = wait_for("the push served", SERVED_WITHIN, || {
                crate::host::http_get(url, &[])
                    .is_ok_and(|r| String::from_utf8_lossy(&r.body).contains(&marker))
            });
            self.served_ms.push(pushed.elapsed().as_secs_f64() * 1000.0);
            served
                .err()
                .map(|_| format!("push {n} was not served within {SERVED_WITHIN:?}"))
        } else {
            None
        };
        if let Some(failure) = failure {
            self.failed += 1;
            if self.first_failures.len() < 20 {
                self.first_failures.push(failure);
            }
        }
        Ok(())
    }
}

/// Runs `every` until `deadline`, on a fixed schedule; an error ends it.
pub(crate) fn every(
    period: Duration,
    deadline: Instant,
    mut tick: impl FnMut() -> Result<()>,
) -> Result<()> {
    let mut next = Instant::now() + period;
    while next < deadline {
        let now = Instant::now();
        if next > now {
            std::thread::sleep(next - now);
        }
        tick()?;
        next += period;
    }
    Ok(())
}

/// Waits until `probe` answers, for at most `limit`.
pub(crate) fn wait_for(what: &str, limit: Duration, mut probe: impl FnMut() -> bool) -> Result<()> {
    let deadline = Instant::now() + limit;
    while !probe() {
        if Instant::now() > deadline {
            bail!("{what} did not happen within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_valid_and_vary() {
        let sizes: Vec<usize> = (0..120).map(|n| document("team-a.json", n).len()).collect();
        for n in 0..120 {
            assert!(status_core::validate(document("team-a.json", n).as_bytes()).is_valid());
        }
        assert!(sizes.iter().min() < Some(&300) && sizes.iter().max() > Some(&2000));
    }

    #[test]
    fn a_swap_is_kubelet_s_atomic_rename() {
        let dir = tempfile::tempdir().unwrap();
        let mut volume = Volume::create(dir.path()).unwrap();
        let read = |key: &str| std::fs::read_to_string(dir.path().join(key)).unwrap();
        assert!(read("status.json").contains("rev-0"));
        for _ in 0..10 {
            volume.swap().unwrap();
        }
        assert!(read("status.json").contains("rev-10"));
        // The tenth version (n = 9) broke team-c.json; the next one mended it.
        assert!(status_core::validate(read("team-c.json").as_bytes()).is_valid());
        // One version directory left, `..data` pointing at it, no `..data_tmp`.
        let versions: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("..2026"))
            .collect();
        assert_eq!(versions.len(), 1);
        assert_eq!(
            std::fs::read_link(dir.path().join("..data")).unwrap(),
            Path::new(&versions[0])
        );
        assert!(!dir.path().join("..data_tmp").exists());
    }
}
