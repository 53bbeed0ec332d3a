//! Command-line flags and `STATUS_SERVER_*` environment variables, and the defaults that depend
//! on the machine (the worker count from the cgroup CPU quota).

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{ArgGroup, Parser, ValueEnum};

/// How status-server is configured: every flag also reads a `STATUS_SERVER_*` variable.
///
/// ```
/// use status_server::Config;
/// let config = Config::try_parse_from(["status-server", "--file", "status.json", "--listen", "127.0.0.1:0"])?;
/// assert_eq!(config.listen, "127.0.0.1:0");
/// # Ok::<(), clap::Error>(())
/// ```
#[derive(Debug, Clone, Parser)]
#[command(
    name = "status-server",
    version,
    about = "Serves GitOps status documents over HTTP, reloads them live from a ConfigMap mount, \
             and exports Prometheus metrics."
)]
#[command(group(ArgGroup::new("source").required(true).multiple(true).args(["file", "dirs"])))]
pub struct Config {
    /// Serve this one file as the document `status.json` (whatever its own name is).
    #[arg(long, env = "STATUS_SERVER_FILE", value_name = "PATH")]
    pub file: Option<PathBuf>,

    /// Serve every `*.json` key of this directory (a ConfigMap mount). Repeatable; a later
    /// directory overrides an earlier one key by key. A missing directory is not an error: it is
    /// picked up when it appears. In the environment variable, separate directories by commas.
    #[arg(
        long = "dir",
        env = "STATUS_SERVER_DIR",
        value_name = "DIR",
        value_delimiter = ','
    )]
    pub dirs: Vec<PathBuf>,

    /// The address to listen on.
    #[arg(
        long,
        env = "STATUS_SERVER_LISTEN",
        value_name = "ADDR",
        default_value = "0.0.0.0:8080"
    )]
    pub listen: String,

    /// The log format: `text` for people, `json` for log pipelines.
    #[arg(
        long,
        env = "STATUS_SERVER_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Text
    )]
    pub log_format: LogFormat,

    /// Report a document as stale (`gitops_status_stale` = 1) when its `last_check` is older
    /// than this, such as `10m`, `1h` or `90s`.
    #[arg(long, env = "STATUS_SERVER_STALE_AFTER", value_name = "DURATION", value_parser = parse_duration)]
    pub stale_after: Option<Duration>,

    /// HTTP worker threads [default: the cgroup CPU quota rounded up, at least 1, at most the
    /// number of CPUs].
    #[arg(long, env = "STATUS_SERVER_WORKERS", value_name = "N", value_parser = parse_workers)]
    pub workers: Option<usize>,

    /// Re-read every directory this often even when no file event arrived (a fallback for
    /// file systems where inotify does not report changes).
    #[arg(
        long,
        env = "STATUS_SERVER_RESCAN_INTERVAL",
        value_name = "DURATION",
        value_parser = parse_duration,
        default_value = "10s"
    )]
    pub rescan_interval: Duration,
}

/// The log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

impl Config {
    /// Parses flags (and `STATUS_SERVER_*` variables) as the binary does; the first item is the
    /// program name. An inherent method, so callers need not import [`clap::Parser`].
    pub fn try_parse_from<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        <Self as Parser>::try_parse_from(args)
    }

    /// The number of HTTP workers: `--workers`, or the CPU quota of the cgroup.
    pub fn worker_count(&self) -> usize {
        self.workers.unwrap_or_else(default_workers)
    }
}

fn parse_workers(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if (1..=1024).contains(&n) => Ok(n),
        _ => Err(format!("`{s}` is not a worker count from 1 to 1024")),
    }
}

/// Parses a duration such as `90s`, `10m`, `1h`, `1d`, `500ms` or `1h30m`.
///
/// ```
/// use std::time::Duration;
/// assert_eq!(status_server::parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
/// assert_eq!(status_server::parse_duration("250ms"), Ok(Duration::from_millis(250)));
/// assert!(status_server::parse_duration("10").is_err());
/// ```
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let invalid =
        || format!("`{s}` is not a duration: use a number and a unit, such as 90s, 10m, 1h, 500ms");
    let mut rest = s.trim();
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total = Duration::ZERO;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .ok_or_else(invalid)?;
        if digits == 0 {
            return Err(invalid());
        }
        let number: u64 = rest[..digits].parse().map_err(|_| invalid())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ms" => Duration::from_millis(1),
            "s" => Duration::from_secs(1),
            "m" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            "d" => Duration::from_secs(86_400),
            _ => return Err(invalid()),
        };
        rest = &rest[unit_len..];
        let part = u32::try_from(number)
            .ok()
            .and_then(|n| unit.checked_mul(n))
            .ok_or_else(invalid)?;
        total = total.checked_add(part).ok_or_else(invalid)?;
    }
    Ok(total)
}

/// One worker per CPU the cgroup may use (rounded up, so a 100m pod gets one), never more than
/// the CPUs the process can run on.
fn default_workers() -> usize {
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    cgroup_cpu_limit(Path::new("/sys/fs/cgroup"))
        .map_or(cpus, |limit| limit.min(cpus))
        .max(1)
}

/// The CPU limit of the cgroup rooted at `root`, in whole CPUs rounded up; `None` when there is
/// no limit or no cgroup file system. Reads cgroup v2 `cpu.max`, then v1 `cpu.cfs_quota_us`.
pub(crate) fn cgroup_cpu_limit(root: &Path) -> Option<usize> {
    let read = |p: PathBuf| std::fs::read_to_string(p).ok();
    if let Some(max) = read(root.join("cpu.max")) {
        let mut parts = max.split_whitespace();
        let quota = parts.next()?.parse::<u64>().ok()?; // "max" means no limit
        let period = parts.next().and_then(|p| p.parse::<u64>().ok())?;
        return quota_to_cpus(quota, period);
    }
    for v1 in [root.join("cpu"), root.join("cpu,cpuacct")] {
        if let (Some(quota), Some(period)) = (
            read(v1.join("cpu.cfs_quota_us")),
            read(v1.join("cpu.cfs_period_us")),
        ) {
            let quota = quota.trim().parse::<i64>().ok()?; // -1 means no limit
            let period = period.trim().parse::<u64>().ok()?;
            return quota_to_cpus(u64::try_from(quota).ok()?, period);
        }
    }
    None
}

fn quota_to_cpus(quota: u64, period: u64) -> Option<usize> {
    if quota == 0 || period == 0 {
        return None;
    }
    usize::try_from(quota.div_ceil(period)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("1d"), Ok(Duration::from_secs(86_400)));
        for bad in ["", "s", "10", "10x", "-1s", "1.5h", "m10"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn cgroup_limits() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(cgroup_cpu_limit(dir.path()), None);
        std::fs::write(dir.path().join("cpu.max"), "max 100000\n").unwrap();
        assert_eq!(cgroup_cpu_limit(dir.path()), None);
        std::fs::write(dir.path().join("cpu.max"), "10000 100000\n").unwrap();
        assert_eq!(cgroup_cpu_limit(dir.path()), Some(1), "100m is one worker");
        std::fs::write(dir.path().join("cpu.max"), "250000 100000\n").unwrap();
        assert_eq!(cgroup_cpu_limit(dir.path()), Some(3));

        let v1 = tempfile::tempdir().unwrap();
        let cpu = v1.path().join("cpu");
        std::fs::create_dir(&cpu).unwrap();
        std::fs::write(cpu.join("cpu.cfs_quota_us"), "-1\n").unwrap();
        std::fs::write(cpu.join("cpu.cfs_period_us"), "100000\n").unwrap();
        assert_eq!(cgroup_cpu_limit(v1.path()), None);
        std::fs::write(cpu.join("cpu.cfs_quota_us"), "50000\n").unwrap();
        assert_eq!(cgroup_cpu_limit(v1.path()), Some(1));
    }

    #[test]
    fn env_dirs_are_comma_separated() {
        let config =
            Config::try_parse_from(["status-server", "--dir", "/a,/b", "--dir", "/c"]).unwrap();
        assert_eq!(
            config.dirs,
            [
                PathBuf::from("/a"),
                PathBuf::from("/b"),
                PathBuf::from("/c")
            ]
        );
        assert!(Config::try_parse_from(["status-server"]).is_err());
        assert!(
            Config::try_parse_from(["status-server", "--file", "f", "--workers", "0"]).is_err()
        );
    }
}
