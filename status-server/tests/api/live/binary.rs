//! The real binary against the fake API server, where what matters is what it logs or how it
//! exits: 403 and 401 name what is missing and are retried (and the token is never printed),
//! the in-cluster service account's namespace is the default, and SIGTERM stops it promptly
//! with watches open.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fake_apiserver::{Config, Rule, User};

use super::{Cluster, NAMESPACE, RECOVERY};
use crate::helpers::doc;
use crate::shutdown::free_port;

/// The binary, running, with its JSON log lines collected as they come.
pub(super) struct Running {
    child: Child,
    port: u16,
    logs: Arc<Mutex<Vec<serde_json::Value>>>,
}

impl Running {
    pub(super) fn start(args: &[&str], env: &[(&str, &str)]) -> Self {
        let port = free_port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_status-server"))
            .env_clear()
            .envs(env.iter().copied())
            .args(args)
            .args([
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--log-format",
                "json",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start status-server");
        let logs = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = logs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let value = serde_json::from_str(&line)
                    .unwrap_or_else(|_| panic!("not a JSON log line: {line}"));
                sink.lock().unwrap().push(value);
            }
        });
        Self { child, port, logs }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Waits for a log line whose message contains `text`, and returns it.
    pub(super) async fn log_line(&self, text: &str) -> serde_json::Value {
        let deadline = Instant::now() + RECOVERY;
        loop {
            let found = self
                .logs
                .lock()
                .unwrap()
                .iter()
                .find(|l| {
                    l["fields"]["message"]
                        .as_str()
                        .is_some_and(|m| m.contains(text))
                })
                .cloned();
            if let Some(line) = found {
                return line;
            }
            assert!(
                Instant::now() < deadline,
                "no log line with {text:?}; logs: {:#?}",
                self.logs.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub(super) async fn eventually(
        &self,
        path: &str,
        what: &str,
        check: impl Fn(u16, &str) -> bool,
    ) {
        let client = crate::helpers::client();
        let deadline = Instant::now() + RECOVERY;
        loop {
            let answer = match client.get(self.url(path)).send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    Some((status, response.text().await.unwrap_or_default()))
                }
                Err(_) => None, // not listening yet
            };
            if let Some((status, body)) = &answer
                && check(*status, body)
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{path} never showed {what}; last answer: {answer:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub(super) fn all_logs(&self) -> String {
        self.logs
            .lock()
            .unwrap()
            .iter()
            .map(|l| l.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// SIGTERM, then the exit status, which must come within 5 s.
    pub(super) async fn terminate(mut self) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let signalled = Instant::now();
        loop {
            if let Some(exit) = self.child.try_wait().unwrap() {
                return exit;
            }
            assert!(
                signalled.elapsed() < Duration::from_secs(5),
                "still running 5 s after SIGTERM; logs:\n{}",
                self.all_logs()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(super) const CI_TOKEN: &str = "ci-token-that-must-never-be-printed";

/// The log line without what changes from run to run (times, ports).
pub(super) fn redacted(line: &serde_json::Value, port: u16) -> String {
    let mut fields = line["fields"].clone();
    let text = serde_json::to_string_pretty(&fields.take()).unwrap();
    format!("{} {}", line["level"].as_str().unwrap_or(""), text)
        .replace(&port.to_string(), "[port]")
}

#[tokio::test]
async fn forbidden_names_the_verb_resource_and_namespace_and_is_retried_until_granted() {
    let config = Config::default().user(
        "system:serviceaccount:monitoring:gitops-status",
        CI_TOKEN,
        vec![],
    );
    let cluster = Cluster::with(config, CI_TOKEN);
    cluster.put("live", &[], &[("status.json", &doc("live", 0))]);
    let file = cluster.file("default.json", &doc("default", 0));
    let kubeconfig = cluster.kubeconfig.display().to_string();
    let server = Running::start(
        &[
            "--file",
            file.to_str().unwrap(),
            "--kube-configmap",
            "live",
            "--kubeconfig",
            &kubeconfig,
            "--kube-namespace",
            NAMESPACE,
        ],
        &[],
    );
    let line = server.log_line("not allowed to list configmaps").await;
    insta::assert_snapshot!("forbidden_log_line", redacted(&line, cluster.api.port()));
    // The files are served meanwhile.
    server
        .eventually("/status.json", "the file", |s, b| {
            s == 200 && b == doc("default", 0)
        })
        .await;

    // Granted: the next retry reads the ConfigMap.
    cluster
        .api
        .set_rules(
            "system:serviceaccount:monitoring:gitops-status",
            vec![Rule::configmaps(["get", "list", "watch"]).in_namespaces([NAMESPACE])],
        )
        .unwrap();
    server
        .eventually("/status.json", "the ConfigMap", |s, b| {
            s == 200 && b == doc("live", 0)
        })
        .await;
    server.log_line("answers the watch again").await;
    let logs = server.all_logs();
    assert!(!logs.contains(CI_TOKEN), "the token was printed:\n{logs}");
    let exit = server.terminate().await;
    assert!(exit.success(), "{exit}");
}

#[tokio::test]
async fn unauthorized_is_logged_and_retried_until_the_token_is_accepted() {
    let cluster = Cluster::with(Config::default(), CI_TOKEN);
    cluster.put("live", &[], &[("status.json", &doc("live", 0))]);
    let kubeconfig = cluster.kubeconfig.display().to_string();
    let server = Running::start(
        &[
            "--kube-configmap",
            "live",
            "--kubeconfig",
            &kubeconfig,
            "--kube-namespace",
            NAMESPACE,
        ],
        &[],
    );
    let line = server
        .log_line("does not accept the server's credentials")
        .await;
    insta::assert_snapshot!("unauthorized_log_line", redacted(&line, cluster.api.port()));
    server
        .eventually("/readyz", "not ready: no status.json", |s, b| {
            s == 503 && b.contains("401 Unauthorized")
        })
        .await;
    cluster
        .api
        .add_user(User {
            name: "ci".into(),
            token: CI_TOKEN.into(),
            rules: vec![Rule::configmaps(["get", "list", "watch"])],
        })
        .unwrap();
    server
        .eventually("/status.json", "the ConfigMap", |s, b| {
            s == 200 && b == doc("live", 0)
        })
        .await;
    assert!(!server.all_logs().contains(CI_TOKEN));
}

#[tokio::test]
async fn in_a_pod_the_service_accounts_namespace_is_the_default_and_sigterm_stops_promptly() {
    let cluster = Cluster::start();
    cluster.put("live", &[], &[("status.json", &doc("in-cluster", 0))]);
    // A service account directory as kubelet mounts it, for the fake's address.
    let sa = cluster.dir.path().join("serviceaccount");
    std::fs::create_dir(&sa).unwrap();
    std::fs::write(sa.join("token"), fake_apiserver::ADMIN_TOKEN).unwrap();
    std::fs::write(sa.join("ca.crt"), cluster.api.ca_pem()).unwrap();
    std::fs::write(sa.join("namespace"), NAMESPACE).unwrap();
    let port = cluster.api.port().to_string();
    let server = Running::start(
        &["--kube-configmap", "live"],
        &[
            ("KUBERNETES_SERVICE_HOST", "127.0.0.1"),
            ("KUBERNETES_SERVICE_PORT", &port),
            ("STATUS_SERVER_SERVICEACCOUNT_DIR", sa.to_str().unwrap()),
        ],
    );
    server
        .eventually("/status.json", "the ConfigMap", |s, b| {
            s == 200 && b == doc("in-cluster", 0)
        })
        .await;
    server
        .eventually("/readyz", "the source's name", |_, b| {
            b.contains("configmap/monitoring/live")
        })
        .await;
    assert!(cluster.api.open_watches() >= 1);
    let exit = server.terminate().await;
    assert!(exit.success(), "{exit}");
    // The watch closed with the process.
    let deadline = Instant::now() + Duration::from_secs(5);
    while cluster.api.open_watches() > 0 {
        assert!(Instant::now() < deadline, "a watch outlived the server");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
