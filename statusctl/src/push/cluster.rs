//! Where the API server is and who we are to it: a kubeconfig (`--kubeconfig`, `KUBECONFIG`,
//! `~/.kube/config`, with `--context`), or the in-cluster service account.
//!
//! The service account directory is `/var/run/secrets/kubernetes.io/serviceaccount`;
//! `STATUSCTL_SERVICEACCOUNT_DIR` overrides it (tests use a directory of their own). Tokens are
//! handed to kube as they are and never formatted into a message.

use std::path::{Path, PathBuf};
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};

use super::exit;
use super::failure::Failure;

/// The in-cluster service account directory.
const SERVICE_ACCOUNT_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// A loaded client configuration.
pub(crate) struct Loaded {
    pub(crate) config: kube::Config,
}

fn usage(message: String) -> Failure {
    Failure::new(exit::USAGE, message)
}

/// Loads the configuration the way kubectl finds it, then the in-cluster service account.
pub(crate) async fn load(
    kubeconfig: Option<&Path>,
    context: Option<&str>,
    timeout: Duration,
) -> Result<Loaded, Failure> {
    let options = KubeConfigOptions {
        context: context.map(str::to_owned),
        ..KubeConfigOptions::default()
    };
    let env_kubeconfig = std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty());
    let home_kubeconfig = std::env::var_os("HOME")
        .map(|home| PathBuf::from(home).join(".kube").join("config"))
        .filter(|p| p.is_file());
    let mut config = if let Some(path) = kubeconfig {
        let file = Kubeconfig::read_from(path).map_err(|e| {
            usage(format!(
                "cannot read the kubeconfig {}: {e}",
                path.display()
            ))
        })?;
        from_kubeconfig(file, &options, &path.display().to_string()).await?
    } else if env_kubeconfig.is_some() || home_kubeconfig.is_some() {
        let source = match (&env_kubeconfig, &home_kubeconfig) {
            (Some(env), _) => format!("$KUBECONFIG ({})", env.to_string_lossy()),
            (None, Some(home)) => home.display().to_string(),
            (None, None) => "~/.kube/config".to_owned(),
        };
        let file = Kubeconfig::read()
            .map_err(|e| usage(format!("cannot read the kubeconfig {source}: {e}")))?;
        from_kubeconfig(file, &options, &source).await?
    } else if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() {
        if context.is_some() {
            return Err(usage(
                "--context needs a kubeconfig, but none was found and statusctl runs in a cluster with its service account".to_owned(),
            ));
        }
        in_cluster().await?
    } else {
        return Err(usage(
            "no Kubernetes configuration: pass --kubeconfig, set KUBECONFIG, create ~/.kube/config, or run in a pod with a service account (KUBERNETES_SERVICE_HOST is not set)".to_owned(),
        ));
    };
    // Retrying is push's policy: kube 5's own retry layer would repeat a 429/503/504 up to 15
    // times, silently, inside one call, multiplying push's bounded retries and hiding them.
    config.default_retry = false;
    config.connect_timeout = Some(timeout.min(Duration::from_secs(10)));
    config.read_timeout = Some(timeout);
    config.write_timeout = Some(timeout);
    Ok(Loaded { config })
}

async fn from_kubeconfig(
    file: Kubeconfig,
    options: &KubeConfigOptions,
    source: &str,
) -> Result<kube::Config, Failure> {
    kube::Config::from_custom_kubeconfig(file, options)
        .await
        .map_err(|e| usage(format!("cannot use the kubeconfig {source}: {e}")))
}

/// The in-cluster configuration, like kube's, but from a directory that can be overridden.
async fn in_cluster() -> Result<kube::Config, Failure> {
    let dir = std::env::var_os("STATUSCTL_SERVICEACCOUNT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(SERVICE_ACCOUNT_DIR));
    let host = std::env::var("KUBERNETES_SERVICE_HOST").unwrap_or_default();
    let port = std::env::var("KUBERNETES_SERVICE_PORT").unwrap_or_else(|_| "443".to_owned());
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host
    };
    for file in ["token", "ca.crt"] {
        let path = dir.join(file);
        if !path.is_file() {
            return Err(usage(format!(
                "in-cluster configuration: {} is missing (is a service account token mounted?)",
                path.display()
            )));
        }
    }
    let namespace = std::fs::read_to_string(dir.join("namespace"))
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "default".to_owned());
    // A kubeconfig pointing at the files, so kube reads (and re-reads) the token itself.
    let kubeconfig = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "in-cluster", "cluster": {
            "server": format!("https://{host}:{port}"),
            "certificate-authority": dir.join("ca.crt").to_string_lossy(),
        }}],
        "users": [{"name": "service-account", "user": {"tokenFile": dir.join("token").to_string_lossy()}}],
        "contexts": [{"name": "in-cluster", "context": {
            "cluster": "in-cluster", "user": "service-account", "namespace": namespace,
        }}],
        "current-context": "in-cluster",
    });
    let file = Kubeconfig::from_yaml(&kubeconfig.to_string())
        .map_err(|e| usage(format!("in-cluster configuration: {e}")))?;
    from_kubeconfig(
        file,
        &KubeConfigOptions::default(),
        &format!("in-cluster service account {}", dir.display()),
    )
    .await
}
