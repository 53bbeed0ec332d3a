//! Authentication by bearer token and RBAC-like authorization by the caller's [`Rule`]s, with
//! the real server's 401 and 403 answers.
//!
//! [`Rule`]: crate::Rule

use actix_web::HttpRequest;
use actix_web::http::header;
use serde_json::json;

use super::Shared;
use crate::User;
use crate::resources::Resource;
use crate::status::ApiError;

/// Who is asking: a known user (as the user is at the time of the request: tests change
/// users at run time), or anonymous (no token).
pub(crate) struct Caller {
    name: String,
    user: Option<User>,
}

/// The caller of `req`: anonymous without an `Authorization` header, a user for a known bearer
/// token, and 401 for anything else.
pub(crate) fn authenticate(req: &HttpRequest, shared: &Shared) -> Result<Caller, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(Caller {
            name: "system:anonymous".to_owned(),
            user: None,
        });
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(ApiError::unauthorized)?;
    let users = shared.users.read().map_err(|_| ApiError::injected(500))?;
    users
        .iter()
        .find(|u| u.token == token)
        .map(|u| Caller {
            name: u.name.clone(),
            user: Some(u.clone()),
        })
        .ok_or_else(ApiError::unauthorized)
}

impl Caller {
    /// Anonymous callers may read `/version` and the health endpoints, and nothing else: 403
    /// naming the path, as a cluster without anonymous discovery answers.
    pub(crate) fn require_user(&self, path: &str) -> Result<(), ApiError> {
        if self.user.is_some() {
            return Ok(());
        }
        Err(ApiError {
            code: 403,
            reason: "Forbidden",
            message: format!(
                "forbidden: User \"{}\" cannot get path \"{path}\"",
                self.name
            ),
            details: Some(json!({})),
        })
    }

    /// 403 unless one of the caller's rules allows `verb` on `resource` (in `namespace`, for
    /// the object `name`; `None` for collections not pinned to one name by a field selector,
    /// where `resourceNames` rules never match).
    pub(crate) fn authorize(
        &self,
        verb: &str,
        resource: &Resource,
        namespace: Option<&str>,
        name: Option<&str>,
    ) -> Result<(), ApiError> {
        let allowed = self.user.as_ref().is_some_and(|u| {
            u.rules
                .iter()
                .any(|r| r.allows(verb, resource, namespace, name))
        });
        if allowed {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                &self.name, verb, resource, name, namespace,
            ))
        }
    }
}
