//! `cargo xtask chart-package`: the Helm chart as a release publishes it.
//!
//! ```text
//! cargo xtask chart-package [--version V] [--app-version V] [--image-digest sha256:HEX]
//!                           [--out DIR] [--push oci://REGISTRY/PATH [--digest-file PATH]]
//! ```
//!
//! A copy of the chart gets `version` and `appVersion` (both default to the workspace version:
//! the project releases everything under one version) and, with `--image-digest`, `image.digest`,
//! so the package deploys exactly the image the release pushed and signed. Helm 4 packages it
//! (`<out>/gitops-status-server-<version>.tgz`, `target/chart-package` by default); then the
//! package itself is checked before anything uses it: it lints (`--strict`) under Helm 3 and
//! Helm 4, every container it renders runs the pinned image, and it carries `README.md` and
//! `values.schema.json` but not the schema's hand-written input. `--push` runs `helm push` (log
//! in first with `helm registry login`) and writes the pushed chart's digest, for signing.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::crates::Version;
use crate::image::is_digest;
use crate::{absolute, project_root, run_cmd, target_dir, tools, version};

const CHART: &str = "gitops-status-server";

const USAGE: &str = "usage: cargo xtask chart-package [--version V] [--app-version V] [--image-digest sha256:HEX] \
[--out DIR] [--push oci://REGISTRY/PATH [--digest-file PATH]]";

#[derive(Debug)]
struct Options {
    version: String,
    app_version: String,
    image_digest: Option<String>,
    out: PathBuf,
    push: Option<String>,
    digest_file: Option<PathBuf>,
}

fn parse(args: &[String]) -> Result<Options> {
    let mut options = Options {
        version: version().to_owned(),
        app_version: version().to_owned(),
        image_digest: None,
        out: target_dir().join("chart-package"),
        push: None,
        digest_file: None,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .with_context(|| format!("{name} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--version" => options.version = value("--version")?,
            "--app-version" => options.app_version = value("--app-version")?,
            "--image-digest" => options.image_digest = Some(value("--image-digest")?),
            "--out" => options.out = absolute(value("--out")?),
            "--push" => options.push = Some(value("--push")?),
            "--digest-file" => options.digest_file = Some(absolute(value("--digest-file")?)),
            other => bail!("unknown argument `{other}`\n{USAGE}"),
        }
    }
    Version::parse(&options.version).context("--version")?;
    Version::parse(&options.app_version).context("--app-version")?;
    if let Some(digest) = &options.image_digest
        && !is_digest(digest)
    {
        bail!("--image-digest {digest:?} is not sha256:<64 lowercase hex digits>");
    }
    if let Some(push) = &options.push
        && !push.starts_with("oci://")
    {
        bail!("--push {push:?}: helm pushes to oci://REGISTRY/PATH");
    }
    if options.digest_file.is_some() && options.push.is_none() {
        bail!("--digest-file needs --push");
    }
    Ok(options)
}

pub(crate) fn run(args: &[String]) -> Result<()> {
    let options = parse(args)?;
    let bin = tools::install()?;
    let staging = target_dir().join("chart-package").join("staging");
    let chart = staging.join(CHART);
    let _ = std::fs::remove_dir_all(&staging);
    copy_dir(&project_root().join("charts").join(CHART), &chart)?;

    edit_lines(
        &chart.join("Chart.yaml"),
        |line| {
            if line.starts_with("version:") {
                Some(format!("version: {}", options.version))
            } else if line.starts_with("appVersion:") {
                Some(format!("appVersion: \"{}\"", options.app_version))
            } else {
                None
            }
        },
        2,
    )?;
    if let Some(digest) = &options.image_digest {
        edit_lines(
            &chart.join("values.yaml"),
            |line| (line == "  digest: \"\"").then(|| format!("  digest: \"{digest}\"")),
            1,
        )?;
    }

    std::fs::create_dir_all(&options.out)?;
    let package = options.out.join(format!("{CHART}-{}.tgz", options.version));
    let _ = std::fs::remove_file(&package);
    run_cmd(
        Command::new(bin.join("helm4"))
            .arg("package")
            .arg(&chart)
            .arg("--destination")
            .arg(&options.out),
    )?;
    if !package.exists() {
        bail!("helm package did not write {}", package.display());
    }
    check_package(&bin, &package, &options)?;
    eprintln!("xtask chart-package: {} checked", package.display());

    if let Some(registry) = &options.push {
        let out = Command::new(bin.join("helm4"))
            .arg("push")
            .arg(&package)
            .arg(registry)
            .output()
            .context("running helm push")?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        eprint!("{text}");
        if !out.status.success() {
            bail!("helm push {} {registry} failed", package.display());
        }
        let digest = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("Digest:"))
            .map(str::trim)
            .filter(|d| is_digest(d))
            .context("helm push printed no `Digest: sha256:...`")?;
        let file = options
            .digest_file
            .clone()
            .unwrap_or_else(|| options.out.join("digest"));
        std::fs::write(&file, format!("{digest}\n"))
            .with_context(|| format!("writing {}", file.display()))?;
        eprintln!(
            "xtask chart-package: pushed {registry}/{CHART}:{} as {digest}",
            options.version
        );
    }
    Ok(())
}

/// The image reference every container of the packaged chart must run.
fn expected_image(options: &Options) -> String {
    let values = std::fs::read_to_string(
        project_root()
            .join("charts")
            .join(CHART)
            .join("values.yaml"),
    )
    .unwrap_or_default();
    let repository = values
        .lines()
        .find_map(|l| l.strip_prefix("  repository: "))
        .unwrap_or("ghcr.io/gitops-status/gitops-status")
        .trim()
        .to_owned();
    match &options.image_digest {
        Some(digest) => format!("{repository}:{}@{digest}", options.app_version),
        None => format!("{repository}:{}", options.app_version),
    }
}

fn check_package(bin: &Path, package: &Path, options: &Options) -> Result<()> {
    // What it carries.
    let file = std::fs::File::open(package)?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut names = Vec::new();
    for entry in tar.entries()? {
        names.push(entry?.path()?.display().to_string());
    }
    for wanted in [
        "Chart.yaml",
        "values.yaml",
        "values.schema.json",
        "README.md",
    ] {
        let path = format!("{CHART}/{wanted}");
        if !names.contains(&path) {
            bail!("{} does not carry {path}", package.display());
        }
    }
    if let Some(name) = names.iter().find(|n| n.ends_with("values.schema.in.json")) {
        bail!(
            "{} carries {name}, the schema's hand-written input (.helmignore)",
            package.display()
        );
    }
    // That it lints under both Helm majors.
    for helm in ["helm3", "helm4"] {
        run_cmd(
            Command::new(bin.join(helm))
                .args(["lint", "--strict"])
                .arg(package),
        )?;
    }
    // That every container runs the released image (the test pod and the PostSync job too).
    let out = Command::new(bin.join("helm4"))
        .args(["template", "release-check"])
        .arg(package)
        .args(["--set", "postSyncJob.enabled=true"])
        .output()
        .context("running helm template")?;
    if !out.status.success() {
        bail!(
            "helm template {}: {}",
            package.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let rendered = String::from_utf8_lossy(&out.stdout);
    let expected = expected_image(options);
    let images: Vec<&str> = rendered
        .lines()
        .filter_map(|l| l.trim().strip_prefix("image: "))
        .map(|i| i.trim_matches('"'))
        .collect();
    if images.is_empty() {
        bail!("{} renders no container", package.display());
    }
    if let Some(other) = images.iter().find(|i| **i != expected) {
        bail!(
            "{} renders the image {other}, not {expected}",
            package.display()
        );
    }
    Ok(())
}

/// Rewrites the lines `edit` returns a replacement for; exactly `expected` must change, so a
/// reshaped file fails here instead of shipping unedited.
fn edit_lines(path: &Path, edit: impl Fn(&str) -> Option<String>, expected: usize) -> Result<()> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut changed = 0;
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        match edit(line) {
            Some(new) => {
                changed += 1;
                out.push_str(&new);
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    if changed != expected {
        bail!(
            "{}: expected to change {expected} line(s), found {changed}",
            path.display()
        );
    }
    std::fs::write(path, out).with_context(|| format!("writing {}", path.display()))
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    for entry in std::fs::read_dir(from).with_context(|| format!("listing {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)
                .with_context(|| format!("copying {}", entry.path().display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn parse_refuses_what_would_publish_a_broken_chart() {
        let digest = format!("sha256:{}", "a".repeat(64));
        let ok = parse(&args(&["--version", "1.2.3", "--image-digest", &digest])).unwrap();
        assert_eq!(ok.app_version, version());
        for bad in [
            &["--version", "v1.2.3"][..],
            &["--app-version", "1.2"],
            &["--image-digest", "sha256:abc"],
            &["--image-digest", "latest"],
            &["--push", "ghcr.io/x/charts"],
            &["--digest-file", "d"],
            &["--bogus"],
        ] {
            assert!(parse(&args(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn edit_lines_changes_exactly_what_it_expects() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("Chart.yaml");
        std::fs::write(&file, "# c\nversion: 0.1.0\nappVersion: \"0.1.0\"\n").unwrap();
        let bump = |l: &str| {
            l.starts_with("version:")
                .then(|| "version: 0.2.0".to_owned())
        };
        edit_lines(&file, bump, 1).unwrap();
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            "# c\nversion: 0.2.0\nappVersion: \"0.1.0\"\n"
        );
        assert!(edit_lines(&file, bump, 2).is_err());
    }
}
