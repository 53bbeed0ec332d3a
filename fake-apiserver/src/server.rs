//! The HTTP side: authentication by bearer token, authorization by per-user rules, routing,
//! query parameters (`dryRun`, `fieldManager`, `force`, `fieldValidation`), content types, and
//! `Status` error bodies. The object semantics live in [`crate::store`].

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use actix_web::http::{Method, StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::status::{self, ApiError};
use crate::store::{PatchKind, Persist, Store};
use crate::{Request, User};

/// The largest request body the real API server takes (3 MiB).
pub(crate) const MAX_REQUEST_BYTES: usize = 3 * 1024 * 1024;

/// The injected "fault code" that drops the connection instead of answering.
pub(crate) const DROP_CONNECTION: u16 = 0;

/// A response body that fails at once, so the connection is dropped mid-response.
struct Dropped;

impl actix_web::body::MessageBody for Dropped {
    type Error = std::io::Error;

    fn size(&self) -> actix_web::body::BodySize {
        actix_web::body::BodySize::Sized(64)
    }

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<actix_web::web::Bytes, Self::Error>>> {
        std::task::Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "injected: connection dropped",
        ))))
    }
}

/// State shared by all requests of one server.
pub(crate) struct Shared {
    pub(crate) store: Mutex<Store>,
    pub(crate) users: Vec<User>,
    pub(crate) faults: Mutex<VecDeque<u16>>,
    pub(crate) log: Mutex<Vec<Request>>,
    pub(crate) address: String,
}

/// Who is asking: a known user, or anonymous (no token).
struct Caller<'a> {
    name: &'a str,
    user: Option<&'a User>,
}

impl Caller<'_> {
    fn may(&self, verb: &str, resource: &str, namespace: Option<&str>, name: Option<&str>) -> bool {
        self.user.is_some_and(|u| {
            u.rules
                .iter()
                .any(|r| r.allows(verb, resource, namespace, name))
        })
    }

    fn authorize(
        &self,
        verb: &str,
        resource: &str,
        namespace: Option<&str>,
        name: Option<&str>,
    ) -> Result<(), ApiError> {
        if self.may(verb, resource, namespace, name) {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                self.name, verb, resource, name, namespace,
            ))
        }
    }
}

/// The one handler: every request goes through here.
pub(crate) async fn handle(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let query = parse_query(req.query_string());
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let response = match route(&req, &body, &shared, &query, &content_type) {
        Ok(response) => response,
        Err(err) => error_response(&err),
    };
    if let Ok(mut log) = shared.log.lock() {
        log.push(Request {
            method: req.method().to_string(),
            path: req.path().to_owned(),
            query: req.query_string().to_owned(),
            content_type,
            status: response.status().as_u16(),
        });
    }
    response
}

fn error_response(err: &ApiError) -> HttpResponse {
    if err.code == DROP_CONNECTION {
        // Headers promising a body, then an error instead of it: actix closes the connection
        // and the client sees it dropped mid-response.
        return HttpResponse::Ok()
            .content_type("application/json")
            .body(Dropped);
    }
    let mut response = HttpResponse::build(
        StatusCode::from_u16(err.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
    );
    if err.code == 429 {
        response.insert_header((header::RETRY_AFTER, "1"));
    }
    response.json(err.body())
}

fn json_response(code: u16, body: &Value) -> HttpResponse {
    HttpResponse::build(StatusCode::from_u16(code).unwrap_or(StatusCode::OK))
        .content_type("application/json")
        .body(body.to_string())
}

fn route(
    req: &HttpRequest,
    body: &[u8],
    shared: &Shared,
    query: &HashMap<String, String>,
    content_type: &str,
) -> Result<HttpResponse, ApiError> {
    let path = req.path().trim_end_matches('/');
    let method = req.method();
    // Health endpoints and /version are public on a real cluster (system:public-info-viewer).
    match path {
        "/healthz" | "/livez" | "/readyz" => {
            return Ok(HttpResponse::Ok().content_type("text/plain").body("ok"));
        }
        _ => {}
    }
    let caller = authenticate(req, shared)?;
    if path == "/version" {
        return Ok(json_response(200, &crate::discovery::version()));
    }
    if caller.user.is_none() {
        // Anonymous callers may read nothing else.
        return Err(ApiError {
            code: 403,
            reason: "Forbidden",
            message: format!("forbidden: User \"system:anonymous\" cannot get path \"{path}\""),
            details: Some(json!({})),
        });
    }
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let get_only = |value: Value| {
        if method == Method::GET || method == Method::HEAD {
            Ok(json_response(200, &value))
        } else {
            Err(ApiError::method_not_allowed())
        }
    };
    match segments.as_slice() {
        ["api"] => get_only(crate::discovery::api(&shared.address)),
        ["apis"] => get_only(crate::discovery::apis()),
        ["api", "v1"] => get_only(crate::discovery::api_v1()),
        ["openapi", "v3"] => get_only(crate::discovery::openapi_v3_index()),
        ["openapi", "v3", "api", "v1"] => get_only(crate::discovery::openapi_v3_core()),
        ["api", "v1", "namespaces"] => {
            caller.authorize("list", "namespaces", None, None)?;
            let store = lock(shared)?;
            get_only(store.namespace_list())
        }
        ["api", "v1", "namespaces", ns] => {
            caller.authorize("get", "namespaces", None, Some(ns))?;
            let store = lock(shared)?;
            get_only(store.namespace(ns)?)
        }
        ["api", "v1", "configmaps"] => {
            inject_fault(shared)?;
            caller.authorize("list", "configmaps", None, None)?;
            let store = lock(shared)?;
            get_only(list_or_table(req, store.list(None)))
        }
        _ if matches!(query.get("watch").map(String::as_str), Some("true" | "1")) => {
            // Said plainly rather than answered with a list a watcher cannot decode.
            Err(ApiError {
                code: 405,
                reason: "MethodNotAllowed",
                message: "watch is not supported by the fake API server".to_owned(),
                details: Some(json!({})),
            })
        }
        ["api", "v1", "namespaces", ns, "configmaps"] => {
            inject_fault(shared)?;
            collection(req, body, shared, &caller, ns, query, content_type)
        }
        ["api", "v1", "namespaces", ns, "configmaps", name] => {
            inject_fault(shared)?;
            object(req, body, shared, &caller, ns, name, query, content_type)
        }
        _ => Err(ApiError::no_such_path()),
    }
}

fn lock(shared: &Shared) -> Result<std::sync::MutexGuard<'_, Store>, ApiError> {
    shared.store.lock().map_err(|_| ApiError::injected(500))
}

fn inject_fault(shared: &Shared) -> Result<(), ApiError> {
    let fault = shared.faults.lock().ok().and_then(|mut f| f.pop_front());
    match fault {
        Some(code) => Err(ApiError::injected(code)),
        None => Ok(()),
    }
}

fn authenticate<'a>(req: &HttpRequest, shared: &'a Shared) -> Result<Caller<'a>, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(Caller {
            name: "system:anonymous",
            user: None,
        });
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(ApiError::unauthorized)?;
    shared
        .users
        .iter()
        .find(|u| u.token == token)
        .map(|u| Caller {
            name: &u.name,
            user: Some(u),
        })
        .ok_or_else(ApiError::unauthorized)
}

/// `dryRun`: absent, or `All`.
fn persist(query: &HashMap<String, String>) -> Result<Persist, ApiError> {
    match query.get("dryRun").map(String::as_str) {
        None | Some("") => Ok(Persist::Yes),
        Some("All") => Ok(Persist::DryRun),
        Some(other) => Err(ApiError::bad_request(format!(
            "Invalid dry run value: unsupported dry run value {other:?}, valid values are \"All\""
        ))),
    }
}

/// The field manager of a write: the `fieldManager` parameter, else (for updates) the
/// User-Agent's program name, as the real server derives it.
fn field_manager(
    req: &HttpRequest,
    query: &HashMap<String, String>,
    apply: bool,
) -> Result<String, ApiError> {
    let manager = match query.get("fieldManager") {
        Some(m) if !m.is_empty() => m.clone(),
        _ if apply => {
            return Err(ApiError::invalid_options(
                "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
            ));
        }
        _ => req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .and_then(|ua| ua.split('/').next())
            .unwrap_or("unknown")
            .to_owned(),
    };
    if manager.chars().count() > 128 || manager.chars().any(char::is_control) {
        return Err(ApiError::invalid_options(
            "fieldManager: Invalid value: must be at most 128 printable characters",
        ));
    }
    Ok(manager)
}

/// With `fieldValidation=Strict`, unknown fields are an error, as on a real server.
fn strict_check(obj: &Value, query: &HashMap<String, String>, apply: bool) -> Result<(), ApiError> {
    if query.get("fieldValidation").map(String::as_str) != Some("Strict") {
        return Ok(());
    }
    const TOP: &[&str] = &[
        "apiVersion",
        "kind",
        "metadata",
        "data",
        "binaryData",
        "immutable",
    ];
    const META: &[&str] = &[
        "name",
        "namespace",
        "labels",
        "annotations",
        "resourceVersion",
        "uid",
        "creationTimestamp",
        "generateName",
        "managedFields",
        "ownerReferences",
        "finalizers",
        "generation",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "selfLink",
    ];
    let mut unknown = Vec::new();
    if let Some(map) = obj.as_object() {
        unknown.extend(
            map.keys()
                .filter(|k| !TOP.contains(&k.as_str()))
                .map(|k| format!(".{k}")),
        );
    }
    if let Some(map) = obj.get("metadata").and_then(Value::as_object) {
        unknown.extend(
            map.keys()
                .filter(|k| !META.contains(&k.as_str()))
                .map(|k| format!(".metadata.{k}")),
        );
    }
    match unknown.first() {
        None => Ok(()),
        Some(field) if apply => Err(ApiError::bad_request(format!(
            "failed to create typed patch object (/v1, Kind=ConfigMap): {field}: field not declared in schema"
        ))),
        Some(field) => Err(ApiError::bad_request(format!(
            "strict decoding error: unknown field \"{}\"",
            field.trim_start_matches('.')
        ))),
    }
}

fn parse_json(body: &[u8]) -> Result<Value, ApiError> {
    if body.len() > MAX_REQUEST_BYTES {
        return Err(ApiError::too_large(MAX_REQUEST_BYTES));
    }
    serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(format!(
            "the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; json parse error: {e}"
        ))
    })
}

/// The object of a POST or PUT, in any of the encodings the real server takes for ConfigMaps.
fn parse_object(body: &[u8], content_type: &str) -> Result<Value, ApiError> {
    if body.len() > MAX_REQUEST_BYTES {
        return Err(ApiError::too_large(MAX_REQUEST_BYTES));
    }
    match content_type.split(';').next().unwrap_or("").trim() {
        "" | "application/json" => parse_json(body),
        "application/yaml" => serde_yaml::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}"))),
        "application/vnd.kubernetes.protobuf" => crate::proto::configmap(body).map_err(|e| {
            ApiError::bad_request(format!(
                "the object provided is unrecognized (must be of type ConfigMap): {e}"
            ))
        }),
        other => Err(ApiError::unsupported_media_type(other)),
    }
}

fn collection(
    req: &HttpRequest,
    body: &[u8],
    shared: &Shared,
    caller: &Caller<'_>,
    ns: &str,
    query: &HashMap<String, String>,
    content_type: &str,
) -> Result<HttpResponse, ApiError> {
    match *req.method() {
        Method::GET => {
            caller.authorize("list", "configmaps", Some(ns), None)?;
            let store = lock(shared)?;
            Ok(json_response(
                200,
                &list_or_table(req, store.list(Some(ns))),
            ))
        }
        Method::POST => {
            // The name of a new object is not known to the authorizer: `resourceNames` rules
            // never allow a POST, exactly as in real RBAC.
            caller.authorize("create", "configmaps", Some(ns), None)?;
            let persist = persist(query)?;
            let manager = field_manager(req, query, false)?;
            let obj = parse_object(body, content_type)?;
            strict_check(&obj, query, false)?;
            let mut store = lock(shared)?;
            let created = store.create(ns, obj, &manager, persist)?;
            Ok(json_response(201, &created))
        }
        _ => Err(ApiError::method_not_allowed()),
    }
}

#[allow(clippy::too_many_arguments)] // one request's parts; a struct would only rename them
fn object(
    req: &HttpRequest,
    body: &[u8],
    shared: &Shared,
    caller: &Caller<'_>,
    ns: &str,
    name: &str,
    query: &HashMap<String, String>,
    content_type: &str,
) -> Result<HttpResponse, ApiError> {
    let name_opt = Some(name);
    match *req.method() {
        Method::GET | Method::HEAD => {
            caller.authorize("get", "configmaps", Some(ns), name_opt)?;
            let store = lock(shared)?;
            let obj = store.get(ns, name)?;
            Ok(json_response(200, &obj_or_table(req, obj)))
        }
        Method::PUT => {
            caller.authorize("update", "configmaps", Some(ns), name_opt)?;
            let persist = persist(query)?;
            let manager = field_manager(req, query, false)?;
            let obj = parse_object(body, content_type)?;
            strict_check(&obj, query, false)?;
            let mut store = lock(shared)?;
            Ok(json_response(
                200,
                &store.replace(ns, name, obj, &manager, persist)?,
            ))
        }
        Method::DELETE => {
            caller.authorize("delete", "configmaps", Some(ns), name_opt)?;
            let persist = persist(query)?;
            let mut store = lock(shared)?;
            let old = store.delete(ns, name, persist)?;
            Ok(json_response(
                200,
                &status::deleted(
                    "configmaps",
                    name,
                    old["metadata"]["uid"].as_str().unwrap_or_default(),
                ),
            ))
        }
        Method::PATCH => {
            caller.authorize("patch", "configmaps", Some(ns), name_opt)?;
            let persist = persist(query)?;
            let media = content_type.split(';').next().unwrap_or("").trim();
            let force = match query.get("force").map(String::as_str) {
                None => false,
                Some("true") => true,
                Some("false") => false,
                Some(other) => {
                    return Err(ApiError::bad_request(format!(
                        "invalid force value {other:?}"
                    )));
                }
            };
            if body.len() > MAX_REQUEST_BYTES {
                return Err(ApiError::too_large(MAX_REQUEST_BYTES));
            }
            if media == "application/apply-patch+yaml" {
                let manager = field_manager(req, query, true)?;
                let applied: Value = serde_yaml::from_slice(body)
                    .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))?;
                strict_check(&applied, query, true)?;
                let mut store = lock(shared)?;
                // Apply creates a missing object: that takes the create verb too (named, so
                // a `resourceNames` rule can allow it, unlike a POST).
                if store.get(ns, name).is_err() {
                    caller.authorize("create", "configmaps", Some(ns), name_opt)?;
                }
                let (obj, created) = store.apply(ns, name, applied, &manager, force, persist)?;
                return Ok(json_response(if created { 201 } else { 200 }, &obj));
            }
            let kind = match media {
                "application/merge-patch+json" => PatchKind::Merge,
                "application/strategic-merge-patch+json" => PatchKind::StrategicMerge,
                "application/json-patch+json" => PatchKind::Json,
                other => return Err(ApiError::unsupported_media_type(other)),
            };
            if force {
                return Err(ApiError::invalid_options(
                    "PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not be specified for non-apply patch",
                ));
            }
            let manager = field_manager(req, query, false)?;
            let patch = parse_json(body)?;
            let mut store = lock(shared)?;
            Ok(json_response(
                200,
                &store.patch(ns, name, kind, &patch, &manager, persist)?,
            ))
        }
        _ => Err(ApiError::method_not_allowed()),
    }
}

/// Whether the client asked for a `Table` (`kubectl get` without `-o`).
fn wants_table(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("as=Table"))
}

fn obj_or_table(req: &HttpRequest, obj: Value) -> Value {
    if wants_table(req) {
        table(std::slice::from_ref(&obj))
    } else {
        obj
    }
}

fn list_or_table(req: &HttpRequest, list: Value) -> Value {
    if wants_table(req) {
        table(
            list["items"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default(),
        )
    } else {
        list
    }
}

/// The server-side printing `kubectl get` asks for: NAME, DATA, AGE.
fn table(items: &[Value]) -> Value {
    let rows: Vec<Value> = items
        .iter()
        .map(|cm| {
            let count = cm.get("data").and_then(Value::as_object).map_or(0, |m| m.len())
                + cm.get("binaryData").and_then(Value::as_object).map_or(0, |m| m.len());
            let age = cm["metadata"]["creationTimestamp"]
                .as_str()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| human_age(Utc::now().signed_duration_since(t).num_seconds()))
                .unwrap_or_else(|| "<unknown>".to_owned());
            json!({
                "cells": [cm["metadata"]["name"], count, age],
                "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": cm["metadata"]},
            })
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {},
        "columnDefinitions": [
            {"name": "Name", "type": "string", "format": "name", "description": "Name must be unique within a namespace.", "priority": 0},
            {"name": "Data", "type": "string", "format": "", "description": "Data contains the configuration data.", "priority": 0},
            {"name": "Age", "type": "string", "format": "", "description": "CreationTimestamp is a timestamp representing the server time when this object was created.", "priority": 0},
        ],
        "rows": rows,
    })
}

fn human_age(seconds: i64) -> String {
    match seconds.max(0) {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s => format!("{}h", s / 3600),
    }
}

/// Splits and percent-decodes a query string.
fn parse_query(query: &str) -> HashMap<String, String> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let decoded = (bytes[i] == b'%' && i + 2 < bytes.len())
            .then(|| Some(hex(bytes[i + 1])? * 16 + hex(bytes[i + 2])?))
            .flatten();
        match (decoded, bytes[i]) {
            (Some(b), _) => {
                out.push(b as u8);
                i += 3;
            }
            (None, b'+') => {
                out.push(b' ');
                i += 1;
            }
            (None, b) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
