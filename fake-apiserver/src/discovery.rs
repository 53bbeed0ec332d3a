//! Discovery, produced from the registry: `/version`, `/api` and `/apis` (the legacy,
//! non-aggregated documents; kubectl falls back to them when the aggregated form is not
//! served), `/apis/{group}`, and the resource lists of `/api/v1` and `/apis/{group}/{version}`.

use serde_json::{Value, json};

use crate::resources::{self, Resource};

/// `/version`.
pub(crate) fn version() -> Value {
    json!({
        "major": "1",
        "minor": "35",
        "emulationMajor": "1",
        "emulationMinor": "35",
        "minCompatibilityMajor": "1",
        "minCompatibilityMinor": "34",
        "gitVersion": "v1.35.0-fake",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.25.0",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

/// `/api`: the core group's versions.
pub(crate) fn api(server_address: &str) -> Value {
    let versions: Vec<&str> = resources::group_versions()
        .into_iter()
        .filter(|(group, _)| group.is_empty())
        .map(|(_, version)| version)
        .collect();
    json!({
        "kind": "APIVersions",
        "versions": versions,
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    })
}

/// `/apis`: every group but the core one.
pub(crate) fn apis() -> Value {
    let mut names: Vec<&str> = Vec::new();
    for (group, _) in resources::group_versions() {
        if !group.is_empty() && !names.contains(&group) {
            names.push(group);
        }
    }
    let groups: Vec<Value> = names.into_iter().map(group_body).collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `/apis/{group}`, or `None` when the group is not served.
pub(crate) fn group(name: &str) -> Option<Value> {
    let served = !name.is_empty()
        && resources::group_versions()
            .iter()
            .any(|(group, _)| *group == name);
    served.then(|| {
        let mut group = group_body(name);
        group["kind"] = "APIGroup".into();
        group["apiVersion"] = "v1".into();
        group
    })
}

/// A group's name, versions and preferred (first) version.
fn group_body(name: &str) -> Value {
    let versions: Vec<Value> = resources::group_versions()
        .into_iter()
        .filter(|(group, _)| *group == name)
        .map(|(group, version)| json!({"groupVersion": format!("{group}/{version}"), "version": version}))
        .collect();
    json!({"name": name, "preferredVersion": versions.first(), "versions": versions})
}

/// `/api/v1` or `/apis/{group}/{version}`: the resources served there, or `None`.
pub(crate) fn resources(group: &str, version: &str) -> Option<Value> {
    let served = resources::in_group_version(group, version);
    let first = served.first()?;
    let list: Vec<Value> = served.iter().map(|r| resource(r)).collect();
    Some(json!({
        "kind": "APIResourceList",
        "groupVersion": first.api_version(),
        "resources": list,
    }))
}

fn resource(r: &Resource) -> Value {
    json!({
        "name": r.plural,
        "singularName": r.singular,
        "namespaced": r.namespaced(),
        "kind": r.kind,
        "verbs": r.verbs,
        "shortNames": r.short_names,
        "storageVersionHash": r.storage_version_hash,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::{APPLICATIONS, CONFIGMAPS, NAMESPACES};

    #[test]
    fn the_core_group_lists_the_registry() {
        let v1 = resources("", "v1").unwrap();
        assert_eq!(v1["groupVersion"], "v1");
        assert_eq!(v1["resources"][0]["name"], CONFIGMAPS.plural);
        assert_eq!(v1["resources"][0]["shortNames"], json!(["cm"]));
        assert_eq!(v1["resources"][1]["name"], NAMESPACES.plural);
        assert_eq!(v1["resources"][1]["namespaced"], false);
        assert_eq!(api("127.0.0.1:1")["versions"], json!(["v1"]));
        assert!(group("apps").is_none() && group("").is_none());
        assert!(resources("apps", "v1").is_none());
    }

    #[test]
    fn argo_cd_is_a_group_of_its_own() {
        let argo = json!({"groupVersion": "argoproj.io/v1alpha1", "version": "v1alpha1"});
        assert_eq!(
            apis()["groups"],
            json!([{"name": "argoproj.io", "preferredVersion": argo, "versions": [argo]}])
        );
        assert_eq!(group("argoproj.io").unwrap()["kind"], "APIGroup");
        let list = resources("argoproj.io", "v1alpha1").unwrap();
        assert_eq!(list["groupVersion"], "argoproj.io/v1alpha1");
        assert_eq!(list["resources"][0]["name"], APPLICATIONS.plural);
        assert_eq!(list["resources"][0]["shortNames"], json!(["app", "apps"]));
        assert_eq!(list["resources"][0]["namespaced"], true);
        assert!(
            list["resources"][0]["verbs"]
                .as_array()
                .unwrap()
                .contains(&json!("watch"))
        );
    }
}
