//! `cargo xtask bench`: benchmarks, reported as figures (never as test assertions).
//!
//! `cargo xtask bench validate` measures status-core's validation throughput.

use anyhow::{Result, bail};

use crate::{cargo, run_cmd};

pub(crate) fn run(args: &[String]) -> Result<()> {
    let which: Vec<&str> = if args.is_empty() {
        vec!["validate"]
    } else {
        args.iter().map(String::as_str).collect()
    };
    for bench in which {
        match bench {
            "validate" => validate()?,
            other => bail!("unknown benchmark `{other}` (known: validate)"),
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
