//! Sorting kube's errors and the API server's `Status` answers into [`Error`]'s classes.
//!
//! The API server's answers are sorted by their code, and within a code by the fields the API
//! server sets for that case (`details.kind`, `details.causes`), with its documented message
//! wording as a fallback for servers that leave the details out. Errors without an answer are
//! sorted by kube's variant, and TLS failures by the rustls error among their sources.

use kube::core::Status;

use crate::{Error, Request, report};

impl Error {
    /// Sorts an error of a request to the API server.
    ///
    /// ```
    /// use status_kube::{Error, Request, Verb};
    /// use status_kube::kube::core::Status;
    ///
    /// let request = Request::new("https://10.0.0.1:6443", Verb::List, "", "configmaps")
    ///     .in_namespace("monitoring");
    /// let answer = Status::failure("configmaps is forbidden", "Forbidden").with_code(403);
    /// let error = Error::from_kube(status_kube::kube::Error::Api(answer.boxed()), &request);
    /// assert!(matches!(error, Error::Forbidden { .. }));
    /// assert_eq!(
    ///     error.to_string(),
    ///     "not allowed to list configmaps in namespace \"monitoring\": configmaps is forbidden (403 Forbidden)"
    /// );
    /// ```
    pub fn from_kube(error: kube::Error, request: &Request) -> Self {
        let server = || request.server.clone();
        match error {
            kube::Error::Api(status) => Self::from_status(status, request),
            kube::Error::Auth(_) => Self::from_credentials(error, &request.server),
            kube::Error::BuildRequest(_) | kube::Error::HttpError(_) => Error::InvalidRequest {
                request: Box::new(request.clone()),
                source: error,
            },
            kube::Error::SerdeError(_)
            | kube::Error::FromUtf8(_)
            | kube::Error::LinesCodecMaxLineLengthExceeded => Error::InvalidResponse {
                server: server(),
                source: error,
            },
            kube::Error::HyperError(_) | kube::Error::Service(_) | kube::Error::ReadEvents(_) => {
                if is_tls_failure(&error) {
                    Error::Tls {
                        server: server(),
                        source: error,
                    }
                } else {
                    Error::Unreachable {
                        server: server(),
                        source: error,
                    }
                }
            }
            other => Self::from_client_setup(other, &request.server),
        }
    }

    /// Sorts an error of building a client for `server` (`kube::Client::try_from`), or one
    /// that is about the client rather than a request.
    pub fn from_client_setup(error: kube::Error, server: &str) -> Self {
        match error {
            kube::Error::RustlsTls(_) => Error::Tls {
                server: server.to_owned(),
                source: error,
            },
            kube::Error::Auth(_) => Self::from_credentials(error, server),
            _ if is_tls_failure(&error) => Error::Tls {
                server: server.to_owned(),
                source: error,
            },
            _ => Error::Configuration { source: error },
        }
    }

    /// Sorts an answer of the API server to `request` (also what a watch reports in an
    /// `ERROR` event).
    pub fn from_status(status: Box<Status>, request: &Request) -> Self {
        let request = Box::new(request.clone());
        match status.code {
            401 => Error::Unauthorized { request, status },
            403 => Error::Forbidden { request, status },
            404 => match missing_namespace(&status) {
                Some(namespace) => Error::NamespaceNotFound {
                    namespace,
                    request,
                    status,
                },
                None => Error::NotFound { request, status },
            },
            409 if is_apply_conflict(&status) => Error::ApplyConflict {
                managers: conflicting_managers(&status),
                request,
                status,
            },
            409 if status.reason == "AlreadyExists" => Error::AlreadyExists { request, status },
            409 => Error::StaleResourceVersion { request, status },
            410 => Error::Expired { request, status },
            413 => Error::TooLarge { request, status },
            422 if is_too_long(&status) => Error::TooLarge { request, status },
            422 => Error::Invalid { request, status },
            429 | 500 | 502 | 503 | 504 => Error::ServerError { request, status },
            _ => Error::Rejected { request, status },
        }
    }

    /// A credentials error (`kube::Error::Auth`), without the output of a failed plugin.
    fn from_credentials(error: kube::Error, server: &str) -> Self {
        use kube::client::AuthError;
        match &error {
            kube::Error::Auth(
                AuthError::InvalidBearerToken(_) | AuthError::InvalidBasicAuth(_),
            ) => Error::InvalidToken {
                server: server.to_owned(),
                source: error,
            },
            kube::Error::Auth(AuthError::AuthExecRun { cmd, out }) => Error::Credentials {
                // Not kube's text: it quotes the plugin's stdout, which can hold a token.
                reason: format!(
                    "auth exec command '{cmd}' failed with {}; run it to see why",
                    out.status
                ),
                source: None,
            },
            _ => Error::Credentials {
                reason: report(&error),
                source: Some(error),
            },
        }
    }
}

/// The namespace a 404 says does not exist: `namespaces "x" not found`, with
/// `details.kind: namespaces` and `details.name: x` from the real API server.
fn missing_namespace(status: &Status) -> Option<String> {
    if let Some(details) = &status.details
        && details.kind == "namespaces"
        && !details.name.is_empty()
    {
        return Some(details.name.clone());
    }
    let rest = status.message.strip_prefix("namespaces \"")?;
    let (name, tail) = rest.split_once('"')?;
    (tail.trim() == "not found" && !name.is_empty()).then(|| name.to_owned())
}

/// A server-side apply conflict: causes of type `FieldManagerConflict`, or the API server's
/// `Apply failed with N conflict(s)` message.
fn is_apply_conflict(status: &Status) -> bool {
    status.message.starts_with("Apply failed")
        || status
            .details
            .iter()
            .flat_map(|d| &d.causes)
            .any(|c| c.reason == "FieldManagerConflict")
}

/// The field managers an apply conflict names (`conflict with "kubectl" using v1`), in order,
/// each once.
fn conflicting_managers(status: &Status) -> Vec<String> {
    let causes = status
        .details
        .iter()
        .flat_map(|d| &d.causes)
        .map(|c| c.message.as_str());
    let mut managers: Vec<String> = Vec::new();
    for text in causes.chain([status.message.as_str()]) {
        for part in text.split("with \"").skip(1) {
            if let Some((manager, _)) = part.split_once('"')
                && !managers.iter().any(|m| m == manager)
            {
                managers.push(manager.to_owned());
            }
        }
    }
    managers
}

/// A 422 about size: a `FieldValueTooLong` cause, or `Too long` in the message.
fn is_too_long(status: &Status) -> bool {
    status.message.contains("Too long")
        || status
            .details
            .iter()
            .flat_map(|d| &d.causes)
            .any(|c| c.reason == "FieldValueTooLong")
}

/// Whether the TLS handshake failed: a rustls error among the sources (tokio-rustls wraps it
/// in an `io::Error`, whose `source` skips it, so those are looked into), or, from a TLS stack
/// that hides its error, the words of one.
fn is_tls_failure(error: &kube::Error) -> bool {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = next {
        if e.is::<rustls::Error>() {
            return true;
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && io
                .get_ref()
                .is_some_and(|inner| inner.is::<rustls::Error>())
        {
            return true;
        }
        next = e.source();
    }
    let text = report(error).to_lowercase();
    text.contains("certificate") || text.contains("tls") && text.contains("handshake")
}

#[cfg(test)]
mod tests;
