//! What a test does to a running [`FakeApiServer`] besides calling its API: objects of any
//! served resource read and written directly (writes are changes like any other: they take a
//! resourceVersion and reach open watches), the watch history compacted, every watch dropped,
//! users' permissions changed, faults injected, and the requests answered.
//!
//! Resources are named as messages and RBAC name them: `configmaps`, `namespaces`,
//! `applications.argoproj.io`.

use std::sync::MutexGuard;

use anyhow::{Result, anyhow};
use serde_json::Value;

use crate::resources::{self, CONFIGMAPS, Resource};
use crate::selector::Selector;
use crate::status::ApiError;
use crate::store::{Persist, Store};
use crate::{FakeApiServer, Request, Rule, User};

impl FakeApiServer {
    fn store(&self) -> Result<MutexGuard<'_, Store>, ApiError> {
        self.shared
            .store
            .lock()
            .map_err(|_| ApiError::injected(500))
    }

    /// One stored object, as GET returns it.
    pub fn object(&self, resource: &str, namespace: Option<&str>, name: &str) -> Option<Value> {
        let resource = resources::named(resource)?;
        self.store().ok()?.get(resource, namespace, name).ok()
    }

    /// The stored objects of a resource in one namespace (or all, for `None`), in namespace
    /// and name order, as GET returns each.
    pub fn objects(&self, resource: &str, namespace: Option<&str>) -> Vec<Value> {
        let (Some(resource), Ok(store)) = (resources::named(resource), self.store()) else {
            return Vec::new();
        };
        store
            .objects(resource, namespace, &Selector::default())
            .cloned()
            .collect()
    }

    /// Creates an object (in the namespace its `metadata.namespace` names, for a namespaced
    /// resource) as an update by `manager`, with the checks and validation a POST has.
    pub fn create(&self, resource: &str, object: Value, manager: &str) -> Result<Value, ApiError> {
        let (resource, namespace, _) = target(resource, &object)?;
        self.store()?.create(
            resource,
            namespace.as_deref(),
            object,
            manager,
            Persist::Yes,
        )
    }

    /// Server-side applies an object as `manager`, taking over fields other managers own
    /// (`force`), creating it when missing: the quickest way for a test to set an object to a
    /// state, as a controller (Argo CD writing an Application's status) would.
    pub fn apply(&self, resource: &str, object: Value, manager: &str) -> Result<Value, ApiError> {
        let (resource, namespace, name) = target(resource, &object)?;
        let (applied, _) = self.store()?.apply(
            resource,
            namespace.as_deref(),
            &name,
            object,
            manager,
            true,
            Persist::Yes,
        )?;
        Ok(applied)
    }

    /// Replaces an object as an update by `manager`, as a PUT does (a `resourceVersion` in it
    /// is a precondition).
    pub fn replace(&self, resource: &str, object: Value, manager: &str) -> Result<Value, ApiError> {
        let (resource, namespace, name) = target(resource, &object)?;
        self.store()?.replace(
            resource,
            namespace.as_deref(),
            &name,
            object,
            manager,
            Persist::Yes,
        )
    }

    /// Deletes an object; returns its last state.
    pub fn delete(
        &self,
        resource: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Value, ApiError> {
        self.store()?
            .remove(resource_named(resource)?, namespace, name, Persist::Yes)
    }

    /// A stored ConfigMap, as GET returns it.
    pub fn configmap(&self, namespace: &str, name: &str) -> Option<Value> {
        self.object(&CONFIGMAPS.group_resource(), Some(namespace), name)
    }

    /// Creates a ConfigMap directly (an `Update` by `manager`), for test setup.
    pub fn create_configmap(&self, namespace: &str, object: Value, manager: &str) -> Result<Value> {
        self.store()
            .and_then(|mut store| {
                store.create(&CONFIGMAPS, Some(namespace), object, manager, Persist::Yes)
            })
            .map_err(|e| anyhow!("{}", e.message))
    }

    /// The latest resourceVersion (what a list reports now).
    pub fn resource_version(&self) -> String {
        self.store()
            .map(|s| s.revision().to_string())
            .unwrap_or_default()
    }

    /// Compacts the watch history, as etcd does after writes elsewhere in the cluster: the
    /// resourceVersion moves on (no object changes) and every resourceVersion handed out so
    /// far is too old, so the next watch resumed from one gets 410 Expired and the client
    /// relists. Open watches go on, unless they had changes still to send. Returns the new
    /// resourceVersion.
    pub fn compact(&self) -> String {
        self.store()
            .map(|mut s| s.compact().to_string())
            .unwrap_or_default()
    }

    /// Ends every open watch now: each client sees its stream end (cleanly, as when the real
    /// server closes a watch) and watches again.
    pub fn drop_watches(&self) {
        self.shared.watches.drop_all();
    }

    /// How many watches are open: each ends with its client, its timeout, [`Self::stop`] or
    /// [`Self::drop_watches`].
    pub fn open_watches(&self) -> usize {
        self.shared.watches.open()
    }

    /// Replaces a user's rules from the next request on (403s, or access restored). Open
    /// watches go on, as on a real server, which authorizes a watch once when it starts.
    pub fn set_rules(&self, user: &str, rules: Vec<Rule>) -> Result<()> {
        let mut users = self.users()?;
        let found = users
            .iter_mut()
            .find(|u| u.name == user)
            .ok_or_else(|| anyhow!("the fake API server has no user named {user:?}"))?;
        found.rules = rules;
        Ok(())
    }

    /// Removes a user: its token is unknown from the next request on (401).
    pub fn remove_user(&self, user: &str) -> Result<()> {
        let mut users = self.users()?;
        let before = users.len();
        users.retain(|u| u.name != user);
        if users.len() == before {
            return Err(anyhow!("the fake API server has no user named {user:?}"));
        }
        Ok(())
    }

    /// Adds a user (or puts a removed one back).
    pub fn add_user(&self, user: User) -> Result<()> {
        self.users()?.push(user);
        Ok(())
    }

    fn users(&self) -> Result<std::sync::RwLockWriteGuard<'_, Vec<User>>> {
        self.shared
            .users
            .write()
            .map_err(|_| anyhow!("the users' lock is poisoned"))
    }

    /// Answers the next requests for namespaced objects (ConfigMaps, Applications, and watches
    /// of them; never discovery or namespaces) with these status codes (429, 500, 503, ...)
    /// instead of serving them, to test retries; [`DROP_CONNECTION`] drops the connection
    /// mid-response instead.
    ///
    /// [`DROP_CONNECTION`]: crate::DROP_CONNECTION
    pub fn fail_next(&self, codes: impl IntoIterator<Item = u16>) {
        if let Ok(mut faults) = self.shared.faults.lock() {
            faults.extend(codes);
        }
    }

    /// Every request answered so far (a watch is logged when it starts).
    pub fn requests(&self) -> Vec<Request> {
        self.shared
            .log
            .lock()
            .map(|l| l.clone())
            .unwrap_or_default()
    }
}

fn resource_named(name: &str) -> Result<&'static Resource, ApiError> {
    resources::named(name).ok_or_else(|| {
        ApiError::bad_request(format!(
            "the fake API server serves no resource named {name:?} (name one as `configmaps` or `applications.argoproj.io`)"
        ))
    })
}

/// The resource, namespace and name an object written directly goes to: its
/// `metadata.namespace` (required for a namespaced resource) and `metadata.name`.
fn target(
    resource: &str,
    object: &Value,
) -> Result<(&'static Resource, Option<String>, String), ApiError> {
    let resource = resource_named(resource)?;
    let meta = &object["metadata"];
    let namespace = meta["namespace"].as_str().filter(|ns| !ns.is_empty());
    let namespace = match (resource.namespaced(), namespace) {
        (true, Some(ns)) => Some(ns.to_owned()),
        (true, None) => {
            return Err(ApiError::bad_request(format!(
                "a {} written directly needs metadata.namespace",
                resource.kind
            )));
        }
        (false, _) => None,
    };
    let name = meta["name"].as_str().unwrap_or_default().to_owned();
    Ok((resource, namespace, name))
}
