//! `cargo xtask`: the project's own automation, as code.
//!
//! One module per task. Run `cargo xtask help` for the list.

mod bench;
mod bench_push;
mod chart;
mod chart_package;
mod ci;
mod codegen;
mod crate_checks;
mod crates;
mod dist;
mod fuzz;
mod host;
mod image;
mod lint;
mod mutants;
mod publish;
mod release_check;
mod set_version;
mod soak;
#[cfg(test)]
mod tidy;
mod tools;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};

const HELP: &str = "\
cargo xtask <task>

Tasks:
  ci             everything CI checks: fmt, clippy, codegen freshness, tests (the chart's with
                 checkov), lint, cargo doc, cargo package, cargo deny, release-check, dist, image
                 smoke test
  codegen        write generated files (docs/status.schema.json, the chart's values.schema.json)
  tools          install the tools under target/tools (helm 3, helm 4, kubectl, kubernetes-validate,
                 checkov, cargo-deny, actionlint, zizmor, shellcheck, hadolint, syft,
                 cargo-auditable; Chromium, the DejaVu fonts and the browser tests' npm packages; go)
  chart          lint, render and validate the Helm chart with Helm 3 and Helm 4
  lint           actionlint and zizmor over the workflows and actions, shellcheck over every shell
                 script, hadolint over the Containerfile
  dist           release binaries and archives for a target, SHA256SUMS, SBOMs [--target T] [--sbom]
  image          build the container image from the dist archives [--platform P,...] [--smoke] [--push REF]
  chart-package  package the chart for a release [--version V] [--app-version V] [--image-digest D]
  release-check  what must hold before a tag: versions agree, CHANGELOG, publish dry run, helm lint
  set-version    write a new version everywhere it is recorded (crates, chart, action, CI template)
  publish        publish the crates to crates.io in dependency order, skipping published versions
  bench          benchmarks: validate | server | push | live (all when none is named)
  soak           [--duration 10m] [--server PATH] the release server under load and churn; fails on
                 errors or growth; writes docs/images/soak*.svg and its part of docs/benchmarks.md
  fuzz           run the fuzz targets on nightly: [--time 10m] [TARGET] (the time split between all)
  mutants        mutation testing with cargo-mutants: [-p CRATE] [--shard K/N]
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
        "tools" => {
            let dir = tools::install()?;
            tools::cargo_auditable()?;
            tools::cargo_deny()?;
            println!("{}", dir.display());
            Ok(())
        }
        "bench" => bench::run(rest),
        "chart" => chart::run(),
        "lint" => lint::run(rest),
        "dist" => dist::run(rest),
        "image" => image::run(rest),
        "chart-package" => chart_package::run(rest),
        "release-check" => release_check::run(rest),
        "set-version" => set_version::run(rest),
        "publish" => publish::run(rest),
        "soak" => soak::run(rest),
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

/// The workspace version: every crate, the chart and the action share it.
fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// The commit time of `HEAD` in seconds since the epoch (what `SOURCE_DATE_EPOCH` means), so
/// archives and images built from one commit are byte for byte the same; `SOURCE_DATE_EPOCH`
/// wins when set, and 0 is used outside a git checkout.
fn source_date_epoch() -> u64 {
    if let Some(epoch) = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse().ok())
    {
        return epoch;
    }
    git(&["log", "-1", "--format=%ct"])
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// The commit the work tree is at (`git rev-parse HEAD`), if it is a git checkout.
fn git_revision() -> Option<String> {
    git(&["rev-parse", "HEAD"])
}

/// The trimmed output of a successful git command in the project root.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(project_root())
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (!text.is_empty()).then_some(text)
}

/// Paths are taken relative to where the user ran `cargo xtask`, not the project root.
fn absolute(path: String) -> PathBuf {
    let path = PathBuf::from(path);
    if path.is_absolute() {
        path
    } else {
        std::env::current_dir().map_or(path.clone(), |cwd| cwd.join(path))
    }
}

/// Bytes as decimal megabytes with one decimal, as image sizes are usually given.
fn megabytes(bytes: u64) -> String {
    #[allow(clippy::cast_precision_loss)] // sizes far below 2^52 bytes
    let mb = bytes as f64 / 1_000_000.0;
    format!("{mb:.1} MB")
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
    let mut cargo = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    host::without_cargo_run_env(&mut cargo);
    cargo
}
