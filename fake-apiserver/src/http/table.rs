//! Server-side printing: the `Table` that `kubectl get` asks for (`Accept: ...;as=Table`)
//! instead of objects. Every table has NAME first; the columns after it come from the
//! resource's registry entry (DATA and AGE for ConfigMaps, SYNC STATUS and HEALTH STATUS for
//! Argo CD Applications).

use actix_web::HttpRequest;
use actix_web::http::header;
use serde_json::{Value, json};

use crate::resources::Resource;

/// Whether the client asked for a `Table` (`kubectl get` without `-o`).
pub(crate) fn wanted(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("as=Table"))
}

/// A list (`<Kind>List`) as a table, with the list's `resourceVersion` (which `kubectl get
/// --watch` starts its watch from).
pub(crate) fn of_list(resource: &Resource, list: &Value) -> Value {
    let items = list["items"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut table = table(resource, items);
    table["metadata"] = list["metadata"].clone();
    table
}

/// One object as a one-row table.
pub(crate) fn of_object(resource: &Resource, obj: &Value) -> Value {
    table(resource, std::slice::from_ref(obj))
}

fn column(name: &str, format: &str, description: &str, priority: u32) -> Value {
    json!({"name": name, "type": "string", "format": format, "description": description, "priority": priority})
}

fn table(resource: &Resource, items: &[Value]) -> Value {
    let rows: Vec<Value> = items
        .iter()
        .map(|obj| {
            let mut cells = vec![obj["metadata"]["name"].clone()];
            cells.extend(resource.columns.iter().map(|c| (c.cell)(obj)));
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
        0,
    )];
    columns.extend(
        resource
            .columns
            .iter()
            .map(|c| column(c.name, "", c.description, c.priority)),
    );
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {},
        "columnDefinitions": columns,
        "rows": rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::{APPLICATIONS, CONFIGMAPS, NAMESPACES};

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
        let app = json!({"metadata": {"name": "web"}, "spec": {"project": "default"},
            "status": {"sync": {"status": "Synced", "revision": "abc"}}});
        let table = of_list(
            &APPLICATIONS,
            &json!({"metadata": {"resourceVersion": "7"}, "items": [app]}),
        );
        let names: Vec<(&str, u64)> = table["columnDefinitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["name"].as_str().unwrap(), c["priority"].as_u64().unwrap()))
            .collect();
        assert_eq!(
            names,
            [
                ("Name", 0),
                ("Sync Status", 0),
                ("Health Status", 0),
                ("Revision", 10),
                ("Project", 10)
            ]
        );
        assert_eq!(
            table["rows"][0]["cells"],
            json!(["web", "Synced", null, "abc", "default"])
        );
        assert_eq!(table["metadata"]["resourceVersion"], "7");
    }
}
