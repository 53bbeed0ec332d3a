//! The write verbs that take a body — create (POST), replace (PUT), patch (merge, strategic
//! merge, JSON patch) and server-side apply — the same for every resource: the body's kind,
//! name and namespace are checked against the request, then the `resourceVersion`
//! precondition, then the resource's own validation; field ownership is updated
//! ([`crate::ownership`]) and the result is committed to the store in one step. (DELETE is
//! [`Store::remove`].)

use serde_json::{Value, json};

use crate::ownership;
use crate::resources::Resource;
use crate::status::ApiError;
use crate::store::{Persist, Store, check_precondition};

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

impl Store {
    /// POST: create an object; the field manager owns every field it set.
    pub(crate) fn create(
        &mut self,
        resource: &Resource,
        namespace: Option<&str>,
        body: Value,
        manager: &str,
        persist: Persist,
    ) -> Result<Value, ApiError> {
        if let Some(namespace) = namespace {
            self.require_namespace(namespace)?;
        }
        let mut obj = check_kind(resource, body)?;
        let name = obj["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if name.is_empty() {
            return Err(ApiError::invalid(
                resource.kind,
                "",
                &[(
                    "metadata.name".to_owned(),
                    "FieldValueRequired",
                    "Required value: name or generateName is required".to_owned(),
                )],
            ));
        }
        check_body_namespace(&obj, namespace)?;
        if self.get(resource, namespace, &name).is_ok() {
            return Err(ApiError::already_exists(resource, &name));
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
        (resource.validate)(&obj, None)?;
        let managed = ownership::after_update(None, &obj, Vec::new(), manager, resource.fields);
        set_managed(resource, &mut obj, &managed);
        self.commit(resource, namespace, &name, None, &mut obj, persist)?;
        Ok(obj)
    }

    /// PUT: replace an object, with the optimistic lock when the body has a resourceVersion.
    pub(crate) fn replace(
        &mut self,
        resource: &Resource,
        namespace: Option<&str>,
        name: &str,
        body: Value,
        manager: &str,
        persist: Persist,
    ) -> Result<Value, ApiError> {
        let mut obj = check_kind(resource, body)?;
        check_body_name(&obj, name)?;
        check_body_namespace(&obj, namespace)?;
        let current = self.get(resource, namespace, name)?;
        check_precondition(resource, &obj, &current, name)?;
        (resource.validate)(&obj, Some(&current))?;
        self.update(
            resource, namespace, name, &current, &mut obj, manager, persist,
        )?;
        Ok(obj)
    }

    /// PATCH with JSON merge patch, strategic merge patch (which merges maps the same way; no
    /// served resource has the lists it treats differently) or JSON patch: an update operation
    /// by `manager`.
    #[allow(clippy::too_many_arguments)] // the request's parts; a struct would only rename them
    pub(crate) fn patch(
        &mut self,
        resource: &Resource,
        namespace: Option<&str>,
        name: &str,
        kind: PatchKind,
        patch: &Value,
        manager: &str,
        persist: Persist,
    ) -> Result<Value, ApiError> {
        let current = self.get(resource, namespace, name)?;
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
                        resource.kind,
                        name,
                        &[(String::new(), "FieldValueInvalid", format!("the server rejected our request due to an error in our request: {e}"))],
                    )
                })?;
            }
        }
        let mut obj = check_kind(resource, obj)?;
        check_body_name(&obj, name)?;
        // A resourceVersion in the patch is a precondition; one that the patch did not set is
        // the current one and always matches.
        check_precondition(resource, &obj, &current, name)?;
        (resource.validate)(&obj, Some(&current))?;
        self.update(
            resource, namespace, name, &current, &mut obj, manager, persist,
        )?;
        Ok(obj)
    }

    /// PATCH with `application/apply-patch+yaml`: server-side apply by `manager`, creating the
    /// object when it is missing. Returns the object and whether it was created.
    #[allow(clippy::too_many_arguments)] // the request's parts; a struct would only rename them
    pub(crate) fn apply(
        &mut self,
        resource: &Resource,
        namespace: Option<&str>,
        name: &str,
        applied: Value,
        manager: &str,
        force: bool,
        persist: Persist,
    ) -> Result<(Value, bool), ApiError> {
        let applied = check_kind(resource, applied)?;
        check_body_name(&applied, name)?;
        check_body_namespace(&applied, namespace)?;
        if applied["metadata"]
            .get("managedFields")
            .is_some_and(|m| !m.is_null())
        {
            return Err(ApiError::bad_request("metadata.managedFields must be nil"));
        }
        let current = self.get(resource, namespace, name).ok();
        match (&current, namespace) {
            (Some(current), _) => check_precondition(resource, &applied, current, name)?,
            (None, Some(namespace)) => self.require_namespace(namespace)?,
            (None, None) => {}
        }
        if current.is_none()
            && applied["metadata"]
                .get("resourceVersion")
                .and_then(Value::as_str)
                .is_some_and(|rv| !rv.is_empty())
        {
            // A precondition on an object that does not exist cannot hold.
            return Err(ApiError::not_found(resource, name));
        }
        let managed = current
            .as_ref()
            .map(ownership::managed_of)
            .unwrap_or_default();
        let mut obj = current.clone().unwrap_or_else(|| {
            json!({"kind": resource.kind, "apiVersion": resource.api_version(),
                "metadata": {"name": name, "namespace": namespace}})
        });
        let managed = ownership::apply(
            &mut obj,
            &applied,
            managed,
            manager,
            force,
            resource.fields,
            &resource.api_version(),
        )?;
        (resource.validate)(&obj, current.as_ref())?;
        set_managed(resource, &mut obj, &managed);
        self.commit(
            resource,
            namespace,
            name,
            current.as_ref(),
            &mut obj,
            persist,
        )?;
        Ok((obj, current.is_none()))
    }

    /// The end of every update operation: `manager` takes ownership of what it changed, and
    /// the object is committed.
    #[allow(clippy::too_many_arguments)] // the request's parts; a struct would only rename them
    fn update(
        &mut self,
        resource: &Resource,
        namespace: Option<&str>,
        name: &str,
        current: &Value,
        obj: &mut Value,
        manager: &str,
        persist: Persist,
    ) -> Result<(), ApiError> {
        let managed = ownership::after_update(
            Some(current),
            obj,
            ownership::managed_of(current),
            manager,
            resource.fields,
        );
        set_managed(resource, obj, &managed);
        self.commit(resource, namespace, name, Some(current), obj, persist)
    }
}

fn set_managed(resource: &Resource, obj: &mut Value, managed: &[ownership::ManagedEntry]) {
    obj["metadata"]["managedFields"] = ownership::managed_json(managed, &resource.api_version());
}

/// Removes strategic-merge directives (`$patch`, `$retainKeys`, `$setElementOrder/...`), which
/// carry no meaning for maps.
fn strip_directives(value: &mut Value) {
    if let Value::Object(map) = value {
        map.retain(|k, _| !k.starts_with('$'));
        map.values_mut().for_each(strip_directives);
    }
}

/// The body must be an object of this resource's kind and version (both default to it), with
/// `metadata` an object.
fn check_kind(resource: &Resource, body: Value) -> Result<Value, ApiError> {
    if !body.is_object() {
        return Err(ApiError::bad_request(
            "the body of the request must be a JSON object",
        ));
    }
    let expected_version = resource.api_version();
    let kind = body
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or(resource.kind);
    let api_version = body
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or(&expected_version);
    if kind != resource.kind || api_version != expected_version {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({api_version}) does not match the expected API version ({expected_version}) or kind ({kind}) is not {}",
            resource.kind
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

fn check_body_namespace(obj: &Value, namespace: Option<&str>) -> Result<(), ApiError> {
    match obj["metadata"].get("namespace").and_then(Value::as_str) {
        Some(ns) if !ns.is_empty() && Some(ns) != namespace => Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::{CONFIGMAPS, MAX_CONFIGMAP_BYTES};

    const NS: Option<&str> = Some("default");

    fn store() -> Store {
        Store::new(["default".to_owned()], 10)
    }

    fn cm(data: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": data})
    }

    /// Applies `data` as the ConfigMap `cm` by `manager`.
    fn apply(
        s: &mut Store,
        data: Value,
        manager: &str,
        force: bool,
        persist: Persist,
    ) -> Result<(Value, bool), ApiError> {
        s.apply(&CONFIGMAPS, NS, "cm", cm(data), manager, force, persist)
    }

    #[test]
    fn two_appliers_of_different_keys_keep_both() {
        let mut s = store();
        apply(&mut s, json!({"a": "1"}), "ci-a", false, Persist::Yes).unwrap();
        let (obj, created) = apply(&mut s, json!({"b": "2"}), "ci-b", false, Persist::Yes).unwrap();
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
        apply(&mut s, json!({"a": "1"}), "ci", false, Persist::Yes).unwrap();
        let (obj, _) = apply(&mut s, json!({"b": "2"}), "ci", false, Persist::Yes).unwrap();
        assert_eq!(obj["data"], json!({"b": "2"}));
    }

    #[test]
    fn conflicts_name_the_manager_and_force_takes_over() {
        let mut s = store();
        apply(&mut s, json!({"a": "1"}), "one", false, Persist::Yes).unwrap();
        let err = apply(&mut s, json!({"a": "2"}), "two", false, Persist::Yes).unwrap_err();
        assert_eq!(err.code, 409);
        assert_eq!(
            err.message,
            "Apply failed with 1 conflict: conflict with \"one\" using v1: .data.a"
        );
        // Same value: shared, no conflict.
        apply(&mut s, json!({"a": "1"}), "three", false, Persist::Yes).unwrap();
        let (obj, _) = apply(&mut s, json!({"a": "2"}), "two", true, Persist::Yes).unwrap();
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
                &CONFIGMAPS,
                NS,
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
        s.replace(&CONFIGMAPS, NS, "cm", update.clone(), "x", Persist::Yes)
            .unwrap();
        let stale = s.replace(&CONFIGMAPS, NS, "cm", update, "x", Persist::Yes);
        assert_eq!(stale.unwrap_err().code, 409);
        let big = "x".repeat(MAX_CONFIGMAP_BYTES + 1);
        let err = apply(&mut s, json!({"big": big}), "y", false, Persist::Yes).unwrap_err();
        assert_eq!(
            err.message,
            "ConfigMap \"cm\" is invalid: []: Too long: must have at most 1048576 bytes"
        );
        let err = apply(&mut s, json!({"bad key": "v"}), "y", false, Persist::Yes).unwrap_err();
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
        let (first, _) = apply(&mut s, json!({"a": "1"}), "ci", false, Persist::Yes).unwrap();
        let read = first["metadata"]["resourceVersion"].clone();
        apply(&mut s, json!({"b": "2"}), "other", false, Persist::Yes).unwrap();
        let mut guarded = cm(json!({"a": "3"}));
        guarded["metadata"]["resourceVersion"] = read;
        let err = s
            .apply(&CONFIGMAPS, NS, "cm", guarded, "ci", false, Persist::Yes)
            .unwrap_err();
        assert_eq!((err.code, err.reason), (409, "Conflict"));
        assert!(
            err.message.contains("the object has been modified"),
            "{}",
            err.message
        );
        assert_eq!(
            s.get(&CONFIGMAPS, NS, "cm").unwrap()["data"],
            json!({"a": "1", "b": "2"})
        );
    }

    #[test]
    fn dry_run_stores_nothing() {
        let mut s = store();
        let (obj, created) =
            apply(&mut s, json!({"a": "1"}), "ci", false, Persist::DryRun).unwrap();
        assert!(created);
        assert_eq!(obj["data"]["a"], "1");
        assert_eq!(s.get(&CONFIGMAPS, NS, "cm").unwrap_err().code, 404);
    }

    #[test]
    fn missing_namespace_is_named() {
        let mut s = store();
        let err = s
            .apply(
                &CONFIGMAPS,
                Some("nope"),
                "cm",
                cm(json!({"a": "1"})),
                "ci",
                false,
                Persist::Yes,
            )
            .unwrap_err();
        assert_eq!(err.message, "namespaces \"nope\" not found");
    }

    #[test]
    fn the_body_must_be_of_the_resource_and_the_request() {
        let mut s = store();
        let mut secret = cm(json!({}));
        secret["kind"] = "Secret".into();
        let err = s
            .create(&CONFIGMAPS, NS, secret, "m", Persist::Yes)
            .unwrap_err();
        assert_eq!(
            err.message,
            "the API version in the data (v1) does not match the expected API version (v1) or kind (Secret) is not ConfigMap"
        );
        let mut elsewhere = cm(json!({}));
        elsewhere["metadata"]["namespace"] = "other".into();
        let err = s
            .create(&CONFIGMAPS, NS, elsewhere, "m", Persist::Yes)
            .unwrap_err();
        assert_eq!(err.code, 400);
        s.create(&CONFIGMAPS, NS, cm(json!({})), "m", Persist::Yes)
            .unwrap();
        let err = s
            .replace(
                &CONFIGMAPS,
                NS,
                "other-name",
                cm(json!({})),
                "m",
                Persist::Yes,
            )
            .unwrap_err();
        assert_eq!(
            err.message,
            "the name of the object (cm) does not match the name on the URL (other-name)"
        );
    }
}
