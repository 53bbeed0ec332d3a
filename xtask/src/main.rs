//! `cargo xtask`: the project's own automation, as code.
//!
//! One module per task. Run `cargo xtask help` for the list.

mod bench;
mod bench_push;
mod chart;
mod ci;
mod codegen;
mod fuzz;
mod host;
mod image;
mod mutants;
#[cfg(test)]
mod tidy;
mod tools;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};

const HELP: &str = "\
cargo xtask <task>

Tasks:
  ci        everything CI checks: fmt, clippy, tools, codegen freshness, tests, chart, image
  codegen   write generated files (docs/status.schema.json, the chart's values.schema.json)
  tools     install the test tools under target/tools (helm 3, helm 4, kubectl, kubernetes-validate; go)
  chart     lint, render and validate the Helm chart with Helm 3 and Helm 4
  image     build the container image (static binaries, FROM scratch)
  bench     benchmarks: validate | server | push (all when none is named)
  fuzz      run the fuzz targets on nightly: [--time 10m] [TARGET] (the time split between all)
  mutants   mutation testing with cargo-mutants: [-p CRATE] [--shard K/N]
";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (task, rest) = args
        .split_first()
        .map_or(("help", &[][..]), |(t, r)| (t.as_str(), r));
    match task {
        "ci" => ci::run(rest),
        "codegen" => codegen::run(codegen::Mode::Write),
        "tools" => tools::install().map(|dir| println!("{}", dir.display())),
        "bench" => bench::run(rest),
        "chart" => chart::run(),
        "image" => image::run(rest),
        "fuzz" => fuzz::run(rest),
        "mutants" => mutants::run(rest),
        "help" | "-h" | "--help" => {
            print!("{HELP}");
            Ok(())
        }
        other => bail!("unknown task `{other}`\n\n{HELP}"),
    }
}

/// The workspace root (the parent of this crate's directory).
fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The cargo target directory (honours `CARGO_TARGET_DIR`).
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| project_root().join("target"))
}

/// Runs a command in the project root, echoing it, and fails when it fails.
fn run_cmd(cmd: &mut Command) -> Result<()> {
    eprintln!("$ {}", display(cmd));
    let status = cmd
        .current_dir(project_root())
        .status()
        .with_context(|| format!("could not start `{}`", display(cmd)))?;
    if !status.success() {
        bail!("`{}` failed ({status})", display(cmd));
    }
    Ok(())
}

fn display(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}
