//! `cargo xtask set-version X.Y.Z`: writes a new version everywhere `release-check` looks for
//! it, so cutting a release is this, a review of CHANGELOG.md, a commit and a tag. The version
//! may be the current one when that was never released (the first release).
//!
//! - `Cargo.toml`: `[workspace.package] version` and the `version` of every workspace crate in
//!   `[workspace.dependencies]`; then `Cargo.lock` (`cargo update --workspace --offline`).
//! - The chart's `version` and `appVersion`.
//! - `STATUSCTL_VERSION` in the push action and the GitLab CI template.
//! - Released artifacts named in README.md, docs/ and the usage comments of the action and the
//!   GitLab template (`gitops-status:X.Y.Z`, `push@vX.Y.Z`, ...).
//! - CHANGELOG.md: the Unreleased notes become `## [X.Y.Z] - <today, UTC>` under a new, empty
//!   Unreleased section, and the link references follow.
//!
//! Lines are edited in place (comments and layout stay); `release-check` runs at the end.

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::crates::Version;
use crate::lint::GITLAB_TEMPLATE;
use crate::release_check::{self, ACTION, VERSION_VARIABLE, VERSIONED_NAMES};
use crate::{cargo, project_root, run_cmd, version};

pub(crate) fn run(args: &[String]) -> Result<()> {
    let [new] = args else {
        bail!("usage: cargo xtask set-version X.Y.Z");
    };
    let old = version();
    let parsed = Version::parse(new)?;
    let root = project_root();
    // The current version may be released as it is (the first release is 0.1.0), once.
    let changelog =
        std::fs::read_to_string(root.join("CHANGELOG.md")).context("reading CHANGELOG.md")?;
    if parsed < Version::parse(old)? {
        bail!("{new} is below the current version {old}");
    }
    if changelog.contains(&format!("\n## [{new}] ")) {
        bail!("CHANGELOG.md already has a section for {new}: it was released");
    }
    let crates = crate::crates::workspace()?;

    edit(&root.join("Cargo.toml"), |text| {
        let mut section = String::new();
        let mut out = String::new();
        for line in text.lines() {
            if line.starts_with('[') {
                section = line.to_owned();
            }
            let is_member = || {
                crates
                    .keys()
                    .any(|name| line.starts_with(&format!("{name} = {{")))
            };
            let edited = if section == "[workspace.package]" && line.starts_with("version = ") {
                format!("version = \"{new}\"")
            } else if section == "[workspace.dependencies]" && is_member() {
                line.replace(
                    &format!("version = \"{old}\""),
                    &format!("version = \"{new}\""),
                )
            } else {
                line.to_owned()
            };
            out.push_str(&edited);
            out.push('\n');
        }
        out
    })?;
    edit(
        &root.join("charts/gitops-status-server/Chart.yaml"),
        |text| {
            map_lines(text, |line| {
                if line.starts_with("version:") {
                    format!("version: {new}")
                } else if line.starts_with("appVersion:") {
                    format!("appVersion: \"{new}\"")
                } else {
                    line.to_owned()
                }
            })
        },
    )?;
    for file in [ACTION, GITLAB_TEMPLATE] {
        edit(&root.join(file), |text| {
            map_lines(text, |line| {
                let key = format!("{VERSION_VARIABLE}: ");
                match line.find(&key) {
                    Some(at) => format!("{}{key}\"{new}\"", &line[..at]),
                    None => line.to_owned(),
                }
            })
        })?;
    }
    for file in release_check::documentation(&root)? {
        edit(&file, |text| {
            let mut text = text.to_owned();
            for prefix in VERSIONED_NAMES {
                text = text.replace(&format!("{prefix}{old}"), &format!("{prefix}{new}"));
            }
            text
        })?;
    }
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    edit(&root.join("CHANGELOG.md"), |text| {
        release_changelog(text, old, new, &today)
    })?;
    run_cmd(cargo().args(["update", "--workspace", "--offline"]))?;
    eprintln!(
        "xtask set-version: {old} -> {new}; review CHANGELOG.md, commit, and tag v{new} once `cargo xtask release-check` passes"
    );
    // The new version is compiled into xtask itself: check with a fresh build of it.
    run_cmd(cargo().args(["xtask", "release-check"]))
}

fn edit(path: &Path, change: impl FnOnce(&str) -> String) -> Result<()> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let changed = change(&text);
    if changed != text {
        std::fs::write(path, changed).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

fn map_lines(text: &str, f: impl Fn(&str) -> String) -> String {
    text.lines().map(|l| f(l) + "\n").collect()
}

/// Turns the Unreleased section into the `new` release and opens an empty Unreleased section.
fn release_changelog(text: &str, old: &str, new: &str, today: &str) -> String {
    let repository = "https://github.com/gitops-status/gitops-status";
    let mut out = String::new();
    for line in text.lines() {
        if line == "## [Unreleased]" {
            out.push_str(&format!("## [Unreleased]\n\n## [{new}] - {today}\n"));
        } else if line.starts_with("[Unreleased]: ") {
            out.push_str(&format!(
                "[Unreleased]: {repository}/compare/v{new}...HEAD\n"
            ));
            // The first release has nothing to compare with.
            if text.contains(&format!("\n[{old}]: ")) {
                out.push_str(&format!("[{new}]: {repository}/compare/v{old}...v{new}\n"));
            } else {
                out.push_str(&format!("[{new}]: {repository}/releases/tag/v{new}\n"));
            }
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unreleased_notes_become_the_release() {
        let before = "# Changelog\n\n## [Unreleased]\n\n### Added\n- a\n\n## [0.1.0] - 2026-07-01\n\n- b\n\n[Unreleased]: https://github.com/gitops-status/gitops-status/compare/v0.1.0...HEAD\n[0.1.0]: https://github.com/gitops-status/gitops-status/releases/tag/v0.1.0\n";
        let after = release_changelog(before, "0.1.0", "0.2.0", "2026-08-01");
        let sections = release_check::changelog_sections(&after).unwrap();
        assert_eq!(sections[0].body.trim(), "");
        assert_eq!(sections[1].version.as_deref(), Some("0.2.0"));
        assert_eq!(sections[1].date.as_deref(), Some("2026-08-01"));
        assert_eq!(sections[1].body.trim(), "### Added\n- a");
        assert!(after.contains(
            "[Unreleased]: https://github.com/gitops-status/gitops-status/compare/v0.2.0...HEAD\n"
        ));
        assert!(after.contains(
            "[0.2.0]: https://github.com/gitops-status/gitops-status/compare/v0.1.0...v0.2.0\n"
        ));
    }

    #[test]
    fn the_first_release_links_to_its_tag() {
        let before = "# Changelog\n\n## [Unreleased]\n\n- a\n\n[Unreleased]: https://github.com/gitops-status/gitops-status/commits/main\n";
        let after = release_changelog(before, "0.1.0", "0.1.1", "2026-08-01");
        release_check::changelog_sections(&after).unwrap();
        assert!(after.contains(
            "[0.1.1]: https://github.com/gitops-status/gitops-status/releases/tag/v0.1.1\n"
        ));
    }
}
