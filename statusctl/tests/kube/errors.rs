//! What `statusctl push` says, and which exit code it gives, when the API server says no or
//! cannot be reached: each message names what to fix. And it never prints a token.

use fake_apiserver::{Config, Rule};
use serde_json::json;

use crate::support::{Cluster, LIVE, NS, doc, run, settings, statusctl_in};

/// A token that must never appear in any output.
const SECRET: &str = "s3cr3t-t0ken-value-that-must-not-leak";

/// A cluster with users: the chart's push Role, read-only, and one whose token is [`SECRET`].
fn cluster() -> Cluster {
    Cluster::with(
        Config::default()
            .user(
                "system:serviceaccount:monitoring:gitops-status-server-push",
                "push-token",
                vec![
                    Rule::configmaps(["get", "create", "patch"])
                        .names([LIVE])
                        .in_namespaces([NS]),
                ],
            )
            .user(
                "system:serviceaccount:ci:reader",
                "read-token",
                vec![Rule::configmaps(["get"])],
            )
            .user(
                "system:serviceaccount:ci:secretive",
                SECRET,
                vec![Rule::configmaps(["get"])],
            ),
    )
}

#[test]
fn unknown_token_is_401_exit_5() {
    let cluster = cluster();
    let file = cluster.file("doc.json", &doc("apps", "2026-04-21T12:00:00Z"));
    let out = run(cluster
        .statusctl()
        .arg("push")
        .arg("--kubeconfig")
        .arg(cluster.kubeconfig_for("nobody-knows-me"))
        .arg(&file));
    settings().bind(|| insta::assert_snapshot!("error_401", out.transcript()));
    assert_eq!(out.code, 5);
}

#[test]
fn missing_permission_is_403_exit_5_naming_the_role_rule() {
    let cluster = cluster();
    let file = cluster.file("doc.json", &doc("apps", "2026-04-21T12:00:00Z"));
    let out = run(cluster
        .statusctl()
        .arg("push")
        .arg("--kubeconfig")
        .arg(cluster.kubeconfig_for("read-token"))
        .arg(&file));
    settings().bind(|| insta::assert_snapshot!("error_403", out.transcript()));
    assert_eq!(out.code, 5);
    assert!(cluster.server.configmap(NS, LIVE).is_none());
}

#[test]
fn the_charts_push_role_is_enough_and_limited_to_its_configmap() {
    let cluster = cluster();
    let file = cluster.file("doc.json", &doc("apps", "2026-04-21T12:00:00Z"));
    let kubeconfig = cluster.kubeconfig_for("push-token");
    // Creates the ConfigMap (apply creates it by name, which resourceNames allows), then
    // updates it.
    for _ in 0..2 {
        let out = run(cluster
            .statusctl()
            .arg("push")
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .arg(&file));
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    assert_eq!(
        cluster.live_data()["status.json"],
        doc("apps", "2026-04-21T12:00:00Z")
    );
    // Any other ConfigMap is forbidden.
    let out = run(cluster
        .statusctl()
        .args(["push", "--configmap", "other"])
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .arg(&file));
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert!(
        out.stderr.contains(r#"resourceNames: ["other"]"#),
        "{}",
        out.stderr
    );
}

#[test]
fn missing_namespace_is_exit_6_naming_it() {
    let cluster = cluster();
    let file = cluster.file("doc.json", &doc("apps", "2026-04-21T12:00:00Z"));
    let out = run(cluster
        .statusctl()
        .args(["push", "--namespace", "gitops-status"])
        .arg(&file));
    settings().bind(|| insta::assert_snapshot!("error_404_namespace", out.transcript()));
    assert_eq!(out.code, 6);
}

#[test]
fn over_one_mebibyte_is_422_exit_6_naming_the_limit() {
    let cluster = cluster();
    // Another key already holds 700 KiB; a valid 400 KiB document then does not fit.
    cluster
        .server
        .create_configmap(
            NS,
            json!({"metadata": {"name": LIVE}, "data": {"big.txt": "x".repeat(700 * 1024)}}),
            "other-writer",
        )
        .unwrap();
    let files: Vec<String> = (0..20_000)
        .map(|i| format!("\"manifests/app-{i:05}.yaml\""))
        .collect();
    let big = format!(
        "{{\"repo\":\"apps\",\"server\":\"prod\",\"sync_status\":\"OUT_OF_SYNC\",\"drift_count\":20000,\"files\":[{}],\"last_check\":\"2026-04-21T12:00:00Z\"}}",
        files.join(",")
    );
    assert!(big.len() > 400 * 1024 && big.len() < status_core::MAX_DOCUMENT_BYTES);
    let file = cluster.file("big.json", &big);
    let out = run(cluster.statusctl().arg("push").arg(&file));
    settings().bind(|| insta::assert_snapshot!("error_422_too_large", out.transcript()));
    assert_eq!(out.code, 6);
    assert!(cluster.live_data().get("status.json").is_none());
}

#[test]
fn an_untrusted_certificate_is_exit_7() {
    let cluster = cluster();
    let other = Cluster::start();
    // This server's URL with the other server's CA: verification must fail.
    let kubeconfig = std::fs::read_to_string(&other.kubeconfig)
        .unwrap()
        .replace(&other.server.url(), &cluster.server.url());
    let path = cluster.file("wrong-ca", &kubeconfig);
    let file = cluster.file("doc.json", &doc("apps", "2026-04-21T12:00:00Z"));
    let out = run(cluster
        .statusctl()
        .arg("push")
        .arg("--kubeconfig")
        .arg(&path)
        .arg(&file));
    settings().bind(|| insta::assert_snapshot!("error_tls", out.transcript()));
    assert_eq!(out.code, 7);
    assert!(cluster.server.requests().is_empty());
}

#[test]
fn an_unreachable_server_is_exit_7_after_retries() {
    let cluster = cluster();
    let kubeconfig = std::fs::read_to_string(&cluster.kubeconfig).unwrap();
    // A port nothing listens on: bind one, note it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let path = cluster.file(
        "closed",
        &kubeconfig.replace(&cluster.server.url(), &format!("https://127.0.0.1:{port}")),
    );
    let file = cluster.file("doc.json", &doc("apps", "2026-04-21T12:00:00Z"));
    let out = run(cluster
        .statusctl()
        .arg("push")
        .arg("--kubeconfig")
        .arg(&path)
        .arg(&file));
    assert_eq!(out.code, 7, "{}", out.stderr);
    assert_eq!(
        out.stderr.matches("retrying in").count(),
        5,
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("cannot reach the API server at https://127.0.0.1:"),
        "{}",
        out.stderr
    );
    // A short --timeout ends it sooner, with its own message.
    let out = run(cluster
        .statusctl()
        .args(["push", "--timeout", "1s"])
        .arg("--kubeconfig")
        .arg(&path)
        .arg(&file));
    assert_eq!(out.code, 7, "{}", out.stderr);
    assert!(
        out.stderr.contains("gave up after --timeout 1s"),
        "{}",
        out.stderr
    );
}

#[test]
fn no_configuration_at_all_is_exit_2() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("doc.json");
    std::fs::write(&file, doc("apps", "2026-04-21T12:00:00Z")).unwrap();
    let out = run(statusctl_in(home.path()).arg("push").arg(&file));
    settings().bind(|| insta::assert_snapshot!("error_no_configuration", out.transcript()));
    assert_eq!(out.code, 2);
}

#[test]
fn the_token_is_never_printed() {
    let cluster = cluster();
    let kubeconfig = cluster.kubeconfig_for(SECRET);
    let file = cluster.file("doc.json", &doc("apps", "2026-04-21T12:00:00Z"));
    let big: String = format!("{{\"repo\":\"{}\"}}", "x".repeat(10));
    let bad = cluster.file("bad.json", &big);
    let mut outputs = Vec::new();
    // Forbidden (403), dry run (also forbidden for this user, then allowed for admin below),
    // invalid document, bad key, a wrong namespace.
    for args in [
        vec!["push"],
        vec!["push", "--dry-run"],
        vec!["push", "--namespace", "nope"],
        vec!["push", "--key", "bad key"],
    ] {
        outputs.push(run(cluster
            .statusctl()
            .args(&args)
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .arg(&file)));
    }
    outputs.push(run(cluster
        .statusctl()
        .arg("push")
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .arg(&bad)));
    // The admin kubeconfig's token must not show either, in a successful dry run.
    outputs.push(run(cluster
        .statusctl()
        .args(["push", "--dry-run"])
        .arg(&file)));
    // And an unreachable server with the secret token.
    let closed = cluster.file(
        "closed",
        &std::fs::read_to_string(&kubeconfig)
            .unwrap()
            .replace(&cluster.server.url(), "https://127.0.0.1:1"),
    );
    outputs.push(run(cluster
        .statusctl()
        .args(["push", "--timeout", "1s"])
        .arg("--kubeconfig")
        .arg(&closed)
        .arg(&file)));
    let codes: Vec<i32> = outputs.iter().map(|o| o.code).collect();
    assert_eq!(codes, [5, 5, 5, 2, 1, 0, 7], "{outputs:#?}");
    for out in &outputs {
        for secret in [SECRET, fake_apiserver::ADMIN_TOKEN] {
            assert!(
                !out.stdout.contains(secret) && !out.stderr.contains(secret),
                "token printed: {out:#?}"
            );
        }
    }
}
