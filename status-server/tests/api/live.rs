//! ConfigMaps and Argo CD Applications watched through the Kubernetes API: the real server
//! (in-process, or the binary where its logs or signals matter) against the fake API server
//! over HTTPS, with a kubeconfig written for it.

mod argocd;
mod binary;
mod resilience;
mod sources;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use fake_apiserver::{ADMIN_TOKEN, Config, FakeApiServer};
use serde_json::json;

use crate::helpers::{TestServer, spawn};

/// The namespace the tests' ConfigMaps live in.
pub(crate) const NAMESPACE: &str = "monitoring";

/// A fake API server, and a kubeconfig for it in a directory of its own.
pub(crate) struct Cluster {
    pub(crate) api: FakeApiServer,
    pub(crate) kubeconfig: PathBuf,
    pub(crate) dir: tempfile::TempDir,
}

impl Cluster {
    /// A fake API server with its default users; the kubeconfig uses the admin's token.
    pub(crate) fn start() -> Self {
        Self::with(Config::default(), ADMIN_TOKEN)
    }

    /// A fake API server started with `config`; the kubeconfig uses `token`.
    pub(crate) fn with(config: Config, token: &str) -> Self {
        let api = FakeApiServer::start(config).expect("the fake API server starts");
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("kubeconfig");
        // The context names another namespace: --kube-namespace must win over it.
        api.write_kubeconfig(&kubeconfig, token, "default").unwrap();
        Self {
            api,
            kubeconfig,
            dir,
        }
    }

    /// The flags that point the server at this cluster's namespace.
    pub(crate) fn flags(&self) -> Vec<String> {
        vec![
            "--kubeconfig".into(),
            self.kubeconfig.display().to_string(),
            "--kube-namespace".into(),
            NAMESPACE.into(),
        ]
    }

    /// Creates or replaces a ConfigMap with these labels and keys (a write by someone else:
    /// what the watch must see).
    pub(crate) fn put(&self, name: &str, labels: &[(&str, &str)], data: &[(&str, &str)]) {
        let labels: serde_json::Map<String, serde_json::Value> = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), json!(v)))
            .collect();
        let data: serde_json::Map<String, serde_json::Value> = data
            .iter()
            .map(|(k, v)| ((*k).to_owned(), json!(v)))
            .collect();
        let object = json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": NAMESPACE, "labels": labels},
            "data": data,
        });
        self.api
            .apply("configmaps", object, "test")
            .unwrap_or_else(|e| panic!("cannot write ConfigMap {name}: {e:?}"));
    }

    /// Deletes a ConfigMap.
    pub(crate) fn delete(&self, name: &str) {
        self.api
            .delete("configmaps", Some(NAMESPACE), name)
            .unwrap_or_else(|e| panic!("cannot delete ConfigMap {name}: {e:?}"));
    }

    /// A file in this cluster's directory.
    pub(crate) fn file(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }
}

/// Starts the server in-process with the cluster's flags and `args`.
pub(crate) async fn serve(cluster: &Cluster, args: &[&str]) -> TestServer {
    let flags = cluster.flags();
    let mut all: Vec<&str> = flags.iter().map(String::as_str).collect();
    all.extend_from_slice(args);
    spawn(&all).await
}

/// The watch reconnects after a backoff that starts at 0.8 s and doubles (with jitter): an
/// outage of a second or two is picked up within this.
pub(crate) const RECOVERY: Duration = Duration::from_secs(30);

/// Polls `path` until `check` accepts the (status, body), for up to `within`.
pub(crate) async fn eventually_within(
    server: &TestServer,
    within: Duration,
    path: &str,
    what: &str,
    check: impl Fn(u16, &str) -> bool,
) {
    let deadline = Instant::now() + within;
    loop {
        let (status, body) = server.get_text(path).await;
        if check(status, &body) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{path} never showed {what} within {within:?}; last answer: {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The `/readyz` entry of one source.
pub(crate) async fn source_health(server: &TestServer, source: &str) -> serde_json::Value {
    let (_, body) = server.get_text("/readyz").await;
    let readyz: serde_json::Value = serde_json::from_str(&body).unwrap();
    readyz["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["source"] == source)
        .cloned()
        .unwrap_or_else(|| panic!("no source {source} in {body}"))
}

/// The name `/readyz` and `/metrics` give a watch of one ConfigMap by name.
pub(crate) fn by_name(name: &str) -> String {
    format!("configmap/{NAMESPACE}/{name}")
}
