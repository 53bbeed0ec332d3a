//! `cargo xtask ci`: every check CI makes, in the order that fails fastest. The image smoke test
//! runs last: it needs a release build.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::{cargo, codegen, project_root, run_cmd, tools};

pub(crate) fn run(_args: &[String]) -> Result<()> {
    run_cmd(cargo().args(["fmt", "--all", "--", "--check"]))?;
    // The fuzz targets are outside the workspace (nightly only): their formatting is checked
    // here, their checks (fuzz-checks, and its replay of the committed corpus) run in the tests.
    run_cmd(
        std::process::Command::new("rustfmt")
            .args(["--edition", "2024", "--check"])
            .args(fuzz_targets()?),
    )?;
    run_cmd(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    codegen::run(codegen::Mode::Check)?;
    let bin = tools::install()?;
    run_cmd(
        cargo()
            .args(["test", "--workspace", "--all-targets"])
            .env("GITOPS_STATUS_TOOLS", &bin)
            .env("INSTA_UPDATE", "no"),
    )?;
    // Doc tests are not part of --all-targets.
    run_cmd(
        cargo()
            .args(["test", "--workspace", "--doc"])
            .env("INSTA_UPDATE", "no"),
    )?;
    // The chart checks (`cargo xtask chart`) are the `xtask --test chart` tests: already run above.
    crate::image::smoke()?;
    eprintln!("xtask ci: all checks passed");
    Ok(())
}

/// The fuzz targets' sources (`fuzz/fuzz_targets/*.rs`).
fn fuzz_targets() -> Result<Vec<PathBuf>> {
    let dir = project_root().join("fuzz/fuzz_targets");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    Ok(files)
}
