//! `cargo xtask ci`: every check CI makes, in the order that fails fastest. The image smoke test
//! runs last: it needs a release build.

use anyhow::Result;

use crate::{cargo, codegen, run_cmd, tools};

pub(crate) fn run(_args: &[String]) -> Result<()> {
    run_cmd(cargo().args(["fmt", "--all", "--", "--check"]))?;
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
    crate::crate_checks::run()?;
    crate::image::smoke()?;
    eprintln!("xtask ci: all checks passed");
    Ok(())
}
