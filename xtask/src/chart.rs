//! `cargo xtask chart`: lint, render and validate the Helm chart with the real Helm 3 and Helm 4,
//! check the manifests against the Kubernetes 1.30-1.34 schemas and the restricted Pod Security
//! Standard, and run the chart end to end against the real status-server.
//!
//! The checks themselves are the integration tests in `xtask/tests/chart/` (so `cargo test`
//! runs them too, with snapshots); this task installs the tools they need and runs them.

use anyhow::Result;

use crate::{cargo, run_cmd, tools};

pub(crate) fn run() -> Result<()> {
    let bin = tools::install()?;
    run_cmd(
        cargo()
            .args(["test", "-p", "xtask", "--test", "chart"])
            .env("GITOPS_STATUS_TOOLS", &bin)
            // Snapshots are reviewed and committed; CI never writes them.
            .env("INSTA_UPDATE", "no"),
    )?;
    eprintln!("xtask chart: chart checks passed");
    Ok(())
}
