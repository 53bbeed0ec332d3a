//! What went wrong talking to the API server, classified for retrying and for exit codes, and
//! worded for the person reading a CI log: what failed, and what to change.

use kube::Error;

use super::exit;

/// A failure that ends `statusctl push`: its exit code and message.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) code: u8,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn new(code: u8, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// The outcome of one failed attempt: what the retry loop does next.
#[derive(Debug)]
pub(crate) enum Attempt {
    /// Go around at once (the ConfigMap was just created).
    Again,
    /// The object changed between read and apply (409 on the resourceVersion): read again.
    Race,
    /// Worth retrying after a pause (429, 5xx, a dropped or refused connection).
    Transient(String),
    /// Retrying cannot help.
    Fatal(Failure),
}

impl Attempt {
    /// The failure to report when no retry is left.
    pub(crate) fn into_failure(self) -> Failure {
        match self {
            Attempt::Fatal(f) => f,
            Attempt::Transient(why) => Failure::new(exit::UNAVAILABLE, why),
            Attempt::Again | Attempt::Race => {
                Failure::new(exit::UNAVAILABLE, "the ConfigMap kept changing")
            }
        }
    }
}

impl From<Attempt> for Failure {
    fn from(attempt: Attempt) -> Self {
        attempt.into_failure()
    }
}

/// Where the push was going, for messages.
pub(crate) struct Target<'a> {
    pub(crate) server: &'a str,
    pub(crate) namespace: &'a str,
    pub(crate) configmap: &'a str,
    pub(crate) key: &'a str,
}

/// The text of an error and all its sources, for matching and for messages.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        let next = e.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = e.source();
    }
    text
}

/// Sorts a kube error into what to do next. Messages from the API server are its own `Status`
/// messages; [`explain`] adds the advice for fatal ones.
pub(crate) fn classify(error: &Error, server: &str) -> Attempt {
    match error {
        Error::Api(status) => {
            let detail = format!("{} ({} {})", status.message, status.code, status.reason);
            match status.code {
                409 if status.message.starts_with("Apply failed") => {
                    Attempt::Fatal(Failure::new(exit::CONFLICT, detail))
                }
                409 => Attempt::Race,
                401 | 403 => Attempt::Fatal(Failure::new(exit::AUTH, detail)),
                429 | 500 | 502 | 503 | 504 => Attempt::Transient(format!(
                    "the API server at {server} answered {} {}: {}",
                    status.code, status.reason, status.message
                )),
                _ => Attempt::Fatal(Failure::new(exit::REJECTED, detail)),
            }
        }
        other => {
            let text = chain(other);
            let lower = text.to_lowercase();
            if lower.contains("certificate") || lower.contains("tls") && lower.contains("handshake")
            {
                Attempt::Fatal(Failure::new(
                    exit::UNAVAILABLE,
                    format!(
                        "cannot verify the TLS certificate of the API server at {server}: {text}. Check the cluster's certificate-authority(-data) in the kubeconfig, or ca.crt of the service account"
                    ),
                ))
            } else if lower.contains("bearer token") {
                // Never the token itself: kube's message does not include it either.
                Attempt::Fatal(Failure::new(
                    exit::AUTH,
                    format!(
                        "cannot send the credentials to {server}: {text} (a token must be one line with no trailing newline or other control characters)"
                    ),
                ))
            } else if matches!(other, Error::Auth(_) | Error::InferKubeconfig(_)) {
                Attempt::Fatal(Failure::new(
                    exit::USAGE,
                    format!("cannot load the credentials: {text}"),
                ))
            } else {
                Attempt::Transient(format!("cannot reach the API server at {server}: {text}"))
            }
        }
    }
}

/// Adds the advice a CI log reader needs to a fatal failure.
pub(crate) fn explain(failure: Failure, target: &Target<'_>) -> Failure {
    let Target {
        server,
        namespace,
        configmap,
        key,
    } = target;
    let message = &failure.message;
    let advice = match failure.code {
        exit::AUTH if message.contains("(401 ") => format!(
            "the API server at {server} does not accept the credentials (401 Unauthorized): the token is missing, expired or revoked. Check the kubeconfig user (or the service account token) that statusctl uses"
        ),
        exit::AUTH => format!(
            "not allowed: {message}.\nThe identity pushing needs a Role in namespace {namespace:?} with this rule, bound to it (the chart's push Role, push.rbac.create=true):\n  - apiGroups: [\"\"]\n    resources: [\"configmaps\"]\n    resourceNames: [\"{configmap}\"]\n    verbs: [\"get\", \"create\", \"patch\"]"
        ),
        exit::CONFLICT => {
            let manager = message
                .split("conflict with \"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or("another field manager");
            format!(
                "key {key} of configmap {namespace}/{configmap} is owned by the field manager \"{manager}\" (another tool or pipeline wrote it): {message}.\nPush to another --key, or take the key over with --force"
            )
        }
        exit::REJECTED if message.contains("namespaces \"") && message.contains("not found") => {
            format!(
                "namespace {namespace:?} does not exist on {server}: the API server answered {message}. Create the namespace, or pass the right --namespace"
            )
        }
        exit::REJECTED if message.contains("Too long") => format!(
            "the API server rejected configmap {namespace}/{configmap}: {message}.\nA ConfigMap holds at most 1 MiB (1048576 bytes) of data in all its keys together; push a smaller document, or move other keys to another ConfigMap"
        ),
        exit::REJECTED => format!(
            "the API server rejected the write to configmap {namespace}/{configmap} key {key}: {message}"
        ),
        _ => return failure,
    };
    Failure::new(failure.code, advice)
}
