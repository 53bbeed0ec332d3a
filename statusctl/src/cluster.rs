//! What every statusctl command that talks to the Kubernetes API (`push`, `collect`) shares:
//! the flags that find the cluster, the status-kube options they make, the runtime with its
//! `--timeout`, and the failures whose advice does not depend on the command (a configuration
//! that cannot be loaded, credentials the API server refuses, TLS).

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use status_kube::{ClientOptions, Error};

use crate::exit::{Exit, Failure};
use crate::report::printable;

/// status-kube's report of `error` (its sources joined), [`printable`]: it quotes what the API
/// server, a proxy or a kubeconfig said, which is anyone's text.
pub(crate) fn report(error: &Error) -> String {
    printable(&status_kube::report(error)).into_owned()
}

/// The environment variable that overrides the service account directory: tests use a
/// directory of their own.
const SERVICE_ACCOUNT_DIR_VAR: &str = "STATUSCTL_SERVICEACCOUNT_DIR";

/// How much later than `--timeout` [`run`] gives up, so that a command's own deadline, with its
/// more precise message, comes first.
const BACKSTOP_GRACE: Duration = Duration::from_millis(250);

/// The flags that say where the cluster is and who we are to it.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct KubeArgs {
    /// The kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then the in-cluster
    /// service account).
    #[arg(long, value_name = "PATH")]
    pub(crate) kubeconfig: Option<PathBuf>,
    /// The kubeconfig context (default: its current context).
    #[arg(long, value_name = "NAME")]
    pub(crate) context: Option<String>,
}

impl KubeArgs {
    /// The options that load the cluster, each request bounded by `timeout`, and a credential
    /// plugin run once within it (status-kube stops it and says so, rather than the API server
    /// being blamed).
    pub(crate) fn options(&self, timeout: Duration) -> ClientOptions {
        let mut options = ClientOptions::default();
        options.kubeconfig = self.kubeconfig.clone();
        options.context = self.context.clone();
        options.service_account_dir = std::env::var_os(SERVICE_ACCOUNT_DIR_VAR).map(PathBuf::from);
        options.timeout = Some(timeout);
        options.credentials_once = Some(timeout);
        options
    }
}

/// Runs `work` on a runtime of its own, giving up after `timeout` (exit 7) with a message that
/// ends in `outcome` ("nothing is known to have been pushed"). A command that bounds its own
/// phases within `timeout` (push: the credential plugin, then the requests) reports first: this
/// is the backstop, a moment later.
pub(crate) fn run<T>(
    timeout: Duration,
    outcome: &str,
    work: impl Future<Output = Result<T, Failure>>,
) -> Result<T, Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::usage(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        match tokio::time::timeout(timeout + BACKSTOP_GRACE, work).await {
            Ok(result) => result,
            Err(_) => Err(Failure::new(
                Exit::Unavailable,
                format!(
                    "gave up after --timeout {}: the API server did not answer in time; {outcome}",
                    status_core::duration::format(timeout)
                ),
            )),
        }
    })
}

/// The exit code of a configuration that cannot be loaded, and statusctl's words for it.
pub(crate) fn load_failure(error: Error) -> Failure {
    let message = match error {
        Error::NoConfiguration => "no Kubernetes configuration: pass --kubeconfig, set KUBECONFIG, create ~/.kube/config, or run in a pod with a service account (KUBERNETES_SERVICE_HOST is not set)".to_owned(),
        Error::ContextWithoutKubeconfig { .. } => "--context needs a kubeconfig, but none was found and statusctl runs in a cluster with its service account".to_owned(),
        other => report(&other),
    };
    Failure::usage(message)
}

/// The failure for an error whose advice is the same for every command: credentials the API
/// server at `server` refuses (401) or that cannot be sent (exit 5), TLS (exit 7). `None` for
/// the other classes, whose advice is the command's.
pub(crate) fn common_failure(error: &Error, server: &str) -> Option<Failure> {
    match error {
        Error::Unauthorized { .. } => Some(Failure::new(
            Exit::Auth,
            format!(
                "the API server at {server} does not accept the credentials (401 Unauthorized): the token is missing, expired or revoked. Check the kubeconfig user (or the service account token) that statusctl uses"
            ),
        )),
        // Kube does not put the token in this error; the advice says what is wrong with it.
        Error::InvalidToken { .. } => Some(Failure::new(
            Exit::Auth,
            format!(
                "{} (a token is one line of printable characters)",
                report(error)
            ),
        )),
        Error::Tls { .. } => Some(Failure::new(
            Exit::Unavailable,
            format!(
                "{}. Check the cluster's certificate-authority(-data) in the kubeconfig, or ca.crt of the service account",
                report(error)
            ),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_errors_are_usage_errors() {
        let failure = load_failure(Error::NoConfiguration);
        assert_eq!(failure.exit, Exit::Usage);
        assert!(
            failure
                .message
                .starts_with("no Kubernetes configuration: pass --kubeconfig")
        );
        let failure = load_failure(Error::ContextWithoutKubeconfig {
            context: "ops".to_owned(),
        });
        assert!(failure.message.starts_with("--context needs a kubeconfig"));
    }
}
