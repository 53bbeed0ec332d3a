//! Field ownership (`metadata.managedFields`): which field manager set which field, what an
//! ordinary update takes over, and server-side apply (conflicts, `force`, and removal of the
//! fields a manager stops applying).
//!
//! It is generic over an object's fields: a field that can be owned is a leaf (a value that is
//! not an object) under one of the resource's top-level fields, or one label or annotation. For a
//! ConfigMap that is each key of `data` and `binaryData`, each label and annotation, and
//! `immutable`: the granularity that decides whether two writers of one ConfigMap keep each
//! other's keys. Lists are atomic (one field), as for untyped lists in the real server.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::status::ApiError;
use crate::store::now;

/// A field path that can be owned, such as `["data", "status.json"]` or `["immutable"]`.
pub(crate) type FieldPath = Vec<String>;

/// Who wrote: the two operations `managedFields` records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    /// Server-side apply: the manager owns exactly what it applied last.
    Apply,
    /// Any other write (create, replace, patch): the manager owns what it changed.
    Update,
}

impl Operation {
    fn as_str(self) -> &'static str {
        match self {
            Operation::Apply => "Apply",
            Operation::Update => "Update",
        }
    }
}

/// One `managedFields` entry, parsed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ManagedEntry {
    manager: String,
    operation: Operation,
    time: String,
    fields: BTreeSet<FieldPath>,
}

impl ManagedEntry {
    fn is(&self, manager: &str, operation: Operation) -> bool {
        self.manager == manager && self.operation == operation
    }
}

/// The fields an object sets that can be owned, given the resource's top-level fields.
pub(crate) fn fields_of(obj: &Value, top_level: &[&str]) -> BTreeSet<FieldPath> {
    let mut fields = BTreeSet::new();
    for field in top_level {
        collect_leaves(obj.get(*field), &mut vec![(*field).to_owned()], &mut fields);
    }
    for map in ["labels", "annotations"] {
        let node = obj.get("metadata").and_then(|m| m.get(map));
        collect_leaves(node, &mut vec!["metadata".into(), map.into()], &mut fields);
    }
    fields
}

fn collect_leaves(node: Option<&Value>, path: &mut FieldPath, out: &mut BTreeSet<FieldPath>) {
    match node {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (key, child) in map {
                path.push(key.clone());
                collect_leaves(Some(child), path, out);
                path.pop();
            }
        }
        Some(_) => {
            out.insert(path.clone());
        }
    }
}

/// The value at a field path; a null is no value.
pub(crate) fn value_at<'a>(obj: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter()
        .try_fold(obj, |v, key| v.get(key))
        .filter(|v| !v.is_null())
}

fn set_at(obj: &mut Value, path: &[String], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cursor = obj;
    for key in parents {
        if !cursor.get(key).is_some_and(Value::is_object) {
            cursor[key.as_str()] = json!({});
        }
        cursor = &mut cursor[key.as_str()];
    }
    cursor[last.as_str()] = value;
}

fn remove_at(obj: &mut Value, path: &[String]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cursor = obj;
    for key in parents {
        match cursor.get_mut(key.as_str()) {
            Some(next) => cursor = next,
            None => return,
        }
    }
    if let Some(map) = cursor.as_object_mut() {
        map.remove(last);
    }
}

/// `.data.status.json`, as field paths appear in conflict messages.
fn display_path(path: &[String]) -> String {
    path.iter().map(|p| format!(".{p}")).collect()
}

/// Ownership after an update operation (create, replace, patch) from `old` to `new`: the
/// updater takes every field it changed or added (other managers lose those); fields it
/// removed are nobody's.
pub(crate) fn after_update(
    old: Option<&Value>,
    new: &Value,
    mut managed: Vec<ManagedEntry>,
    manager: &str,
    top_level: &[&str],
) -> Vec<ManagedEntry> {
    let empty = json!({});
    let old = old.unwrap_or(&empty);
    let old_fields = fields_of(old, top_level);
    let new_fields = fields_of(new, top_level);
    let changed: BTreeSet<FieldPath> = new_fields
        .iter()
        .filter(|f| value_at(old, f) != value_at(new, f))
        .cloned()
        .collect();
    let removed: BTreeSet<FieldPath> = old_fields.difference(&new_fields).cloned().collect();
    for entry in &mut managed {
        entry.fields.retain(|f| !removed.contains(f));
        if !entry.is(manager, Operation::Update) {
            entry.fields.retain(|f| !changed.contains(f));
        }
    }
    if !changed.is_empty() {
        let time = now();
        match managed
            .iter_mut()
            .find(|e| e.is(manager, Operation::Update))
        {
            Some(entry) => {
                entry.fields.extend(changed);
                entry.time = time;
            }
            None => managed.push(ManagedEntry {
                manager: manager.to_owned(),
                operation: Operation::Update,
                time,
                fields: changed,
            }),
        }
    }
    managed
}

/// Server-side apply of `applied` by `manager` onto `obj` (the stored object, or a skeleton of
/// a new one): sets what the configuration says, removes what this manager applied before and
/// no longer does (unless another manager owns it too), and records the manager as owning
/// exactly what it applied. A field another manager owns with a different value is a conflict
/// (409 naming the managers) unless `force`, which takes it over.
pub(crate) fn apply(
    obj: &mut Value,
    applied: &Value,
    mut managed: Vec<ManagedEntry>,
    manager: &str,
    force: bool,
    top_level: &[&str],
    api_version: &str,
) -> Result<Vec<ManagedEntry>, ApiError> {
    let applied_fields = fields_of(applied, top_level);
    let same_value = |f: &FieldPath| value_at(obj, f) == value_at(applied, f);

    // Conflicts: a field this apply sets to a different value than another manager holds.
    let mut conflicts = Vec::new();
    for field in applied_fields.iter().filter(|f| !same_value(f)) {
        // Same value: shared ownership, never a conflict.
        for entry in &managed {
            if !entry.is(manager, Operation::Apply) && entry.fields.contains(field) {
                conflicts.push((entry.manager.clone(), display_path(field)));
            }
        }
    }
    if !conflicts.is_empty() {
        if !force {
            return Err(ApiError::apply_conflicts(&conflicts, api_version));
        }
        for entry in &mut managed {
            if !entry.is(manager, Operation::Apply) {
                entry
                    .fields
                    .retain(|f| !applied_fields.contains(f) || same_value(f));
            }
        }
    }

    for field in &applied_fields {
        if let Some(value) = value_at(applied, field) {
            set_at(obj, field, value.clone());
        }
    }
    let previous = managed
        .iter()
        .find(|e| e.is(manager, Operation::Apply))
        .map(|e| e.fields.clone())
        .unwrap_or_default();
    for field in previous.difference(&applied_fields) {
        let owned_elsewhere = managed
            .iter()
            .any(|e| !e.is(manager, Operation::Apply) && e.fields.contains(field));
        if !owned_elsewhere {
            remove_at(obj, field);
        }
    }
    let time = now();
    match managed.iter_mut().find(|e| e.is(manager, Operation::Apply)) {
        Some(entry) => {
            // The time says when the manager's set of fields last changed.
            if entry.fields != applied_fields {
                entry.time = time;
            }
            entry.fields = applied_fields;
        }
        None => managed.push(ManagedEntry {
            manager: manager.to_owned(),
            operation: Operation::Apply,
            time,
            fields: applied_fields,
        }),
    }
    Ok(managed)
}

/// Parses `metadata.managedFields` (`FieldsV1`) of a stored object.
pub(crate) fn managed_of(obj: &Value) -> Vec<ManagedEntry> {
    let Some(entries) = obj["metadata"]["managedFields"].as_array() else {
        return Vec::new();
    };
    entries
        .iter()
        .map(|e| {
            let mut fields = BTreeSet::new();
            collect_fields(&e["fieldsV1"], &mut Vec::new(), &mut fields);
            ManagedEntry {
                manager: e["manager"].as_str().unwrap_or_default().to_owned(),
                operation: if e["operation"] == "Apply" {
                    Operation::Apply
                } else {
                    Operation::Update
                },
                time: e["time"].as_str().unwrap_or_default().to_owned(),
                fields,
            }
        })
        .collect()
}

fn collect_fields(node: &Value, prefix: &mut FieldPath, out: &mut BTreeSet<FieldPath>) {
    let Some(map) = node.as_object() else { return };
    if map.is_empty() && !prefix.is_empty() {
        out.insert(prefix.clone());
        return;
    }
    for (key, child) in map {
        if let Some(name) = key.strip_prefix("f:") {
            prefix.push(name.to_owned());
            collect_fields(child, prefix, out);
            prefix.pop();
        }
    }
}

/// `managedFields` as the API serves it, `fieldsV1` maps such as `{"f:data": {"f:k": {}}}`;
/// managers left owning nothing are dropped, as the real server drops them.
pub(crate) fn managed_json(managed: &[ManagedEntry], api_version: &str) -> Value {
    let entries: Vec<Value> = managed
        .iter()
        .filter(|e| !e.fields.is_empty())
        .map(|e| {
            let mut fields = json!({});
            for path in &e.fields {
                let mut cursor = &mut fields;
                for key in path {
                    cursor = &mut cursor[format!("f:{key}")];
                    if cursor.is_null() {
                        *cursor = json!({});
                    }
                }
            }
            json!({
                "manager": e.manager,
                "operation": e.operation.as_str(),
                "apiVersion": api_version,
                "time": e.time,
                "fieldsType": "FieldsV1",
                "fieldsV1": fields,
            })
        })
        .collect();
    Value::Array(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOP: &[&str] = &["spec", "data"];

    #[test]
    fn leaves_under_the_declared_fields_and_labels_are_owned() {
        let obj = json!({
            "apiVersion": "v1", "kind": "Thing",
            "metadata": {"name": "x", "labels": {"team": "a"}, "uid": "u"},
            "spec": {"source": {"repoURL": "r", "paths": ["a", "b"]}, "empty": {}, "gone": null},
            "data": {"k": "v"},
            "status": {"phase": "ignored: not declared"},
        });
        let fields: Vec<String> = fields_of(&obj, TOP)
            .iter()
            .map(|f| display_path(f))
            .collect();
        assert_eq!(
            fields,
            [
                ".data.k",
                ".metadata.labels.team",
                ".spec.source.paths",
                ".spec.source.repoURL"
            ]
        );
    }

    #[test]
    fn managed_fields_round_trip() {
        let mut obj = json!({"spec": {"a": {"b": 1}}, "data": {"k": "v"}});
        let managed = apply(
            &mut obj.clone(),
            &obj,
            Vec::new(),
            "m",
            false,
            TOP,
            "x.io/v1",
        )
        .unwrap();
        let json = managed_json(&managed, "x.io/v1");
        assert_eq!(
            json[0]["fieldsV1"],
            json!({"f:data": {"f:k": {}}, "f:spec": {"f:a": {"f:b": {}}}})
        );
        assert_eq!(json[0]["apiVersion"], "x.io/v1");
        obj["metadata"] = json!({"managedFields": json});
        assert_eq!(managed_of(&obj), managed);
    }

    #[test]
    fn nested_conflicts_name_the_path_and_the_api_version() {
        let applied = json!({"spec": {"a": {"b": 1}}});
        let mut obj = json!({});
        let first = apply(&mut obj, &applied, Vec::new(), "one", false, TOP, "x.io/v1").unwrap();
        let err = apply(
            &mut obj,
            &json!({"spec": {"a": {"b": 2}}}),
            first,
            "two",
            false,
            TOP,
            "x.io/v1",
        )
        .unwrap_err();
        assert_eq!(
            err.message,
            "Apply failed with 1 conflict: conflict with \"one\" using x.io/v1: .spec.a.b"
        );
    }

    #[test]
    fn an_update_takes_what_it_changed_and_drops_what_it_removed() {
        let old = json!({"data": {"a": "1", "b": "2", "c": "3"}});
        let mut applied = old.clone();
        let managed = apply(&mut applied, &old, Vec::new(), "ci", false, TOP, "v1").unwrap();
        let new = json!({"data": {"a": "1", "b": "changed"}});
        let managed = after_update(Some(&old), &new, managed, "kubectl", TOP);
        let json = managed_json(&managed, "v1");
        assert_eq!(json[0]["manager"], "ci");
        assert_eq!(json[0]["fieldsV1"], json!({"f:data": {"f:a": {}}}));
        assert_eq!(json[1]["manager"], "kubectl");
        assert_eq!(json[1]["operation"], "Update");
        assert_eq!(json[1]["fieldsV1"], json!({"f:data": {"f:b": {}}}));
    }
}
