//! `statusctl validate` (placeholder; its issue fills it in).

use std::process::ExitCode;

/// Arguments of `statusctl validate`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

pub(crate) fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`statusctl validate` is not implemented yet")
}
