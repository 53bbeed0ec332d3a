//! `statusctl collect argocd` against the fake API server: what it prints for an Application,
//! and the exit code and advice when it cannot read one.

use fake_apiserver::Config;

use crate::support::{Cluster, run, settings, statusctl_in};

#[test]
fn an_unknown_token_is_401_exit_5() {
    let cluster = Cluster::with(Config::default());
    let out = run(cluster
        .statusctl()
        .args(["collect", "argocd", "--app", "guestbook", "--kubeconfig"])
        .arg(cluster.kubeconfig_for("nobody-knows-me")));
    settings().bind(|| insta::assert_snapshot!("collect_401", out.transcript()));
    assert_eq!(out.code, 5);
}

#[test]
fn an_unreachable_server_is_exit_7_after_retries() {
    let cluster = Cluster::start();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let kubeconfig = std::fs::read_to_string(&cluster.kubeconfig).unwrap();
    let closed = cluster.file(
        "closed",
        &kubeconfig.replace(&cluster.server.url(), &format!("https://127.0.0.1:{port}")),
    );
    let out = run(cluster
        .statusctl()
        .args(["collect", "argocd", "--app", "guestbook", "--kubeconfig"])
        .arg(&closed));
    assert_eq!(out.code, 7, "{}", out.stderr);
    assert_eq!(
        out.stderr.matches("retrying in").count(),
        4,
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("cannot reach the API server at https://127.0.0.1:"),
        "{}",
        out.stderr
    );
    let out = run(cluster
        .statusctl()
        .args([
            "collect",
            "argocd",
            "--app",
            "guestbook",
            "--timeout",
            "1s",
            "--kubeconfig",
        ])
        .arg(&closed));
    assert_eq!(out.code, 7, "{}", out.stderr);
    assert!(
        out.stderr.contains("gave up after --timeout 1s: the API server did not answer in time; nothing was collected"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn no_configuration_and_bad_flags_are_exit_2() {
    let home = tempfile::tempdir().unwrap();
    let out = run(statusctl_in(home.path()).args(["collect", "argocd", "--app", "guestbook"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .starts_with("statusctl: error: no Kubernetes configuration: pass --kubeconfig"),
        "{}",
        out.stderr
    );
    let mut transcript = String::new();
    for args in [
        vec!["collect", "argocd"],
        vec!["collect", "argocd", "--app", "Guest_Book"],
        vec![
            "collect",
            "argocd",
            "--app",
            "guestbook",
            "--namespace",
            "Argo CD",
        ],
        vec![
            "collect",
            "argocd",
            "--app",
            "guestbook",
            "--key",
            "guestbook.json",
        ],
        vec!["collect", "flux", "--app", "guestbook"],
    ] {
        let out = run(statusctl_in(home.path()).args(&args));
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        transcript.push_str(&format!("$ statusctl {}\n{}", args.join(" "), out.stderr));
    }
    settings().bind(|| insta::assert_snapshot!("collect_usage_errors", transcript));
}
