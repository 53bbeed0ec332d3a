//! Server-side printing: the `Table` that `kubectl get` asks for (`Accept: ...;as=Table`)
//! instead of objects. Every table has NAME first and AGE last; the columns between come from the
//! resource's registry entry (DATA for ConfigMaps, STATUS for Namespaces).

use actix_web::HttpRequest;
use actix_web::http::header;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::resources::Resource;

/// Whether the client asked for a `Table` (`kubectl get` without `-o`).
pub(crate) fn wanted(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("as=Table"))
}

/// A list (`<Kind>List`) as a table, with the list's `resourceVersion`.
pub(crate) fn of_list(resource: &Resource, list: &Value) -> Value {
    let items = list["items"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    table(resource, items)
}

/// One object as a one-row table.
pub(crate) fn of_object(resource: &Resource, obj: &Value) -> Value {
    table(resource, std::slice::from_ref(obj))
}

fn column(name: &str, format: &str, description: &str) -> Value {
    json!({"name": name, "type": "string", "format": format, "description": description, "priority": 0})
}

fn table(resource: &Resource, items: &[Value]) -> Value {
    let rows: Vec<Value> = items
        .iter()
        .map(|obj| {
            let mut cells = vec![obj["metadata"]["name"].clone()];
            cells.extend(resource.columns.iter().map(|c| (c.cell)(obj)));
            cells.push(age(obj).into());
            json!({
                "cells": cells,
                "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]},
            })
        })
        .collect();
    let mut columns = vec![column(
        "Name",
        "name",
        "Name must be unique within a namespace.",
    )];
    columns.extend(
        resource
            .columns
            .iter()
            .map(|c| column(c.name, "", c.description)),
    );
    columns.push(column(
        "Age",
        "",
        "CreationTimestamp is a timestamp representing the server time when this object was created.",
    ));
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {},
        "columnDefinitions": columns,
        "rows": rows,
    })
}

fn age(obj: &Value) -> String {
    obj["metadata"]["creationTimestamp"]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| human_age(Utc::now().signed_duration_since(t).num_seconds()))
        .unwrap_or_else(|| "<unknown>".to_owned())
}

/// kubectl's short ages: `42s`, `5m`, `3h`.
fn human_age(seconds: i64) -> String {
    match seconds.max(0) {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s => format!("{}h", s / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::{CONFIGMAPS, NAMESPACES};

    #[test]
    fn columns_come_from_the_registry() {
        let cm = json!({"metadata": {"name": "live", "creationTimestamp": "2020-01-01T00:00:00Z"},
            "data": {"a": "1", "b": "2"}, "binaryData": {"c": "AA=="}});
        let table = of_object(&CONFIGMAPS, &cm);
        let names: Vec<&str> = table["columnDefinitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Name", "Data", "Age"]);
        assert_eq!(table["rows"][0]["cells"][0], "live");
        assert_eq!(table["rows"][0]["cells"][1], 3);
        let ns = json!({"metadata": {"name": "default"}, "status": {"phase": "Active"}});
        let table = of_list(&NAMESPACES, &json!({"items": [ns]}));
        assert_eq!(
            table["rows"][0]["cells"],
            json!(["default", "Active", "<unknown>"])
        );
    }

    #[test]
    fn ages_read_as_kubectl_prints_them() {
        assert_eq!(human_age(-5), "0s");
        assert_eq!(human_age(119), "119s");
        assert_eq!(human_age(600), "10m");
        assert_eq!(human_age(7200), "2h");
    }
}
