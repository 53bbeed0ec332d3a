//! What the benchmarks read from `/proc`: of a running process, its resident memory (now and
//! at its peak) and the CPU time it has used; of the machine, its load.

use std::process::Command;

/// A field of `/proc/PID/status` in KiB (`VmRSS`, `VmHWM`); 0 when the process is gone.
fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.strip_prefix(field).is_some_and(|r| r.starts_with(':')))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// The resident memory of a process now, in KiB.
pub(crate) fn vm_rss_kib(pid: u32) -> u64 {
    status_kib(pid, "VmRSS")
}

/// The most resident memory the process has had (its high-water mark), in KiB.
pub(crate) fn vm_hwm_kib(pid: u32) -> u64 {
    status_kib(pid, "VmHWM")
}

/// utime + stime of a process (all its threads), from `/proc/PID/stat`, in clock ticks.
pub(crate) fn cpu_ticks(pid: u32) -> u64 {
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
pub(crate) fn clock_ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// The machine's 1-minute load average (`/proc/loadavg`), or `?`.
pub(crate) fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}
