//! `statusctl collect argocd`: the status document of an Argo CD Application, from what Argo CD
//! observed: the Application is read through the API (status-kube), mapped by status-core
//! (`status_core::argocd`), checked like everything statusctl writes, and printed with
//! `render`'s output flags, so `collect argocd --app X | push - --key X.json` works.
//!
//! One `get` of one Application: the identity needs only `get` on `applications.argoproj.io`
//! in its namespace. Transient failures (429, 5xx, a refused or dropped connection) are
//! retried a few times within `--timeout`; the rest end with an exit code and advice.

use std::time::Duration;

use chrono::{DateTime, Utc};
use status_kube::argocd::{self, DEFAULT_NAMESPACE, GROUP, PLURAL};
use status_kube::{Error, names};

use crate::cluster::{self, KubeArgs, report};
use crate::exit::{Exit, Failure};
use crate::output::{self, OutputArgs};
use crate::report::printable;
use crate::{console, flags};

/// Arguments of `statusctl collect`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    source: Source,
}

/// Where a status is collected from.
#[derive(Debug, clap::Subcommand)]
enum Source {
    /// Read an Argo CD Application through the Kubernetes API and print its status document.
    Argocd(Box<ArgocdArgs>), // boxed: a subcommand's flags make every variant as large
}

/// Arguments of `statusctl collect argocd`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit codes: 0 printed, 1 the Application cannot be mapped to a valid \
document (nothing written), 2 usage or I/O error (a kubeconfig that cannot be used), 5 401/403, \
6 the Application does not exist (or the cluster serves no Argo CD Applications), \
7 unreachable, TLS verification failed or timed out. See docs/cli.md."
)]
struct ArgocdArgs {
    /// The Application's name.
    #[arg(long, value_name = "NAME", value_parser = names::parse_application_name)]
    app: String,
    /// The Application's namespace (where Argo CD keeps its Applications).
    #[arg(long, short = 'n', value_name = "NAME", default_value = DEFAULT_NAMESPACE, value_parser = names::parse_namespace)]
    namespace: String,
    #[command(flatten)]
    kube: KubeArgs,
    /// Give up after this long, retries included (e.g. 30s, 2m).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = flags::timeout)]
    timeout: Duration,
    #[command(flatten)]
    out: OutputArgs,
}

/// How often a transient failure is retried.
const MAX_TRANSIENT: u32 = 4;

pub(crate) fn run(args: Args) -> Result<Exit, Failure> {
    match args.source {
        Source::Argocd(args) => argocd(*args),
    }
}

fn argocd(args: ArgocdArgs) -> Result<Exit, Failure> {
    args.out.check(&[])?;
    let application = cluster::run(args.timeout, "nothing was collected", read(&args))?;
    // Whole seconds, as render stamps documents.
    let now = Utc::now();
    let now = DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now);
    let where_ = format!("Application {}/{}", args.namespace, args.app);
    let checked = application
        .to_document(now)
        .and_then(|doc| output::checked(&doc, now));
    let checked = match checked {
        Ok(checked) => checked,
        Err(e) => {
            console::stderr(&format!(
                "statusctl: error: {} cannot be mapped to a status document: {}",
                printable(&where_),
                printable(&e.to_string())
            ));
            console::stderr("statusctl: error: nothing was written");
            return Ok(Exit::Failed);
        }
    };
    for finding in &checked.warnings {
        console::stderr(&format!(
            "statusctl: {}[{}] {}: {} ({})",
            finding.severity(),
            finding.code().name(),
            printable(finding.path()),
            printable(finding.message()),
            printable(&where_)
        ));
    }
    args.out.write(None, &checked.json)?;
    Ok(Exit::Success)
}

/// Loads the configuration and reads the Application, retrying transient failures.
async fn read(args: &ArgocdArgs) -> Result<argocd::Application, Failure> {
    let cluster = args
        .kube
        .options(args.timeout)
        .load()
        .await
        .map_err(cluster::load_failure)?;
    let server = cluster.server();
    let client = cluster.client().map_err(|e| failure(e, args, server))?;
    let mut transient = 0;
    loop {
        match argocd::get_application(&client, server, &args.namespace, &args.app).await {
            Ok(application) => return Ok(application),
            Err(e) if e.is_transient() && transient < MAX_TRANSIENT => {
                transient += 1;
                let delay = e.retry_after().unwrap_or(Duration::from_millis(
                    (200 * 2u64.pow(transient - 1)).min(3_000),
                ));
                console::stderr(&format!(
                    "statusctl: {}; retrying in {} ms ({transient}/{MAX_TRANSIENT})",
                    report(&e),
                    delay.as_millis()
                ));
                tokio::time::sleep(delay).await;
            }
            Err(e) => return Err(failure(e, args, server)),
        }
    }
}

/// The exit code and advice for a failed read of the Application.
fn failure(error: Error, args: &ArgocdArgs, server: &str) -> Failure {
    if let Some(failure) = cluster::common_failure(&error, server) {
        return failure;
    }
    let ArgocdArgs { app, namespace, .. } = args;
    let detail = match error.status() {
        Some(status) => printable(&format!(
            "{} ({} {})",
            status.message, status.code, status.reason
        ))
        .into_owned(),
        None => report(&error),
    };
    match &error {
        Error::Forbidden { .. } => Failure::new(
            Exit::Auth,
            format!(
                "{}.\nThe identity collecting needs a Role in namespace {namespace:?} with this rule, bound to it:\n  - apiGroups: [\"{GROUP}\"]\n    resources: [\"{PLURAL}\"]\n    resourceNames: [\"{app}\"]\n    verbs: [\"get\"]",
                printable(&error.to_string())
            ),
        ),
        Error::NotFound { .. } if argocd::is_resource_missing(&error) => Failure::new(
            Exit::Rejected,
            format!(
                "the API server at {server} does not serve Argo CD Applications ({PLURAL}.{GROUP}): {detail}. Is Argo CD installed in this cluster (is this the right --context)?"
            ),
        ),
        Error::NotFound { .. } | Error::NamespaceNotFound { .. } => Failure::new(
            Exit::Rejected,
            format!(
                "Application {app:?} not found in namespace {namespace:?} on {server}: {detail}. Check --app and --namespace (`kubectl get applications -n {namespace}` lists the Applications there)"
            ),
        ),
        Error::Expired { .. } | Error::Invalid { .. } | Error::Rejected { .. } => Failure::new(
            Exit::Rejected,
            format!("the API server rejected the read of Application {namespace}/{app}: {detail}"),
        ),
        _ if error.is_transient() => Failure::new(
            Exit::Unavailable,
            format!(
                "{}; gave up after {} attempts",
                report(&error),
                MAX_TRANSIENT + 1
            ),
        ),
        // Anything else is about the configuration, the credentials or the request: fixed by
        // changing the invocation.
        _ => cluster::load_failure(error),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use status_kube::kube::core::Status;
    use status_kube::{Request, Verb};

    use super::*;

    fn args(extra: &[&str]) -> ArgocdArgs {
        let cli = crate::Cli::try_parse_from(
            ["statusctl", "collect", "argocd", "--app", "guestbook"]
                .iter()
                .chain(extra),
        )
        .unwrap();
        let crate::Command::Collect(Args {
            source: Source::Argocd(args),
        }) = cli.command
        else {
            panic!("not collect argocd");
        };
        *args
    }

    fn answered(code: u16, reason: &str, message: &str) -> Failure {
        let request = Request::new("https://k", Verb::Get, GROUP, PLURAL)
            .in_namespace("argocd")
            .named("guestbook");
        let status = Status::failure(message, reason).with_code(code).boxed();
        failure(
            Error::from_status(status, &request),
            &args(&[]),
            "https://k",
        )
    }

    #[test]
    fn the_namespace_defaults_to_argo_cds() {
        assert_eq!(args(&[]).namespace, "argocd");
        assert_eq!(args(&["-n", "apps"]).namespace, "apps");
        assert!(
            crate::Cli::try_parse_from(["statusctl", "collect", "argocd", "--app", "Guest/Book"])
                .is_err()
        );
    }

    #[test]
    fn each_class_has_its_exit_code_and_advice() {
        let forbidden = answered(
            403,
            "Forbidden",
            "applications.argoproj.io \"guestbook\" is forbidden",
        );
        assert_eq!(forbidden.exit, Exit::Auth);
        assert!(
            forbidden
                .message
                .contains("apiGroups: [\"argoproj.io\"]\n    resources: [\"applications\"]\n    resourceNames: [\"guestbook\"]\n    verbs: [\"get\"]"),
            "{}",
            forbidden.message
        );
        assert_eq!(
            answered(401, "Unauthorized", "Unauthorized").exit,
            Exit::Auth
        );
        let missing = answered(
            404,
            "NotFound",
            "applications.argoproj.io \"guestbook\" not found",
        );
        assert_eq!(missing.exit, Exit::Rejected);
        assert!(
            missing
                .message
                .starts_with("Application \"guestbook\" not found in namespace \"argocd\"")
        );
        let no_argo = answered(
            404,
            "NotFound",
            "the server could not find the requested resource",
        );
        assert_eq!(no_argo.exit, Exit::Rejected);
        assert!(
            no_argo.message.contains("Is Argo CD installed"),
            "{}",
            no_argo.message
        );
        assert_eq!(
            answered(503, "ServiceUnavailable", "later").exit,
            Exit::Unavailable
        );
    }
}
