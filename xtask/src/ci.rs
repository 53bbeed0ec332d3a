//! `cargo xtask ci`: every check CI makes, in the order that fails fastest.
//!
//! fmt (the fuzz targets' too), clippy, the tools (Chromium and the badge font included: the
//! width table is checked against the font), codegen freshness, the tests (the chart tests with
//! checkov, the push action's harness, status-server's browser test and the replay of the fuzz
//! corpus run among them), the linters (`lint`), the release checks (`release-check`), the
//! crates as others get them (`crate_checks`: rustdoc, the published crates' packages with
//! their examples, cargo-deny), then the one
//! release build: `dist` for the host, whose archives the image smoke test builds the image
//! from.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::{
    cargo, codegen, crate_checks, dist, image, lint, project_root, release_check, run_cmd, tools,
};

/// cargo for CI's builds: no incremental compilation. A CI run builds every crate once from a
/// clean tree, where incremental state only costs time and gigabytes of disk (the tests' own
/// nested `cargo build`s inherit the setting).
fn cargo_ci() -> std::process::Command {
    let mut cmd = cargo();
    cmd.env("CARGO_INCREMENTAL", "0");
    cmd
}

pub(crate) fn run(_args: &[String]) -> Result<()> {
    run_cmd(cargo().args(["fmt", "--all", "--", "--check"]))?;
    // The fuzz targets are outside the workspace (nightly only): their formatting is checked
    // here, their checks (fuzz-checks, and its replay of the committed corpus) run in the tests.
    run_cmd(
        std::process::Command::new("rustfmt")
            .args(["--edition", "2024", "--check"])
            .args(fuzz_targets()?),
    )?;
    run_cmd(cargo_ci().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    // The tools first: the badge width table is checked against the font they install.
    let bin = tools::install()?;
    codegen::run(codegen::Mode::Check)?;
    run_cmd(
        cargo_ci()
            .args(["test", "--workspace", "--all-targets"])
            .env("GITOPS_STATUS_TOOLS", &bin)
            .env("INSTA_UPDATE", "no"),
    )?;
    // Doc tests are not part of --all-targets.
    run_cmd(
        cargo_ci()
            .args(["test", "--workspace", "--doc"])
            .env("INSTA_UPDATE", "no"),
    )?;
    // The chart checks (`cargo xtask chart`, checkov over every render among them) are the
    // `xtask --test chart` tests, and the push action's harness is `xtask --test push_action`:
    // both already ran above.
    lint::run(&[])?;
    release_check::run(&[])?;
    crate_checks::run()?;
    // One release build for the host, with SBOMs: the image is built from these archives.
    dist::run(&["--sbom".to_owned()])?;
    image::smoke_from_dist()?;
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
