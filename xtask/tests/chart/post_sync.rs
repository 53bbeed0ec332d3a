//! The PostSync Job end to end, without a cluster: the real statusctl runs the rendered Job's
//! two containers (render into the shared emptyDir, then push), against the fake API server
//! with exactly the permissions of the chart's push Role. That checks the Job's flags against
//! the real CLI, and the RBAC claim of the chart: get, create and patch limited to
//! `resourceNames: [<fullname>-live]` are enough for `statusctl push` to create and then update
//! the live ConfigMap, and reach no other ConfigMap.
//!
//! The one substitution: in the cluster, push authenticates with the pod's service account
//! token (in-cluster config); here it gets a kubeconfig with a token of the same user.

use std::path::Path;
use std::process::{Command, Output};

use fake_apiserver::{Config, FakeApiServer, Rule};
use serde_yaml::Value;

use crate::cases::ALL_FEATURES;
use crate::support::{Install, argv, find, of_kind, render, str_of, workspace_binary};

const NAMESPACE: &str = "monitoring";
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

/// The push Role's rules as the fake API server's rules, scoped to the RoleBinding's namespace.
fn rules_of(role: &Value) -> Vec<Rule> {
    let strings = |v: &Value| -> Vec<String> {
        v.as_sequence()
            .into_iter()
            .flatten()
            .map(|s| str_of(s, "rule item").to_owned())
            .collect()
    };
    role["rules"]
        .as_sequence()
        .expect("rules")
        .iter()
        .map(|r| Rule {
            api_groups: strings(&r["apiGroups"]),
            resources: strings(&r["resources"]),
            verbs: strings(&r["verbs"]),
            resource_names: strings(&r["resourceNames"]),
            namespaces: vec![NAMESPACE.to_owned()],
        })
        .collect()
}

#[test]
fn post_sync_job_renders_and_pushes_with_the_push_role_only() {
    let statusctl = workspace_binary("statusctl");
    let docs = render(&Install {
        release: "gitops-status",
        namespace: NAMESPACE,
        values: ALL_FEATURES,
    });
    let job = &of_kind(&docs, "Job")[0];
    let spec = &job["spec"]["template"]["spec"];
    let service_account = str_of(&spec["serviceAccountName"], "serviceAccountName");
    let binding = find(&docs, "RoleBinding", "gitops-status-server-push");
    assert!(
        binding["subjects"]
            .as_sequence()
            .expect("subjects")
            .iter()
            .any(|s| s["kind"] == "ServiceAccount" && s["name"] == service_account),
        "the Job's ServiceAccount {service_account} is not bound to the push Role"
    );
    let role = find(
        &docs,
        "Role",
        str_of(&binding["roleRef"]["name"], "roleRef"),
    );

    let shared = tempfile::tempdir().expect("emptyDir");
    // 1. initContainer: statusctl render into the emptyDir.
    let out = run_container(&statusctl, &spec["initContainers"][0], shared.path(), &[]);
    assert!(out.status.success(), "render failed:\n{}", text(&out));
    let rendered = std::fs::read_to_string(shared.path().join("status.json")).expect("rendered");
    let report = status_core::validate(rendered.as_bytes());
    assert!(
        report.is_valid(),
        "render wrote an invalid document: {report:?}"
    );
    let doc: serde_json::Value = serde_json::from_str(&rendered).expect("JSON");
    assert_eq!(doc["repo"], "production-apps");
    assert_eq!(doc["server"], "prod-cluster-01");
    assert_eq!(doc["sync_status"], "SYNCED");
    assert_eq!(doc["health_status"], "Healthy");
    assert_eq!(doc["environment"], "production");
    assert_eq!(doc["message"], "Synced by Argo CD");
    assert_eq!(doc["drift_count"], 0);

    // 2. container: statusctl push, as the push ServiceAccount with the Role's permissions.
    let api = FakeApiServer::start(Config::default().user(
        &format!("system:serviceaccount:{NAMESPACE}:{service_account}"),
        PUSH_TOKEN,
        rules_of(role),
    ))
    .expect("fake API server");
    let kubeconfig = shared.path().join("kubeconfig");
    api.write_kubeconfig(&kubeconfig, PUSH_TOKEN, NAMESPACE)
        .expect("kubeconfig");
    let kubeconfig_flag = ["--kubeconfig", kubeconfig.to_str().expect("utf-8")];
    let push = &spec["containers"][0];
    let out = run_container(&statusctl, push, shared.path(), &kubeconfig_flag);
    assert!(
        out.status.success(),
        "first push (creates the ConfigMap) failed:\n{}",
        text(&out)
    );
    let live = api
        .configmap(NAMESPACE, "gitops-status-server-live")
        .expect("the live ConfigMap exists");
    assert_eq!(
        live["data"]["status.json"].as_str(),
        Some(rendered.as_str())
    );

    // The next sync: render again, push again (an update of the existing ConfigMap).
    let out = run_container(&statusctl, &spec["initContainers"][0], shared.path(), &[]);
    assert!(
        out.status.success(),
        "second render failed:\n{}",
        text(&out)
    );
    let out = run_container(&statusctl, push, shared.path(), &kubeconfig_flag);
    assert!(
        out.status.success(),
        "second push (updates) failed:\n{}",
        text(&out)
    );

    // The same identity cannot write the Helm-owned ConfigMap, or any other.
    for other in ["gitops-status-server", "kube-root-ca.crt", "anything-else"] {
        let out = Command::new(&statusctl)
            .args(["push"])
            .arg(shared.path().join("status.json"))
            .args(["--configmap", other, "--namespace", NAMESPACE])
            .args(kubeconfig_flag)
            .env_clear()
            .output()
            .expect("run statusctl");
        assert!(
            !out.status.success(),
            "pushing to {other} was allowed:\n{}",
            text(&out)
        );
        assert_eq!(
            out.status.code(),
            Some(5),
            "not an auth failure:\n{}",
            text(&out)
        );
        assert!(api.configmap(NAMESPACE, other).is_none());
    }
    assert!(
        api.requests().iter().any(|r| r.status == 403),
        "the fake API server never refused anything"
    );
}
