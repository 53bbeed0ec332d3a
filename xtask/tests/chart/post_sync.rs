//! The PostSync Job end to end, without a cluster: the real statusctl runs the rendered Job's
//! two containers (collect the Argo CD Application into the shared emptyDir, then push it),
//! against the fake API server with exactly the permissions of the chart's two Roles for the
//! push ServiceAccount: the push Role in the release namespace, and the collect Role in Argo
//! CD's. That checks the Job's flags against the real CLI, and the RBAC claims of the chart:
//! `get` on the one Application is enough to collect it, and get, create and patch limited to
//! `resourceNames: [<fullname>-live]` are enough for `statusctl push` to create and then update
//! the live ConfigMap; no other Application and no other ConfigMap is reachable. The document
//! pushed is the Application's real status, as status-core maps it.
//!
//! The one substitution: in the cluster, the Job authenticates with the pod's service account
//! token (in-cluster config); here it gets a kubeconfig with a token of the same user.

use std::path::Path;
use std::process::{Command, Output};

use fake_apiserver::{Config, FakeApiServer, Rule};
use serde_json::json;
use serde_yaml::Value;

use crate::cases::ALL_FEATURES;
use crate::support::{Install, argv, find, of_kind, render, root, str_of, workspace_binary};

const NAMESPACE: &str = "monitoring";
/// Argo CD's namespace, as ALL_FEATURES leaves it (the default).
const ARGOCD: &str = "argocd";
const PUSH_TOKEN: &str = "push-sa-token";

/// Runs a container's argv with the real statusctl, `/shared` re-rooted to `shared`.
fn run_container(statusctl: &Path, container: &Value, shared: &Path, extra: &[&str]) -> Output {
    let argv = argv(container);
    assert_eq!(argv[0], "/statusctl", "the Job runs statusctl");
    let args: Vec<String> = argv[1..]
        .iter()
        .map(|a| a.replacen("/shared", &shared.to_string_lossy(), 1))
        .collect();
    Command::new(statusctl)
        .args(&args)
        .args(extra)
        .env_clear()
        .output()
        .expect("run statusctl")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A Role's rules as the fake API server's rules, scoped to the Role's namespace (where its
/// RoleBinding is).
fn rules_of(role: &Value) -> Vec<Rule> {
    let strings = |v: &Value| -> Vec<String> {
        v.as_sequence()
            .into_iter()
            .flatten()
            .map(|s| str_of(s, "rule item").to_owned())
            .collect()
    };
    let namespace = str_of(&role["metadata"]["namespace"], "Role namespace");
    role["rules"]
        .as_sequence()
        .expect("rules")
        .iter()
        .map(|r| Rule {
            api_groups: strings(&r["apiGroups"]),
            resources: strings(&r["resources"]),
            verbs: strings(&r["verbs"]),
            resource_names: strings(&r["resourceNames"]),
            namespaces: vec![namespace.to_owned()],
        })
        .collect()
}

/// The Role bound to `account` (of the release namespace) by the RoleBinding `binding`.
fn role_bound_to<'a>(docs: &'a [Value], binding: &str, account: &str) -> &'a Value {
    let binding = find(docs, "RoleBinding", binding);
    assert!(
        binding["subjects"]
            .as_sequence()
            .expect("subjects")
            .iter()
            .any(|s| s["kind"] == "ServiceAccount"
                && s["name"] == account
                && s["namespace"] == NAMESPACE),
        "the Job's ServiceAccount {account} is not bound by {binding:?}"
    );
    let role = find(docs, "Role", str_of(&binding["roleRef"]["name"], "roleRef"));
    assert_eq!(
        role["metadata"]["namespace"], binding["metadata"]["namespace"],
        "a RoleBinding grants a Role of its own namespace"
    );
    role
}

/// An Application as Argo CD's controller writes it, from status-core's fixture: out of sync,
/// three resources drifted.
fn application(name: &str) -> serde_json::Value {
    let path = root().join("status-core/tests/fixtures/argocd/out-of-sync.json");
    let text = std::fs::read_to_string(path).expect("fixture");
    let mut app: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    app["metadata"] = json!({"name": name, "namespace": ARGOCD});
    app
}

/// What status-core maps the stored Application `name` to: the document collect must print.
fn mapped(api: &FakeApiServer, name: &str) -> String {
    let stored = api
        .object("applications.argoproj.io", Some(ARGOCD), name)
        .expect("the Application");
    status_core::argocd::from_value(&stored, status_core::chrono::Utc::now())
        .expect("it maps")
        .to_json_pretty()
}

#[test]
fn post_sync_job_collects_and_pushes_with_the_charts_roles_only() {
    let statusctl = workspace_binary("statusctl");
    let docs = render(&Install {
        release: "gitops-status",
        namespace: NAMESPACE,
        values: ALL_FEATURES,
    });
    let job = &of_kind(&docs, "Job")[0];
    let spec = &job["spec"]["template"]["spec"];
    let account = str_of(&spec["serviceAccountName"], "serviceAccountName");
    let push_role = role_bound_to(&docs, "gitops-status-server-push", account);
    let collect_role = role_bound_to(&docs, "gitops-status-server-monitoring-collect", account);
    assert_eq!(collect_role["metadata"]["namespace"], ARGOCD);
    let rules: Vec<Rule> = rules_of(push_role)
        .into_iter()
        .chain(rules_of(collect_role))
        .collect();

    let api = FakeApiServer::start(Config::default().user(
        &format!("system:serviceaccount:{NAMESPACE}:{account}"),
        PUSH_TOKEN,
        rules,
    ))
    .expect("fake API server");
    // Argo CD's controller has written the Application (ALL_FEATURES names it), and another.
    for name in ["storefront", "someone-elses"] {
        api.apply(
            "applications.argoproj.io",
            application(name),
            "argocd-controller",
        )
        .expect("write the Application");
    }
    let shared = tempfile::tempdir().expect("emptyDir");
    let kubeconfig = shared.path().join("kubeconfig");
    api.write_kubeconfig(&kubeconfig, PUSH_TOKEN, NAMESPACE)
        .expect("kubeconfig");
    let kubeconfig_flag = ["--kubeconfig", kubeconfig.to_str().expect("utf-8")];
    let collect = &spec["initContainers"][0];
    let push = &spec["containers"][0];

    // 1. initContainer: statusctl collect argocd into the emptyDir.
    let out = run_container(&statusctl, collect, shared.path(), &kubeconfig_flag);
    assert!(out.status.success(), "collect failed:\n{}", text(&out));
    let collected = std::fs::read_to_string(shared.path().join("status.json")).expect("collected");
    assert_eq!(collected, mapped(&api, "storefront"));
    // What Argo CD observed, not a fixed "Synced".
    let doc: serde_json::Value = serde_json::from_str(&collected).expect("JSON");
    assert_eq!(doc["app"], "storefront");
    assert_eq!(doc["sync_status"], "OUT_OF_SYNC");
    assert_eq!(doc["health_status"], "Progressing");
    assert_eq!(
        doc["files"],
        json!([
            "/ConfigMap/storefront/storefront-config",
            "apps/Deployment/storefront/storefront",
            "/Secret/storefront/storefront-legacy"
        ])
    );
    assert_eq!(doc["drift_count"], 3);

    // 2. container: statusctl push, creating the live ConfigMap.
    let out = run_container(&statusctl, push, shared.path(), &kubeconfig_flag);
    assert!(
        out.status.success(),
        "first push (creates the ConfigMap) failed:\n{}",
        text(&out)
    );
    let live = |api: &FakeApiServer| {
        api.configmap(NAMESPACE, "gitops-status-server-live")
            .expect("the live ConfigMap exists")["data"]["status.json"]
            .as_str()
            .map(str::to_owned)
    };
    assert_eq!(live(&api), Some(collected));

    // The next sync: Argo CD synced everything; collect and push again (an update).
    let mut synced = application("storefront");
    synced["status"]["reconciledAt"] = json!("2026-04-21T13:00:00Z");
    synced["status"]["sync"]["status"] = json!("Synced");
    for resource in synced["status"]["resources"]
        .as_array_mut()
        .expect("resources")
    {
        resource["status"] = json!("Synced");
    }
    api.apply("applications.argoproj.io", synced, "argocd-controller")
        .expect("write the Application");
    let out = run_container(&statusctl, collect, shared.path(), &kubeconfig_flag);
    assert!(
        out.status.success(),
        "second collect failed:\n{}",
        text(&out)
    );
    let out = run_container(&statusctl, push, shared.path(), &kubeconfig_flag);
    assert!(out.status.success(), "second push failed:\n{}", text(&out));
    let pushed = live(&api).expect("status.json");
    assert_eq!(pushed, mapped(&api, "storefront"));
    assert!(pushed.contains("\"sync_status\": \"SYNCED\""), "{pushed}");

    // The same identity cannot read another Application...
    let out = Command::new(&statusctl)
        .args([
            "collect",
            "argocd",
            "--app",
            "someone-elses",
            "--namespace",
            ARGOCD,
        ])
        .args(kubeconfig_flag)
        .env_clear()
        .output()
        .expect("run statusctl");
    assert_eq!(out.status.code(), Some(5), "not refused:\n{}", text(&out));
    assert!(
        text(&out).contains("get applications.argoproj.io \"someone-elses\""),
        "{}",
        text(&out)
    );
    // ...nor write the Helm-owned ConfigMap, or any other.
    for other in ["gitops-status-server", "kube-root-ca.crt", "anything-else"] {
        let out = Command::new(&statusctl)
            .args(["push"])
            .arg(shared.path().join("status.json"))
            .args(["--configmap", other, "--namespace", NAMESPACE])
            .args(kubeconfig_flag)
            .env_clear()
            .output()
            .expect("run statusctl");
        assert_eq!(
            out.status.code(),
            Some(5),
            "pushing to {other} was not refused:\n{}",
            text(&out)
        );
        assert!(api.configmap(NAMESPACE, other).is_none());
    }
    assert!(
        api.requests().iter().any(|r| r.status == 403),
        "the fake API server never refused anything"
    );
}
