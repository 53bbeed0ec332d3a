//! Kubernetes `Status` bodies: every error the fake returns is shaped like the real API server's
//! (`kind: Status`, `status: Failure`, `message`, `reason`, `details`, `code`), because clients
//! (kubectl, kube-rs, statusctl) decide what to do from those fields.

use serde_json::{Value, json};

use crate::resources::Resource;

/// An error response: an HTTP status code and the `Status` object sent as its body.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The HTTP status code, also the `code` field of the body.
    pub code: u16,
    /// The machine-readable reason (`NotFound`, `Conflict`, `Invalid`, ...).
    pub reason: &'static str,
    /// The human-readable message, worded as the real API server words it.
    pub message: String,
    /// The `details` object, when the real server sends one.
    pub details: Option<Value>,
}

impl ApiError {
    fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            reason,
            message: message.into(),
            details: None,
        }
    }

    fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    /// The body: a `Status` object.
    pub fn body(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let Some(details) = &self.details {
            status["details"] = details.clone();
        }
        status
    }

    /// 401: no or unknown credentials. The real server sends no details.
    pub fn unauthorized() -> Self {
        Self::new(401, "Unauthorized", "Unauthorized")
    }

    /// 403: the user lacks the verb on the resource.
    pub(crate) fn forbidden(
        user: &str,
        verb: &str,
        resource: &Resource,
        name: Option<&str>,
        namespace: Option<&str>,
    ) -> Self {
        let group_resource = resource.group_resource();
        let subject = match name {
            Some(name) => format!("{group_resource} \"{name}\" is forbidden"),
            None => format!("{group_resource} is forbidden"),
        };
        let scope = match namespace {
            Some(ns) => format!(" in the namespace \"{ns}\""),
            None => " at the cluster scope".to_owned(),
        };
        Self::new(
            403,
            "Forbidden",
            format!(
                "{subject}: User \"{user}\" cannot {verb} resource \"{plural}\" in API group \"{group}\"{scope}",
                plural = resource.plural,
                group = resource.group,
            ),
        )
        .with_details(details(resource, name.unwrap_or_default()))
    }

    /// 404 for a named object (`configmaps "x" not found`, `namespaces "x" not found`).
    pub(crate) fn not_found(resource: &Resource, name: &str) -> Self {
        Self::new(
            404,
            "NotFound",
            format!("{} \"{name}\" not found", resource.group_resource()),
        )
        .with_details(details(resource, name))
    }

    /// 404 for a path the server does not serve at all.
    pub fn no_such_path() -> Self {
        Self::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )
        .with_details(json!({}))
    }

    /// 405 for a method a path does not take.
    pub fn method_not_allowed() -> Self {
        Self::new(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )
        .with_details(json!({}))
    }

    /// 409 `AlreadyExists` on create.
    pub(crate) fn already_exists(resource: &Resource, name: &str) -> Self {
        Self::new(
            409,
            "AlreadyExists",
            format!("{} \"{name}\" already exists", resource.group_resource()),
        )
        .with_details(details(resource, name))
    }

    /// 409 `Conflict`: the optimistic lock (`resourceVersion`) failed.
    pub(crate) fn stale(resource: &Resource, name: &str) -> Self {
        Self::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
                resource.group_resource()
            ),
        )
        .with_details(details(resource, name))
    }

    /// 409 `Conflict` from server-side apply: fields owned by other managers, as
    /// `(manager, field path)` pairs such as `("kubectl", ".data.status.json")`, for an object
    /// of `api_version` (which the real messages name).
    pub(crate) fn apply_conflicts(conflicts: &[(String, String)], api_version: &str) -> Self {
        // The real wording: one conflict on one line; several grouped by manager.
        let message = match conflicts {
            [(manager, field)] => {
                format!(
                    "Apply failed with 1 conflict: conflict with \"{manager}\" using {api_version}: {field}"
                )
            }
            _ => {
                let mut managers: Vec<&str> = conflicts.iter().map(|(m, _)| m.as_str()).collect();
                managers.dedup();
                let mut message = format!("Apply failed with {} conflicts: ", conflicts.len());
                let groups: Vec<String> = managers
                    .iter()
                    .map(|manager| {
                        let fields: Vec<String> = conflicts
                            .iter()
                            .filter(|(m, _)| m == manager)
                            .map(|(_, f)| format!("- {f}"))
                            .collect();
                        format!(
                            "conflicts with \"{manager}\" using {api_version}:\n{}",
                            fields.join("\n")
                        )
                    })
                    .collect();
                message.push_str(&groups.join("\n"));
                message
            }
        };
        let causes: Vec<Value> = conflicts
            .iter()
            .map(|(manager, field)| {
                json!({
                    "type": "FieldManagerConflict",
                    "message": format!("conflict with \"{manager}\" using {api_version}"),
                    "field": field,
                })
            })
            .collect();
        Self::new(409, "Conflict", message).with_details(json!({ "causes": causes }))
    }

    /// 422 `Invalid`, with one cause per field error (`(field, cause reason, message)`).
    pub fn invalid(kind: &str, name: &str, errors: &[(String, &'static str, String)]) -> Self {
        let parts: Vec<String> = errors
            .iter()
            .map(|(field, _, message)| format!("{field}: {message}"))
            .collect();
        let joined = match parts.as_slice() {
            [one] => one.clone(),
            _ => format!("[{}]", parts.join(", ")),
        };
        let causes: Vec<Value> = errors
            .iter()
            .map(|(field, reason, message)| json!({"reason": reason, "message": message, "field": field}))
            .collect();
        Self::new(
            422,
            "Invalid",
            format!("{kind} \"{name}\" is invalid: {joined}"),
        )
        .with_details(json!({"name": name, "kind": kind, "causes": causes}))
    }

    /// 422 `Invalid` for an object of `resource`: as [`Self::invalid`], with the kind qualified
    /// by its group outside the core group (`Application.argoproj.io "x" is invalid: ...`) and
    /// the group in `details`, as the real server words it for custom resources.
    pub(crate) fn invalid_object(
        resource: &Resource,
        name: &str,
        errors: &[(String, &'static str, String)],
    ) -> Self {
        if resource.group.is_empty() {
            return Self::invalid(resource.kind, name, errors);
        }
        let mut err = Self::invalid(
            &format!("{}.{}", resource.kind, resource.group),
            name,
            errors,
        );
        if let Some(details) = err.details.as_mut() {
            details["kind"] = resource.kind.into();
            details["group"] = resource.group.into();
        }
        err
    }

    /// 422 `Invalid` about the request's options (`fieldManager`, `force`), with the real
    /// server's whole message.
    pub fn invalid_options(message: &str) -> Self {
        Self::new(422, "Invalid", message)
    }

    /// 400 `BadRequest`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    /// 410 `Expired`: a watch from a resourceVersion whose changes are no longer kept (the
    /// watch cache's "too old resource version").
    pub(crate) fn expired(message: impl Into<String>) -> Self {
        Self::new(410, "Expired", message)
    }

    /// 504 `Timeout`: a resourceVersion newer than any the server has handed out, as the real
    /// server answers after waiting for it in vain (the fake does not wait).
    pub(crate) fn too_large_resource_version(requested: u64, current: u64) -> Self {
        Self::new(
            504,
            "Timeout",
            format!("Timeout: Too large resource version: {requested}, current: {current}"),
        )
        .with_details(json!({
            "causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
            "retryAfterSeconds": 1,
        }))
    }

    /// 413: the request body is over the server's limit.
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            413,
            "RequestEntityTooLarge",
            format!("Request entity too large: limit is {limit}"),
        )
    }

    /// 415: a PATCH in a content type the server does not take.
    pub fn unsupported_media_type(content_type: &str) -> Self {
        Self::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf, application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got {content_type:?})"
            ),
        )
    }

    /// A fault injected by a test: 429 with `Retry-After`, or a 5xx.
    pub fn injected(code: u16) -> Self {
        match code {
            429 => Self::new(
                429,
                "TooManyRequests",
                "the server has received too many requests and has asked us to try again later",
            )
            .with_details(json!({"retryAfterSeconds": 1})),
            503 => Self::new(
                503,
                "ServiceUnavailable",
                "the server is currently unable to handle the request",
            ),
            504 => Self::new(
                504,
                "Timeout",
                "the server was unable to return a response in the time allotted, but may still be processing the request",
            ),
            _ => Self::new(
                code,
                "InternalError",
                "Internal error occurred: injected fault",
            ),
        }
    }
}

/// The `Status` a successful DELETE returns.
pub(crate) fn deleted(resource: &Resource, name: &str, uid: &str) -> Value {
    let mut details = details(resource, name);
    details["uid"] = uid.into();
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": details,
    })
}

/// `details` naming an object: its name, its resource as `kind` (the real server puts the
/// plural there), and its group when it has one.
fn details(resource: &Resource, name: &str) -> Value {
    let mut details = json!({"name": name});
    if !resource.group.is_empty() {
        details["group"] = resource.group.into();
    }
    details["kind"] = resource.plural.into();
    details
}
