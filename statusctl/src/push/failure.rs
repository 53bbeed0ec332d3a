//! `push`'s policy for what went wrong talking to the API server: which of status-kube's
//! error classes are retried, which exit code each of the others gives, and the advice a CI log
//! reader needs to act on it (what failed, and what to change).

use std::time::Duration;

use status_kube::Error;

use crate::cluster;
use crate::exit::{Exit, Failure};
use crate::report::printable;

/// status-kube's report of `error` (its sources joined), [`printable`]: it quotes what the API
/// server, a proxy or a kubeconfig said, which is anyone's text.
fn report(error: &Error) -> String {
    printable(&status_kube::report(error)).into_owned()
}

/// The outcome of one failed attempt: what the retry loop does next.
#[derive(Debug)]
pub(crate) enum Attempt {
    /// Go around at once (the ConfigMap was just created).
    Again,
    /// The object changed between read and apply (409 on the resourceVersion): read again.
    Race,
    /// Worth retrying after a pause (429, 5xx, a dropped or refused connection): why, and how
    /// long the API server asked to wait (`Retry-After`, its `retryAfterSeconds`), if it did.
    Transient {
        why: String,
        retry_after: Option<Duration>,
    },
    /// Retrying cannot help.
    Fatal(Failure),
}

impl Attempt {
    /// The failure to report when no retry is left.
    pub(crate) fn into_failure(self) -> Failure {
        match self {
            Attempt::Fatal(f) => f,
            Attempt::Transient { why, .. } => Failure::new(Exit::Unavailable, why),
            Attempt::Again | Attempt::Race => {
                Failure::new(Exit::Unavailable, "the ConfigMap kept changing")
            }
        }
    }
}

/// Where the push was going, for messages.
pub(crate) struct Target<'a> {
    pub(crate) server: &'a str,
    /// The proxy requests go through, if any (its password hidden).
    pub(crate) proxy: Option<&'a str>,
    pub(crate) namespace: &'a str,
    pub(crate) configmap: &'a str,
    pub(crate) key: &'a str,
}

/// What to do about `error`: retry, read again, or stop with an exit code and advice.
pub(crate) fn attempt(error: Error, target: &Target<'_>) -> Attempt {
    if error.is_outdated() {
        Attempt::Race
    } else if error.is_transient() {
        let mut why = report(&error);
        // A connection that failed may be the proxy's: say that there is one.
        if let (Error::Unreachable { .. }, Some(proxy)) = (&error, target.proxy) {
            why.push_str(&format!(" (through the proxy {})", printable(proxy)));
        }
        Attempt::Transient {
            why,
            retry_after: error.retry_after(),
        }
    } else {
        Attempt::Fatal(fatal(error, target))
    }
}

/// `message (code reason)`: how the API server's refusals are quoted.
fn detail(error: &Error) -> String {
    match error.status() {
        Some(status) => printable(&format!(
            "{} ({} {})",
            status.message, status.code, status.reason
        ))
        .into_owned(),
        None => report(error),
    }
}

/// The exit code and advice for an error retrying cannot help.
fn fatal(error: Error, target: &Target<'_>) -> Failure {
    let Target {
        server,
        namespace,
        configmap,
        key,
        ..
    } = target;
    if let Some(failure) = cluster::common_failure(&error, server) {
        return failure;
    }
    let detail = detail(&error);
    match &error {
        Error::Forbidden { .. } => Failure::new(
            Exit::Auth,
            format!(
                "not allowed: {detail}.\nThe identity pushing needs a Role in namespace {namespace:?} with this rule, bound to it (the chart's push Role, push.rbac.create=true):\n  - apiGroups: [\"\"]\n    resources: [\"configmaps\"]\n    resourceNames: [\"{configmap}\"]\n    verbs: [\"get\", \"create\", \"patch\"]"
            ),
        ),
        Error::ApplyConflict { managers, .. } => {
            let manager = managers
                .first()
                .map_or("another field manager".into(), |m| printable(m));
            Failure::new(
                Exit::Conflict,
                format!(
                    "key {key} of configmap {namespace}/{configmap} is owned by the field manager \"{manager}\" (another tool or pipeline wrote it): {detail}.\nPush to another --key, or take the key over with --force"
                ),
            )
        }
        Error::NamespaceNotFound {
            namespace: missing, ..
        } => Failure::new(
            Exit::Rejected,
            format!(
                "namespace {missing:?} does not exist on {server}: the API server answered {detail}. Create the namespace, or pass the right --namespace"
            ),
        ),
        Error::TooLarge { .. } => Failure::new(
            Exit::Rejected,
            format!(
                "the API server rejected configmap {namespace}/{configmap}: {detail}.\nA ConfigMap holds at most 1 MiB (1048576 bytes) of data in all its keys together; push a smaller document, or move other keys to another ConfigMap"
            ),
        ),
        Error::NotFound { .. }
        | Error::Expired { .. }
        | Error::Invalid { .. }
        | Error::Rejected { .. } => Failure::new(
            Exit::Rejected,
            format!(
                "the API server rejected the write to configmap {namespace}/{configmap} key {key}: {detail}"
            ),
        ),
        // Anything else is about the configuration, the credentials or the request statusctl
        // built: nothing the API server said, and fixed by changing the invocation.
        _ => cluster::load_failure(error),
    }
}

#[cfg(test)]
mod tests {
    use status_kube::kube::core::Status;
    use status_kube::{Request, Verb};

    use super::*;

    const TARGET: Target<'static> = Target {
        server: "https://10.0.0.1:6443",
        proxy: None,
        namespace: "monitoring",
        configmap: "gitops-status-server-live",
        key: "status.json",
    };

    fn answered(code: u16, reason: &str, message: &str) -> Attempt {
        let request = Request::new(TARGET.server, Verb::Patch, "", "configmaps");
        let status = Status::failure(message, reason).with_code(code).boxed();
        attempt(Error::from_status(status, &request), &TARGET)
    }

    fn exit_of(attempt: Attempt) -> Exit {
        match attempt {
            Attempt::Fatal(failure) => failure.exit,
            other => panic!("not fatal: {other:?}"),
        }
    }

    #[test]
    fn each_class_has_its_exit_code() {
        assert_eq!(
            exit_of(answered(401, "Unauthorized", "Unauthorized")),
            Exit::Auth
        );
        assert_eq!(exit_of(answered(403, "Forbidden", "no")), Exit::Auth);
        assert_eq!(
            exit_of(answered(
                409,
                "Conflict",
                "Apply failed with 1 conflict: conflict with \"x\" using v1: .data.k"
            )),
            Exit::Conflict
        );
        assert_eq!(
            exit_of(answered(404, "NotFound", "namespaces \"ci\" not found")),
            Exit::Rejected
        );
        assert_eq!(exit_of(answered(422, "Invalid", "bad key")), Exit::Rejected);
        assert_eq!(exit_of(answered(410, "Expired", "too old")), Exit::Rejected);
        assert!(matches!(
            answered(409, "Conflict", "the object has been modified"),
            Attempt::Race
        ));
        assert!(matches!(
            answered(503, "ServiceUnavailable", "later"),
            Attempt::Transient { .. }
        ));
    }
}
