//! wrk runs against a server under test, and reading wrk's output into figures: req/s, the
//! p50 and p99 latency, and the server's CPU time per request. A run with any non-2xx/3xx
//! response is a failure, not a figure.

use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::Result;

use super::sampling::Running;
use super::servers::Tools;
use super::{CLIENT_CPU, CONNECTIONS};
use crate::bench::proc::clock_ticks_per_second;

/// What one wrk run measured, or why it does not count.
pub(super) enum Outcome {
    Measured {
        rps: f64,
        p50_ms: f64,
        p99_ms: f64,
        /// Server CPU time (user + system, all threads and worker processes) per request: robust
        /// to a noisy machine, where req/s mostly measures what else is running.
        cpu_us_per_request: f64,
        socket_errors: String,
    },
    Failed(String),
}

impl Outcome {
    /// Requests per second; 0 for a failed run.
    pub(super) fn rps(&self) -> f64 {
        match self {
            Self::Measured { rps, .. } => *rps,
            Self::Failed(_) => 0.0,
        }
    }
}

fn wrk_command(tools: &Tools, url: &str, gzip: bool, seconds: u64) -> Command {
    let mut cmd = Command::new(&tools.taskset);
    cmd.args(["-c", CLIENT_CPU])
        .arg(&tools.wrk)
        .args(["-t1", "-c", CONNECTIONS, "-d"])
        .arg(format!("{seconds}s"))
        .arg("--latency");
    if gzip {
        cmd.args(["-H", "Accept-Encoding: gzip"]);
    }
    cmd.arg(url);
    cmd
}

/// One wrk run of `seconds` (the warm-up).
pub(super) fn wrk(tools: &Tools, url: &str, gzip: bool, seconds: u64) -> Result<Outcome> {
    let output = wrk_command(tools, url, gzip, seconds).output()?;
    Ok(parse_wrk(&String::from_utf8_lossy(&output.stdout)))
}

/// Runs wrk and samples the server's RSS half way through.
pub(super) fn wrk_sampling_rss(
    tools: &Tools,
    url: &str,
    gzip: bool,
    seconds: u64,
    server: &Running,
) -> Result<(Outcome, u64)> {
    let ticks_before = server.cpu_ticks();
    let child = wrk_command(tools, url, gzip, seconds)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    std::thread::sleep(Duration::from_millis(seconds * 500));
    let rss = server.rss_kib();
    let output = child.wait_with_output()?;
    let ticks = server.cpu_ticks().saturating_sub(ticks_before);
    let mut outcome = parse_wrk(&String::from_utf8_lossy(&output.stdout));
    if let Outcome::Measured {
        rps,
        ref mut cpu_us_per_request,
        ..
    } = outcome
    {
        let requests = rps * seconds as f64;
        *cpu_us_per_request = ticks as f64 / clock_ticks_per_second() / requests * 1e6;
    }
    Ok((outcome, rss))
}

fn parse_wrk(out: &str) -> Outcome {
    let field = |prefix: &str| {
        out.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(prefix).map(str::trim))
    };
    if let Some(bad) = field("Non-2xx or 3xx responses:") {
        return Outcome::Failed(format!("{bad} non-2xx/3xx responses"));
    }
    let (Some(rps), Some(p50), Some(p99)) = (
        field("Requests/sec:").and_then(|v| v.parse::<f64>().ok()),
        field("50%").and_then(latency_ms),
        field("99%").and_then(latency_ms),
    ) else {
        return Outcome::Failed(format!("could not read wrk's output:\n{out}"));
    };
    if rps == 0.0 {
        return Outcome::Failed("no requests completed".to_owned());
    }
    Outcome::Measured {
        rps,
        p50_ms: p50,
        p99_ms: p99,
        cpu_us_per_request: f64::NAN,
        socket_errors: field("Socket errors:").unwrap_or("none").to_owned(),
    }
}

fn latency_ms(v: &str) -> Option<f64> {
    let (number, factor) = if let Some(n) = v.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = v.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = v.strip_suffix('s') {
        (n, 1000.0)
    } else {
        return None;
    };
    number.trim().parse::<f64>().ok().map(|n| n * factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrk_output_is_parsed() {
        let out = "Running 5s test @ http://127.0.0.1:1/status/small.json
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   500.00us  100.00us   2.00ms   90.00%
  Latency Distribution
     50%  480.00us
     75%  520.00us
     90%  600.00us
     99%    1.20ms
  600000 requests in 5.00s, 100.00MB read
Requests/sec: 120000.00
Transfer/sec:     20.00MB
";
        match parse_wrk(out) {
            Outcome::Measured {
                rps,
                p50_ms,
                p99_ms,
                ..
            } => {
                assert_eq!(rps, 120000.0);
                assert!((p50_ms - 0.48).abs() < 1e-9);
                assert!((p99_ms - 1.2).abs() < 1e-9);
            }
            Outcome::Failed(why) => panic!("{why}"),
        }
        let failed = out.replace(
            "Requests/sec",
            "  Non-2xx or 3xx responses: 3\nRequests/sec",
        );
        assert!(matches!(parse_wrk(&failed), Outcome::Failed(w) if w.contains("3 non-2xx")));
    }
}
