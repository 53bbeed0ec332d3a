//! `cargo xtask image`: build the `FROM scratch` container image and smoke-test it
//! (placeholder; the chart issue fills it in).

use anyhow::Result;

pub(crate) fn run(_args: &[String]) -> Result<()> {
    eprintln!("xtask image: not implemented yet");
    Ok(())
}

/// The smoke test `cargo xtask ci` runs.
pub(crate) fn smoke() -> Result<()> {
    eprintln!("xtask image: no image smoke test yet");
    Ok(())
}
