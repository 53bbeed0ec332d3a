//! `statusctl get` and `statusctl check` (placeholder; its issue fills it in).

use std::process::ExitCode;

/// Arguments of `statusctl get`.
#[derive(Debug, clap::Args)]
pub(crate) struct GetArgs {}

/// Arguments of `statusctl check`.
#[derive(Debug, clap::Args)]
pub(crate) struct CheckArgs {}

pub(crate) fn get(_args: GetArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`statusctl get` is not implemented yet")
}

pub(crate) fn check(_args: CheckArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`statusctl check` is not implemented yet")
}
