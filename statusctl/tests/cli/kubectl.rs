//! `render -o configmap` makes the same object as the official kubectl's
//! `kubectl create configmap NAME --from-file=KEY=FILE --dry-run=client -o yaml`.

use std::process::Command;

use fake_apiserver::tools::kubectl;

use crate::support::{run, statusctl};

/// Renders with `flags`, then makes the ConfigMap both ways and compares the parsed objects.
fn assert_same_as_kubectl(flags: &[&str], name: &str, namespace: Option<&str>, key: &str) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    let json = run(statusctl(d)
        .args(flags)
        .args(["--output-file", "status.json"]));
    assert_eq!(json.code, 0, "{}", json.transcript());
    let mut ours = vec!["-o", "configmap", "--name", name, "--key", key];
    if let Some(ns) = namespace {
        ours.extend(["--namespace", ns]);
    }
    let ours = run(statusctl(d).args(flags).args(&ours));
    assert_eq!(ours.code, 0, "{}", ours.transcript());

    // An empty kubeconfig and HOME: --dry-run=client needs no cluster, and must not read ~/.kube.
    std::fs::write(d.join("kubeconfig"), "").unwrap();
    let mut theirs = Command::new(kubectl());
    theirs
        .env_clear()
        .env("HOME", d)
        .env("KUBECONFIG", d.join("kubeconfig"))
        .current_dir(d)
        .args([
            "create",
            "configmap",
            name,
            &format!("--from-file={key}=status.json"),
        ])
        .args(["--dry-run=client", "-o", "yaml"]);
    if let Some(ns) = namespace {
        theirs.args(["--namespace", ns]);
    }
    let theirs = theirs.output().unwrap();
    assert!(
        theirs.status.success(),
        "kubectl failed: {}",
        String::from_utf8_lossy(&theirs.stderr)
    );
    let theirs = String::from_utf8(theirs.stdout).unwrap();

    let a: serde_yaml::Value = serde_yaml::from_str(&ours.stdout).unwrap();
    let b: serde_yaml::Value = serde_yaml::from_str(&theirs).unwrap();
    assert_eq!(a, b, "statusctl:\n{}\nkubectl:\n{theirs}", ours.stdout);
    // The same text, too (key order, block style), so a diff of the two is empty.
    assert_eq!(ours.stdout, theirs);
}

#[test]
fn configmap_without_namespace_equals_kubectls() {
    assert_same_as_kubectl(
        &[
            "render",
            "--repo=production-apps",
            "--server=prod-cluster-01",
            "--sync-status=Synced",
            "--last-check=2026-04-21T12:30:00Z",
        ],
        "gitops-status-server-live",
        None,
        "status.json",
    );
}

#[test]
fn configmap_with_namespace_unicode_and_a_multi_line_message_equals_kubectls() {
    assert_same_as_kubectl(
        &[
            "render",
            "--repo=https://git.example.com/platform/équipe.git",
            "--server=prod-cluster-01",
            "--sync-status=OutOfSync",
            "--file=apps/déploiement.yaml",
            "--file=apps/服务.yaml",
            "--message=Sync failed:\n  \"deployment\" is invalid: 50% of pods ✗\n\ttab, colon: # hash",
            "--environment=produktion",
            "--health-status=Degraded",
            "--revision=9f1c2e7",
            "--last-check=2026-04-21T14:30:00+02:00",
        ],
        "team-a-status",
        Some("argocd"),
        "team-a.json",
    );
}
