//! `statusctl push` inside a pod: no kubeconfig, the service account's token, CA and namespace
//! from its directory, the API server from KUBERNETES_SERVICE_HOST and _PORT.

use fake_apiserver::{Config, Rule};

use crate::support::{Cluster, LIVE, doc, run, statusctl_in};

#[test]
fn push_uses_the_service_account() {
    let cluster = Cluster::with(
        Config::default()
            .user(
                "system:serviceaccount:gitops:gitops-status-server-push",
                "sa-token",
                vec![
                    Rule::configmaps(["get", "create", "patch"])
                        .names([LIVE])
                        .in_namespaces(["gitops"]),
                ],
            )
            .tap_namespaces(&["default", "gitops"]),
    );
    let sa = cluster.dir.path().join("serviceaccount");
    std::fs::create_dir(&sa).unwrap();
    std::fs::write(sa.join("token"), "sa-token").unwrap();
    std::fs::write(sa.join("ca.crt"), cluster.server.ca_pem()).unwrap();
    std::fs::write(sa.join("namespace"), "gitops").unwrap();
    let file = cluster.file("doc.json", &doc("apps", "2026-04-21T12:00:00Z"));

    let in_pod = || {
        let mut cmd = statusctl_in(cluster.dir.path());
        cmd.env("KUBERNETES_SERVICE_HOST", "127.0.0.1")
            .env("KUBERNETES_SERVICE_PORT", cluster.server.port().to_string())
            .env("STATUSCTL_SERVICEACCOUNT_DIR", &sa);
        cmd
    };
    let out = run(in_pod().arg("push").arg(&file));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("configmap gitops/gitops-status-server-live key status.json created"),
        "{}",
        out.stdout
    );
    let stored = cluster
        .server
        .configmap("gitops", LIVE)
        .expect("pushed to the service account's namespace");
    assert_eq!(
        stored["data"]["status.json"],
        doc("apps", "2026-04-21T12:00:00Z")
    );

    // A token file ending in a newline (a Secret written by hand, `echo token > file`) is
    // trimmed, as client-go trims it.
    std::fs::write(sa.join("token"), "sa-token\n").unwrap();
    let out = run(in_pod().arg("push").arg(&file));
    assert_eq!(out.code, 0, "{}", out.transcript());

    // A token file that is missing is a configuration error naming the file.
    std::fs::remove_file(sa.join("token")).unwrap();
    let out = run(in_pod().arg("push").arg(&file));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("serviceaccount/token is missing"),
        "{}",
        out.stderr
    );
}

/// Replacing the namespaces of a [`Config`] in place, for this test's own namespace.
trait TapNamespaces {
    fn tap_namespaces(self, namespaces: &[&str]) -> Self;
}

impl TapNamespaces for Config {
    fn tap_namespaces(mut self, namespaces: &[&str]) -> Self {
        self.namespaces = namespaces.iter().map(|s| (*s).to_owned()).collect();
        self
    }
}
