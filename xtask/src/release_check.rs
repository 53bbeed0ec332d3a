//! `cargo xtask release-check`: what must hold before a release tag is pushed, and what the
//! release workflow checks again on the tag before it builds anything.
//!
//! ```text
//! cargo xtask release-check [--tag vX.Y.Z [--notes PATH]]
//! ```
//!
//! - **One version everywhere** (the project releases all it ships under one SemVer version):
//!   every workspace crate, the requirements crates write for each other, the chart's `version`
//!   and `appVersion`, the statusctl version written into the push action and the GitLab CI
//!   template, and every released artifact README.md and docs/ name (`gitops-status:X.Y.Z`,
//!   `push@vX.Y.Z`, ...). `cargo xtask set-version` writes them all.
//! - **CHANGELOG.md** follows Keep a Changelog: `## [Unreleased]` first, then
//!   `## [X.Y.Z] - YYYY-MM-DD` sections, newest first, each with its link reference. With
//!   `--tag`, the tag is `v<version>` and that version's section exists and is not empty;
//!   `--notes` writes the section (the release notes).
//! - **One owner**: the repository URL, the image repository, and the push action's and GitLab
//!   template's download URL name the same GitHub repository.
//! - **Crates**: published crates have the metadata crates.io shows, none needs an unpublished
//!   one, and `cargo publish --dry-run` packages and builds them in dependency order
//!   (status-core first). Outside `--tag`, uncommitted changes are allowed in the dry run.
//! - **Chart**: lints (`--strict`) under Helm 3 and Helm 4.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_yaml::Value;

use crate::crates::{self, Version};
use crate::lint::GITLAB_TEMPLATE;
use crate::{cargo, project_root, run_cmd, tools, version};

/// The push action.
pub(crate) const ACTION: &str = "push/action.yml";
/// The variable (in the action's setup step and the GitLab template) holding the statusctl
/// version to download.
pub(crate) const VERSION_VARIABLE: &str = "STATUSCTL_VERSION";
/// The variable holding the base URL of the release downloads.
const RELEASES_VARIABLE: &str = "STATUSCTL_RELEASES";

/// How README.md, docs/ and the usage comments of the action and the GitLab template name
/// released artifacts: each prefix is followed by the version (the image, download URLs and
/// archive names, the action, the GitLab template, the chart, a tag to build from, the
/// verification examples' `VERSION=`).
pub(crate) const VERSIONED_NAMES: [&str; 9] = [
    "ghcr.io/gitops-status/gitops-status:",
    "/releases/download/v",
    "statusctl-",
    "status-server-",
    "gitops-status/push@v",
    "gitops-status/gitops-status/v",
    "--version ",
    "--tag v",
    "VERSION=",
];

const USAGE: &str = "usage: cargo xtask release-check [--tag vX.Y.Z [--notes PATH]]";

pub(crate) fn run(args: &[String]) -> Result<()> {
    let mut tag = None;
    let mut notes = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--tag" => tag = Some(it.next().context("--tag needs a value")?.clone()),
            "--notes" => {
                notes = Some(crate::absolute(
                    it.next().context("--notes needs a value")?.clone(),
                ))
            }
            other => bail!("unknown argument `{other}`\n{USAGE}"),
        }
    }
    if notes.is_some() && tag.is_none() {
        bail!("--notes needs --tag\n{USAGE}");
    }
    let root = project_root();
    let version = version();
    Version::parse(version).context("the workspace version")?;

    let mut problems = Vec::new();
    if let Some(tag) = &tag
        && tag != &format!("v{version}")
    {
        problems.push(format!(
            "the tag {tag} is not v{version}, the workspace version"
        ));
    }
    let crates = crates::workspace()?;
    problems.extend(version_problems(&root, version, &crates)?);
    problems.extend(owner_problems(&root)?);
    let changelog =
        std::fs::read_to_string(root.join("CHANGELOG.md")).context("reading CHANGELOG.md")?;
    let sections = match changelog_sections(&changelog) {
        Ok(sections) => sections,
        Err(e) => {
            problems.push(format!("CHANGELOG.md: {e:#}"));
            Vec::new()
        }
    };
    let section = sections
        .iter()
        .find(|s| s.version.as_deref() == Some(version));
    if tag.is_some() {
        match section {
            None => problems.push(format!(
                "CHANGELOG.md has no `## [{version}] - YYYY-MM-DD` section: move the Unreleased notes there (`cargo xtask set-version {version}` does)"
            )),
            Some(s) if s.body.trim().is_empty() => {
                problems.push(format!("CHANGELOG.md: the section of {version} is empty"));
            }
            Some(_) => {}
        }
    }
    let order = match crates::publish_order(&crates) {
        Ok(order) => order,
        Err(e) => {
            problems.push(format!("{e:#}"));
            Vec::new()
        }
    };
    for krate in &order {
        if !krate.missing_metadata.is_empty() {
            problems.push(format!(
                "{} is published but its manifest has no {}",
                krate.name,
                krate.missing_metadata.join(", ")
            ));
        }
    }
    if !problems.is_empty() {
        bail!("not releasable:\n  - {}", problems.join("\n  - "));
    }

    // The slower checks, once the cheap ones agree.
    if order.is_empty() {
        bail!("no crate is published: status-core must be (it is what `cargo add` users get)");
    }
    let mut publish = cargo();
    publish.args(["publish", "--dry-run", "--locked"]);
    for krate in &order {
        publish.args(["-p", &krate.name]);
    }
    if tag.is_none() {
        publish.arg("--allow-dirty");
    }
    run_cmd(&mut publish)?;
    let bin = tools::install()?;
    for helm in ["helm3", "helm4"] {
        run_cmd(
            Command::new(bin.join(helm))
                .args(["lint", "--strict"])
                .arg(root.join("charts/gitops-status-server")),
        )?;
    }

    if let (Some(path), Some(section)) = (&notes, section) {
        std::fs::write(path, release_notes(section, version))
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("xtask release-check: release notes in {}", path.display());
    }
    eprintln!(
        "xtask release-check: {version} is releasable (crates published in this order: {})",
        order
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

/// Where the version is recorded, and what disagrees with `version`.
fn version_problems(
    root: &Path,
    version: &str,
    crates: &std::collections::BTreeMap<String, crates::Crate>,
) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    for krate in crates.values() {
        if krate.version != version {
            problems.push(format!(
                "{} is at {}, not {version}",
                krate.name, krate.version
            ));
        }
        for req in &krate.requirements {
            if req != &format!("^{version}") {
                problems.push(format!(
                    "{} is required as `{req}` somewhere: write version = \"{version}\" in [workspace.dependencies]",
                    krate.name
                ));
            }
        }
    }
    let chart: Value = serde_yaml::from_str(
        &std::fs::read_to_string(root.join("charts/gitops-status-server/Chart.yaml"))
            .context("reading Chart.yaml")?,
    )
    .context("parsing Chart.yaml")?;
    for key in ["version", "appVersion"] {
        let found = scalar(&chart[key]);
        if found.as_deref() != Some(version) {
            problems.push(format!("Chart.yaml {key} is {found:?}, not {version}"));
        }
    }
    for file in [ACTION, GITLAB_TEMPLATE] {
        let found = variable(&root.join(file), VERSION_VARIABLE)?;
        if found.as_deref() != Some(version) {
            problems.push(format!(
                "{file}: {VERSION_VARIABLE} is {found:?}, not {version}"
            ));
        }
    }
    for file in documentation(root)? {
        let text = std::fs::read_to_string(&file)?;
        for (line, found) in versioned_names(&text) {
            if found != version {
                problems.push(format!(
                    "{}:{line}: names version {found}, not {version}",
                    file.strip_prefix(root).unwrap_or(&file).display()
                ));
            }
        }
    }
    Ok(problems)
}

/// README.md, the Markdown under docs/ (not CHANGELOG.md: it names every version), and the
/// files whose comments show how to use a release (the action, the GitLab template).
pub(crate) fn documentation(root: &Path) -> Result<Vec<std::path::PathBuf>> {
    let mut files = vec![
        root.join("README.md"),
        root.join(ACTION),
        root.join(GITLAB_TEMPLATE),
    ];
    for entry in std::fs::read_dir(root.join("docs"))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "md") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Every `MAJOR.MINOR.PATCH` that follows one of [`VERSIONED_NAMES`], with its line number.
pub(crate) fn versioned_names(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (number, line) in text.lines().enumerate() {
        for prefix in VERSIONED_NAMES {
            let mut rest = line;
            while let Some(at) = rest.find(prefix) {
                rest = &rest[at + prefix.len()..];
                let candidate: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || *c == '.')
                    .collect();
                let candidate = candidate.trim_end_matches('.');
                if Version::parse(candidate).is_ok() {
                    found.push((number + 1, candidate.to_owned()));
                }
            }
        }
    }
    found
}

/// The value of `name` wherever it is set in a YAML file (step `env:`, job `variables:`).
pub(crate) fn variable(path: &Path, name: &str) -> Result<Option<String>> {
    fn find(value: &Value, name: &str) -> Option<String> {
        match value {
            Value::Mapping(map) => map.iter().find_map(|(k, v)| {
                if k.as_str() == Some(name) {
                    scalar(v)
                } else {
                    find(v, name)
                }
            }),
            Value::Sequence(items) => items.iter().find_map(|v| find(v, name)),
            _ => None,
        }
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let doc: Value =
        serde_yaml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    Ok(find(&doc, name))
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The GitHub owner/repository of the workspace's `repository` URL, and what must name it.
fn owner_problems(root: &Path) -> Result<Vec<String>> {
    let manifest =
        std::fs::read_to_string(root.join("Cargo.toml")).context("reading Cargo.toml")?;
    let repository = manifest
        .lines()
        .find_map(|l| l.strip_prefix("repository = "))
        .map(|v| v.trim().trim_matches('"').to_owned())
        .context("Cargo.toml [workspace.package] has no repository")?;
    let Some(slug) = repository.strip_prefix("https://github.com/") else {
        return Ok(vec![format!(
            "the repository {repository} is not on github.com: the release workflow publishes to GitHub"
        )]);
    };
    let mut problems = Vec::new();
    let owner = slug.split('/').next().unwrap_or_default();
    let values = std::fs::read_to_string(root.join("charts/gitops-status-server/values.yaml"))?;
    let image = format!("ghcr.io/{owner}/gitops-status");
    if !values
        .lines()
        .any(|l| l.trim() == format!("repository: {image}"))
    {
        problems.push(format!("values.yaml image.repository is not {image}"));
    }
    let releases = format!("{repository}/releases/download");
    for file in [ACTION, GITLAB_TEMPLATE] {
        let found = variable(&root.join(file), RELEASES_VARIABLE)?;
        if found.as_deref() != Some(releases.as_str()) {
            problems.push(format!(
                "{file}: {RELEASES_VARIABLE} is {found:?}, not {releases}"
            ));
        }
    }
    Ok(problems)
}

/// One `## [...]` section of CHANGELOG.md.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Section {
    /// `None` for Unreleased.
    pub(crate) version: Option<String>,
    pub(crate) date: Option<String>,
    pub(crate) body: String,
}

/// Parses CHANGELOG.md in the Keep a Changelog shape, and refuses anything else.
pub(crate) fn changelog_sections(text: &str) -> Result<Vec<Section>> {
    if !text.starts_with("# Changelog\n") {
        bail!("the first line is not `# Changelog`");
    }
    let mut sections: Vec<Section> = Vec::new();
    let mut links = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("## ") {
            let (label, date) = match rest.split_once(" - ") {
                Some((label, date)) => (label, Some(date.trim().to_owned())),
                None => (rest.trim(), None),
            };
            let label = label
                .strip_prefix('[')
                .and_then(|l| l.strip_suffix(']'))
                .with_context(|| {
                    format!("`{line}`: a version heading is `## [X.Y.Z] - YYYY-MM-DD`")
                })?;
            let version = if label == "Unreleased" {
                if date.is_some() || !sections.is_empty() {
                    bail!("`{line}`: `## [Unreleased]` comes first, without a date");
                }
                None
            } else {
                let parsed = Version::parse(label).with_context(|| format!("`{line}`"))?;
                let Some(date) = &date else {
                    bail!("`{line}`: a release needs its date (`## [{label}] - YYYY-MM-DD`)");
                };
                if !is_date(date) {
                    bail!("`{line}`: the date is not YYYY-MM-DD");
                }
                if let Some(previous) = sections.last().and_then(|s| s.version.as_deref()) {
                    let previous = Version::parse(previous)?;
                    if parsed >= previous {
                        bail!("`{line}`: versions go newest first ({parsed} after {previous})");
                    }
                }
                Some(label.to_owned())
            };
            sections.push(Section {
                version,
                date,
                body: String::new(),
            });
        } else if line.starts_with('[') && line.contains("]: ") {
            links.push(
                line.split("]: ")
                    .next()
                    .unwrap_or_default()
                    .trim_start_matches('[')
                    .to_owned(),
            );
        } else if let Some(section) = sections.last_mut() {
            section.body.push_str(line);
            section.body.push('\n');
        }
    }
    match sections.first() {
        Some(Section { version: None, .. }) => {}
        _ => bail!("there is no `## [Unreleased]` section first"),
    }
    for section in &sections {
        let label = section.version.as_deref().unwrap_or("Unreleased");
        if !links.iter().any(|l| l == label) {
            bail!("`[{label}]` has no link reference at the end (`[{label}]: https://...`)");
        }
    }
    Ok(sections)
}

fn is_date(s: &str) -> bool {
    let bytes = s.as_bytes();
    bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        })
}

/// The release notes: the version's CHANGELOG section and where to read how to verify.
fn release_notes(section: &Section, version: &str) -> String {
    format!(
        "{}\n\nVerify what you download: `SHA256SUMS` covers every archive and SBOM and is signed \
(`SHA256SUMS.sigstore.json`); the image and the chart are signed with cosign. How: \
[docs/release.md](https://github.com/gitops-status/gitops-status/blob/v{version}/docs/release.md#verifying-a-release).\n",
        section.body.trim()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHANGELOG: &str = "# Changelog\n\nIntro.\n\n## [Unreleased]\n\n### Added\n- next\n\n## [0.2.0] - 2026-08-01\n\n### Fixed\n- a bug\n\n## [0.1.0] - 2026-07-01\n\n- first\n\n[Unreleased]: https://x/compare/v0.2.0...HEAD\n[0.2.0]: https://x/compare/v0.1.0...v0.2.0\n[0.1.0]: https://x/releases/tag/v0.1.0\n";

    #[test]
    fn a_keep_a_changelog_file_parses_into_sections() {
        let sections = changelog_sections(CHANGELOG).unwrap();
        assert_eq!(sections.len(), 3);
        assert_eq!(sections[0].version, None);
        assert_eq!(sections[1].version.as_deref(), Some("0.2.0"));
        assert_eq!(sections[1].date.as_deref(), Some("2026-08-01"));
        assert_eq!(sections[1].body.trim(), "### Fixed\n- a bug");
        let notes = release_notes(&sections[1], "0.2.0");
        assert!(notes.starts_with("### Fixed\n- a bug\n\n"), "{notes}");
        assert!(notes.contains("/blob/v0.2.0/docs/release.md"));
    }

    #[test]
    fn a_changelog_out_of_shape_is_refused() {
        let cases = [
            (CHANGELOG.replace("# Changelog", "# Changes"), "first line"),
            (CHANGELOG.replace("## [Unreleased]\n", ""), "Unreleased"),
            (
                CHANGELOG.replace("## [0.2.0] - 2026-08-01", "## [0.2.0]"),
                "needs its date",
            ),
            (
                CHANGELOG.replace("2026-08-01", "1 Aug 2026"),
                "not YYYY-MM-DD",
            ),
            (
                CHANGELOG
                    .replace("## [0.1.0]", "## [0.3.0]")
                    .replace("[0.1.0]:", "[0.3.0]:"),
                "newest first",
            ),
            (
                CHANGELOG.replace("[0.2.0]: https://x/compare/v0.1.0...v0.2.0\n", ""),
                "link reference",
            ),
            (
                CHANGELOG.replace("## [0.2.0]", "## [v0.2.0]"),
                "MAJOR.MINOR.PATCH",
            ),
        ];
        for (text, expected) in cases {
            let error = changelog_sections(&text).unwrap_err();
            assert!(
                format!("{error:#}").contains(expected),
                "{expected}: {error:#}"
            );
        }
    }

    #[test]
    fn versioned_names_finds_released_artifacts_only() {
        let text = "uses: gitops-status/gitops-status/push@v0.3.1\nimage: ghcr.io/gitops-status/gitops-status:0.3.1@sha256:x\nnginx-unprivileged:1.25-alpine statusctl-create ARG VERSION=dev\nhelm install x --version 1.2.3 \ncurl https://github.com/gitops-status/gitops-status/releases/download/v0.3.1/statusctl-0.3.2-x.tar.gz\ncargo install --git x --tag v0.3.1 statusctl; VERSION=0.3.1\n";
        assert_eq!(
            versioned_names(text),
            [
                (1, "0.3.1".to_owned()),
                (2, "0.3.1".to_owned()),
                (4, "1.2.3".to_owned()),
                (5, "0.3.1".to_owned()),
                (5, "0.3.2".to_owned()),
                (6, "0.3.1".to_owned()),
                (6, "0.3.1".to_owned()),
            ]
        );
    }

    #[test]
    fn the_repository_agrees_with_itself() {
        let root = project_root();
        assert_eq!(owner_problems(&root).unwrap(), Vec::<String>::new());
        let crates = crates::workspace().unwrap();
        assert_eq!(
            version_problems(&root, version(), &crates).unwrap(),
            Vec::<String>::new()
        );
        assert!(
            !version_problems(&root, "9.9.9", &crates)
                .unwrap()
                .is_empty()
        );
        changelog_sections(&std::fs::read_to_string(root.join("CHANGELOG.md")).unwrap()).unwrap();
    }
}
