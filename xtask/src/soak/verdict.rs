//! The soak's samples and its verdict: what the server looked like every interval (resident
//! memory, open file descriptors, threads, the clients' latency and errors), and the rules that
//! fail a soak — any error a client saw (a status other than 200/304, a torn or invalid body, an
//! ETag naming two bodies), a failed push, file descriptors that keep growing, or resident
//! memory that grows by more than 1 MiB after the warm-up.

use std::time::Duration;

/// Resident memory may grow this much after the warm-up (the bound).
pub(crate) const RSS_GROWTH_LIMIT_KIB: u64 = 1024;

/// How many samples at each end of the run are compared (their median), so that one sample
/// taken mid-request does not decide.
const ENDS: usize = 3;

/// One interval's sample.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Sample {
    /// Seconds since the load started (the end of the interval).
    pub(crate) at_s: f64,
    pub(crate) rss_kib: u64,
    pub(crate) fds: u64,
    pub(crate) threads: u64,
    /// Requests answered in the interval (200 and 304), and errors.
    pub(crate) answered: u64,
    pub(crate) errors: u64,
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
}

/// The `q` quantile (0..=1) of `values`, sorted in place; 0 for none.
pub(crate) fn quantile(values: &mut [u64], q: f64) -> u64 {
    if values.is_empty() {
        return 0;
    }
    values.sort_unstable();
    let rank = (q * (values.len() - 1) as f64).round() as usize;
    values[rank.min(values.len() - 1)]
}

/// The server's resident memory (KiB), open file descriptors and threads, from `/proc`.
pub(crate) fn read_proc(pid: u32) -> Option<(u64, u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        status
            .lines()
            .find(|l| l.starts_with(name))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    };
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count() as u64;
    Some((field("VmRSS:")?, fds, field("Threads:")?))
}

fn median(values: impl Iterator<Item = u64>) -> u64 {
    let mut v: Vec<u64> = values.collect();
    quantile(&mut v, 0.5)
}

/// What the samples after the warm-up say of growth: (RSS KiB at the start, at the end; fds
/// at the start, at the end), each the median of the first or last few samples.
pub(crate) fn growth(samples: &[Sample], warmup: Duration) -> Option<(u64, u64, u64, u64)> {
    let after: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.at_s >= warmup.as_secs_f64())
        .collect();
    if after.len() < 2 * ENDS {
        return None;
    }
    let first = &after[..ENDS];
    let last = &after[after.len() - ENDS..];
    Some((
        median(first.iter().map(|s| s.rss_kib)),
        median(last.iter().map(|s| s.rss_kib)),
        median(first.iter().map(|s| s.fds)),
        median(last.iter().map(|s| s.fds)),
    ))
}

/// Everything that failed the soak; empty when it passed. `fd_slack` is how many descriptors
/// the clients' connections may account for at any moment.
pub(crate) fn failures(
    samples: &[Sample],
    warmup: Duration,
    fd_slack: u64,
    client_errors: &[String],
    errors: u64,
    push_failures: &[String],
    pushes_failed: u64,
) -> Vec<String> {
    let mut out = Vec::new();
    if errors > 0 {
        out.push(format!(
            "{errors} requests failed; the first: {}",
            client_errors.join("; ")
        ));
    }
    if pushes_failed > 0 {
        out.push(format!(
            "{pushes_failed} pushes failed; the first: {}",
            push_failures.join("; ")
        ));
    }
    match growth(samples, warmup) {
        None => out.push(format!(
            "too few samples after the {}s warm-up to judge growth ({} in all)",
            warmup.as_secs(),
            samples.len()
        )),
        Some((rss_start, rss_end, fds_start, fds_end)) => {
            if rss_end > rss_start + RSS_GROWTH_LIMIT_KIB {
                out.push(format!(
                    "resident memory grew by {} KiB after the warm-up ({rss_start} to {rss_end} KiB; the limit is {RSS_GROWTH_LIMIT_KIB} KiB)",
                    rss_end - rss_start
                ));
            }
            if fds_end > fds_start + fd_slack {
                out.push(format!(
                    "open file descriptors grew from {fds_start} to {fds_end} after the warm-up"
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(rss: &[u64], fds: &[u64]) -> Vec<Sample> {
        rss.iter()
            .zip(fds)
            .enumerate()
            .map(|(i, (&rss_kib, &fds))| Sample {
                at_s: (i as f64 + 1.0) * 10.0,
                rss_kib,
                fds,
                ..Sample::default()
            })
            .collect()
    }

    fn judge(samples: &[Sample]) -> Vec<String> {
        failures(samples, Duration::from_secs(20), 4, &[], 0, &[], 0)
    }

    #[test]
    fn quantiles() {
        assert_eq!(quantile(&mut [], 0.5), 0);
        assert_eq!(quantile(&mut [5, 1, 3], 0.5), 3);
        let mut hundred: Vec<u64> = (1..=100).collect();
        assert_eq!(quantile(&mut hundred, 0.99), 99);
        assert_eq!(quantile(&mut hundred, 1.0), 100);
    }

    #[test]
    fn a_steady_server_passes_warm_up_growth_and_noise_aside() {
        // Grows by 3 MiB in the warm-up, then wobbles by a few hundred KiB; connections come
        // and go within the slack.
        let rss = [5000, 8000, 8100, 8300, 8050, 8200, 8400, 8150, 8250, 8300];
        let fds = [12, 14, 15, 13, 16, 14, 13, 17, 15, 14];
        assert_eq!(judge(&run(&rss, &fds)), Vec::<String>::new());
    }

    #[test]
    fn memory_growth_over_a_mebibyte_fails() {
        let rss = [5000, 8000, 8100, 8300, 8600, 8900, 9100, 9300, 9400, 9500];
        let fds = [12; 10];
        let failures = judge(&run(&rss, &fds));
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert!(
            failures[0].contains("resident memory grew by 1300 KiB"),
            "{failures:?}"
        );
    }

    #[test]
    fn a_descriptor_leak_fails_and_one_spike_does_not() {
        let rss = [8000; 12];
        let leak = [12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23];
        assert!(judge(&run(&rss, &leak))[0].contains("descriptors grew from 14 to 22"));
        let spike = [12, 13, 14, 13, 40, 14, 13, 14, 13, 14, 13, 14];
        assert!(judge(&run(&rss, &spike)).is_empty());
    }

    #[test]
    fn any_error_or_failed_push_fails_and_too_short_a_run_cannot_pass() {
        let steady = run(&[8000; 10], &[12; 10]);
        let errors = failures(
            &steady,
            Duration::from_secs(20),
            4,
            &["GET /status.json: status 503".into()],
            1,
            &[],
            0,
        );
        assert!(
            errors[0].starts_with("1 requests failed; the first: GET /status.json: status 503")
        );
        let pushes = failures(
            &steady,
            Duration::from_secs(20),
            4,
            &[],
            0,
            &["x".into()],
            2,
        );
        assert!(pushes[0].starts_with("2 pushes failed"));
        let short = judge(&run(&[8000; 5], &[12; 5]));
        assert!(short[0].contains("too few samples"), "{short:?}");
    }

    #[test]
    fn reads_this_process_from_proc() {
        let (rss, fds, threads) = read_proc(std::process::id()).unwrap();
        assert!(rss > 0 && fds >= 3 && threads >= 1, "{rss} {fds} {threads}");
    }
}
