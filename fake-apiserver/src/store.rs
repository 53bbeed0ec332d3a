//! The object store: objects by resource, namespace and name, with the metadata the server
//! owns (uid, creationTimestamp, generation, resourceVersion) and the `resourceVersion`
//! precondition.
//!
//! As in etcd, one counter versions every object of every resource: each stored change takes
//! the next revision, and a list reports the latest. Every change goes through
//! [`Store::write`], the one place that takes a revision: it records the change in the
//! [`History`] watches are served from and wakes the open watches. What a write verb means
//! (create, replace, patch, apply) is in [`crate::writes`]; the store only keeps objects.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{SecondsFormat, Utc};
use serde_json::{Map, Value, json};
use tokio::sync::watch;

use crate::history::{Change, History};
use crate::resources::{self, Generation, NAMESPACES, Resource};
use crate::selector::Selector;
use crate::status::ApiError;

/// Whether a write changes anything or is a dry run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Persist {
    /// Store the result.
    Yes,
    /// Compute and return the result, store nothing (`dryRun=All`).
    DryRun,
}

/// The objects of one resource by `(namespace, name)`; the namespace is empty for cluster-wide
/// resources.
type Objects = BTreeMap<(String, String), Value>;

/// Everything the fake API server stores.
#[derive(Debug)]
pub(crate) struct Store {
    /// Per resource, by `(group, plural)`.
    objects: BTreeMap<(&'static str, &'static str), Objects>,
    /// The last resource version handed out (the real server uses etcd's revision).
    revision: u64,
    /// Counter for generated UIDs.
    uids: u64,
    /// The last changes, which watches replay.
    history: History,
    /// The latest revision, which wakes the open watches when it moves.
    latest: watch::Sender<u64>,
}

/// The current time as the API writes timestamps.
pub(crate) fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub(crate) fn table_key(resource: &Resource) -> (&'static str, &'static str) {
    (resource.group, resource.plural)
}

fn object_key(namespace: Option<&str>, name: &str) -> (String, String) {
    (namespace.unwrap_or_default().to_owned(), name.to_owned())
}

impl Store {
    /// A store holding these namespaces (active, as on a new cluster) and nothing else, which
    /// keeps the last `history` changes for watches.
    pub(crate) fn new(namespaces: impl IntoIterator<Item = String>, history: usize) -> Self {
        const FIRST_REVISION: u64 = 100;
        let mut store = Self {
            objects: BTreeMap::new(),
            revision: FIRST_REVISION,
            uids: 0,
            history: History::new(history, FIRST_REVISION),
            latest: watch::Sender::new(FIRST_REVISION),
        };
        for name in namespaces {
            let mut namespace = resources::namespace::active(&name);
            // A new store cannot fail to take an object; `commit` only fails on bad metadata.
            let _ = store.commit(&NAMESPACES, None, &name, None, &mut namespace, Persist::Yes);
        }
        store
    }

    /// One object as stored, or 404 `<resource> "<name>" not found`.
    pub(crate) fn get(
        &self,
        resource: &Resource,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Value, ApiError> {
        // Like the real server, a GET in a namespace that does not exist is a plain "not found"
        // of the object; only writes check the namespace.
        self.objects
            .get(&table_key(resource))
            .and_then(|objects| objects.get(&object_key(namespace, name)))
            .cloned()
            .ok_or_else(|| ApiError::not_found(resource, name))
    }

    /// The objects of one namespace (or all, for `None`) that `selector` selects, in
    /// namespace and name order.
    pub(crate) fn objects<'a>(
        &'a self,
        resource: &Resource,
        namespace: Option<&'a str>,
        selector: &'a Selector,
    ) -> impl Iterator<Item = &'a Value> {
        self.objects
            .get(&table_key(resource))
            .into_iter()
            .flatten()
            .filter(move |((ns, _), obj)| {
                namespace.is_none_or(|wanted| wanted == ns) && selector.matches(obj)
            })
            .map(|(_, obj)| obj)
    }

    /// The objects of one namespace (or all, for `None`) that `selector` selects, as a
    /// `<Kind>List` at the latest revision.
    pub(crate) fn list(
        &self,
        resource: &Resource,
        namespace: Option<&str>,
        selector: &Selector,
    ) -> Value {
        let items: Vec<Value> = self
            .objects(resource, namespace, selector)
            .map(|obj| {
                // List items carry no kind/apiVersion in the real API.
                let mut obj = obj.clone();
                if let Some(map) = obj.as_object_mut() {
                    map.remove("kind");
                    map.remove("apiVersion");
                }
                obj
            })
            .collect();
        json!({"kind": resource.list_kind(), "apiVersion": resource.api_version(),
            "metadata": {"resourceVersion": self.revision.to_string()}, "items": items})
    }

    /// The latest revision: what a list reports as its resourceVersion.
    pub(crate) fn revision(&self) -> u64 {
        self.revision
    }

    /// A receiver woken whenever the revision moves, for a watch to wait on.
    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.latest.subscribe()
    }

    /// The history watches are served from.
    pub(crate) fn history(&self) -> &History {
        &self.history
    }

    /// The changes after `revision` (410 Expired when some of them are no longer kept), and the
    /// latest revision, which a watch has then seen everything up to.
    pub(crate) fn changes_after(&self, revision: u64) -> Result<(Vec<Arc<Change>>, u64), ApiError> {
        Ok((self.history.since(revision)?, self.revision))
    }

    /// Compaction, as etcd's after writes elsewhere in the cluster: the revision moves on (no
    /// object changes) and the history is forgotten, so every resourceVersion handed out so
    /// far is too old to watch from. Returns the new revision.
    pub(crate) fn compact(&mut self) -> u64 {
        self.revision += 1;
        self.history.compact(self.revision);
        self.latest.send_replace(self.revision);
        self.revision
    }

    /// Writes into a namespace need it to exist: 404 `namespaces "x" not found` otherwise.
    pub(crate) fn require_namespace(&self, namespace: &str) -> Result<(), ApiError> {
        self.get(&NAMESPACES, None, namespace).map(drop)
    }

    /// Stamps the metadata the server owns and stores `obj` as the new state of the object
    /// (`current` is its stored state, `None` for a new one). Nothing changes (not even the
    /// resourceVersion) when the object is what is stored, as on a real server; a dry run stores
    /// nothing and reports the resourceVersion the object has now.
    pub(crate) fn commit(
        &mut self,
        resource: &Resource,
        namespace: Option<&str>,
        name: &str,
        current: Option<&Value>,
        obj: &mut Value,
        persist: Persist,
    ) -> Result<(), ApiError> {
        let meta = obj["metadata"]
            .as_object_mut()
            .ok_or_else(|| ApiError::bad_request("metadata must be an object"))?;
        meta.insert("name".into(), name.into());
        match namespace {
            Some(namespace) => meta.insert("namespace".into(), namespace.into()),
            None => meta.remove("namespace"),
        };
        meta.remove("generateName");
        for owned_by_server in ["creationTimestamp", "uid", "resourceVersion"] {
            meta.remove(owned_by_server);
        }
        if resource.generation != Generation::None {
            meta.remove("generation");
        }
        if let Some(map) = obj.as_object_mut() {
            map.insert("kind".into(), resource.kind.into());
            map.insert("apiVersion".into(), resource.api_version().into());
        }
        order_keys(obj);
        match current {
            Some(current) => {
                for key in ["uid", "creationTimestamp"] {
                    obj["metadata"][key] = current["metadata"][key].clone();
                }
                if resource.generation != Generation::None {
                    let generation = current["metadata"]["generation"].as_u64().unwrap_or(1);
                    let counted = |o: &Value| counted_by_generation(o, resource.generation);
                    let bump = u64::from(counted(obj) != counted(current));
                    obj["metadata"]["generation"] = (generation + bump).into();
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
                if resource.generation != Generation::None {
                    obj["metadata"]["generation"] = 1.into();
                }
            }
        }
        match persist {
            Persist::Yes => {
                let revision = self.write(resource, namespace, name, Some(obj.clone()));
                obj["metadata"]["resourceVersion"] = revision.to_string().into();
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

    /// Removes an object (DELETE) and returns what was stored.
    pub(crate) fn remove(
        &mut self,
        resource: &Resource,
        namespace: Option<&str>,
        name: &str,
        persist: Persist,
    ) -> Result<Value, ApiError> {
        let current = self.get(resource, namespace, name)?;
        if persist == Persist::Yes {
            self.write(resource, namespace, name, None);
        }
        Ok(current)
    }

    /// The one place the store changes: takes the next revision, stamps it on the object and
    /// stores it (or removes the object, for `None`), records the change for watches and wakes
    /// them. Returns the revision.
    fn write(
        &mut self,
        resource: &Resource,
        namespace: Option<&str>,
        name: &str,
        object: Option<Value>,
    ) -> u64 {
        self.revision += 1;
        let objects = self.objects.entry(table_key(resource)).or_default();
        let key = object_key(namespace, name);
        let (previous, object) = match object {
            Some(mut object) => {
                object["metadata"]["resourceVersion"] = self.revision.to_string().into();
                (objects.insert(key.clone(), object.clone()), Some(object))
            }
            None => (objects.remove(&key), None),
        };
        self.history.record(Change {
            revision: self.revision,
            resource: table_key(resource),
            namespace: key.0,
            object,
            previous,
        });
        self.latest.send_replace(self.revision);
        self.revision
    }
}

/// The 409 of a stale `resourceVersion` in `obj` (the optimistic lock); none set always holds.
pub(crate) fn check_precondition(
    resource: &Resource,
    obj: &Value,
    current: &Value,
    name: &str,
) -> Result<(), ApiError> {
    let wanted = obj["metadata"]
        .get("resourceVersion")
        .and_then(Value::as_str);
    match wanted {
        Some(rv)
            if !rv.is_empty() && Some(rv) != current["metadata"]["resourceVersion"].as_str() =>
        {
            Err(ApiError::stale(resource, name))
        }
        _ => Ok(()),
    }
}

/// What `generation` counts changes of: everything but `metadata` (and `status`, for kinds
/// with a status subresource).
fn counted_by_generation(obj: &Value, generation: Generation) -> Value {
    let mut obj = obj.clone();
    if let Some(map) = obj.as_object_mut() {
        map.remove("metadata");
        if generation == Generation::AllButStatus {
            map.remove("status");
        }
    }
    obj
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::{APPLICATIONS, CONFIGMAPS};

    fn cm(data: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": data})
    }

    fn put(store: &mut Store, current: Option<&Value>, data: Value) -> Value {
        let mut obj = cm(data);
        store
            .commit(
                &CONFIGMAPS,
                Some("default"),
                "cm",
                current,
                &mut obj,
                Persist::Yes,
            )
            .unwrap();
        obj
    }

    #[test]
    fn one_counter_versions_every_write_of_every_resource() {
        let mut s = Store::new(["default".to_owned(), "other".to_owned()], 10);
        let ns = s.get(&NAMESPACES, None, "other").unwrap();
        assert_eq!(ns["metadata"]["resourceVersion"], "102");
        assert_eq!(ns["status"]["phase"], "Active");
        assert!(ns["metadata"].get("namespace").is_none());
        let first = put(&mut s, None, json!({"a": "1"}));
        assert_eq!(first["metadata"]["resourceVersion"], "103");
        assert_eq!(first["metadata"]["namespace"], "default");
        // Writing what is stored changes nothing, not even the resourceVersion.
        let same = put(&mut s, Some(&first), json!({"a": "1"}));
        assert_eq!(same["metadata"]["resourceVersion"], "103");
        let second = put(&mut s, Some(&first), json!({"a": "2"}));
        assert_eq!(second["metadata"]["resourceVersion"], "104");
        assert_eq!(second["metadata"]["uid"], first["metadata"]["uid"]);
        assert_eq!(
            second["metadata"]["creationTimestamp"],
            first["metadata"]["creationTimestamp"]
        );
        assert_eq!(
            s.list(&CONFIGMAPS, None, &Selector::default())["metadata"]["resourceVersion"],
            "104"
        );
        s.remove(&CONFIGMAPS, Some("default"), "cm", Persist::Yes)
            .unwrap();
        assert_eq!(
            s.list(&NAMESPACES, None, &Selector::default())["metadata"]["resourceVersion"],
            "105"
        );
        assert_eq!(
            s.get(&CONFIGMAPS, Some("default"), "cm").unwrap_err().code,
            404
        );
    }

    #[test]
    fn every_write_is_a_change_watches_replay_and_compaction_forgets_them() {
        let mut s = Store::new(["default".to_owned()], 10);
        let mut woken = s.subscribe();
        let start = s.revision();
        let first = put(&mut s, None, json!({"a": "1"}));
        assert!(woken.has_changed().unwrap());
        woken.mark_unchanged();
        put(&mut s, Some(&first), json!({"a": "2"}));
        s.remove(&CONFIGMAPS, Some("default"), "cm", Persist::Yes)
            .unwrap();
        // A dry run changes nothing, so nobody is told.
        s.remove(&NAMESPACES, None, "default", Persist::DryRun)
            .unwrap();
        let (changes, latest) = s.changes_after(start).unwrap();
        assert_eq!(latest, start + 3);
        let summary: Vec<(u64, bool, bool)> = changes
            .iter()
            .map(|c| (c.revision, c.object.is_some(), c.previous.is_some()))
            .collect();
        assert_eq!(
            summary,
            [
                (start + 1, true, false),
                (start + 2, true, true),
                (start + 3, false, true)
            ]
        );
        assert_eq!(changes[2].previous.as_ref().unwrap()["data"]["a"], "2");
        assert_eq!(changes[2].namespace, "default");
        assert!(woken.has_changed().unwrap());
        let compacted = s.compact();
        assert_eq!(compacted, start + 4);
        assert_eq!(s.changes_after(start).unwrap_err().code, 410);
        // Nothing was missed by a watch that had seen everything.
        assert!(s.changes_after(start + 3).unwrap().0.is_empty());
        assert_eq!(
            s.history().check_start(start + 3).unwrap_err().message,
            format!("too old resource version: {} ({compacted})", start + 3)
        );
    }

    #[test]
    fn lists_are_per_namespace_or_cluster_wide_without_kinds() {
        let mut s = Store::new(["default".to_owned(), "other".to_owned()], 10);
        for ns in ["default", "other"] {
            let mut obj = cm(json!({}));
            s.commit(&CONFIGMAPS, Some(ns), "cm", None, &mut obj, Persist::Yes)
                .unwrap();
        }
        let list = s.list(&CONFIGMAPS, Some("other"), &Selector::default());
        assert_eq!(list["kind"], "ConfigMapList");
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
        assert!(list["items"][0].get("kind").is_none());
        assert_eq!(
            s.list(&CONFIGMAPS, None, &Selector::default())["items"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            s.list(&NAMESPACES, None, &Selector::default())["kind"],
            "NamespaceList"
        );
    }

    #[test]
    fn a_stale_resource_version_is_a_conflict() {
        let stored = json!({"metadata": {"resourceVersion": "7"}});
        let with = |rv: &str| json!({"metadata": {"resourceVersion": rv}});
        assert!(check_precondition(&CONFIGMAPS, &with("7"), &stored, "cm").is_ok());
        assert!(check_precondition(&CONFIGMAPS, &with(""), &stored, "cm").is_ok());
        assert!(check_precondition(&CONFIGMAPS, &json!({"metadata": {}}), &stored, "cm").is_ok());
        let err = check_precondition(&CONFIGMAPS, &with("6"), &stored, "cm").unwrap_err();
        assert_eq!((err.code, err.reason), (409, "Conflict"));
    }

    #[test]
    fn generation_counts_changes_outside_metadata_where_the_resource_has_one() {
        static THINGS: Resource = Resource {
            generation: Generation::AllButStatus,
            fields: &["spec", "status"],
            ..CONFIGMAPS
        };
        let mut s = Store::new(["default".to_owned()], 10);
        let write_as = |s: &mut Store, resource: &Resource, current: Option<&Value>, obj: Value| {
            let mut obj = obj;
            s.commit(
                resource,
                Some("default"),
                "t",
                current,
                &mut obj,
                Persist::Yes,
            )
            .unwrap();
            obj
        };
        let write =
            |s: &mut Store, current: Option<&Value>, obj: Value| write_as(s, &THINGS, current, obj);
        let thing = |spec: i32, label: &str, phase: &str| json!({"metadata": {"labels": {"l": label}}, "spec": {"n": spec}, "status": {"phase": phase}});
        let v1 = write(&mut s, None, thing(1, "a", "x"));
        assert_eq!(v1["metadata"]["generation"], 1);
        let v2 = write(&mut s, Some(&v1), thing(1, "b", "y"));
        assert_eq!(
            v2["metadata"]["generation"], 1,
            "labels and status do not count"
        );
        let v3 = write(&mut s, Some(&v2), thing(2, "b", "y"));
        assert_eq!(v3["metadata"]["generation"], 2);
        // Without a status subresource (Argo CD's Application), status changes count too.
        let a1 = write_as(&mut s, &APPLICATIONS, None, thing(1, "a", "x"));
        let a2 = write_as(&mut s, &APPLICATIONS, Some(&a1), thing(1, "b", "x"));
        assert_eq!(a2["metadata"]["generation"], 1, "labels do not count");
        let a3 = write_as(&mut s, &APPLICATIONS, Some(&a2), thing(1, "b", "y"));
        assert_eq!(a3["metadata"]["generation"], 2);
        assert!(
            put(&mut s, None, json!({}))["metadata"]
                .get("generation")
                .is_none()
        );
    }
}
