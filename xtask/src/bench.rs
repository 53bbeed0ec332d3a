//! `cargo xtask bench`: benchmarks, reported as figures (never as test assertions).
//!
//! `validate`: status-core's validation throughput. `server`: status-server against nginx
//! (`bench/server.rs`). `push`: `statusctl push` against kubectl (`bench_push.rs`). `live`:
//! push-to-served latency through the watch and through a volume swap (`bench/live.rs`).
//! `fleet`: 2,000 Argo CD Applications and their churn (`bench/fleet.rs`). `proc.rs` is what
//! they read of a running process.
//!
//! `server` writes docs/benchmarks.md whole; `live` and `fleet` each own a section of it,
//! between markers, which the others keep.

mod fleet;
mod live;
mod proc;
mod server;

use anyhow::{Context, Result, bail};

use crate::{cargo, project_root, run_cmd};

pub(crate) fn run(args: &[String]) -> Result<()> {
    let which: Vec<&str> = if args.is_empty() {
        vec!["validate", "server", "push", "live", "fleet"]
    } else {
        args.iter().map(String::as_str).collect()
    };
    for bench in which {
        match bench {
            "validate" => validate()?,
            "server" => server::run()?,
            "push" => crate::bench_push::run()?,
            "live" => live::run()?,
            "fleet" => fleet::run()?,
            other => {
                bail!("unknown benchmark `{other}` (known: validate, server, push, live, fleet)")
            }
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

/// Replaces (or appends) the section between `start` and `end` in docs/benchmarks.md.
fn write_section(start: &str, end: &str, section: &str) -> Result<()> {
    let path = project_root().join("docs/benchmarks.md");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let block = format!("{start}\n{section}{end}\n");
    let updated = match (text.find(start), text.find(end)) {
        (Some(at), Some(until)) if at < until => {
            format!(
                "{}{block}{}",
                &text[..at],
                &text[until + end.len()..].trim_start_matches('\n')
            )
        }
        _ => format!("{}\n{block}", text.trim_end_matches('\n').to_owned() + "\n"),
    };
    std::fs::write(&path, updated)?;
    eprintln!("bench: wrote its section into {}", path.display());
    Ok(())
}

/// The section between `start` and `end` of the current docs/benchmarks.md, markers
/// included, for `bench server` to keep when it rewrites the file.
fn existing_section(start: &str, end: &str) -> Option<String> {
    let text = std::fs::read_to_string(project_root().join("docs/benchmarks.md")).ok()?;
    let at = text.find(start)?;
    let until = text.find(end)? + end.len();
    (at < until).then(|| format!("{}\n", &text[at..until]))
}
