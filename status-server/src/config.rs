//! Command-line flags and `STATUS_SERVER_*` environment variables, and the defaults that depend
//! on the machine (the worker count from the cgroup CPU quota).

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{ArgGroup, Parser, ValueEnum};
use status_core::duration;
use status_kube::names;

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
    about = "Serves GitOps status documents over HTTP, reloads them live from ConfigMap mounts \
             or by watching ConfigMaps, serves Argo CD Applications as documents, and exports \
             Prometheus metrics."
)]
#[command(group(
    ArgGroup::new("source")
        .required(true)
        .multiple(true)
        .args(["file", "dirs", "kube_configmaps", "kube_selector", "argocd_namespace"])
))]
#[command(group(
    ArgGroup::new("configmaps")
        .multiple(true)
        .args(["kube_configmaps", "kube_selector"])
))]
#[command(group(
    ArgGroup::new("kube")
        .multiple(true)
        .args(["kube_configmaps", "kube_selector", "argocd_namespace"])
))]
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

    /// Watch this ConfigMap through the Kubernetes API and serve every `*.json` key of it.
    /// Repeatable; ConfigMaps override files, and a ConfigMap whose name sorts later overrides
    /// an earlier one key by key. In the environment variable, separate names by commas.
    #[arg(
        long = "kube-configmap",
        env = "STATUS_SERVER_KUBE_CONFIGMAP",
        value_name = "NAME",
        value_delimiter = ',',
        value_parser = names::parse_configmap_name
    )]
    pub kube_configmaps: Vec<String>,

    /// Watch every ConfigMap whose labels match this selector (such as
    /// `gitops-status.io/documents=true`) and serve every `*.json` key of each.
    #[arg(
        long,
        env = "STATUS_SERVER_KUBE_SELECTOR",
        value_name = "SELECTOR",
        value_parser = parse_selector
    )]
    pub kube_selector: Option<String>,

    /// The namespace of the watched ConfigMaps [default: the in-cluster service account's
    /// namespace, else the kubeconfig context's, else `default`].
    #[arg(
        long,
        env = "STATUS_SERVER_KUBE_NAMESPACE",
        value_name = "NS",
        value_parser = names::parse_namespace,
        requires = "configmaps"
    )]
    pub kube_namespace: Option<String>,

    /// Watch the Argo CD Applications of this namespace (such as `argocd`) and serve each as
    /// the document `<name>.json`, mapped from what Argo CD observed. Files and ConfigMaps win
    /// over these derived documents on a name clash.
    #[arg(
        long,
        env = "STATUS_SERVER_ARGOCD_NAMESPACE",
        value_name = "NS",
        value_parser = names::parse_namespace
    )]
    pub argocd_namespace: Option<String>,

    /// Watch only the Applications whose labels match this selector (such as
    /// `team=payments`). One selector (it may contain commas, so the variable is not split).
    #[arg(
        long,
        env = "STATUS_SERVER_ARGOCD_SELECTOR",
        value_name = "SELECTOR",
        value_parser = parse_selector,
        requires = "argocd_namespace"
    )]
    pub argocd_selector: Option<String>,

    /// The kubeconfig file [default: $KUBECONFIG, then ~/.kube/config, then the in-cluster
    /// service account].
    #[arg(
        long,
        env = "STATUS_SERVER_KUBECONFIG",
        value_name = "PATH",
        requires = "kube"
    )]
    pub kubeconfig: Option<PathBuf>,

    /// The kubeconfig context [default: its current context].
    #[arg(
        long,
        env = "STATUS_SERVER_KUBE_CONTEXT",
        value_name = "NAME",
        requires = "kube"
    )]
    pub kube_context: Option<String>,

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
    /// than this, such as `10m`, `1h30m` or `90` (seconds).
    #[arg(long, env = "STATUS_SERVER_STALE_AFTER", value_name = "DURATION", value_parser = duration::parse)]
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
        value_parser = duration::parse,
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

/// A label selector, as the API server takes it; checked there (a bad one is a 400 that the
/// log names), here only for what can never be one.
fn parse_selector(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.is_empty() || s.len() > 4096 || s.chars().any(char::is_control) {
        return Err(format!(
            "`{s}` is not a label selector (such as `gitops-status.io/documents=true`)"
        ));
    }
    Ok(s.to_owned())
}

fn parse_workers(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if (1..=1024).contains(&n) => Ok(n),
        _ => Err(format!("`{s}` is not a worker count from 1 to 1024")),
    }
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
    fn duration_flags_take_status_cores_grammar() {
        // `--flag=value`, so that clap takes `-1s` as a value, not as a flag.
        let parse = |flag: &str, value: &str| {
            Config::try_parse_from(["status-server", "--file", "f", &format!("{flag}={value}")])
        };
        // What this server and statusctl each accepted before they shared one grammar.
        for (text, seconds) in [
            ("90", 90.0),
            ("90s", 90.0),
            ("10m", 600.0),
            ("1h30m", 5400.0),
            ("250ms", 0.25),
            ("1d", 86_400.0),
        ] {
            let config = parse("--stale-after", text).unwrap();
            assert_eq!(
                config.stale_after.map(|d| d.as_secs_f64()),
                Some(seconds),
                "{text}"
            );
            let config = parse("--rescan-interval", text).unwrap();
            assert_eq!(config.rescan_interval.as_secs_f64(), seconds, "{text}");
        }
        for bad in ["", "s", "10x", "-1s", "1.5h", "m10", "1h30", "3651d"] {
            let err = parse("--stale-after", bad).unwrap_err().to_string();
            assert!(
                err.contains(&format!("`{bad}` is not a duration")),
                "{bad:?}: {err}"
            );
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
        // Kubernetes flags: ConfigMaps alone are a source; the client flags need a watch.
        let config = Config::try_parse_from([
            "status-server",
            "--kube-configmap",
            "a,b",
            "--kube-configmap",
            "c",
            "--kube-selector",
            "team in (a,b),tier=live",
        ])
        .unwrap();
        assert_eq!(config.kube_configmaps, ["a", "b", "c"]);
        assert_eq!(
            config.kube_selector.as_deref(),
            Some("team in (a,b),tier=live")
        );
        assert!(
            Config::try_parse_from(["status-server", "--file", "f", "--kube-namespace", "x"])
                .is_err()
        );
        assert!(Config::try_parse_from(["status-server", "--kube-configmap", "Bad_Name"]).is_err());
        // Applications alone are a source too, and take the client flags, but not
        // --kube-namespace (the ConfigMaps' namespace); their selector is never split.
        let config = Config::try_parse_from([
            "status-server",
            "--argocd-namespace",
            "argocd",
            "--argocd-selector",
            "team in (a,b),tier=prod",
            "--kube-context",
            "prod",
        ])
        .unwrap();
        assert_eq!(config.argocd_namespace.as_deref(), Some("argocd"));
        assert_eq!(
            config.argocd_selector.as_deref(),
            Some("team in (a,b),tier=prod")
        );
        for bad in [
            &["--argocd-namespace", "argocd", "--kube-namespace", "x"][..],
            &["--file", "f", "--argocd-selector", "a=b"],
            &["--argocd-namespace", "Not_A_Namespace"],
        ] {
            let argv = std::iter::once("status-server").chain(bad.iter().copied());
            assert!(Config::try_parse_from(argv).is_err(), "{bad:?}");
        }
        assert!(
            Config::try_parse_from(["status-server", "--file", "f", "--workers", "0"]).is_err()
        );
    }
}
