//! The workspace's crates as `cargo metadata` describes them: versions, which are published to
//! crates.io, and the order they must be published in. Shared by `release-check`, `publish` and
//! `set-version`, so the three never disagree about what is released.

use std::collections::BTreeMap;
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::{cargo, project_root};

/// One workspace member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Crate {
    pub(crate) name: String,
    pub(crate) version: String,
    /// Whether `publish` allows crates.io (`publish = false` is an empty list in the metadata).
    pub(crate) published: bool,
    /// Workspace members it needs when installed from a registry: normal and build
    /// dependencies (dev-dependencies are dropped from a published manifest).
    pub(crate) needs: Vec<String>,
    /// The version requirements other members write for it (`status-core = { version = ... }`).
    pub(crate) requirements: Vec<String>,
    /// For published crates: the manifest fields crates.io shows, if missing.
    pub(crate) missing_metadata: Vec<&'static str>,
}

/// Every workspace member, by name.
pub(crate) fn workspace() -> Result<BTreeMap<String, Crate>> {
    let out = Command::new(cargo().get_program())
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(project_root())
        .output()
        .context("running cargo metadata")?;
    if !out.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let metadata: Value = serde_json::from_slice(&out.stdout).context("parsing cargo metadata")?;
    parse(&metadata)
}

fn parse(metadata: &Value) -> Result<BTreeMap<String, Crate>> {
    let packages = metadata["packages"]
        .as_array()
        .context("cargo metadata has no packages")?;
    let members: Vec<&str> = packages.iter().filter_map(|p| p["name"].as_str()).collect();
    let mut crates = BTreeMap::new();
    for package in packages {
        let name = package["name"]
            .as_str()
            .context("a package without a name")?;
        let published = match &package["publish"] {
            Value::Null => true,
            Value::Array(registries) => registries.iter().any(|r| r == "crates-io"),
            _ => false,
        };
        let mut needs = Vec::new();
        for dependency in package["dependencies"].as_array().into_iter().flatten() {
            let dep = dependency["name"].as_str().unwrap_or_default();
            if members.contains(&dep) && dependency["kind"].as_str() != Some("dev") {
                needs.push(dep.to_owned());
            }
        }
        needs.sort();
        needs.dedup();
        let mut missing_metadata = Vec::new();
        if published {
            for field in ["description", "license", "repository", "readme"] {
                if package[field].as_str().is_none_or(str::is_empty) {
                    missing_metadata.push(field);
                }
            }
        }
        crates.insert(
            name.to_owned(),
            Crate {
                name: name.to_owned(),
                version: package["version"].as_str().unwrap_or_default().to_owned(),
                published,
                needs,
                requirements: Vec::new(),
                missing_metadata,
            },
        );
    }
    // The requirements members write for each other (normal, build and dev alike: a published
    // manifest keeps the version of a path dependency).
    for package in packages {
        for dependency in package["dependencies"].as_array().into_iter().flatten() {
            let dep = dependency["name"].as_str().unwrap_or_default();
            let req = dependency["req"].as_str().unwrap_or("*");
            if let Some(target) = crates.get_mut(dep)
                && req != "*"
                && !target.requirements.iter().any(|r| r == req)
            {
                target.requirements.push(req.to_owned());
            }
        }
    }
    Ok(crates)
}

/// The published crates, each after the workspace crates it needs. A published crate that
/// needs an unpublished one is an error: `cargo install` and `cargo add` users could not build
/// it.
pub(crate) fn publish_order(crates: &BTreeMap<String, Crate>) -> Result<Vec<Crate>> {
    let mut order: Vec<Crate> = Vec::new();
    let mut pending: Vec<&Crate> = crates.values().filter(|c| c.published).collect();
    for krate in &pending {
        for need in &krate.needs {
            if crates.get(need).is_some_and(|n| !n.published) {
                bail!(
                    "{} is published but needs {need}, which is not (`publish = false`): publish {need} too, or set `publish = false` on {}",
                    krate.name,
                    krate.name
                );
            }
        }
    }
    while !pending.is_empty() {
        let ready = pending
            .iter()
            .position(|c| c.needs.iter().all(|n| order.iter().any(|o| &o.name == n)))
            .with_context(|| {
                format!(
                    "the published crates depend on each other in a cycle: {}",
                    pending
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
        order.push(pending.remove(ready).clone());
    }
    Ok(order)
}

/// A `MAJOR.MINOR.PATCH` version (SemVer without pre-release or build parts, which this
/// project does not use), comparable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Version(pub(crate) u64, pub(crate) u64, pub(crate) u64);

impl Version {
    pub(crate) fn parse(s: &str) -> Result<Version> {
        let parts: Vec<&str> = s.split('.').collect();
        let number = |p: &str| -> Result<u64> {
            if p.is_empty() || (p.len() > 1 && p.starts_with('0')) {
                bail!("`{s}` is not MAJOR.MINOR.PATCH");
            }
            p.parse()
                .with_context(|| format!("`{s}` is not MAJOR.MINOR.PATCH"))
        };
        match parts.as_slice() {
            [major, minor, patch] => Ok(Version(number(major)?, number(minor)?, number(patch)?)),
            _ => bail!("`{s}` is not MAJOR.MINOR.PATCH"),
        }
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata() -> Value {
        serde_json::json!({ "packages": [
            { "name": "status-core", "version": "0.2.0", "publish": null,
              "description": "d", "license": "Apache-2.0", "repository": "r", "readme": "README.md",
              "dependencies": [{ "name": "serde", "kind": null, "req": "^1" }] },
            { "name": "status-kube", "version": "0.2.0", "publish": [],
              "dependencies": [{ "name": "status-core", "kind": null, "req": "^0.2.0" }] },
            { "name": "statusctl", "version": "0.2.0", "publish": [],
              "dependencies": [
                { "name": "status-kube", "kind": null, "req": "*" },
                { "name": "fake-apiserver", "kind": "dev", "req": "*" }] },
            { "name": "fake-apiserver", "version": "0.2.0", "publish": [], "dependencies": [] },
        ]})
    }

    #[test]
    fn only_crates_io_crates_are_published_in_dependency_order() {
        let crates = parse(&metadata()).unwrap();
        let order = publish_order(&crates).unwrap();
        assert_eq!(
            order.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
            ["status-core"]
        );
        assert_eq!(crates["status-core"].requirements, ["^0.2.0"]);
        assert_eq!(crates["statusctl"].needs, ["status-kube"]);
        assert!(crates["status-core"].missing_metadata.is_empty());
    }

    #[test]
    fn a_published_crate_needing_an_unpublished_one_is_refused() {
        let mut metadata = metadata();
        metadata["packages"][2]["publish"] = Value::Null;
        let crates = parse(&metadata).unwrap();
        let error = publish_order(&crates).unwrap_err();
        assert!(
            format!("{error:#}").contains("statusctl is published but needs status-kube"),
            "{error:#}"
        );
        assert_eq!(
            crates["statusctl"].missing_metadata,
            ["description", "license", "repository", "readme"]
        );
    }

    #[test]
    fn dependencies_come_first() {
        let mut metadata = metadata();
        metadata["packages"][1]["publish"] = Value::Null;
        metadata["packages"][2]["publish"] = Value::Null;
        let crates = parse(&metadata).unwrap();
        let order = publish_order(&crates).unwrap();
        assert_eq!(
            order.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
            ["status-core", "status-kube", "statusctl"]
        );
    }

    #[test]
    fn versions_parse_strictly_and_compare_numerically() {
        assert!(Version::parse("0.10.0").unwrap() > Version::parse("0.9.9").unwrap());
        assert_eq!(Version::parse("1.2.3").unwrap().to_string(), "1.2.3");
        for bad in ["1.2", "1.2.3.4", "v1.2.3", "1.02.3", "1.2.3-rc.1", ""] {
            assert!(Version::parse(bad).is_err(), "{bad}");
        }
    }
}
