//! `cargo xtask fuzz [--time 10m] [TARGET]`: runs the cargo-fuzz targets (`fuzz/`) on the
//! nightly toolchain, niced and on one core, each for its share of the time, then minimizes
//! its corpus (`cargo fuzz cmin`) so that what is committed stays small.
//!
//! The checks the targets run live in `fuzz-checks`, whose corpus replay runs on stable in
//! `cargo xtask ci`: neither CI nor a plain `cargo test` needs nightly or cargo-fuzz.

use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::{display, project_root, tools};

const CARGO_FUZZ: (&str, &str) = ("cargo-fuzz", "0.13.2");

/// The targets and their `-max_len`, in the order they run. `fuzz_checks::TARGETS` is the
/// authority (a test checks that this list follows it); xtask does not depend on it, which
/// would build the whole server into `cargo xtask`.
pub(crate) const TARGETS: [(&str, usize); 7] = [
    ("validate", 1024 * 1024 + 64),
    ("document", 4096),
    ("argocd", 16 * 1024),
    ("shared_rules", 512),
    ("kube_names", 512),
    ("http_request", 2048),
    ("credentials", 8192),
];

const USAGE: &str =
    "cargo xtask fuzz [--time DURATION] [TARGET]   (default: 10m, split between all targets)";

pub(crate) fn run(args: &[String]) -> Result<()> {
    let mut total = Duration::from_secs(600);
    let mut only = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--time" => {
                let value = args.next().context(USAGE)?;
                total = status_core::duration::parse(value)?;
            }
            name if TARGETS.iter().any(|(t, _)| *t == name) => only = Some(name.to_owned()),
            other => bail!("unknown argument `{other}`\n{USAGE}\ntargets: {}", names()),
        }
    }
    let targets: Vec<(&str, usize)> = TARGETS
        .into_iter()
        .filter(|(name, _)| only.as_deref().is_none_or(|o| o == *name))
        .collect();
    let each = total / targets.len() as u32;
    if each < Duration::from_secs(1) {
        bail!("--time gives each target less than a second");
    }
    let nightly = Command::new("rustup")
        .args(["toolchain", "list"])
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains("nightly"));
    if !nightly {
        bail!("cargo-fuzz needs a nightly toolchain: rustup toolchain install nightly");
    }
    let path = tools::path_with(&tools::cargo_tool(CARGO_FUZZ.0, CARGO_FUZZ.1)?)?;
    let mut summaries = Vec::new();
    for (name, max_len) in targets {
        summaries.push(fuzz(name, max_len, each, &path)?);
    }
    eprintln!("\nxtask fuzz: {} each", status_core::duration::format(each));
    for summary in summaries {
        eprintln!("  {summary}");
    }
    Ok(())
}

fn names() -> String {
    TARGETS.map(|(name, _)| name).join(", ")
}

/// One target for `time`: its summary line, or an error naming the crash it found.
fn fuzz(name: &str, max_len: usize, time: Duration, path: &std::ffi::OsStr) -> Result<String> {
    let root = project_root();
    let corpus = root.join("fuzz/corpus").join(name);
    std::fs::create_dir_all(&corpus)?;
    let mut cmd = Command::new("nice");
    cmd.args(["-n", "10", "cargo", "+nightly", "fuzz", "run", name])
        .arg(&corpus)
        .args([
            "--",
            &format!("-max_len={max_len}"),
            &format!("-max_total_time={}", time.as_secs()),
            // Enough memory for a 1 MiB document's findings (libFuzzer runs one process).
            "-rss_limit_mb=4096",
            "-print_final_stats=1",
        ])
        .env("PATH", path)
        .env("CARGO_BUILD_JOBS", "1")
        .current_dir(&root)
        .stderr(Stdio::piped());
    eprintln!("$ {}", display(&cmd));
    let out = cmd.spawn()?.wait_with_output()?;
    let log = String::from_utf8_lossy(&out.stderr);
    let log_path = crate::target_dir().join(format!("fuzz-{name}.log"));
    std::fs::write(&log_path, log.as_bytes())?;
    if !out.status.success() {
        let artifact = log
            .lines()
            .find_map(|l| l.split_once("Test unit written to ").map(|(_, p)| p.trim()))
            .unwrap_or("(see the log)");
        bail!(
            "fuzz target `{name}` failed ({}): input {artifact}; log {}.\nFix the cause, then add the input under fuzz/regressions/{name}/ as a named test in fuzz/checks/tests/regressions.rs",
            out.status,
            log_path.display()
        );
    }
    let stats = Stats::read(&log);
    crate::run_cmd(
        Command::new("nice")
            .args(["-n", "10", "cargo", "+nightly", "fuzz", "cmin", name])
            .arg(&corpus)
            // Minimized on the code's edges, not libFuzzer's hit-count features: a third of
            // the files, for a corpus small enough to commit and to replay in seconds.
            .args(["--", &format!("-max_len={max_len}"), "-use_counters=0"])
            .env("PATH", path)
            .env("CARGO_BUILD_JOBS", "1"),
    )?;
    let files = std::fs::read_dir(&corpus)?.count();
    Ok(format!(
        "{name}: {} execs in {}s ({} execs/s), cov {} ft {}, corpus {} inputs after cmin; 0 crashes",
        stats.execs,
        time.as_secs(),
        stats.per_second,
        stats.cov,
        stats.ft,
        files
    ))
}

/// What libFuzzer reports at the end of a run.
#[derive(Debug, Default, PartialEq)]
struct Stats {
    execs: String,
    per_second: String,
    cov: String,
    ft: String,
}

impl Stats {
    fn read(log: &str) -> Self {
        let stat = |key: &str| {
            log.lines()
                .find_map(|l| {
                    l.strip_prefix(key)
                        .map(|v| v.trim_start_matches(':').trim().to_owned())
                })
                .unwrap_or_default()
        };
        // The last status line (`#123 DONE cov: 45 ft: 67 corp: ...`) has the coverage.
        let field = |word: &str| {
            log.lines()
                .rev()
                .find_map(|l| {
                    let mut words = l.split_whitespace();
                    words.find(|w| *w == word)?;
                    words.next().map(str::to_owned)
                })
                .unwrap_or_default()
        };
        Stats {
            execs: stat("stat::number_of_executed_units"),
            per_second: stat("stat::average_exec_per_sec"),
            cov: field("cov:"),
            ft: field("ft:"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_targets_are_fuzz_checks_targets() {
        let ours: Vec<(&str, usize)> = TARGETS.to_vec();
        let theirs: Vec<(&str, usize)> = fuzz_checks::TARGETS
            .iter()
            .map(|t| (t.name, t.max_len))
            .collect();
        assert_eq!(ours, theirs);
        let manifest = std::fs::read_to_string(project_root().join("fuzz/Cargo.toml")).unwrap();
        for (name, _) in TARGETS {
            assert!(
                manifest.contains(&format!("name = \"{name}\"")),
                "fuzz/Cargo.toml has no [[bin]] {name}"
            );
        }
    }

    #[test]
    fn libfuzzers_final_stats_are_read() {
        let log = "#1 INITED cov: 2 ft: 2\n#42 DONE   cov: 1234 ft: 5678 corp: 90/1Mb lim: 4096 exec/s: 70 rss: 100Mb\nstat::number_of_executed_units: 4200\nstat::average_exec_per_sec:     70\n";
        assert_eq!(
            Stats::read(log),
            Stats {
                execs: "4200".into(),
                per_second: "70".into(),
                cov: "1234".into(),
                ft: "5678".into()
            }
        );
    }
}
