//! A server under test while it runs, and what the benchmark samples of it from `/proc`: its
//! resident memory (idle and under load) and the CPU time it spends (so CPU per request can be
//! reported, the steadier figure on a shared machine).

use std::process::Command;

use crate::host::ChildProcess;

/// A running server: stopped when dropped.
pub(super) struct Running {
    pub(super) process: ChildProcess,
    /// The loopback port it listens on.
    pub(super) port: u16,
}

impl Running {
    /// The server's pid and its children's (nginx's master forks a worker). taskset execs the
    /// server, so the child's pid is the server's.
    fn pids(&self) -> Vec<u32> {
        let pid = self.process.id();
        let mut pids = vec![pid];
        if let Ok(children) = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")) {
            pids.extend(
                children
                    .split_whitespace()
                    .filter_map(|p| p.parse::<u32>().ok()),
            );
        }
        pids
    }

    /// The resident memory of the server and its children, in KiB.
    pub(super) fn rss_kib(&self) -> u64 {
        self.pids().into_iter().map(vm_rss_kib).sum()
    }

    /// CPU time (user + system) used so far by the server and its children, in clock ticks.
    pub(super) fn cpu_ticks(&self) -> u64 {
        self.pids().into_iter().map(cpu_ticks).sum()
    }

    /// Stops the server (SIGTERM, then SIGKILL); dropping it does the same.
    pub(super) fn stop(&mut self) {
        self.process.stop();
    }
}

fn vm_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// utime + stime of a process (all its threads), from `/proc/PID/stat`.
fn cpu_ticks(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            // The command name is in parentheses and may hold spaces: split after it.
            let rest = &s[s.rfind(')')? + 2..];
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let utime: u64 = fields.get(11)?.parse().ok()?;
            let stime: u64 = fields.get(12)?.parse().ok()?;
            Some(utime + stime)
        })
        .unwrap_or(0)
}

/// Clock ticks per second for `/proc/PID/stat` (`getconf CLK_TCK`, 100 on Linux).
pub(super) fn clock_ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}
