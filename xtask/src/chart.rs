//! `cargo xtask chart`: lint, render and validate the Helm chart with real Helm 3 and Helm 4
//! (placeholder; the chart issue fills it in).

use anyhow::Result;

pub(crate) fn run() -> Result<()> {
    eprintln!("xtask chart: no chart checks yet");
    Ok(())
}
