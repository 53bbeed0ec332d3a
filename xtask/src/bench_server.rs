//! `cargo xtask bench server`: status-server against nginx, side by side (placeholder).

use anyhow::Result;

pub(crate) fn run() -> Result<()> {
    eprintln!("xtask bench server: not implemented yet");
    Ok(())
}
