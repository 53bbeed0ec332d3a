//! The official kubectl against the fake API server, and nothing of ours: that kubectl works at
//! all, and gives what a real cluster gives (server-side apply and its conflicts, client-side
//! apply, typed commands sending protobuf, replace with a stale resourceVersion, label,
//! annotate, delete, tables, error messages), is how we know the fake is honest. (Moved from
//! statusctl's `kube` tests, where the tests that need statusctl too stayed.)

use serde_json::Value;

use crate::support::{Cluster, LIVE, NS, doc, run};

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
fn kubectl_server_side_apply_and_get_work() {
    let cluster = Cluster::start();
    let file = cluster.file("status.json", &doc("apps", "2026-04-21T12:00:00Z"));
    let manifest = create_manifest(&cluster, "status.json", &file);
    let out = run(cluster
        .kubectl()
        .args(["apply", "--server-side", "-f", "-"])
        .write_stdin(manifest));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, format!("configmap/{LIVE} serverside-applied\n"));
    assert_eq!(
        kubectl_get_data(&cluster)["status.json"],
        doc("apps", "2026-04-21T12:00:00Z")
    );
    // kubectl's field manager owns the key, so another manager's apply of a new value is a
    // conflict naming it (statusctl's `kube` tests show `statusctl push` meeting the same one),
    // until it forces.
    let newer = cluster.file("newer.json", &doc("apps", "2026-04-21T12:01:00Z"));
    let manifest = create_manifest(&cluster, "status.json", &newer);
    let apply_as_other = |force: bool| {
        let mut cmd = cluster.kubectl();
        cmd.args(["apply", "--server-side", "--field-manager=other", "-f", "-"]);
        if force {
            cmd.arg("--force-conflicts");
        }
        run(cmd.write_stdin(manifest.clone()))
    };
    let out = apply_as_other(false);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("conflict with \"kubectl\" using v1: .data.status.json"),
        "{}",
        out.stderr
    );
    let out = apply_as_other(true);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let stored = cluster.server.configmap(NS, LIVE).unwrap();
    assert_eq!(
        stored["data"]["status.json"],
        doc("apps", "2026-04-21T12:01:00Z")
    );
    assert_eq!(stored["metadata"]["managedFields"][0]["manager"], "other");
    // The table `kubectl get` prints.
    let out = run(cluster.kubectl().args(["get", "configmaps"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.starts_with("NAME") && out.stdout.contains(LIVE),
        "{}",
        out.stdout
    );
}

#[test]
fn the_seeds_idiom_loses_the_other_pipelines_key() {
    let cluster = Cluster::start();
    let a = cluster.file("a.json", &doc("pipeline-a", "2026-04-21T12:00:00Z"));
    let b = cluster.file("b.json", &doc("pipeline-b", "2026-04-21T12:00:00Z"));
    // Pipeline A, then pipeline B, each with the seed's client-side apply.
    for (key, file, verb) in [("a.json", &a, "created"), ("b.json", &b, "configured")] {
        let manifest = create_manifest(&cluster, key, file);
        let out = run(cluster
            .kubectl()
            .args(["apply", "-f", "-"])
            .write_stdin(manifest));
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(out.stdout, format!("configmap/{LIVE} {verb}\n"));
    }
    // Client-side apply computed "delete a.json" from its last-applied annotation: A is gone.
    // (statusctl's `kube` tests show two `statusctl push`es keeping both keys.)
    let data = kubectl_get_data(&cluster);
    let keys: Vec<&String> = data.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["b.json"], "{data}");
    let patches: Vec<String> = cluster
        .server
        .requests()
        .iter()
        .filter(|r| r.method == "PATCH")
        .map(|r| r.content_type.clone())
        .collect();
    assert_eq!(patches, ["application/strategic-merge-patch+json"]);
}

#[test]
fn kubectl_create_replace_label_and_errors_work() {
    let cluster = Cluster::start();
    // `kubectl create configmap` without --dry-run sends protobuf.
    let out = run(cluster.kubectl().args([
        "create",
        "configmap",
        "made-by-kubectl",
        "--from-literal=a=1",
        "--from-literal=b.json={\"x\":1}",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let stored = cluster
        .server
        .configmap("monitoring", "made-by-kubectl")
        .unwrap();
    assert_eq!(stored["data"]["b.json"], "{\"x\":1}");
    assert_eq!(
        stored["metadata"]["managedFields"][0]["manager"],
        "kubectl-create"
    );
    // Errors read as on a real cluster.
    let out = run(cluster.kubectl().args([
        "create",
        "configmap",
        "made-by-kubectl",
        "--from-literal=a=1",
    ]));
    assert_eq!(
        out.stderr,
        "error: failed to create configmap: configmaps \"made-by-kubectl\" already exists\n"
    );
    let out = run(cluster.kubectl().args([
        "create",
        "configmap",
        "x",
        "--from-literal=a=1",
        "-n",
        "nope",
    ]));
    assert_eq!(
        out.stderr,
        "error: failed to create configmap: namespaces \"nope\" not found\n"
    );
    // Replace (PUT with the resourceVersion read), label and annotate (patches).
    let yaml = run(cluster
        .kubectl()
        .args(["get", "configmap", "made-by-kubectl", "-o", "yaml"]))
    .stdout;
    let path = cluster.file("cm.yaml", &yaml.replace("a: \"1\"", "a: \"2\""));
    let out = run(cluster.kubectl().arg("replace").arg("-f").arg(&path));
    assert_eq!(
        out.stdout, "configmap/made-by-kubectl replaced\n",
        "{}",
        out.stderr
    );
    // The same file again carries a stale resourceVersion: 409.
    let out = run(cluster.kubectl().arg("replace").arg("-f").arg(&path));
    assert_ne!(out.code, 0);
    assert!(
        out.stderr.contains("the object has been modified"),
        "{}",
        out.stderr
    );
    for args in [["label", "team=ci"], ["annotate", "note=hi"]] {
        let out = run(cluster
            .kubectl()
            .args([args[0], "configmap", "made-by-kubectl", args[1]]));
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    let stored = cluster
        .server
        .configmap("monitoring", "made-by-kubectl")
        .unwrap();
    assert_eq!(stored["data"]["a"], "2");
    assert_eq!(stored["metadata"]["labels"]["team"], "ci");
    assert_eq!(stored["metadata"]["annotations"]["note"], "hi");
    let out = run(cluster
        .kubectl()
        .args(["delete", "configmap", "made-by-kubectl"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        cluster
            .server
            .configmap("monitoring", "made-by-kubectl")
            .is_none()
    );
}
