//! The crates as others get them, checked in `cargo xtask ci`: the rustdoc of every crate with
//! warnings denied (a broken intra-doc link is a broken page on docs.rs), each published crate
//! and its examples built from its package (what `cargo publish` uploads: README, licence, files
//! left out), and cargo-deny over the dependency tree (licences, wildcard requirements, sources).
//!
//! Which crates are published is `crate::crates`' answer, the one `release-check` and `publish`
//! use: today status-core only. The others (status-kube, status-server, statusctl, the
//! `gitops-status` multi-call binary, fake-apiserver, xtask) say `publish = false` and are not
//! packaged; their docs and their dependencies are checked all the same.
//!
//! cargo-deny's `advisories` check needs the RustSec database, a download this CI cannot make;
//! the release workflow runs it ([`advisories`], through `release-check --advisories`; see
//! docs/testing.md). The other three need no network once the
//! registry holds every crate of `Cargo.lock` (`cargo fetch`, which takes every platform's).

use std::time::Instant;

use anyhow::Result;

use crate::{cargo, crates, run_cmd, target_dir, tools};

/// Runs the checks, timing each (docs/testing.md records the times).
pub(crate) fn run() -> Result<()> {
    timed("cargo doc", || {
        run_cmd(
            cargo()
                .args(["doc", "--workspace", "--no-deps"])
                .env("RUSTDOCFLAGS", "-D warnings"),
        )
    })?;
    let published = crates::publish_order(&crates::workspace()?)?;
    for krate in &published {
        timed(&format!("cargo package -p {}", krate.name), || {
            // `--allow-dirty`: this checks that the package builds; whether it was committed is
            // `cargo publish`'s business, and a local run of `cargo xtask ci` may have edits.
            run_cmd(cargo().args(["package", "-p", &krate.name, "--allow-dirty"]))?;
            // `cargo package` builds the library only; the examples ship too, and may include
            // files (test fixtures) that the package must then hold.
            let packaged = target_dir()
                .join("package")
                .join(format!("{}-{}", krate.name, krate.version));
            run_cmd(
                cargo()
                    .args(["build", "--examples", "--offline", "--manifest-path"])
                    .arg(packaged.join("Cargo.toml"))
                    .env("CARGO_TARGET_DIR", target_dir()),
            )
        })?;
    }
    timed("cargo deny", || {
        let deny = tools::cargo_deny()?;
        run_cmd(cargo().args(["fetch", "--locked"]))?;
        run_cmd(std::process::Command::new(deny).args([
            "--offline",
            "--locked",
            "check",
            "licenses",
            "bans",
            "sources",
        ]))
    })
}

/// cargo-deny's `advisories` check, which needs the RustSec advisory database (a download from
/// GitHub): `cargo xtask release-check --advisories` runs it, in the release workflow.
pub(crate) fn advisories() -> Result<()> {
    let deny = tools::cargo_deny()?;
    run_cmd(std::process::Command::new(deny).args(["--locked", "check", "advisories"]))
}

fn timed(what: &str, step: impl FnOnce() -> Result<()>) -> Result<()> {
    let started = Instant::now();
    step()?;
    eprintln!(
        "xtask ci: {what} passed in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
