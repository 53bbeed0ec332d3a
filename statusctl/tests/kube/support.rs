//! A fake API server per test, kubeconfigs for it, a real status-server, the real `statusctl`
//! and `kubectl` with a cleared environment, and snapshot settings that hide ports and temporary
//! paths.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use fake_apiserver::tools::kubectl;
use fake_apiserver::{ADMIN_TOKEN, Config, FakeApiServer};
use serde_json::Value;
use tempfile::TempDir;

/// The namespace the test kubeconfigs default to.
pub(crate) const NS: &str = "monitoring";
/// The ConfigMap `statusctl push` writes by default.
pub(crate) const LIVE: &str = "gitops-status-server-live";

/// A running fake API server, a temporary home, and a kubeconfig for the admin user.
pub(crate) struct Cluster {
    pub(crate) server: FakeApiServer,
    pub(crate) dir: TempDir,
    pub(crate) kubeconfig: PathBuf,
}

impl Cluster {
    pub(crate) fn start() -> Self {
        Self::with(Config::default())
    }

    pub(crate) fn with(config: Config) -> Self {
        let server = FakeApiServer::start(config).expect("the fake API server starts");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let kubeconfig = dir.path().join("kubeconfig");
        server
            .write_kubeconfig(&kubeconfig, ADMIN_TOKEN, NS)
            .expect("the kubeconfig is written");
        Self {
            server,
            dir,
            kubeconfig,
        }
    }

    /// Writes a kubeconfig for `token` and returns its path.
    pub(crate) fn kubeconfig_for(&self, token: &str) -> PathBuf {
        let path = self.dir.path().join(format!("kubeconfig-{token}"));
        self.server
            .write_kubeconfig(&path, token, NS)
            .expect("the kubeconfig is written");
        path
    }

    /// Writes `contents` to a file in the temporary directory and returns its path.
    pub(crate) fn file(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).expect("the file is written");
        path
    }

    /// `statusctl` with a cleared environment, HOME in the temporary directory and
    /// KUBECONFIG set to the admin kubeconfig.
    pub(crate) fn statusctl(&self) -> Command {
        let mut cmd = statusctl_in(self.dir.path());
        cmd.env("KUBECONFIG", &self.kubeconfig);
        cmd
    }

    /// The official kubectl against this server.
    pub(crate) fn kubectl(&self) -> Command {
        let mut cmd = Command::new(kubectl());
        cmd.env_clear()
            .env("HOME", self.dir.path())
            .env("KUBECONFIG", &self.kubeconfig)
            .current_dir(self.dir.path());
        cmd
    }

    /// The live ConfigMap's `data`, or `Null` when it does not exist.
    pub(crate) fn live_data(&self) -> Value {
        self.server
            .configmap(NS, LIVE)
            .map(|cm| cm["data"].clone())
            .unwrap_or(Value::Null)
    }

    /// The managers of the live ConfigMap with the fields each owns, as `manager: fields`.
    pub(crate) fn live_managers(&self) -> Vec<String> {
        let cm = self.server.configmap(NS, LIVE).unwrap_or_default();
        cm["metadata"]["managedFields"]
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .map(|e| {
                        format!(
                            "{} ({}): {}",
                            e["manager"].as_str().unwrap_or(""),
                            e["operation"].as_str().unwrap_or(""),
                            e["fieldsV1"]
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// `statusctl` with an empty environment and HOME in `home`.
pub(crate) fn statusctl_in(home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("statusctl").expect("the statusctl binary is built");
    cmd.env_clear().env("HOME", home).current_dir(home);
    cmd
}

/// A valid status document with this `last_check` (and `repo`, to tell documents apart).
pub(crate) fn doc(repo: &str, last_check: &str) -> String {
    format!(
        "{{\"repo\":\"{repo}\",\"server\":\"prod-cluster-01\",\"sync_status\":\"SYNCED\",\"drift_count\":0,\"files\":[],\"last_check\":\"{last_check}\"}}\n"
    )
}

pub(crate) use crate::process::run;

/// Starts a real status-server (its library, in-process, on its own thread) with `flags` and
/// `--listen 127.0.0.1:0`; returns its base URL. It runs until the test binary ends.
pub(crate) fn status_server(flags: &[&str]) -> String {
    let mut argv = vec!["status-server"];
    argv.extend_from_slice(flags);
    argv.extend_from_slice(&["--listen", "127.0.0.1:0"]);
    let config =
        status_server::Config::try_parse_from(argv).expect("status-server takes these flags");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let app = status_server::Application::build(config)
                .await
                .expect("status-server starts");
            tx.send(app.port()).expect("the test waits for the port");
            app.run_until_stopped().await
        })
    });
    format!(
        "http://127.0.0.1:{}",
        rx.recv().expect("status-server reports its port")
    )
}

/// Snapshot settings: ports, temporary paths and times become placeholders.
pub(crate) fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]");
    settings.add_filter(r"/tmp/\.tmp[A-Za-z0-9]+", "[TMP]");
    settings.add_filter(r"resourceVersion \d+", "resourceVersion [RV]");
    settings.add_filter(r"retrying in \d+ ms", "retrying in [N] ms");
    settings
}
