//! Argo CD Applications (`applications.argoproj.io`, version `v1alpha1`) through the API.
//!
//! [`Application`] is a minimal typed resource: kube deserialises API answers and watch events
//! straight into status-core's [`argocd::Application`](status_core::argocd::Application),
//! which keeps only what the status document needs, and skips the rest of the object (sync
//! history, `managedFields`, ...) without building it. No Argo CD client library, no
//! hand-made HTTP: kube's `Api<Application>` does the requests. [`get_application`] reads one;
//! [`watch`] follows a namespace's Applications as documents ([`documents`]).
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use status_kube::ClientOptions;
//! use status_kube::argocd::get_application;
//!
//! let cluster = ClientOptions::default().load().await?;
//! let app = get_application(&cluster.client()?, cluster.server(), "argocd", "guestbook").await?;
//! let document = app.to_document(status_core::chrono::Utc::now())?;
//! println!("{}", document.to_json_pretty());
//! # Ok(())
//! # }
//! ```

use std::borrow::Cow;

use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::{Api, Client, Resource};
use serde::{Deserialize, Deserializer};
use status_core::StatusDocument;
use status_core::chrono::{DateTime, Utc};

use crate::watch::{Document, Documents, Selector, WatchStream};
use crate::{Cluster, Error, Request, Verb};

/// Argo CD's API group.
pub const GROUP: &str = "argoproj.io";
/// The version of Argo CD's Application resource.
pub const VERSION: &str = "v1alpha1";
/// The kind.
pub const KIND: &str = "Application";
/// The resource (plural), as RBAC rules and URLs name it.
pub const PLURAL: &str = "applications";
/// The namespace Argo CD's Applications live in by default.
pub const DEFAULT_NAMESPACE: &str = "argocd";

/// An Argo CD Application as kube reads it: the fields status-core maps, plus the metadata
/// kube needs (name, namespace, `resourceVersion`).
///
/// Read-only: `metadata` is rebuilt from the object when it is read, and nothing here writes
/// an Application back. Deserialising fails only when the value is not a JSON object; what is
/// missing or malformed is [`to_document`](Self::to_document)'s error, with its JSON path.
#[derive(Debug, Clone, PartialEq)]
pub struct Application {
    metadata: ObjectMeta,
    application: status_core::argocd::Application,
}

impl Application {
    /// The status document of this Application; see [`status_core::argocd`]. `now` is its
    /// `last_check` when the Application has no time of its own.
    pub fn to_document(&self, now: DateTime<Utc>) -> Result<StatusDocument, status_core::Error> {
        self.application.to_document(now)
    }

    /// The fields status-core reads.
    pub fn application(&self) -> &status_core::argocd::Application {
        &self.application
    }
}

impl<'de> Deserialize<'de> for Application {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let application = status_core::argocd::Application::deserialize(deserializer)?;
        let metadata = ObjectMeta {
            name: application.name().map(str::to_owned),
            namespace: application.namespace().map(str::to_owned),
            resource_version: application.resource_version().map(str::to_owned),
            ..ObjectMeta::default()
        };
        Ok(Self {
            metadata,
            application,
        })
    }
}

impl Resource for Application {
    type DynamicType = ();
    type Scope = NamespaceResourceScope;

    fn kind(_: &()) -> Cow<'_, str> {
        Cow::Borrowed(KIND)
    }

    fn group(_: &()) -> Cow<'_, str> {
        Cow::Borrowed(GROUP)
    }

    fn version(_: &()) -> Cow<'_, str> {
        Cow::Borrowed(VERSION)
    }

    fn plural(_: &()) -> Cow<'_, str> {
        Cow::Borrowed(PLURAL)
    }

    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }

    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

/// Reads the Application `name` in `namespace` from the API server at `server` (its URL, for
/// errors).
///
/// A missing Application is [`Error::NotFound`]; so is a cluster without Argo CD (the
/// resource itself is not served): [`is_resource_missing`] tells them apart. 401 and 403 are
/// [`Error::Unauthorized`] and [`Error::Forbidden`], whose [`Request`] names the verb `get`,
/// the resource `applications.argoproj.io`, the namespace and the name: what an RBAC rule
/// needs.
pub async fn get_application(
    client: &Client,
    server: &str,
    namespace: &str,
    name: &str,
) -> Result<Application, Error> {
    let api: Api<Application> = Api::namespaced(client.clone(), namespace);
    let request = Request::of::<Application>(server, Verb::Get)
        .in_namespace(namespace)
        .named(name);
    api.get(name)
        .await
        .map_err(|e| Error::from_kube(e, &request))
}

/// The documents a watch makes of an Application: one, under the key `<name>.json` (so the
/// Application `guestbook` is the document `guestbook.json`), holding its status document as
/// `statusctl collect argocd` prints it (indented JSON, so both give the same bytes and the
/// same ETag), or [`Document::Invalid`] with the mapping's error, which names the JSON path.
///
/// `last_check` falls back to the Application's `creationTimestamp` when it has neither
/// `reconciledAt` nor a finished operation (a brand-new Application the controller has not
/// reconciled yet), not to the clock: a relist of an unchanged Application must give the
/// same bytes, or every relist would serve the whole fleet again as changed, with new ETags,
/// and replicas would disagree. It is honest too: nothing has been checked since the
/// Application was created, and a `--stale-after` sees it. Only an object with no valid
/// `creationTimestamp` (no API server sends one) gets the time of collection.
///
/// An Application whose name is too long for its key to be a ConfigMap key (more than 248
/// bytes) is invalid: it can never be served, and says why.
pub fn documents(app: Application) -> Documents {
    let Some(name) = app.application.name() else {
        // The API server names every object; there is no key to report under.
        return Documents::new();
    };
    let key = format!("{name}.json");
    let document = if !status_core::is_document_key(&key) {
        Document::Invalid(format!(
            "the Application's name is {} bytes long: its document key would be longer than \
             the 253 bytes a ConfigMap key may have",
            name.len()
        ))
    } else {
        let now = app
            .application
            .creation_timestamp()
            .unwrap_or_else(Utc::now);
        match app.to_document(now) {
            Ok(document) => Document::Bytes(document.to_json_pretty().into_bytes()),
            Err(e) => Document::Invalid(e.to_string()),
        }
    };
    Documents::from([(key, document)])
}

/// Watches the Applications of `namespace` that `selector` picks, each as its [`documents`].
///
/// Same requirements as [`crate::watch::configmaps`]. Errors name `list` or `watch` on
/// `applications.argoproj.io` in the namespace, what an RBAC rule needs.
pub fn watch(
    cluster: &Cluster,
    namespace: &str,
    selector: &Selector,
) -> Result<WatchStream, Error> {
    crate::watch::watch::<Application, _>(cluster, namespace, selector, documents)
}

/// Whether a 404 says that the API server does not serve Argo CD's Applications at all (Argo
/// CD is not installed), rather than that one Application does not exist.
///
/// The API server names the object it did not find (`details.name`, and `applications.argoproj.io
/// "x" not found`); for a resource it does not serve it answers only "the server could not find
/// the requested resource".
pub fn is_resource_missing(error: &Error) -> bool {
    let Error::NotFound { status, .. } = error else {
        return false;
    };
    let named = status.details.as_ref().is_some_and(|d| !d.name.is_empty());
    !named && !status.message.contains(&format!("{PLURAL}.{GROUP}"))
}

#[cfg(test)]
mod tests {
    use kube::core::Status;

    use super::*;

    #[test]
    fn the_resource_is_argo_cds() {
        assert_eq!(
            Application::url_path(&(), Some("argocd")),
            "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications"
        );
        let request = Request::of::<Application>("https://k", Verb::Get)
            .in_namespace("argocd")
            .named("guestbook");
        assert_eq!(
            request.to_string(),
            "get applications.argoproj.io \"guestbook\" in namespace \"argocd\""
        );
    }

    #[test]
    fn reading_keeps_the_metadata_kube_needs() {
        let app: Application = serde_json::from_value(serde_json::json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": "guestbook", "namespace": "argocd", "resourceVersion": "42",
                         "uid": "u", "managedFields": [{"manager": "x"}]},
            "spec": {"source": {"repoURL": "r"}, "destination": {"name": "in-cluster"}},
        }))
        .unwrap();
        assert_eq!(app.meta().name.as_deref(), Some("guestbook"));
        assert_eq!(app.meta().namespace.as_deref(), Some("argocd"));
        assert_eq!(app.meta().resource_version.as_deref(), Some("42"));
        let doc = app.to_document(Utc::now()).unwrap();
        assert_eq!(
            (doc.repo(), doc.server(), doc.app()),
            ("r", "in-cluster", Some("guestbook"))
        );
        assert!(serde_json::from_str::<Application>("[]").is_err());
    }

    fn app(value: serde_json::Value) -> Application {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn an_application_is_one_document_named_after_it_and_stable_without_a_time_of_its_own() {
        // Never reconciled: no reconciledAt, no operation. Its creation is its last check, so
        // reading it twice (a relist, another replica) gives the same bytes.
        let brand_new = serde_json::json!({
            "metadata": {"name": "guestbook", "resourceVersion": "7",
                         "creationTimestamp": "2026-04-21T12:00:00Z"},
            "spec": {"source": {"repoURL": "r"}, "destination": {"name": "in-cluster"}},
        });
        let first = documents(app(brand_new.clone()));
        std::thread::sleep(std::time::Duration::from_millis(5));
        let again = documents(app(brand_new));
        assert_eq!(first, again);
        assert_eq!(first.keys().collect::<Vec<_>>(), ["guestbook.json"]);
        let bytes = first["guestbook.json"].bytes().unwrap();
        let doc = status_core::parse(bytes).unwrap();
        assert_eq!(doc.last_check().to_rfc3339(), "2026-04-21T12:00:00+00:00");
        assert_eq!(doc.app(), Some("guestbook"));
        // The same bytes `statusctl collect argocd` prints.
        assert_eq!(bytes, doc.to_json_pretty().as_bytes());
    }

    #[test]
    fn an_application_the_mapping_refuses_is_an_invalid_document_saying_why() {
        let documents = documents(app(serde_json::json!({
            "metadata": {"name": "broken"},
            "spec": {"source": {"repoURL": "r"}},
        })));
        assert_eq!(
            documents["broken.json"],
            Document::Invalid(
                "invalid Argo CD Application: $.spec.destination is missing; expected an \
                 object with a server or a name"
                    .to_owned()
            )
        );
        let long = "a".repeat(249);
        let documents = super::documents(app(serde_json::json!({
            "metadata": {"name": long},
            "spec": {"source": {"repoURL": "r"}, "destination": {"name": "in-cluster"}},
        })));
        let Document::Invalid(message) = &documents[&format!("{long}.json")] else {
            panic!("{documents:?}")
        };
        assert!(message.contains("249 bytes long"), "{message}");
    }

    #[test]
    fn a_missing_application_is_not_a_missing_resource() {
        let request = Request::of::<Application>("https://k", Verb::Get)
            .in_namespace("argocd")
            .named("nope");
        let not_found = |status: serde_json::Value| {
            let status: Status = serde_json::from_value(status).unwrap();
            Error::from_status(status.boxed(), &request)
        };
        // What the API server answers for a missing object: the details name it.
        let object = not_found(serde_json::json!({
            "status": "Failure", "reason": "NotFound", "code": 404,
            "message": "applications.argoproj.io \"nope\" not found",
            "details": {"name": "nope", "group": GROUP, "kind": PLURAL},
        }));
        assert!(!is_resource_missing(&object));
        // Without the details, the message still names the resource.
        let terse = not_found(serde_json::json!({
            "status": "Failure", "reason": "NotFound", "code": 404,
            "message": "applications.argoproj.io \"nope\" not found",
        }));
        assert!(!is_resource_missing(&terse));
        // A resource the API server does not serve.
        let resource = not_found(serde_json::json!({
            "status": "Failure", "reason": "NotFound", "code": 404,
            "message": "the server could not find the requested resource", "details": {},
        }));
        assert!(is_resource_missing(&resource));
    }
}
