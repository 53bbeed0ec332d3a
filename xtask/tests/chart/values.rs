//! Every value is documented (`## @param` in values.yaml, and in docs/chart.md), every
//! documented value exists, the default document is valid, the generated schema is fresh, and
//! the packaged chart carries the generated schema but not its hand-written input.

use std::collections::BTreeSet;

use serde_yaml::Value;

use crate::support::{HELMS, chart_dir, render, root, str_of};

fn values_yaml() -> String {
    std::fs::read_to_string(chart_dir().join("values.yaml")).expect("values.yaml")
}

/// The `## @param <path>` names, in file order.
fn params(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.trim_start().strip_prefix("## @param "))
        .map(|rest| {
            rest.split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

/// Every leaf path of the values (maps are walked, lists and scalars are leaves).
fn leaves(value: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    match value {
        Value::Mapping(map) if !map.is_empty() => {
            for (k, v) in map {
                let k = k.as_str().expect("string keys");
                let path = if prefix.is_empty() {
                    k.to_owned()
                } else {
                    format!("{prefix}.{k}")
                };
                leaves(v, &path, out);
            }
        }
        _ => {
            out.insert(prefix.to_owned());
        }
    }
}

#[test]
fn every_value_is_documented_and_every_param_exists() {
    let text = values_yaml();
    let values: Value = serde_yaml::from_str(&text).expect("values.yaml parses");
    let params = params(&text);
    let documented: BTreeSet<&str> = params.iter().map(String::as_str).collect();
    assert_eq!(documented.len(), params.len(), "a @param is repeated");
    let mut all = BTreeSet::new();
    leaves(&values, "", &mut all);
    for leaf in &all {
        // A leaf is documented by its own @param or by one on a parent (`statusJson`).
        let mut covered = false;
        let mut path = leaf.as_str();
        loop {
            if documented.contains(path) {
                covered = true;
                break;
            }
            match path.rsplit_once('.') {
                Some((parent, _)) => path = parent,
                None => break,
            }
        }
        assert!(covered, "value `{leaf}` has no `## @param`");
    }
    for param in &params {
        let mut node = &values;
        for part in param.split('.') {
            node = node
                .get(part)
                .unwrap_or_else(|| panic!("`## @param {param}` names no value"));
        }
    }
}

#[test]
fn docs_chart_md_lists_every_value() {
    let doc = std::fs::read_to_string(root().join("docs/chart.md")).expect("docs/chart.md");
    for param in params(&values_yaml()) {
        assert!(
            doc.contains(&format!("`{param}`")),
            "docs/chart.md does not mention `{param}`"
        );
    }
}

/// Each rendered document is valid by status-core's rules, not only by the schema, and equals
/// the values it came from (Helm merges maps: nothing from the chart's default may leak in).
#[test]
fn rendered_documents_are_valid_and_exactly_the_values() {
    for case in crate::cases::matrix() {
        let docs = render(&case.install);
        let merged: Value = {
            let defaults: Value = serde_yaml::from_str(&values_yaml()).expect("values");
            let user: Value = serde_yaml::from_str(case.install.values).unwrap_or(Value::Null);
            let mut status = defaults["statusJson"].clone();
            if let Some(user_status) = user["statusJson"].as_mapping() {
                status = Value::Mapping(user_status.clone());
            }
            status
        };
        let cm = crate::support::of_kind(&docs, "ConfigMap")
            .into_iter()
            .find(|c| !str_of(&c["metadata"]["name"], "name").ends_with("-dashboard"))
            .expect("default ConfigMap");
        let data = cm["data"].as_mapping().expect("data");
        for (key, text) in data {
            let key = str_of(key, "key");
            let text = str_of(text, "document");
            let report = status_core::validate(text.as_bytes());
            assert!(
                report.is_valid(),
                "{}: {key} is invalid: {report:?}",
                case.name
            );
            if key == "status.json" {
                let served: serde_json::Value = serde_json::from_str(text).expect("json");
                let expected: serde_json::Value =
                    serde_json::to_value(&merged).expect("yaml to json");
                assert_eq!(
                    served, expected,
                    "{}: status.json differs from statusJson",
                    case.name
                );
            }
        }
    }
}

#[test]
fn values_schema_is_fresh() {
    // `cargo xtask codegen` writes it and the xtask unit test checks every generated file; this
    // one checks the embedded document schema so that a chart run alone catches a stale one.
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(chart_dir().join("values.schema.json")).expect("schema"),
    )
    .expect("schema is JSON");
    let mut document = status_core::json_schema();
    document.as_object_mut().expect("object").remove("$schema");
    assert_eq!(
        schema["properties"]["statusJson"], document,
        "run `cargo xtask codegen`"
    );
    assert_eq!(
        schema["properties"]["extraStatusFiles"]["additionalProperties"], document,
        "run `cargo xtask codegen`"
    );
}

#[test]
fn the_package_ships_the_generated_schema_not_its_input() {
    for h in HELMS {
        let out = tempfile::tempdir().expect("temp dir");
        let package = std::process::Command::new(h.bin())
            .arg("package")
            .arg(chart_dir())
            .arg("--destination")
            .arg(out.path())
            .output()
            .expect("helm runs");
        assert!(
            package.status.success(),
            "{} package: {}",
            h.name(),
            String::from_utf8_lossy(&package.stderr)
        );
        let tgz = std::fs::read_dir(out.path())
            .expect("package dir")
            .map(|e| e.expect("entry").path())
            .find(|p| p.extension().is_some_and(|e| e == "tgz"))
            .expect("a .tgz");
        let list = std::process::Command::new("tar")
            .arg("-tzf")
            .arg(&tgz)
            .output()
            .expect("tar runs");
        let files = String::from_utf8_lossy(&list.stdout);
        let names: Vec<&str> = files.lines().collect();
        assert!(
            names.contains(&"gitops-status-server/values.schema.json"),
            "{}: {names:?}",
            h.name()
        );
        assert!(
            !names.iter().any(|n| n.ends_with("values.schema.in.json")),
            "{}: the hand-written schema input is packaged (.helmignore): {names:?}",
            h.name()
        );
    }
}
