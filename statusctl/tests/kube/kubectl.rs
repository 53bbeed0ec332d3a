//! `statusctl push` and the official kubectl on the same ConfigMap: kubectl sees what statusctl
//! pushed and its owner, statusctl names kubectl's field manager in a conflict, and where the
//! seed's `kubectl create --dry-run | kubectl apply` idiom loses another pipeline's key
//! (`the_seeds_idiom_loses_the_other_pipelines_key` in fake-apiserver's tests) two pushes keep
//! both. The tests of the fake with kubectl alone are fake-apiserver's own (`tests/api/kubectl.rs`).

use serde_json::Value;

use crate::support::{Cluster, LIVE, doc, run};

/// `kubectl create configmap LIVE --from-file=KEY=FILE --dry-run=client -o yaml`.
fn create_manifest(cluster: &Cluster, key: &str, file: &std::path::Path) -> String {
    let out = run(cluster
        .kubectl()
        .args(["create", "configmap", LIVE])
        .arg(format!("--from-file={key}={}", file.display()))
        .args(["--dry-run=client", "-o", "yaml"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.stdout
}

fn kubectl_get_data(cluster: &Cluster) -> Value {
    let out = run(cluster
        .kubectl()
        .args(["get", "configmap", LIVE, "-o", "json"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let cm: Value = serde_json::from_str(&out.stdout).expect("kubectl prints JSON");
    cm["data"].clone()
}

#[test]
fn a_push_conflicts_with_the_key_kubectls_apply_owns() {
    let cluster = Cluster::start();
    let file = cluster.file("status.json", &doc("apps", "2026-04-21T12:00:00Z"));
    let manifest = create_manifest(&cluster, "status.json", &file);
    let out = run(cluster
        .kubectl()
        .args(["apply", "--server-side", "-f", "-"])
        .write_stdin(manifest));
    assert_eq!(out.code, 0, "{}", out.stderr);
    // kubectl's field manager owns the key, so statusctl's push is a conflict naming it.
    let newer = cluster.file("newer.json", &doc("apps", "2026-04-21T12:01:00Z"));
    let push = run(cluster.statusctl().arg("push").arg(&newer));
    assert_eq!(push.code, 4, "{}", push.stderr);
    assert!(
        push.stderr.contains("field manager \"kubectl\""),
        "{}",
        push.stderr
    );
    assert_eq!(
        kubectl_get_data(&cluster)["status.json"],
        doc("apps", "2026-04-21T12:00:00Z")
    );
}

#[test]
fn kubectl_sees_what_statusctl_pushed_and_its_owner() {
    let cluster = Cluster::start();
    let file = cluster.file("doc.json", &doc("apps", "2026-04-21T12:00:00Z"));
    assert_eq!(run(cluster.statusctl().arg("push").arg(&file)).code, 0);
    let out = run(cluster.kubectl().args([
        "get",
        "configmap",
        LIVE,
        "-o",
        "json",
        "--show-managed-fields",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let cm: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        cm["data"]["status.json"],
        doc("apps", "2026-04-21T12:00:00Z")
    );
    assert_eq!(
        cm["metadata"]["managedFields"][0]["manager"],
        "statusctl:status.json"
    );
    assert_eq!(cm["metadata"]["managedFields"][0]["operation"], "Apply");
}

#[test]
fn two_statusctl_pipelines_keep_both_keys_where_the_seed_lost_one() {
    let cluster = Cluster::start();
    for (key, repo) in [("a.json", "pipeline-a"), ("b.json", "pipeline-b")] {
        let file = cluster.file(key, &doc(repo, "2026-04-21T12:00:00Z"));
        let out = run(cluster.statusctl().args(["push", "--key", key]).arg(&file));
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    let data = kubectl_get_data(&cluster);
    assert_eq!(data["a.json"], doc("pipeline-a", "2026-04-21T12:00:00Z"));
    assert_eq!(data["b.json"], doc("pipeline-b", "2026-04-21T12:00:00Z"));
    // A seed-style client-side apply of a third key afterwards: the ConfigMap carries no
    // last-applied annotation to diff against, so kubectl only adds (with a warning).
    let c = cluster.file("c.json", &doc("pipeline-c", "2026-04-21T12:00:00Z"));
    let manifest = create_manifest(&cluster, "c.json", &c);
    let out = run(cluster
        .kubectl()
        .args(["apply", "-f", "-"])
        .write_stdin(manifest));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let data = kubectl_get_data(&cluster);
    assert_eq!(data.as_object().unwrap().len(), 3, "{data}");
}
