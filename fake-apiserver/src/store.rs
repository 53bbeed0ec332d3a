//! The object store: namespaces and ConfigMaps, resource versions, validation, and field
//! ownership (`metadata.managedFields`) for server-side apply and for ordinary updates.
//!
//! Ownership is tracked for the fields of a ConfigMap that apply can own one by one: each key of
//! `data` and `binaryData`, each label and annotation, and `immutable`. That is the granularity
//! that decides whether two writers of one ConfigMap keep each other's keys.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use crate::status::ApiError;

/// The total size of `data` plus `binaryData` a ConfigMap may have (the real `MaxSecretSize`).
pub const MAX_CONFIGMAP_BYTES: usize = 1024 * 1024;

/// A field path that can be owned, such as `["data", "status.json"]` or `["immutable"]`.
type FieldPath = Vec<String>;

/// Whether a write changes anything or is a dry run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Persist {
    /// Store the result.
    Yes,
    /// Compute and return the result, store nothing (`dryRun=All`).
    DryRun,
}

/// One `managedFields` entry, parsed.
#[derive(Debug, Clone, PartialEq)]
struct ManagedEntry {
    manager: String,
    operation: String,
    time: String,
    fields: BTreeSet<FieldPath>,
}

/// Everything the fake API server stores.
#[derive(Debug)]
pub(crate) struct Store {
    namespaces: BTreeSet<String>,
    configmaps: BTreeMap<(String, String), Value>,
    /// The last resource version handed out (the real server uses etcd's revision).
    revision: u64,
    /// Counter for generated UIDs.
    uids: u64,
    /// When each namespace was "created", for namespace objects.
    created: String,
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl Store {
    /// A store with the given namespaces and no ConfigMaps.
    pub(crate) fn new(namespaces: impl IntoIterator<Item = String>) -> Self {
        Self {
            namespaces: namespaces.into_iter().collect(),
            configmaps: BTreeMap::new(),
            revision: 100,
            uids: 0,
            created: now(),
        }
    }

    fn next_revision(&mut self) -> String {
        self.revision += 1;
        self.revision.to_string()
    }

    /// The namespaces, as a `NamespaceList`.
    pub(crate) fn namespace_list(&self) -> Value {
        let items: Vec<Value> = self
            .namespaces
            .iter()
            .map(|ns| self.namespace_object(ns))
            .collect();
        json!({"kind": "NamespaceList", "apiVersion": "v1",
            "metadata": {"resourceVersion": self.revision.to_string()}, "items": items})
    }

    /// One namespace, or 404.
    pub(crate) fn namespace(&self, name: &str) -> Result<Value, ApiError> {
        if self.namespaces.contains(name) {
            let mut ns = self.namespace_object(name);
            ns["kind"] = "Namespace".into();
            ns["apiVersion"] = "v1".into();
            Ok(ns)
        } else {
            Err(ApiError::not_found("namespaces", name))
        }
    }

    fn namespace_object(&self, name: &str) -> Value {
        json!({
            "metadata": {"name": name, "uid": format!("00000000-0000-4000-8000-{:012x}", name.len()),
                "resourceVersion": "1", "creationTimestamp": self.created,
                "labels": {"kubernetes.io/metadata.name": name}},
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"},
        })
    }

    fn require_namespace(&self, namespace: &str) -> Result<(), ApiError> {
        if self.namespaces.contains(namespace) {
            Ok(())
        } else {
            Err(ApiError::not_found("namespaces", namespace))
        }
    }

    /// A ConfigMap as stored, for tests and GET.
    pub(crate) fn get(&self, namespace: &str, name: &str) -> Result<Value, ApiError> {
        // Like the real server, a GET in a namespace that does not exist is a plain "not found"
        // of the object; only writes check the namespace.
        self.configmaps
            .get(&(namespace.to_owned(), name.to_owned()))
            .cloned()
            .ok_or_else(|| ApiError::not_found("configmaps", name))
    }

    /// The ConfigMaps of one namespace (or all, for `None`), as a `ConfigMapList`.
    pub(crate) fn list(&self, namespace: Option<&str>) -> Value {
        let items: Vec<Value> = self
            .configmaps
            .iter()
            .filter(|((ns, _), _)| namespace.is_none_or(|wanted| wanted == ns))
            .map(|(_, cm)| {
                // List items carry no kind/apiVersion in the real API.
                let mut cm = cm.clone();
                if let Some(map) = cm.as_object_mut() {
                    map.remove("kind");
                    map.remove("apiVersion");
                }
                cm
            })
            .collect();
        json!({"kind": "ConfigMapList", "apiVersion": "v1",
            "metadata": {"resourceVersion": self.revision.to_string()}, "items": items})
    }

    /// POST: create a ConfigMap; the field manager owns every field it set.
    pub(crate) fn create(
        &mut self,
        namespace: &str,
        body: Value,
        manager: &str,
        persist: Persist,
    ) -> Result<Value, ApiError> {
        self.require_namespace(namespace)?;
        let mut obj = check_kind(body)?;
        let name = obj["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if name.is_empty() {
            return Err(ApiError::invalid(
                "ConfigMap",
                "",
                &[(
                    "metadata.name".to_owned(),
                    "FieldValueRequired",
                    "Required value: name or generateName is required".to_owned(),
                )],
            ));
        }
        check_body_namespace(&obj, namespace)?;
        if self
            .configmaps
            .contains_key(&(namespace.to_owned(), name.clone()))
        {
            return Err(ApiError::already_exists("configmaps", &name));
        }
        if obj["metadata"]
            .get("resourceVersion")
            .and_then(Value::as_str)
            .is_some_and(|rv| !rv.is_empty())
        {
            return Err(ApiError::bad_request(
                "resourceVersion should not be set on objects to be created",
            ));
        }
        validate(&obj, None)?;
        let managed = update_ownership(None, &obj, Vec::new(), manager);
        self.finish(namespace, &name, None, &mut obj, managed, persist)?;
        Ok(obj)
    }

    /// PUT: replace a ConfigMap, with the optimistic lock when the body has a resourceVersion.
    pub(crate) fn replace(
        &mut self,
        namespace: &str,
        name: &str,
        body: Value,
        manager: &str,
        persist: Persist,
    ) -> Result<Value, ApiError> {
        let mut obj = check_kind(body)?;
        check_body_name(&obj, name)?;
        check_body_namespace(&obj, namespace)?;
        let current = self.get(namespace, name)?;
        check_precondition(&obj, &current, name)?;
        validate(&obj, Some(&current))?;
        let managed = update_ownership(Some(&current), &obj, managed_of(&current), manager);
        self.finish(namespace, name, Some(&current), &mut obj, managed, persist)?;
        Ok(obj)
    }

    /// PATCH with JSON merge patch, strategic merge patch (for a ConfigMap it merges maps the
    /// same way) or JSON patch: an update operation by `manager`.
    pub(crate) fn patch(
        &mut self,
        namespace: &str,
        name: &str,
        kind: PatchKind,
        patch: &Value,
        manager: &str,
        persist: Persist,
    ) -> Result<Value, ApiError> {
        let current = self.get(namespace, name)?;
        let mut obj = current.clone();
        match kind {
            PatchKind::Merge => json_patch::merge(&mut obj, patch),
            PatchKind::StrategicMerge => {
                let mut patch = patch.clone();
                strip_directives(&mut patch);
                json_patch::merge(&mut obj, &patch);
            }
            PatchKind::Json => {
                let ops: json_patch::Patch = serde_json::from_value(patch.clone())
                    .map_err(|e| ApiError::bad_request(format!("invalid JSON patch: {e}")))?;
                json_patch::patch(&mut obj, &ops).map_err(|e| {
                    ApiError::invalid(
                        "ConfigMap",
                        name,
                        &[(String::new(), "FieldValueInvalid", format!("the server rejected our request due to an error in our request: {e}"))],
                    )
                })?;
            }
        }
        let obj_checked = check_kind(obj)?;
        let mut obj = obj_checked;
        check_body_name(&obj, name)?;
        // A resourceVersion in the patch is a precondition; one that the patch did not set is
        // the current one and always matches.
        check_precondition(&obj, &current, name)?;
        validate(&obj, Some(&current))?;
        let managed = update_ownership(Some(&current), &obj, managed_of(&current), manager);
        self.finish(namespace, name, Some(&current), &mut obj, managed, persist)?;
        Ok(obj)
    }

    /// PATCH with `application/apply-patch+yaml`: server-side apply by `manager`, creating the
    /// ConfigMap when it is missing. Returns the object and whether it was created.
    pub(crate) fn apply(
        &mut self,
        namespace: &str,
        name: &str,
        applied: Value,
        manager: &str,
        force: bool,
        persist: Persist,
    ) -> Result<(Value, bool), ApiError> {
        let applied = check_kind(applied)?;
        check_body_name(&applied, name)?;
        check_body_namespace(&applied, namespace)?;
        if applied["metadata"]
            .get("managedFields")
            .is_some_and(|m| !m.is_null())
        {
            return Err(ApiError::bad_request("metadata.managedFields must be nil"));
        }
        let current = self.get(namespace, name).ok();
        if current.is_none() {
            self.require_namespace(namespace)?;
        }
        if let Some(current) = &current {
            check_precondition(&applied, current, name)?;
        } else if applied["metadata"]
            .get("resourceVersion")
            .and_then(Value::as_str)
            .is_some_and(|rv| !rv.is_empty())
        {
            // A precondition on an object that does not exist cannot hold.
            return Err(ApiError::not_found("configmaps", name));
        }
        let mut managed = current.as_ref().map(managed_of).unwrap_or_default();
        let applied_fields = fields_of(&applied);
        let mut obj = current.clone().unwrap_or_else(|| {
            json!({"kind": "ConfigMap", "apiVersion": "v1",
                "metadata": {"name": name, "namespace": namespace}})
        });

        // Conflicts: a field this apply sets to a different value than another manager holds.
        let mut conflicts = Vec::new();
        for field in &applied_fields {
            if value_at(&obj, field) == value_at(&applied, field) {
                continue; // same value: shared ownership, never a conflict
            }
            for entry in &managed {
                if (entry.manager != manager || entry.operation != "Apply")
                    && entry.fields.contains(field)
                {
                    conflicts.push((entry.manager.clone(), display_path(field)));
                }
            }
        }
        if !conflicts.is_empty() {
            if !force {
                return Err(ApiError::apply_conflicts(&conflicts));
            }
            for entry in &mut managed {
                if entry.manager != manager || entry.operation != "Apply" {
                    entry.fields.retain(|f| {
                        !applied_fields.contains(f) || value_at(&obj, f) == value_at(&applied, f)
                    });
                }
            }
        }

        // Set what the configuration says.
        for field in &applied_fields {
            if let Some(value) = value_at(&applied, field) {
                set_at(&mut obj, field, value.clone());
            }
        }
        // Remove what this manager applied before and no longer does, unless another owns it.
        let previous = managed
            .iter()
            .find(|e| e.manager == manager && e.operation == "Apply")
            .map(|e| e.fields.clone())
            .unwrap_or_default();
        for field in previous.difference(&applied_fields) {
            let owned_elsewhere = managed.iter().any(|e| {
                (e.manager != manager || e.operation != "Apply") && e.fields.contains(field)
            });
            if !owned_elsewhere {
                remove_at(&mut obj, field);
            }
        }
        let time = now();
        match managed
            .iter_mut()
            .find(|e| e.manager == manager && e.operation == "Apply")
        {
            Some(entry) => {
                if entry.fields != applied_fields {
                    entry.time = time;
                }
                entry.fields = applied_fields;
            }
            None => managed.push(ManagedEntry {
                manager: manager.to_owned(),
                operation: "Apply".to_owned(),
                time,
                fields: applied_fields,
            }),
        }
        validate(&obj, current.as_ref())?;
        let created = current.is_none();
        self.finish(
            namespace,
            name,
            current.as_ref(),
            &mut obj,
            managed,
            persist,
        )?;
        Ok((obj, created))
    }

    /// DELETE.
    pub(crate) fn delete(
        &mut self,
        namespace: &str,
        name: &str,
        persist: Persist,
    ) -> Result<Value, ApiError> {
        let current = self.get(namespace, name)?;
        if persist == Persist::Yes {
            self.configmaps
                .remove(&(namespace.to_owned(), name.to_owned()));
            self.next_revision();
        }
        Ok(current)
    }

    /// Stamps metadata (uid, creation time, resourceVersion, managedFields) and stores the
    /// object, unless nothing changed (then the resourceVersion stays, as on a real server) or
    /// this is a dry run.
    fn finish(
        &mut self,
        namespace: &str,
        name: &str,
        current: Option<&Value>,
        obj: &mut Value,
        mut managed: Vec<ManagedEntry>,
        persist: Persist,
    ) -> Result<(), ApiError> {
        managed.retain(|e| !e.fields.is_empty());
        let meta = obj["metadata"]
            .as_object_mut()
            .ok_or_else(|| ApiError::bad_request("metadata must be an object"))?;
        meta.insert("name".into(), name.into());
        meta.insert("namespace".into(), namespace.into());
        meta.remove("generateName");
        meta.remove("creationTimestamp");
        meta.remove("uid");
        meta.remove("resourceVersion");
        meta.insert("managedFields".into(), managed_json(&managed));
        if let Some(map) = obj.as_object_mut() {
            map.insert("kind".into(), "ConfigMap".into());
            map.insert("apiVersion".into(), "v1".into());
        }
        order_keys(obj);
        match current {
            Some(current) => {
                for key in ["uid", "creationTimestamp"] {
                    obj["metadata"][key] = current["metadata"][key].clone();
                }
                let mut unchanged = current.clone();
                if let Some(m) = unchanged["metadata"].as_object_mut() {
                    m.remove("resourceVersion");
                }
                if unchanged == *obj {
                    obj["metadata"]["resourceVersion"] =
                        current["metadata"]["resourceVersion"].clone();
                    return Ok(());
                }
            }
            None => {
                self.uids += 1;
                obj["metadata"]["uid"] =
                    format!("5f0c7a1e-0000-4000-8000-{:012x}", self.uids).into();
                obj["metadata"]["creationTimestamp"] = now().into();
            }
        }
        match persist {
            Persist::Yes => {
                obj["metadata"]["resourceVersion"] = self.next_revision().into();
                self.configmaps
                    .insert((namespace.to_owned(), name.to_owned()), obj.clone());
            }
            Persist::DryRun => {
                // A dry run reports the version the object has now (none when it would be new).
                if let Some(current) = current {
                    obj["metadata"]["resourceVersion"] =
                        current["metadata"]["resourceVersion"].clone();
                }
            }
        }
        Ok(())
    }
}

/// The patch types of PATCH other than apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PatchKind {
    /// `application/merge-patch+json` (RFC 7386).
    Merge,
    /// `application/strategic-merge-patch+json`.
    StrategicMerge,
    /// `application/json-patch+json` (RFC 6902).
    Json,
}

/// Puts `kind`, `apiVersion`, `metadata` first, as the real server's output does.
fn order_keys(obj: &mut Value) {
    if let Some(map) = obj.as_object_mut() {
        let mut ordered = Map::new();
        for key in ["kind", "apiVersion", "metadata"] {
            if let Some(v) = map.remove(key) {
                ordered.insert(key.to_owned(), v);
            }
        }
        ordered.append(map);
        *map = ordered;
    }
}

/// Removes strategic-merge directives (`$patch`, `$retainKeys`, `$setElementOrder/...`), which
/// carry no meaning for the maps of a ConfigMap.
fn strip_directives(value: &mut Value) {
    if let Value::Object(map) = value {
        map.retain(|k, _| !k.starts_with('$'));
        map.values_mut().for_each(strip_directives);
    }
}

fn check_kind(body: Value) -> Result<Value, ApiError> {
    if !body.is_object() {
        return Err(ApiError::bad_request(
            "the body of the request must be a JSON object",
        ));
    }
    let kind = body
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("ConfigMap");
    let api_version = body
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("v1");
    if kind != "ConfigMap" || api_version != "v1" {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({api_version}) does not match the expected API version (v1) or kind ({kind}) is not ConfigMap"
        )));
    }
    let mut body = body;
    if !body.get("metadata").is_some_and(Value::is_object) {
        body["metadata"] = json!({});
    }
    Ok(body)
}

fn check_body_name(obj: &Value, name: &str) -> Result<(), ApiError> {
    match obj["metadata"].get("name").and_then(Value::as_str) {
        Some(n) if n != name => Err(ApiError::bad_request(format!(
            "the name of the object ({n}) does not match the name on the URL ({name})"
        ))),
        _ => Ok(()),
    }
}

fn check_body_namespace(obj: &Value, namespace: &str) -> Result<(), ApiError> {
    match obj["metadata"].get("namespace").and_then(Value::as_str) {
        Some(ns) if !ns.is_empty() && ns != namespace => Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        )),
        _ => Ok(()),
    }
}

fn check_precondition(obj: &Value, current: &Value, name: &str) -> Result<(), ApiError> {
    let wanted = obj["metadata"]
        .get("resourceVersion")
        .and_then(Value::as_str);
    match wanted {
        Some(rv)
            if !rv.is_empty() && Some(rv) != current["metadata"]["resourceVersion"].as_str() =>
        {
            Err(ApiError::stale("configmaps", name))
        }
        _ => Ok(()),
    }
}

/// A valid ConfigMap key: `[-._a-zA-Z0-9]+`, at most 253 characters, not `.` or `..`.
fn key_errors(key: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if key.len() > 253 {
        errors.push("must be no more than 253 characters".to_owned());
    }
    if key.is_empty()
        || !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        errors.push("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')".to_owned());
    }
    if key == "." {
        errors.push("must not be '.'".to_owned());
    } else if key == ".." {
        errors.push("must not be '..'".to_owned());
    } else if key.starts_with("..") {
        errors.push("must not start with '..'".to_owned());
    }
    errors
}

/// The ConfigMap validation of the real API server that matters here.
fn validate(obj: &Value, current: Option<&Value>) -> Result<(), ApiError> {
    let name = obj["metadata"]["name"].as_str().unwrap_or_default();
    let mut errors: Vec<(String, &'static str, String)> = Vec::new();
    let mut total = 0usize;
    for section in ["data", "binaryData"] {
        let Some(map) = obj.get(section) else {
            continue;
        };
        if map.is_null() {
            continue;
        }
        let Some(map) = map.as_object() else {
            return Err(ApiError::bad_request(format!(
                "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot unmarshal {section} into Go struct field ConfigMap.{section} of type map[string]string"
            )));
        };
        for (key, value) in map {
            for message in key_errors(key) {
                errors.push((
                    format!("{section}[{key}]"),
                    "FieldValueInvalid",
                    format!("Invalid value: {key:?}: {message}"),
                ));
            }
            let Some(text) = value.as_str() else {
                return Err(ApiError::bad_request(format!(
                    "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot unmarshal {} into Go struct field ConfigMap.{section} of type string",
                    json_type(value)
                )));
            };
            total += if section == "binaryData" {
                text.len() / 4 * 3 - text.chars().rev().take_while(|c| *c == '=').count()
            } else {
                text.len()
            };
        }
    }
    if let (Some(data), Some(binary)) = (
        obj.get("data").and_then(Value::as_object),
        obj.get("binaryData").and_then(Value::as_object),
    ) {
        for key in data.keys().filter(|k| binary.contains_key(*k)) {
            errors.push((
                format!("data[{key}]"),
                "FieldValueInvalid",
                format!("Invalid value: {key:?}: duplicate of key present in binaryData"),
            ));
        }
    }
    if total > MAX_CONFIGMAP_BYTES {
        errors.push((
            "[]".to_owned(),
            "FieldValueTooLong",
            format!("Too long: must have at most {MAX_CONFIGMAP_BYTES} bytes"),
        ));
    }
    if let Some(current) = current
        && current.get("immutable") == Some(&Value::Bool(true))
    {
        for section in ["data", "binaryData"] {
            if obj.get(section) != current.get(section) {
                errors.push((
                    section.to_owned(),
                    "FieldValueForbidden",
                    "Forbidden: field is immutable when `immutable` is set".to_owned(),
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid("ConfigMap", name, &errors))
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The ownable fields an object sets.
fn fields_of(obj: &Value) -> BTreeSet<FieldPath> {
    let mut fields = BTreeSet::new();
    for (parent, section) in [
        (None, "data"),
        (None, "binaryData"),
        (Some("metadata"), "labels"),
        (Some("metadata"), "annotations"),
    ] {
        let map = match parent {
            Some(p) => obj.get(p).and_then(|m| m.get(section)),
            None => obj.get(section),
        };
        if let Some(map) = map.and_then(Value::as_object) {
            for key in map.keys() {
                let mut path: FieldPath = parent.into_iter().map(str::to_owned).collect();
                path.push(section.to_owned());
                path.push(key.clone());
                fields.insert(path);
            }
        }
    }
    if obj.get("immutable").is_some_and(|v| !v.is_null()) {
        fields.insert(vec!["immutable".to_owned()]);
    }
    fields
}

fn value_at<'a>(obj: &'a Value, path: &[String]) -> Option<&'a Value> {
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

/// Ownership after an update operation: the updater takes every field it changed or added
/// (other managers lose those); fields it removed are nobody's.
fn update_ownership(
    current: Option<&Value>,
    new: &Value,
    mut managed: Vec<ManagedEntry>,
    manager: &str,
) -> Vec<ManagedEntry> {
    let empty = json!({});
    let old = current.unwrap_or(&empty);
    let old_fields = fields_of(old);
    let new_fields = fields_of(new);
    let changed: BTreeSet<FieldPath> = new_fields
        .iter()
        .filter(|f| value_at(old, f) != value_at(new, f))
        .cloned()
        .collect();
    let removed: BTreeSet<FieldPath> = old_fields.difference(&new_fields).cloned().collect();
    for entry in &mut managed {
        entry.fields.retain(|f| !removed.contains(f));
        if !(entry.manager == manager && entry.operation == "Update") {
            entry.fields.retain(|f| !changed.contains(f));
        }
    }
    if !changed.is_empty() {
        let time = now();
        match managed
            .iter_mut()
            .find(|e| e.manager == manager && e.operation == "Update")
        {
            Some(entry) => {
                entry.fields.extend(changed);
                entry.time = time;
            }
            None => managed.push(ManagedEntry {
                manager: manager.to_owned(),
                operation: "Update".to_owned(),
                time,
                fields: changed,
            }),
        }
    }
    managed
}

/// Parses `metadata.managedFields` (`FieldsV1`) of a stored object.
fn managed_of(obj: &Value) -> Vec<ManagedEntry> {
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
                operation: e["operation"].as_str().unwrap_or_default().to_owned(),
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

/// `managedFields` as the API serves it: `fieldsV1` maps such as `{"f:data": {"f:k": {}}}`.
fn managed_json(managed: &[ManagedEntry]) -> Value {
    let entries: Vec<Value> = managed
        .iter()
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
                "operation": e.operation,
                "apiVersion": "v1",
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

    fn store() -> Store {
        Store::new(["default".to_owned()])
    }

    fn cm(data: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": data})
    }

    #[test]
    fn two_appliers_of_different_keys_keep_both() {
        let mut s = store();
        s.apply(
            "default",
            "cm",
            cm(json!({"a": "1"})),
            "ci-a",
            false,
            Persist::Yes,
        )
        .unwrap();
        let (obj, created) = s
            .apply(
                "default",
                "cm",
                cm(json!({"b": "2"})),
                "ci-b",
                false,
                Persist::Yes,
            )
            .unwrap();
        assert!(!created);
        assert_eq!(obj["data"], json!({"a": "1", "b": "2"}));
        assert_eq!(
            obj["metadata"]["managedFields"][0]["fieldsV1"],
            json!({"f:data": {"f:a": {}}})
        );
    }

    #[test]
    fn one_applier_dropping_a_key_removes_it() {
        let mut s = store();
        s.apply(
            "default",
            "cm",
            cm(json!({"a": "1"})),
            "ci",
            false,
            Persist::Yes,
        )
        .unwrap();
        let (obj, _) = s
            .apply(
                "default",
                "cm",
                cm(json!({"b": "2"})),
                "ci",
                false,
                Persist::Yes,
            )
            .unwrap();
        assert_eq!(obj["data"], json!({"b": "2"}));
    }

    #[test]
    fn conflicts_name_the_manager_and_force_takes_over() {
        let mut s = store();
        s.apply(
            "default",
            "cm",
            cm(json!({"a": "1"})),
            "one",
            false,
            Persist::Yes,
        )
        .unwrap();
        let err = s
            .apply(
                "default",
                "cm",
                cm(json!({"a": "2"})),
                "two",
                false,
                Persist::Yes,
            )
            .unwrap_err();
        assert_eq!(err.code, 409);
        assert_eq!(
            err.message,
            "Apply failed with 1 conflict: conflict with \"one\" using v1: .data.a"
        );
        // Same value: shared, no conflict.
        s.apply(
            "default",
            "cm",
            cm(json!({"a": "1"})),
            "three",
            false,
            Persist::Yes,
        )
        .unwrap();
        let (obj, _) = s
            .apply(
                "default",
                "cm",
                cm(json!({"a": "2"})),
                "two",
                true,
                Persist::Yes,
            )
            .unwrap();
        assert_eq!(obj["data"]["a"], "2");
        let managers: Vec<&str> = obj["metadata"]["managedFields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["manager"].as_str().unwrap())
            .collect();
        assert_eq!(managers, ["two"]);
    }

    #[test]
    fn stale_resource_version_and_size_limit() {
        let mut s = store();
        let created = s
            .create(
                "default",
                cm(json!({"a": "1"})),
                "kubectl-create",
                Persist::Yes,
            )
            .unwrap();
        let rv = created["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut update = cm(json!({"a": "2"}));
        update["metadata"]["resourceVersion"] = rv.clone().into();
        s.replace("default", "cm", update.clone(), "x", Persist::Yes)
            .unwrap();
        assert_eq!(
            s.replace("default", "cm", update, "x", Persist::Yes)
                .unwrap_err()
                .code,
            409
        );
        let big = "x".repeat(MAX_CONFIGMAP_BYTES + 1);
        let err = s
            .apply(
                "default",
                "cm",
                cm(json!({"big": big})),
                "y",
                false,
                Persist::Yes,
            )
            .unwrap_err();
        assert_eq!(
            err.message,
            "ConfigMap \"cm\" is invalid: []: Too long: must have at most 1048576 bytes"
        );
        let err = s
            .apply(
                "default",
                "cm",
                cm(json!({"bad key": "v"})),
                "y",
                false,
                Persist::Yes,
            )
            .unwrap_err();
        assert_eq!(err.code, 422);
        assert!(
            err.message.starts_with(
                "ConfigMap \"cm\" is invalid: data[bad key]: Invalid value: \"bad key\""
            ),
            "{}",
            err.message
        );
    }

    #[test]
    fn apply_with_a_stale_resource_version_is_a_conflict() {
        // What makes statusctl's read-decide-apply safe against a concurrent push.
        let mut s = store();
        let (first, _) = s
            .apply(
                "default",
                "cm",
                cm(json!({"a": "1"})),
                "ci",
                false,
                Persist::Yes,
            )
            .unwrap();
        let read = first["metadata"]["resourceVersion"].clone();
        s.apply(
            "default",
            "cm",
            cm(json!({"b": "2"})),
            "other",
            false,
            Persist::Yes,
        )
        .unwrap();
        let mut guarded = cm(json!({"a": "3"}));
        guarded["metadata"]["resourceVersion"] = read;
        let err = s
            .apply("default", "cm", guarded, "ci", false, Persist::Yes)
            .unwrap_err();
        assert_eq!((err.code, err.reason), (409, "Conflict"));
        assert!(
            err.message.contains("the object has been modified"),
            "{}",
            err.message
        );
        assert_eq!(
            s.get("default", "cm").unwrap()["data"],
            json!({"a": "1", "b": "2"})
        );
    }

    #[test]
    fn dry_run_stores_nothing() {
        let mut s = store();
        let (obj, created) = s
            .apply(
                "default",
                "cm",
                cm(json!({"a": "1"})),
                "ci",
                false,
                Persist::DryRun,
            )
            .unwrap();
        assert!(created);
        assert_eq!(obj["data"]["a"], "1");
        assert_eq!(s.get("default", "cm").unwrap_err().code, 404);
    }

    #[test]
    fn missing_namespace_is_named() {
        let mut s = store();
        let err = s
            .apply(
                "nope",
                "cm",
                cm(json!({"a": "1"})),
                "ci",
                false,
                Persist::Yes,
            )
            .unwrap_err();
        assert_eq!(err.message, "namespaces \"nope\" not found");
    }
}
