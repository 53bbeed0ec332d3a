//! `statusctl collect argocd` against the fake API server: what it prints for Applications
//! (those of status-core's fixtures, stored as Argo CD's controller and kubectl store them),
//! `collect | push` end to end, and the exit code and advice when it cannot read one.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use chrono::Utc;
use fake_apiserver::{Config, Rule};
use serde_json::{Value, json};
use status_core::StatusDocument;

use crate::support::{Cluster, NS, run, settings, statusctl_in};

/// Argo CD's resource, as the fake's test controls name it.
const APPLICATIONS: &str = "applications.argoproj.io";

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../status-core/tests/fixtures/argocd")
        .join(format!("{name}.json"))
}

/// A fixture of status-core's, as an object to store: the metadata the API server sets
/// (resourceVersion, uid, managedFields, ...) left out.
fn fixture(name: &str) -> Value {
    let mut app: Value =
        serde_json::from_slice(&std::fs::read(fixture_path(name)).unwrap()).unwrap();
    let metadata = app["metadata"].as_object_mut().unwrap();
    metadata.retain(|k, _| matches!(k.as_str(), "name" | "namespace" | "labels" | "annotations"));
    app
}

/// Stores an Application as Argo CD's controller does (spec and status in one object: the CRD
/// has no status subresource).
fn store(cluster: &Cluster, app: Value) {
    cluster
        .server
        .apply(APPLICATIONS, app, "argocd-application-controller")
        .unwrap();
}

/// `statusctl collect argocd --app NAME` plus `extra`, with the admin kubeconfig.
fn collect(cluster: &Cluster, app: &str, extra: &[&str]) -> crate::process::Run {
    run(cluster
        .statusctl()
        .args(["collect", "argocd", "--app", app])
        .args(extra))
}

#[test]
fn each_fixture_is_printed_as_status_core_maps_it() {
    let cluster = Cluster::start();
    for name in [
        "single-source-synced",
        "out-of-sync",
        "cluster-scoped",
        "multi-source",
        "hooks",
        "comparison-error",
        "sync-failed",
        "no-reconciled-at",
        "destination-by-name",
        "source-hydrator",
    ] {
        let app = fixture(name);
        let app_name = app["metadata"]["name"].as_str().unwrap().to_owned();
        store(&cluster, app);
        let out = collect(&cluster, &app_name, &[]);
        assert_eq!(out.code, 0, "{name}: {}", out.stderr);
        assert_eq!(out.stderr, "", "{name}");
        // What the API server returned, mapped in-process, is what statusctl printed: these
        // Applications carry their own times, so the time of collection does not show.
        let stored = cluster
            .server
            .object(APPLICATIONS, Some("argocd"), &app_name)
            .unwrap();
        let expected = status_core::argocd::from_value(&stored, Utc::now()).unwrap();
        assert_eq!(out.stdout, expected.to_json_pretty(), "{name}");
    }
    let out = collect(&cluster, "storefront", &[]);
    settings().bind(|| insta::assert_snapshot!("collect_out_of_sync", out.transcript()));
}

#[test]
fn a_brand_new_application_is_unknown_as_of_now() {
    let cluster = Cluster::start();
    store(&cluster, fixture("brand-new"));
    let before = Utc::now() - chrono::Duration::seconds(1);
    let out = collect(&cluster, "search", &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc: StatusDocument = out.stdout.parse().unwrap();
    assert_eq!(doc.sync_status(), status_core::SyncStatus::Unknown);
    assert_eq!((doc.drift_count(), doc.app()), (0, Some("search")));
    assert!(doc.last_check() >= before && doc.last_check() <= Utc::now());
    assert_eq!(
        doc.last_check().timestamp_subsec_nanos(),
        0,
        "whole seconds"
    );
}

#[test]
fn an_application_kubectl_applied_is_collected() {
    let cluster = Cluster::start();
    let file = cluster.file("app.json", &fixture("single-source-synced").to_string());
    let out = run(cluster.kubectl().args(["apply", "-f"]).arg(&file));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = run(cluster
        .kubectl()
        .args(["get", "app", "guestbook", "-n", "argocd"]));
    assert!(out.stdout.contains("Synced"), "{}", out.stdout);
    let out = collect(&cluster, "guestbook", &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains(r#""sync_status": "SYNCED""#),
        "{}",
        out.stdout
    );
}

#[test]
fn collect_piped_into_push_serves_argo_cds_status() {
    let cluster = Cluster::start();
    store(&cluster, fixture("hooks"));
    // A real pipe between the two processes, as in the docs.
    let bin = assert_cmd::cargo::cargo_bin("statusctl");
    let mut collect = Command::new(&bin)
        .env_clear()
        .env("HOME", cluster.dir.path())
        .env("KUBECONFIG", &cluster.kubeconfig)
        .args(["collect", "argocd", "--app", "payments-api"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let push = Command::new(&bin)
        .env_clear()
        .env("HOME", cluster.dir.path())
        .env("KUBECONFIG", &cluster.kubeconfig)
        .args(["push", "-", "--key", "payments-api.json"])
        .stdin(collect.stdout.take().unwrap())
        .output()
        .unwrap();
    assert!(collect.wait().unwrap().success());
    assert!(
        push.status.success(),
        "{}",
        String::from_utf8_lossy(&push.stderr)
    );
    let stored = cluster.server.configmap(NS, crate::support::LIVE).unwrap();
    let doc: StatusDocument = stored["data"]["payments-api.json"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(doc.app(), Some("payments-api"));
    assert_eq!(
        doc.file_names().collect::<Vec<_>>(),
        ["apps/Deployment/payments/payments-api"],
        "the hooks are not drift"
    );
    // Collected again and pushed again: unchanged, and not refused (same last_check).
    let out = run(cluster
        .statusctl()
        .args(["push", "-", "--key", "payments-api.json"])
        .write_stdin(collect_stdout(&cluster, "payments-api")));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("unchanged"), "{}", out.stdout);
}

fn collect_stdout(cluster: &Cluster, app: &str) -> String {
    let out = collect(cluster, app, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.stdout
}

#[test]
fn the_output_flags_are_renders() {
    let cluster = Cluster::start();
    store(&cluster, fixture("out-of-sync"));
    let json = collect_stdout(&cluster, "storefront");
    let out = collect(
        &cluster,
        "storefront",
        &[
            "-o",
            "configmap",
            "--name",
            "fleet-status",
            "--key",
            "storefront.json",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let manifest: Value = serde_yaml::from_str(&out.stdout).unwrap();
    assert_eq!(
        manifest,
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "fleet-status"},
               "data": {"storefront.json": json}})
    );
    let path = cluster.dir.path().join("out/storefront.json");
    std::fs::create_dir(path.parent().unwrap()).unwrap();
    let out = collect(
        &cluster,
        "storefront",
        &["--output-file", path.to_str().unwrap()],
    );
    assert_eq!((out.code, out.stdout.as_str()), (0, ""), "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), json);
}

#[test]
fn a_missing_application_is_exit_6_naming_it_and_the_namespace() {
    let cluster = Cluster::start();
    store(&cluster, fixture("out-of-sync"));
    let out = collect(&cluster, "storefrnt", &[]);
    assert_eq!(out.code, 6, "{}", out.stderr);
    let other_namespace = collect(&cluster, "storefront", &["-n", "default"]);
    assert_eq!(other_namespace.code, 6, "{}", other_namespace.stderr);
    settings().bind(|| {
        insta::assert_snapshot!(
            "collect_404",
            format!("{}{}", out.transcript(), other_namespace.transcript())
        )
    });
}

#[test]
fn forbidden_is_exit_5_naming_the_role_rule_and_the_rule_is_enough() {
    let cluster = Cluster::with(
        Config::default()
            .user(
                "system:serviceaccount:monitoring:gitops-status-server-push",
                "collect-token",
                vec![
                    Rule::applications(["get"])
                        .names(["storefront"])
                        .in_namespaces(["argocd"]),
                ],
            )
            .user(
                "system:serviceaccount:ci:configmaps-only",
                "cm-token",
                vec![Rule::configmaps(["get", "create", "patch"])],
            ),
    );
    store(&cluster, fixture("out-of-sync"));
    store(&cluster, fixture("hooks"));
    let as_user = |token: &str, app: &str| {
        run(cluster
            .statusctl()
            .args(["collect", "argocd", "--app", app, "--kubeconfig"])
            .arg(cluster.kubeconfig_for(token)))
    };
    let out = as_user("cm-token", "storefront");
    assert_eq!(out.code, 5, "{}", out.stderr);
    settings().bind(|| insta::assert_snapshot!("collect_403", out.transcript()));
    // The rule the message prints is enough, and no more than that Application.
    assert_eq!(as_user("collect-token", "storefront").code, 0);
    let other = as_user("collect-token", "payments-api");
    assert_eq!(other.code, 5, "{}", other.stderr);
    assert!(
        other.stderr.contains(r#"resourceNames: ["payments-api"]"#),
        "{}",
        other.stderr
    );
}

#[test]
fn an_application_that_cannot_be_mapped_is_exit_1_naming_the_path() {
    let cluster = Cluster::start();
    let mut app = fixture("out-of-sync");
    app["spec"]["destination"] = json!({"namespace": "storefront"});
    store(&cluster, app);
    let out = collect(&cluster, "storefront", &["--output-file", "never.json"]);
    settings().bind(|| insta::assert_snapshot!("collect_unmappable", out.transcript()));
    assert_eq!(out.code, 1);
    assert!(!cluster.dir.path().join("never.json").exists());
}

#[test]
fn transient_answers_are_retried() {
    let cluster = Cluster::start();
    store(&cluster, fixture("out-of-sync"));
    cluster.server.fail_next([503, 429]);
    let out = collect(&cluster, "storefront", &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stderr.matches("retrying in").count(),
        2,
        "{}",
        out.stderr
    );
    cluster.server.fail_next([500; 5]);
    let out = collect(&cluster, "storefront", &[]);
    assert_eq!(out.code, 7, "{}", out.stderr);
    assert!(
        out.stderr.contains("gave up after 5 attempts"),
        "{}",
        out.stderr
    );
}

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
