//! A fake API server per test with a temporary home and an admin kubeconfig, and the official
//! kubectl run against it with a cleared environment.

use std::path::PathBuf;
use std::process::Output;

use assert_cmd::Command;
use fake_apiserver::{ADMIN_TOKEN, Config, FakeApiServer};
use tempfile::TempDir;

/// The namespace the kubeconfig defaults to.
pub(crate) const NS: &str = "monitoring";
/// The ConfigMap the tests write (the chart's live one).
pub(crate) const LIVE: &str = "gitops-status-server-live";

/// A running fake API server, a temporary home, and a kubeconfig for the admin user.
pub(crate) struct Cluster {
    pub(crate) server: FakeApiServer,
    dir: TempDir,
    kubeconfig: PathBuf,
}

impl Cluster {
    pub(crate) fn start() -> Self {
        let server = FakeApiServer::start(Config::default()).expect("the fake API server starts");
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

    /// Writes `contents` to a file in the temporary directory and returns its path.
    pub(crate) fn file(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).expect("the file is written");
        path
    }

    /// The official kubectl against this server, with HOME in the temporary directory.
    pub(crate) fn kubectl(&self) -> Command {
        let mut cmd = Command::new(fake_apiserver::tools::kubectl());
        cmd.env_clear()
            .env("HOME", self.dir.path())
            .env("KUBECONFIG", &self.kubeconfig)
            .current_dir(self.dir.path());
        cmd
    }
}

/// What a run did: the exit code and both streams.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs `cmd` to completion; being killed by a signal fails the test.
pub(crate) fn run(cmd: &mut Command) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("the command runs");
    Run {
        code: status.code().expect("exited, not killed by a signal"),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// A status document with this `last_check` (and `repo`, to tell documents apart): what the
/// ConfigMaps of this project hold, though the fake does not care.
pub(crate) fn doc(repo: &str, last_check: &str) -> String {
    format!(
        "{{\"repo\":\"{repo}\",\"server\":\"prod-cluster-01\",\"sync_status\":\"SYNCED\",\"drift_count\":0,\"files\":[],\"last_check\":\"{last_check}\"}}\n"
    )
}
