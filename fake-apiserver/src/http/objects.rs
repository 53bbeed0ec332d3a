//! Requests on a resource's collections and objects: the HTTP method, content type and `watch`
//! pick the verb (`list`, `watch`, `create`, `get`, `update`, `patch` — apply or not —,
//! `delete`), which is authorized, checked against the verbs the resource serves, and carried
//! out on the store (or, for `watch`, by [`super::watch`]).

use actix_web::http::{Method, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;

use super::auth::Caller;
use super::list_options::{ListOptions, Match, Version};
use super::query::Query;
use super::{Shared, body, json_response, lock, table, watch};
use crate::resources::Resource;
use crate::status::{self, ApiError};
use crate::writes::PatchKind;

/// One request's parts, as every handler needs them.
pub(crate) struct Call<'a> {
    pub(crate) req: &'a HttpRequest,
    pub(crate) body: &'a [u8],
    pub(crate) shared: &'a web::Data<Shared>,
    pub(crate) caller: &'a Caller,
    pub(crate) query: &'a Query,
    pub(crate) content_type: &'a str,
}

impl Call<'_> {
    /// Authorizes `verb`, then 405 when the resource does not serve it (a real server would
    /// have no route for it).
    fn allow(
        &self,
        verb: &str,
        resource: &Resource,
        namespace: Option<&str>,
        name: Option<&str>,
    ) -> Result<(), ApiError> {
        self.caller.authorize(verb, resource, namespace, name)?;
        if resource.serves(verb) {
            Ok(())
        } else {
            Err(ApiError::method_not_allowed())
        }
    }

    /// Authorizes a list or watch, then parses its options. A field selector pinning
    /// `metadata.name` makes it a request for that one name, as the real server's request
    /// info does (so `resourceNames` rules can allow watching one object); options that do not
    /// parse are reported after authorization, as there.
    fn list_options(
        &self,
        verb: &str,
        resource: &Resource,
        namespace: Option<&str>,
        watch: bool,
    ) -> Result<ListOptions, ApiError> {
        let options = ListOptions::parse(self.query, resource, watch);
        let name = options.as_ref().ok().and_then(|o| o.selector.exact_name());
        self.allow(verb, resource, namespace, name)?;
        options
    }

    fn user_agent(&self) -> Option<&str> {
        self.req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
    }
}

/// `GET` lists (in one namespace, or across all) or, with `watch`, watches; `POST` creates (in
/// a namespace, or a cluster-wide object).
pub(crate) fn collection(
    call: &Call<'_>,
    resource: &'static Resource,
    namespace: Option<&str>,
) -> Result<HttpResponse, ApiError> {
    match *call.req.method() {
        Method::GET | Method::HEAD if call.query.watch() => {
            let options = call.list_options("watch", resource, namespace, true)?;
            watch::serve(call.req, call.shared, resource, namespace, options)
        }
        Method::GET | Method::HEAD => {
            let options = call.list_options("list", resource, namespace, false)?;
            let store = lock(call.shared)?;
            let revision = store.revision();
            if let Version::At(requested) = options.version {
                if requested > revision {
                    return Err(ApiError::too_large_resource_version(requested, revision));
                }
                // The fake keeps no past states: an exact read of one is as good as compacted.
                if options.version_match == Some(Match::Exact) && requested < revision {
                    return Err(ApiError::expired(format!(
                        "too old resource version: {requested} ({revision})"
                    )));
                }
            }
            let list = store.list(resource, namespace, &options.selector);
            drop(store);
            let list = if table::wanted(call.req) {
                table::of_list(resource, &list)
            } else {
                list
            };
            Ok(json_response(200, &list))
        }
        // The cluster-wide path of a namespaced resource is for lists only.
        Method::POST if namespace.is_some() || !resource.namespaced() => {
            // The name of a new object is not known to the authorizer: `resourceNames` rules
            // never allow a POST, exactly as in real RBAC.
            call.allow("create", resource, namespace, None)?;
            let persist = call.query.persist()?;
            let manager = call.query.field_manager(call.user_agent(), false)?;
            let obj = body::object(call.body, call.content_type, resource)?;
            body::check_fields(&obj, resource, call.query.strict(), false)?;
            let created = lock(call.shared)?.create(resource, namespace, obj, &manager, persist)?;
            Ok(json_response(201, &created))
        }
        _ => Err(ApiError::method_not_allowed()),
    }
}

/// `GET`, `PUT`, `PATCH` (apply, merge, strategic merge, JSON patch) and `DELETE` of one
/// object.
pub(crate) fn object(
    call: &Call<'_>,
    resource: &Resource,
    namespace: Option<&str>,
    name: &str,
) -> Result<HttpResponse, ApiError> {
    let query = call.query;
    match *call.req.method() {
        Method::GET | Method::HEAD => {
            call.allow("get", resource, namespace, Some(name))?;
            let obj = lock(call.shared)?.get(resource, namespace, name)?;
            let obj = if table::wanted(call.req) {
                table::of_object(resource, &obj)
            } else {
                obj
            };
            Ok(json_response(200, &obj))
        }
        Method::PUT => {
            call.allow("update", resource, namespace, Some(name))?;
            let persist = query.persist()?;
            let manager = query.field_manager(call.user_agent(), false)?;
            let obj = body::object(call.body, call.content_type, resource)?;
            body::check_fields(&obj, resource, query.strict(), false)?;
            let mut store = lock(call.shared)?;
            let replaced = store.replace(resource, namespace, name, obj, &manager, persist)?;
            Ok(json_response(200, &replaced))
        }
        Method::DELETE => {
            call.allow("delete", resource, namespace, Some(name))?;
            let persist = query.persist()?;
            let old = lock(call.shared)?.remove(resource, namespace, name, persist)?;
            let uid = old["metadata"]["uid"].as_str().unwrap_or_default();
            Ok(json_response(200, &status::deleted(resource, name, uid)))
        }
        Method::PATCH => patch(call, resource, namespace, name),
        _ => Err(ApiError::method_not_allowed()),
    }
}

fn patch(
    call: &Call<'_>,
    resource: &Resource,
    namespace: Option<&str>,
    name: &str,
) -> Result<HttpResponse, ApiError> {
    let query = call.query;
    call.allow("patch", resource, namespace, Some(name))?;
    let persist = query.persist()?;
    let force = query.force()?;
    body::check_size(call.body)?;
    let kind = match body::media_type(call.content_type) {
        "application/apply-patch+yaml" => None,
        "application/merge-patch+json" => Some(PatchKind::Merge),
        "application/strategic-merge-patch+json" => Some(PatchKind::StrategicMerge),
        "application/json-patch+json" => Some(PatchKind::Json),
        other => return Err(ApiError::unsupported_media_type(other)),
    };
    let Some(kind) = kind else {
        let manager = query.field_manager(call.user_agent(), true)?;
        let applied: Value = body::yaml(call.body)?;
        body::check_fields(&applied, resource, query.strict(), true)?;
        let mut store = lock(call.shared)?;
        // Apply creates a missing object: that takes the create verb too (named, so a
        // `resourceNames` rule can allow it, unlike a POST).
        if store.get(resource, namespace, name).is_err() {
            call.allow("create", resource, namespace, Some(name))?;
        }
        let (obj, created) =
            store.apply(resource, namespace, name, applied, &manager, force, persist)?;
        return Ok(json_response(if created { 201 } else { 200 }, &obj));
    };
    if force {
        return Err(ApiError::invalid_options(
            "PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not be specified for non-apply patch",
        ));
    }
    let manager = query.field_manager(call.user_agent(), false)?;
    let patch = body::json(call.body, resource)?;
    let patched =
        lock(call.shared)?.patch(resource, namespace, name, kind, &patch, &manager, persist)?;
    Ok(json_response(200, &patched))
}
