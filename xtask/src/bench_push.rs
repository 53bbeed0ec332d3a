//! `cargo xtask bench push`: `statusctl push` against kubectl, on the fake API server (placeholder).

use anyhow::Result;

pub(crate) fn run() -> Result<()> {
    eprintln!("xtask bench push: not implemented yet");
    Ok(())
}
