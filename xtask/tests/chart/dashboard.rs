//! The Grafana dashboard ConfigMap: sidecar label, valid dashboard JSON, Infinity panels that
//! read fields the document schema actually has.

use serde_json::Value as Json;

use crate::support::{Install, find, render, str_of};

fn dashboard(values: &str) -> (serde_yaml::Value, Json) {
    let docs = render(&Install {
        release: "gitops-status",
        namespace: "monitoring",
        values,
    });
    let cm = find(&docs, "ConfigMap", "gitops-status-server-dashboard").clone();
    let json = str_of(&cm["data"]["gitops-status.json"], "dashboard JSON");
    let parsed = serde_json::from_str(json).unwrap_or_else(|e| panic!("invalid JSON: {e}"));
    (cm, parsed)
}

#[test]
fn dashboard_is_valid_grafana_json_with_infinity_panels() {
    let (cm, dash) = dashboard("grafanaDashboard:\n  enabled: true\n");
    assert_eq!(cm["metadata"]["labels"]["grafana_dashboard"], "1");
    assert_eq!(cm["metadata"]["namespace"], "monitoring");
    let text = dash.to_string();
    assert!(!text.contains("__"), "a placeholder is left: {text}");
    assert_eq!(dash["uid"], "gitops-status-server");
    assert!(dash["uid"].as_str().is_some_and(|u| u.len() <= 40));
    assert!(dash["schemaVersion"].as_u64().is_some_and(|v| v >= 36));
    let variables = dash["templating"]["list"].as_array().expect("variables");
    let datasource = variables
        .iter()
        .find(|v| v["name"] == "datasource")
        .expect("datasource variable");
    assert_eq!(datasource["type"], "datasource");
    assert_eq!(datasource["query"], "yesoreyeram-infinity-datasource");
    let base_url = variables
        .iter()
        .find(|v| v["name"] == "base_url")
        .expect("base_url variable");
    assert_eq!(
        base_url["query"],
        "http://gitops-status-server.monitoring.svc.cluster.local:80"
    );

    let schema = status_core::json_schema();
    let fields = schema["properties"].as_object().expect("schema properties");
    let panels = dash["panels"].as_array().expect("panels");
    let titles: Vec<&str> = panels
        .iter()
        .map(|p| p["title"].as_str().unwrap_or(""))
        .collect();
    for wanted in [
        "Sync status",
        "Drift count",
        "Last check",
        "Changed files",
        "Fleet",
    ] {
        assert!(titles.contains(&wanted), "no {wanted} panel in {titles:?}");
    }
    let mut ids = std::collections::BTreeSet::new();
    for panel in panels {
        let title = panel["title"].as_str().unwrap_or("?");
        assert!(
            ids.insert(panel["id"].as_u64().expect("panel id")),
            "duplicate id"
        );
        for key in ["x", "y", "w", "h"] {
            assert!(panel["gridPos"][key].is_u64(), "{title}: gridPos.{key}");
        }
        let targets = panel["targets"].as_array().expect("targets");
        assert!(!targets.is_empty(), "{title}: no query");
        for target in targets {
            assert_eq!(
                target["datasource"]["type"],
                "yesoreyeram-infinity-datasource"
            );
            assert_eq!(target["datasource"]["uid"], "${datasource}");
            let url = target["url"].as_str().expect("url");
            assert!(
                ["${base_url}/status.json", "${base_url}/statuses.json"].contains(&url),
                "{title}: url {url}"
            );
            assert_eq!(target["type"], "json");
            assert_eq!(target["source"], "url");
            for column in target["columns"].as_array().expect("columns") {
                let selector = column["selector"].as_str().expect("selector");
                // Changed files reads `files` through its root selector; its column is `file`.
                if title == "Changed files" {
                    assert!(
                        target["root_selector"]
                            .as_str()
                            .is_some_and(|r| r.starts_with("files"))
                    );
                    continue;
                }
                assert!(
                    fields.contains_key(selector),
                    "{title}: no field {selector} in the document schema"
                );
            }
        }
    }
}

/// The fleet table: one row per document of `/statuses.json`, a root array that Infinity reads
/// with no root selector, with the columns a fleet of Argo CD Applications is read by.
#[test]
fn the_fleet_table_reads_every_document_of_statuses_json() {
    let (_, dash) = dashboard("grafanaDashboard:\n  enabled: true\n");
    let fleet = dash["panels"]
        .as_array()
        .expect("panels")
        .iter()
        .find(|p| p["title"] == "Fleet")
        .expect("a Fleet panel");
    assert_eq!(fleet["type"], "table");
    let targets = fleet["targets"].as_array().expect("targets");
    assert_eq!(targets.len(), 1);
    let query = &targets[0];
    assert_eq!(query["url"], "${base_url}/statuses.json");
    assert_eq!(query["root_selector"], "", "the array is at the root");
    assert_eq!(query["parser"], "backend");
    assert_eq!(query["format"], "table");
    let columns: Vec<(&str, &str)> = query["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| {
            (
                c["selector"].as_str().expect("selector"),
                c["type"].as_str().expect("type"),
            )
        })
        .collect();
    assert_eq!(
        columns,
        [
            ("app", "string"),
            ("repo", "string"),
            ("server", "string"),
            ("sync_status", "string"),
            ("health_status", "string"),
            ("drift_count", "number"),
            ("last_check", "timestamp"),
        ]
    );
    // Every value of the two status columns has a colour.
    let overrides = fleet["fieldConfig"]["overrides"]
        .as_array()
        .expect("overrides");
    let mapped = |column: &str| -> Vec<String> {
        let column_override = overrides
            .iter()
            .find(|o| o["matcher"]["options"] == column)
            .unwrap_or_else(|| panic!("no override for {column}"));
        column_override["properties"]
            .as_array()
            .expect("properties")
            .iter()
            .find(|p| p["id"] == "mappings")
            .and_then(|p| p["value"][0]["options"].as_object())
            .expect("value mappings")
            .keys()
            .cloned()
            .collect()
    };
    let mut sync = mapped("Sync");
    sync.sort();
    assert_eq!(sync, ["ERROR", "OUT_OF_SYNC", "SYNCED", "UNKNOWN"]);
    let mut health = mapped("Health");
    health.sort();
    assert_eq!(
        health,
        [
            "Degraded",
            "Healthy",
            "Missing",
            "Progressing",
            "Suspended",
            "Unknown"
        ]
    );
}

#[test]
fn dashboard_url_can_be_overridden() {
    let (_, dash) =
        dashboard("grafanaDashboard:\n  enabled: true\n  url: https://status.example.com/\n");
    let base_url = dash["templating"]["list"]
        .as_array()
        .expect("variables")
        .iter()
        .find(|v| v["name"] == "base_url")
        .expect("base_url")
        .clone();
    assert_eq!(base_url["query"], "https://status.example.com");
}
