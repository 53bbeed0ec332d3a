//! `cargo xtask publish`: publishes the workspace's published crates to crates.io, in
//! dependency order, idempotently.
//!
//! ```text
//! cargo xtask publish [--dry-run]
//! ```
//!
//! For each crate `release-check` would publish (status-core first): when crates.io already has
//! this version (a re-run after a partial publish), it is skipped; when crates.io has an earlier
//! version, `cargo semver-checks` compares the public API with it first (a breaking change in a
//! minor release fails here, before anything is uploaded); then `cargo publish --locked`.
//! crates.io is asked through its sparse index with `curl`. The token comes from the
//! environment (`CARGO_REGISTRY_TOKEN`; the release workflow gets a short-lived one by trusted
//! publishing), never from a flag.

use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::crates::{self, Version};
use crate::{cargo, run_cmd, target_dir};

pub(crate) fn run(args: &[String]) -> Result<()> {
    let dry_run = match args {
        [] => false,
        [flag] if flag == "--dry-run" => true,
        _ => bail!("usage: cargo xtask publish [--dry-run]"),
    };
    let crates = crates::workspace()?;
    let order = crates::publish_order(&crates)?;
    for krate in &order {
        let published = published_versions(&krate.name)?;
        if published.iter().any(|v| v == &krate.version) {
            eprintln!(
                "xtask publish: {} {} is already on crates.io; skipped",
                krate.name, krate.version
            );
            continue;
        }
        let version = Version::parse(&krate.version)?;
        let earlier = published
            .iter()
            .filter_map(|v| Version::parse(v).ok())
            .filter(|v| *v < version)
            .max();
        match earlier {
            Some(baseline) => run_cmd(
                cargo()
                    .args(["semver-checks", "check-release", "-p", &krate.name])
                    .args(["--baseline-version", &baseline.to_string()]),
            )
            .with_context(|| {
                format!(
                    "cargo semver-checks of {} against {baseline} (install it with `cargo install --locked cargo-semver-checks`)",
                    krate.name
                )
            })?,
            None => eprintln!(
                "xtask publish: {} has no earlier version on crates.io: nothing to check semver against",
                krate.name
            ),
        }
        let mut publish = cargo();
        publish.args(["publish", "--locked", "-p", &krate.name]);
        if dry_run {
            publish.arg("--dry-run");
        }
        run_cmd(&mut publish)?;
    }
    Ok(())
}

/// The versions of a crate on crates.io (none when it was never published).
fn published_versions(name: &str) -> Result<Vec<String>> {
    let url = format!("https://index.crates.io/{}", index_path(name));
    let file = target_dir().join("publish").join(format!("{name}.index"));
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let out = Command::new("curl")
        .args([
            "--silent",
            "--show-error",
            "--location",
            "--retry",
            "3",
            "--output",
        ])
        .arg(&file)
        .args(["--write-out", "%{http_code}", &url])
        .output()
        .context("running curl")?;
    let code = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    match code.as_str() {
        "200" => {}
        "404" => return Ok(Vec::new()),
        _ => bail!(
            "asking crates.io for {name} ({url}): HTTP {code} {}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
    let text = std::fs::read_to_string(&file)?;
    parse_index(&text)
}

/// The sparse index path of a crate name (the crates.io index layout).
fn index_path(name: &str) -> String {
    let name = name.to_ascii_lowercase();
    match name.len() {
        1 => format!("1/{name}"),
        2 => format!("2/{name}"),
        3 => format!("3/{}/{name}", &name[..1]),
        _ => format!("{}/{}/{name}", &name[..2], &name[2..4]),
    }
}

/// The `vers` of every line of a sparse index file (one JSON object per version).
fn parse_index(text: &str) -> Result<Vec<String>> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let entry: serde_json::Value =
                serde_json::from_str(line).context("parsing a crates.io index line")?;
            entry["vers"]
                .as_str()
                .map(str::to_owned)
                .context("a crates.io index line without `vers`")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_paths_follow_the_crates_io_layout() {
        assert_eq!(index_path("a"), "1/a");
        assert_eq!(index_path("ab"), "2/ab");
        assert_eq!(index_path("abc"), "3/a/abc");
        assert_eq!(index_path("status-core"), "st/at/status-core");
        assert_eq!(index_path("Serde"), "se/rd/serde");
    }

    #[test]
    fn index_lines_give_the_published_versions() {
        let text = "{\"name\":\"x\",\"vers\":\"0.1.0\",\"yanked\":false}\n{\"name\":\"x\",\"vers\":\"0.2.0\",\"yanked\":true}\n";
        assert_eq!(parse_index(text).unwrap(), ["0.1.0", "0.2.0"]);
        assert!(parse_index("{\"name\":\"x\"}").is_err());
    }
}
