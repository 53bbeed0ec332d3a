//! Classification of the errors kube gives, one test per class, built as kube builds them.

use std::time::Duration;

use kube::core::response::{StatusCause, StatusDetails};

use super::*;
use crate::Verb;

const SERVER: &str = "https://10.0.0.1:6443";

fn patch() -> Request {
    Request::new(SERVER, Verb::Patch, "", "configmaps")
        .in_namespace("monitoring")
        .named("gitops-status-server-live")
}

/// An API answer, as kube hands it over.
fn answer(code: u16, reason: &str, message: &str, details: Option<StatusDetails>) -> kube::Error {
    let mut status = Status::failure(message, reason).with_code(code);
    status.details = details;
    kube::Error::Api(status.boxed())
}

fn details(kind: &str, name: &str, causes: &[(&str, &str)]) -> Option<StatusDetails> {
    Some(StatusDetails {
        kind: kind.to_owned(),
        name: name.to_owned(),
        group: String::new(),
        uid: String::new(),
        causes: causes
            .iter()
            .map(|(reason, message)| StatusCause {
                reason: (*reason).to_owned(),
                message: (*message).to_owned(),
                field: String::new(),
            })
            .collect(),
        retry_after_seconds: 0,
    })
}

fn classify(error: kube::Error) -> Error {
    Error::from_kube(error, &patch())
}

#[test]
fn unauthorized_names_the_server() {
    let error = classify(answer(401, "Unauthorized", "Unauthorized", None));
    assert!(matches!(error, Error::Unauthorized { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "the API server at https://10.0.0.1:6443 does not accept the credentials (401 Unauthorized)"
    );
    assert!(!error.is_transient());
}

#[test]
fn forbidden_carries_what_was_denied() {
    let message = r#"configmaps "gitops-status-server-live" is forbidden: User "system:serviceaccount:ci:reader" cannot patch resource "configmaps" in API group "" in the namespace "monitoring""#;
    let error = classify(answer(
        403,
        "Forbidden",
        message,
        details("configmaps", "gitops-status-server-live", &[]),
    ));
    let Error::Forbidden { request, status } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(request.verb, Verb::Patch);
    assert_eq!(request.resource_name(), "configmaps");
    assert_eq!(request.namespace.as_deref(), Some("monitoring"));
    assert_eq!(request.name.as_deref(), Some("gitops-status-server-live"));
    assert_eq!(status.message, message);
    assert_eq!(
        error.to_string(),
        format!(
            "not allowed to patch configmaps \"gitops-status-server-live\" in namespace \"monitoring\": {message} (403 Forbidden)"
        )
    );
}

#[test]
fn a_watch_denied_reads_as_verb_resource_namespace() {
    let request =
        Request::new(SERVER, Verb::Watch, "argoproj.io", "applications").in_namespace("argocd");
    let error = Error::from_kube(answer(403, "Forbidden", "forbidden", None), &request);
    assert_eq!(
        error.to_string(),
        "not allowed to watch applications.argoproj.io in namespace \"argocd\": forbidden (403 Forbidden)"
    );
    assert_eq!(error.request(), Some(&request));
}

#[test]
fn a_missing_namespace_is_told_apart_from_a_missing_object() {
    let error = classify(answer(
        404,
        "NotFound",
        r#"namespaces "gitops-status" not found"#,
        details("namespaces", "gitops-status", &[]),
    ));
    assert!(
        matches!(&error, Error::NamespaceNotFound { namespace, .. } if namespace == "gitops-status"),
        "{error:?}"
    );
    // A server that sends no details: the message says it.
    let error = classify(answer(
        404,
        "NotFound",
        r#"namespaces "ci" not found"#,
        None,
    ));
    assert!(
        matches!(&error, Error::NamespaceNotFound { namespace, .. } if namespace == "ci"),
        "{error:?}"
    );
    let error = classify(answer(
        404,
        "NotFound",
        r#"configmaps "gitops-status-server-live" not found"#,
        details("configmaps", "gitops-status-server-live", &[]),
    ));
    assert!(matches!(error, Error::NotFound { .. }), "{error:?}");
}

#[test]
fn an_apply_conflict_names_the_other_managers() {
    // The real API server's wording, with causes.
    let error = classify(answer(
        409,
        "Conflict",
        r#"Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .data.status.json"#,
        details(
            "",
            "",
            &[(
                "FieldManagerConflict",
                r#"conflict with "kubectl-client-side-apply" using v1"#,
            )],
        ),
    ));
    assert!(
        matches!(&error, Error::ApplyConflict { managers, .. } if managers == &["kubectl-client-side-apply"]),
        "{error:?}"
    );
    // Several managers, from the message alone.
    let error = classify(answer(
        409,
        "Conflict",
        "Apply failed with 2 conflicts: conflicts with \"helm\" using v1:\n- .data.a\nconflicts with \"argocd-controller\" using v1:\n- .data.b",
        None,
    ));
    assert!(
        matches!(&error, Error::ApplyConflict { managers, .. } if managers == &["helm", "argocd-controller"]),
        "{error:?}"
    );
    assert!(!error.is_outdated() && !error.is_transient());
}

#[test]
fn a_stale_resource_version_means_read_again() {
    let error = classify(answer(
        409,
        "Conflict",
        r#"Operation cannot be fulfilled on configmaps "x": the object has been modified; please apply your changes to the latest version and try again"#,
        details("configmaps", "x", &[]),
    ));
    assert!(
        matches!(error, Error::StaleResourceVersion { .. }),
        "{error:?}"
    );
    assert!(error.is_outdated());
    let error = classify(answer(
        409,
        "AlreadyExists",
        r#"configmaps "x" already exists"#,
        None,
    ));
    assert!(matches!(error, Error::AlreadyExists { .. }), "{error:?}");
    assert!(error.is_outdated());
}

#[test]
fn gone_means_list_again() {
    let error = classify(answer(
        410,
        "Expired",
        "too old resource version: 1 (42)",
        None,
    ));
    assert!(matches!(error, Error::Expired { .. }), "{error:?}");
}

#[test]
fn too_large_and_invalid_are_told_apart() {
    let error = classify(answer(
        422,
        "Invalid",
        r#"ConfigMap "x" is invalid: []: Too long: must have at most 1048576 bytes"#,
        details(
            "ConfigMap",
            "x",
            &[(
                "FieldValueTooLong",
                "Too long: must have at most 1048576 bytes",
            )],
        ),
    ));
    assert!(matches!(error, Error::TooLarge { .. }), "{error:?}");
    let error = classify(answer(
        413,
        "RequestEntityTooLarge",
        "Request entity too large: limit is 3145728",
        None,
    ));
    assert!(matches!(error, Error::TooLarge { .. }), "{error:?}");
    let error = classify(answer(
        422,
        "Invalid",
        r#"ConfigMap "x" is invalid: data[a b]: Invalid value: "a b": a valid config key must consist of alphanumeric characters, '-', '_' or '.'"#,
        None,
    ));
    assert!(matches!(error, Error::Invalid { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        r#"ConfigMap "x" is invalid: data[a b]: Invalid value: "a b": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (422 Invalid)"#
    );
    let error = classify(answer(
        400,
        "BadRequest",
        "the body of the request is not JSON",
        None,
    ));
    assert!(matches!(error, Error::Rejected { .. }), "{error:?}");
}

#[test]
fn overload_and_outages_are_transient_with_the_servers_pause() {
    for code in [429, 500, 502, 503, 504] {
        let error = classify(answer(code, "X", "later", None));
        assert!(matches!(error, Error::ServerError { .. }), "{code}");
        assert!(error.is_transient(), "{code}");
    }
    let mut pause = details("", "", &[]);
    if let Some(pause) = &mut pause {
        pause.retry_after_seconds = 2;
    }
    let error = classify(answer(
        429,
        "TooManyRequests",
        "the server has received too many requests and has asked us to try again later",
        pause,
    ));
    assert_eq!(error.retry_after(), Some(Duration::from_secs(2)));
    assert_eq!(
        error.to_string(),
        "the API server at https://10.0.0.1:6443 answered 429 TooManyRequests: the server has received too many requests and has asked us to try again later"
    );
    // 501 Not Implemented will not change by waiting.
    assert!(!classify(answer(501, "NotImplemented", "no", None)).is_transient());
}

#[test]
fn a_refused_connection_is_unreachable_and_transient() {
    let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
    let error = classify(kube::Error::Service(Box::new(refused)));
    assert!(matches!(error, Error::Unreachable { .. }), "{error:?}");
    assert!(error.is_transient());
    assert_eq!(
        report(&error),
        "cannot reach the API server at https://10.0.0.1:6443: ServiceError: connection refused"
    );
}

#[test]
fn an_unverified_certificate_is_tls_and_not_transient() {
    // As tokio-rustls reports it: the rustls error inside an io::Error.
    let bad = rustls::Error::InvalidCertificate(rustls::CertificateError::BadSignature);
    let io = std::io::Error::new(std::io::ErrorKind::InvalidData, bad);
    let error = classify(kube::Error::Service(Box::new(io)));
    assert!(matches!(error, Error::Tls { .. }), "{error:?}");
    assert!(!error.is_transient());
    assert_eq!(
        report(&error),
        "cannot verify the TLS certificate of the API server at https://10.0.0.1:6443: ServiceError: invalid peer certificate: BadSignature"
    );
}

#[test]
fn a_token_that_is_not_a_header_value_is_invalid_token() {
    let header = http::HeaderValue::from_str("line\nbreak").unwrap_err();
    let error = classify(kube::Error::Auth(
        kube::client::AuthError::InvalidBearerToken(header),
    ));
    assert!(matches!(error, Error::InvalidToken { .. }), "{error:?}");
    assert!(!report(&error).contains("line"), "{}", report(&error));
}

#[test]
fn credentials_that_cannot_be_loaded_are_credentials() {
    let missing = std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
    let error = classify(kube::Error::Auth(kube::client::AuthError::ReadTokenFile(
        missing,
        "/var/run/secrets/token".into(),
    )));
    assert!(matches!(error, Error::Credentials { .. }), "{error:?}");
    assert!(report(&error).contains("failed to read token file"));
}

#[cfg(unix)]
#[test]
fn a_failed_credential_plugin_is_reported_without_its_output() {
    use std::os::unix::process::ExitStatusExt;
    let out = std::process::Output {
        status: std::process::ExitStatus::from_raw(1 << 8),
        stdout: br#"{"status":{"token":"s3cr3t"}}"#.to_vec(),
        stderr: b"s3cr3t".to_vec(),
    };
    let error = classify(kube::Error::Auth(kube::client::AuthError::AuthExecRun {
        cmd: "aws".to_owned(),
        out: Box::new(out),
    }));
    assert!(matches!(error, Error::Credentials { .. }), "{error:?}");
    let text = report(&error);
    assert!(!text.contains("s3cr3t"), "{text}");
    assert_eq!(
        text,
        "cannot load the credentials: auth exec command 'aws' failed with exit status: 1; run it to see why"
    );
}

#[test]
fn a_request_kube_cannot_build_is_not_retried() {
    let error = classify(kube::Error::BuildRequest(
        kube::core::request::Error::Validation("field manager too long".to_owned()),
    ));
    assert!(matches!(error, Error::InvalidRequest { .. }), "{error:?}");
    assert!(!error.is_transient());
}

#[test]
fn an_answer_that_is_not_json_is_transient() {
    let not_json = serde_json::from_str::<serde_json::Value>("<html>").unwrap_err();
    let error = classify(kube::Error::SerdeError(not_json));
    assert!(matches!(error, Error::InvalidResponse { .. }), "{error:?}");
    assert!(error.is_transient());
}

#[test]
fn client_setup_errors_are_tls_or_configuration() {
    let error = Error::from_client_setup(kube::Error::TlsRequired, SERVER);
    assert!(matches!(error, Error::Configuration { .. }), "{error:?}");
    let error = Error::from_client_setup(
        kube::Error::RustlsTls(kube::client::RustlsTlsError::MissingCertificate),
        SERVER,
    );
    assert!(matches!(error, Error::Tls { .. }), "{error:?}");
}
