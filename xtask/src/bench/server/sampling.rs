//! A server under test while it runs, and what the benchmark samples of it from `/proc`: its
//! resident memory (idle and under load) and the CPU time it spends (so CPU per request can be
//! reported, the steadier figure on a shared machine).

use crate::bench::proc::{cpu_ticks, vm_rss_kib};
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
