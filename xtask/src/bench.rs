//! `cargo xtask bench`: benchmarks, reported as figures (never as test assertions).
//!
//! `validate`: status-core's validation throughput. `server`: status-server against nginx
//! (`bench/server.rs`). `push`: `statusctl push` against kubectl (`bench_push.rs`). `live`:
//! push-to-served latency through the watch and through a volume swap (`bench/live.rs`).

mod live;
mod server;

use anyhow::{Result, bail};

use crate::{cargo, run_cmd};

pub(crate) fn run(args: &[String]) -> Result<()> {
    let which: Vec<&str> = if args.is_empty() {
        vec!["validate", "server", "push", "live"]
    } else {
        args.iter().map(String::as_str).collect()
    };
    for bench in which {
        match bench {
            "validate" => validate()?,
            "server" => server::run()?,
            "push" => crate::bench_push::run()?,
            "live" => live::run()?,
            other => bail!("unknown benchmark `{other}` (known: validate, server, push, live)"),
        }
    }
    Ok(())
}

fn validate() -> Result<()> {
    run_cmd(cargo().args([
        "run",
        "--quiet",
        "--release",
        "-p",
        "status-core",
        "--example",
        "validate_bench",
    ]))
}
