//! Credential plugins (`exec:` in a kubeconfig) under `push --timeout`: a plugin runs once,
//! within the timeout, and one that does not finish is stopped and named; its token is taken
//! as client-go takes it.

use std::time::{Duration, Instant};

use fake_apiserver::ADMIN_TOKEN;

use crate::support::{Cluster, doc, run, settings};

/// A kubeconfig for the fake whose user runs `script` with `sh -c`.
fn with_plugin(cluster: &Cluster, script: &str) -> std::path::PathBuf {
    let kubeconfig = cluster.server.kubeconfig(ADMIN_TOKEN, "monitoring");
    let plugin = format!(
        "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: sh\n      args:\n      - -c\n      - '{}'\n      interactiveMode: Never\n",
        script.replace('\'', "''")
    );
    let kubeconfig = kubeconfig.replace(&format!("    token: {ADMIN_TOKEN}\n"), &plugin);
    let path = cluster.dir.path().join("kubeconfig-plugin");
    std::fs::write(&path, kubeconfig).unwrap();
    path
}

fn credential(token: &str) -> String {
    format!(
        r#"{{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{{"token":{}}}}}"#,
        serde_json::Value::from(token)
    )
}

#[test]
fn a_plugin_that_hangs_is_stopped_at_the_timeout_and_blamed() {
    let cluster = Cluster::start();
    let kubeconfig = with_plugin(
        &cluster,
        &format!("sleep 25; echo '{}'", credential(ADMIN_TOKEN)),
    );
    let file = cluster.file("doc.json", &doc("apps", "2026-04-21T12:00:00Z"));
    let start = Instant::now();
    let r = run(cluster
        .statusctl()
        .args(["push", "--timeout", "3s", "--kubeconfig"])
        .arg(&kubeconfig)
        .arg(&file));
    let took = start.elapsed();
    // Not 25 s, and not three runs of 25 s.
    assert!(took < Duration::from_secs(6), "took {took:?}");
    assert_eq!(r.code, 2, "{}", r.transcript());
    assert!(
        !r.stderr.contains("API server did not answer"),
        "{}",
        r.stderr
    );
    assert!(cluster.server.requests().is_empty(), "something was sent");
    settings().bind(|| insta::assert_snapshot!("plugin_timeout", r.transcript()));
}

#[test]
fn a_plugin_runs_once_and_its_token_is_trimmed() {
    let cluster = Cluster::start();
    let runs = cluster.dir.path().join("runs");
    // A token ending in a newline, with no expiry: kube would put it in a header as it is.
    let kubeconfig = with_plugin(
        &cluster,
        &format!(
            "echo run >> {}; echo '{}'",
            runs.display(),
            credential(&format!("{ADMIN_TOKEN}\n"))
        ),
    );
    let file = cluster.file("doc.json", &doc("apps", "2026-04-21T12:00:00Z"));
    let r = run(cluster
        .statusctl()
        .args(["push", "--kubeconfig"])
        .arg(&kubeconfig)
        .arg(&file));
    assert_eq!(r.code, 0, "{}", r.transcript());
    assert_eq!(std::fs::read_to_string(&runs).unwrap(), "run\n");
}
