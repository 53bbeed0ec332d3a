//! The official kubectl against the fake's watches, selectors and Argo CD Applications, and
//! nothing of ours: `kubectl get --watch` (a list, then a watch from its resourceVersion, as
//! tables), `-l`, `--field-selector`, `-A`, and `kubectl get applications` / `get app X -o
//! json` / `apply --server-side` of an Application, as on a cluster with Argo CD.

use std::process::Child;

use serde_json::{Value, json};

use crate::support::{Cluster, Lines, NS, eventually, run};

fn cm(namespace: &str, name: &str, labels: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "data": {"v": "1"}})
}

/// A running `kubectl get ... --watch`, and its output line by line.
struct Watching {
    child: Child,
    lines: Lines,
}

impl Watching {
    /// Starts kubectl and returns once its watch is open: kubectl prints what it read first,
    /// then watches (from the list's resourceVersion, or for one object from `0`, skipping the
    /// first event), so a change made in between would be missed, as on a real cluster.
    fn start(cluster: &Cluster, args: &[&str]) -> Self {
        let open = cluster.server.open_watches();
        let mut child = cluster
            .kubectl_process()
            .arg("get")
            .args(args)
            .args(["--watch", "--output-watch-events"])
            .spawn()
            .expect("kubectl starts");
        let stdout = child.stdout.take().expect("kubectl's output is piped");
        let watching = Self {
            child,
            lines: Lines::of(stdout),
        };
        eventually("kubectl watches", || cluster.server.open_watches() > open);
        watching
    }

    /// The next line's first `n` columns.
    fn columns(&self, n: usize) -> Vec<String> {
        let line = self.lines.next();
        line.split_whitespace().take(n).map(str::to_owned).collect()
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        // The kubectl this test started, and nothing else.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn kubectl_get_watch_prints_each_change_and_its_watch_ends_with_it() {
    let cluster = Cluster::start();
    let server = &cluster.server;
    server
        .create("configmaps", cm(NS, "first", json!({})), "test")
        .unwrap();
    let watching = Watching::start(&cluster, &["configmaps"]);
    assert_eq!(watching.columns(4), ["EVENT", "NAME", "DATA", "AGE"]);
    assert_eq!(watching.columns(3), ["ADDED", "first", "1"]);
    let out = run(cluster
        .kubectl()
        .args(["create", "configmap", "w", "--from-literal=a=1"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(watching.columns(3), ["ADDED", "w", "1"]);
    let out =
        run(cluster
            .kubectl()
            .args(["patch", "configmap", "w", "-p", r#"{"data":{"b":"2"}}"#]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(watching.columns(3), ["MODIFIED", "w", "2"]);
    let out = run(cluster.kubectl().args(["delete", "configmap", "w"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(watching.columns(3), ["DELETED", "w", "2"]);
    // kubectl listed, then watched from the list's resourceVersion (no second ADDED first).
    let watch = server
        .requests()
        .into_iter()
        .find(|r| r.query.contains("watch=true"))
        .expect("kubectl watched");
    assert!(watch.query.contains("resourceVersion="), "{}", watch.query);
    assert_eq!(server.open_watches(), 1);
    drop(watching);
    eventually("kubectl's watch closed", || server.open_watches() == 0);
}

#[test]
fn kubectl_get_one_object_watches_it_by_field_selector() {
    let cluster = Cluster::start();
    let server = &cluster.server;
    for name in ["a", "b"] {
        server
            .create("configmaps", cm(NS, name, json!({})), "test")
            .unwrap();
    }
    let watching = Watching::start(&cluster, &["configmap", "a"]);
    assert_eq!(watching.columns(1), ["EVENT"]);
    assert_eq!(watching.columns(2), ["ADDED", "a"]);
    for name in ["b", "a"] {
        server
            .apply(
                "configmaps",
                cm(NS, name, json!({"touched": "yes"})),
                "test",
            )
            .unwrap();
    }
    assert_eq!(watching.columns(2), ["MODIFIED", "a"]);
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.query.contains("watch=true")
                && r.query.contains("fieldSelector=metadata.name%3Da")),
        "{:?}",
        server.requests()
    );
}

#[test]
fn kubectl_selects_by_label_and_field_and_across_namespaces() {
    let cluster = Cluster::start();
    let server = &cluster.server;
    server
        .create("configmaps", cm(NS, "web", json!({"team": "web"})), "test")
        .unwrap();
    server
        .create("configmaps", cm(NS, "db", json!({"team": "db"})), "test")
        .unwrap();
    server
        .create(
            "configmaps",
            cm("default", "other-web", json!({"team": "web"})),
            "test",
        )
        .unwrap();
    let names = |args: &[&str]| -> String {
        let out = run(cluster.kubectl().arg("get").args(args).args(["-o", "name"]));
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        out.stdout
    };
    assert_eq!(names(&["cm", "-l", "team=web"]), "configmap/web\n");
    assert_eq!(
        names(&["cm", "-l", "team in (web,db)"]),
        "configmap/db\nconfigmap/web\n"
    );
    assert_eq!(names(&["cm", "-l", "team!=web"]), "configmap/db\n");
    assert_eq!(names(&["cm", "-l", "!team"]), "");
    assert_eq!(
        names(&["cm", "--field-selector", "metadata.name=db"]),
        "configmap/db\n"
    );
    assert_eq!(
        names(&["cm", "-A", "-l", "team=web"]),
        "configmap/other-web\nconfigmap/web\n"
    );
    let out = run(cluster.kubectl().args([
        "get",
        "cm",
        "-A",
        "-l",
        "team=web",
        "--no-headers",
        "-o",
        "custom-columns=NS:.metadata.namespace,NAME:.metadata.name",
    ]));
    let rows: Vec<Vec<&str>> = out
        .stdout
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows, [["default", "other-web"], ["monitoring", "web"]]);
    let out = run(cluster
        .kubectl()
        .args(["get", "cm", "--field-selector", "data.v=1"]));
    assert_ne!(out.code, 0);
    assert!(
        out.stderr.contains("field label not supported: data.v"),
        "{}",
        out.stderr
    );
    // A watch across namespaces, by label.
    let watching = Watching::start(&cluster, &["cm", "-A", "-l", "team=web"]);
    assert_eq!(watching.columns(3), ["EVENT", "NAMESPACE", "NAME"]);
    assert_eq!(watching.columns(3), ["ADDED", "default", "other-web"]);
    assert_eq!(watching.columns(3), ["ADDED", NS, "web"]);
    server
        .create(
            "configmaps",
            cm("kube-system", "late-web", json!({"team": "web"})),
            "test",
        )
        .unwrap();
    server
        .create(
            "configmaps",
            cm("kube-system", "late-db", json!({"team": "db"})),
            "test",
        )
        .unwrap();
    assert_eq!(watching.columns(3), ["ADDED", "kube-system", "late-web"]);
}

const APP: &str = "\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: guestbook
  namespace: argocd
  labels:
    team: web
spec:
  project: default
  source:
    repoURL: https://github.com/argoproj/argocd-example-apps.git
    targetRevision: HEAD
    path: guestbook
  destination:
    server: https://kubernetes.default.svc
    namespace: guestbook
";

fn status(sync: &str, health: &str) -> Value {
    json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": {"name": "guestbook", "namespace": "argocd"},
        "status": {"sync": {"status": sync, "revision": "53e28ff"}, "health": {"status": health}}})
}

#[test]
fn kubectl_serves_argo_cd_applications() {
    let cluster = Cluster::start();
    let server = &cluster.server;
    let manifest = cluster.file("app.yaml", APP);
    let out = run(cluster
        .kubectl()
        .args(["apply", "--server-side", "-f"])
        .arg(&manifest));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        "application.argoproj.io/guestbook serverside-applied\n"
    );
    // Argo CD's controller writes the status.
    server
        .apply(
            "applications.argoproj.io",
            status("Synced", "Healthy"),
            "argocd-application-controller",
        )
        .unwrap();

    let out = run(cluster
        .kubectl()
        .args(["get", "applications", "-n", "argocd"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let rows: Vec<Vec<&str>> = out
        .stdout
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows,
        [
            vec!["NAME", "SYNC", "STATUS", "HEALTH", "STATUS"],
            vec!["guestbook", "Synced", "Healthy"]
        ]
    );
    let out =
        run(cluster
            .kubectl()
            .args(["get", "app", "guestbook", "-n", "argocd", "-o", "json"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let app: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(app["apiVersion"], "argoproj.io/v1alpha1");
    assert_eq!(app["kind"], "Application");
    assert_eq!(app["spec"]["destination"]["namespace"], "guestbook");
    assert_eq!(app["status"]["sync"]["status"], "Synced");
    // No status subresource, as in Argo CD's CRD: the controller's status write counted.
    assert_eq!(app["metadata"]["generation"], 2);
    let out = run(cluster.kubectl().args(["get", "apps", "-A", "-o", "wide"]));
    assert!(
        out.stdout.starts_with(
            "NAMESPACE   NAME        SYNC STATUS   HEALTH STATUS   REVISION   PROJECT\n"
        ),
        "{}",
        out.stdout
    );
    let out = run(cluster
        .kubectl()
        .args(["get", "app", "-n", "argocd", "-l", "team=web", "-o", "name"]));
    assert_eq!(out.stdout, "application.argoproj.io/guestbook\n");
    let out =
        run(cluster
            .kubectl()
            .args(["api-resources", "--api-group=argoproj.io", "--no-headers"]));
    let columns: Vec<&str> = out.stdout.split_whitespace().collect();
    assert_eq!(
        columns,
        [
            "applications",
            "app,apps",
            "argoproj.io/v1alpha1",
            "true",
            "Application"
        ]
    );

    // Watched as any resource is.
    let watching = Watching::start(&cluster, &["application", "guestbook", "-n", "argocd"]);
    assert_eq!(
        watching.columns(5),
        ["EVENT", "NAME", "SYNC", "STATUS", "HEALTH"]
    );
    assert_eq!(
        watching.columns(4),
        ["ADDED", "guestbook", "Synced", "Healthy"]
    );
    server
        .apply(
            "applications.argoproj.io",
            status("OutOfSync", "Degraded"),
            "argocd-application-controller",
        )
        .unwrap();
    assert_eq!(
        watching.columns(4),
        ["MODIFIED", "guestbook", "OutOfSync", "Degraded"]
    );

    // The CRD's required fields, reported as kubectl reports a 422's causes.
    let bad = cluster.file(
        "bad.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: bad\n  namespace: argocd\nspec:\n  source:\n    repoURL: https://example.com/repo.git\n",
    );
    let out = run(cluster
        .kubectl()
        .args(["apply", "--server-side", "-f"])
        .arg(&bad));
    assert_ne!(out.code, 0);
    for expected in [
        "The Application \"bad\" is invalid",
        "spec.destination: Required value",
        "spec.project: Required value",
    ] {
        assert!(out.stderr.contains(expected), "{expected}: {}", out.stderr);
    }
    let out = run(cluster
        .kubectl()
        .args(["delete", "app", "guestbook", "-n", "argocd"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(watching.columns(2), ["DELETED", "guestbook"]);
}
