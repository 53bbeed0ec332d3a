//! Argo CD: what `argocd.watch.enabled` and the PostSync Job add to the rendered manifests.
//! The server's environment (`STATUS_SERVER_ARGOCD_*`) and token, and the RBAC in Argo CD's
//! namespace, exactly: `get` on the one Application the Job collects, bound to the push
//! ServiceAccount; `get`, `list`, `watch` on Applications, bound to the server's. Nothing
//! cluster-wide, nothing writable, and nothing in Argo CD's namespace without these values.
//! The Job's commands run against the fake API server in `post_sync.rs`.

use serde_yaml::Value;

use crate::cases::{ALL_FEATURES, ARGOCD, matrix};
use crate::support::{Install, find, install_notes, of_kind, render, str_of};

const NAMESPACE: &str = "monitoring";

fn render_in_monitoring(values: &str) -> Vec<Value> {
    render(&Install {
        namespace: NAMESPACE,
        values,
        ..Install::default()
    })
}

fn yaml(text: &str) -> Value {
    serde_yaml::from_str(text).expect("yaml")
}

fn server_spec(docs: &[Value]) -> &Value {
    &find(docs, "Deployment", "gitops-status-server")["spec"]["template"]["spec"]
}

/// The server container's `STATUS_SERVER_ARGOCD_*` variables as `NAME=value` lines.
fn argocd_env(docs: &[Value]) -> Vec<String> {
    server_spec(docs)["containers"][0]["env"]
        .as_sequence()
        .into_iter()
        .flatten()
        .map(|e| {
            format!(
                "{}={}",
                str_of(&e["name"], "env name"),
                str_of(&e["value"], "env value")
            )
        })
        .filter(|e| e.starts_with("STATUS_SERVER_ARGOCD_"))
        .collect()
}

/// Every document the chart renders into namespace `namespace`.
fn in_namespace<'a>(docs: &'a [Value], namespace: &str) -> Vec<&'a Value> {
    docs.iter()
        .filter(|d| d["metadata"]["namespace"] == namespace)
        .collect()
}

#[test]
fn the_live_watch_points_the_server_at_argo_cds_namespace_with_its_token() {
    let docs = render_in_monitoring("argocd:\n  watch:\n    enabled: true\n");
    assert_eq!(argocd_env(&docs), ["STATUS_SERVER_ARGOCD_NAMESPACE=argocd"]);
    assert_eq!(server_spec(&docs)["automountServiceAccountToken"], true);
    let docs = render_in_monitoring(ARGOCD);
    assert_eq!(
        argocd_env(&docs),
        [
            "STATUS_SERVER_ARGOCD_NAMESPACE=argo",
            "STATUS_SERVER_ARGOCD_SELECTOR=team in (payments,platform)",
        ]
    );
    // No ConfigMap watch comes with it: that is watch.enabled's.
    let env = server_spec(&docs)["containers"][0]["env"].clone();
    assert!(
        !serde_yaml::to_string(&env)
            .expect("yaml")
            .contains("STATUS_SERVER_KUBE_"),
        "{env:?}"
    );
    // Without the watch: no variable, and (without watch.enabled) no token.
    for values in ["", ALL_FEATURES] {
        let docs = render_in_monitoring(values);
        assert!(argocd_env(&docs).is_empty());
        assert_eq!(server_spec(&docs)["automountServiceAccountToken"], false);
    }
}

/// The Role the server watches with: get, list and watch on Argo CD's Applications in its
/// namespace, bound to the server's ServiceAccount in the release namespace.
#[test]
fn the_watch_role_reads_applications_in_argo_cds_namespace_and_nothing_else() {
    let docs = render_in_monitoring(ARGOCD);
    let name = "gitops-status-server-monitoring-watch";
    let role = find(&docs, "Role", name);
    assert_eq!(role["metadata"]["namespace"], "argo");
    assert_eq!(
        role["rules"],
        yaml("[{apiGroups: [argoproj.io], resources: [applications], verbs: [get, list, watch]}]")
    );
    let binding = find(&docs, "RoleBinding", name);
    assert_eq!(binding["metadata"]["namespace"], "argo");
    assert_eq!(
        binding["roleRef"],
        yaml(&format!(
            "{{apiGroup: rbac.authorization.k8s.io, kind: Role, name: {name}}}"
        ))
    );
    let server_account = str_of(&server_spec(&docs)["serviceAccountName"], "serviceAccount");
    assert_eq!(
        binding["subjects"],
        yaml(&format!(
            "[{{kind: ServiceAccount, name: {server_account}, namespace: {NAMESPACE}}}]"
        ))
    );
}

/// The Role the PostSync Job collects with: get on that one Application, bound to the push
/// ServiceAccount the Job runs as.
#[test]
fn the_collect_role_gets_the_one_application_for_the_push_service_account() {
    for (values, application, argocd) in [
        (ALL_FEATURES, "storefront", "argocd"),
        // The Application defaults to the release's name.
        (ARGOCD, "gitops-status", "argo"),
    ] {
        let docs = render_in_monitoring(values);
        let name = "gitops-status-server-monitoring-collect";
        let role = find(&docs, "Role", name);
        assert_eq!(role["metadata"]["namespace"], argocd);
        assert_eq!(
            role["rules"],
            yaml(&format!(
                "[{{apiGroups: [argoproj.io], resources: [applications], resourceNames: [{application}], verbs: [get]}}]"
            ))
        );
        let binding = find(&docs, "RoleBinding", name);
        assert_eq!(binding["metadata"]["namespace"], argocd);
        assert_eq!(binding["roleRef"]["name"], name);
        let job = &of_kind(&docs, "Job")[0];
        let job_account = str_of(
            &job["spec"]["template"]["spec"]["serviceAccountName"],
            "serviceAccountName",
        );
        assert_eq!(job_account, "gitops-status-server-push");
        assert_eq!(
            binding["subjects"],
            yaml(&format!(
                "[{{kind: ServiceAccount, name: {job_account}, namespace: {NAMESPACE}}}]"
            ))
        );
    }
    // Without the push RBAC the chart grants nothing for the Job: whoever manages it does.
    let docs = render_in_monitoring(&format!(
        "{ALL_FEATURES}push:\n  rbac:\n    create: false\n"
    ));
    assert!(in_namespace(&docs, "argocd").is_empty());
}

/// Nothing lands in Argo CD's namespace unless asked for, and nothing is cluster-wide.
#[test]
fn argo_cds_namespace_gets_exactly_the_roles_asked_for() {
    for case in matrix() {
        let docs = render(&case.install);
        let values: Value = serde_yaml::from_str(case.install.values).unwrap_or(Value::Null);
        let argocd = values["argocd"]["namespace"].as_str().unwrap_or("argocd");
        let mut expected = Vec::new();
        if values["postSyncJob"]["enabled"].as_bool() == Some(true) {
            expected.extend(["Role/collect", "RoleBinding/collect"]);
        }
        if values["argocd"]["watch"]["enabled"].as_bool() == Some(true) {
            expected.extend(["Role/watch", "RoleBinding/watch"]);
        }
        let mut found: Vec<String> = in_namespace(&docs, argocd)
            .into_iter()
            .map(|d| {
                let name = str_of(&d["metadata"]["name"], "name");
                format!(
                    "{}/{}",
                    str_of(&d["kind"], "kind"),
                    name.rsplit('-').next().unwrap_or(name)
                )
            })
            .collect();
        found.sort();
        expected.sort();
        assert_eq!(found, expected, "{}", case.name);
        for kind in ["ClusterRole", "ClusterRoleBinding"] {
            assert!(of_kind(&docs, kind).is_empty(), "{}: {kind}", case.name);
        }
    }
}

/// With the watch and a NetworkPolicy, the server may reach the API server (as with
/// watch.enabled), and nothing else.
#[test]
fn the_network_policy_lets_the_server_reach_the_api_server() {
    let docs = render_in_monitoring(ARGOCD);
    let policy = find(&docs, "NetworkPolicy", "gitops-status-server");
    assert_eq!(
        policy["spec"]["egress"],
        yaml(
            "[{to: [{ipBlock: {cidr: 0.0.0.0/0}}], ports: [{port: 443, protocol: TCP}, {port: 6443, protocol: TCP}]}]"
        )
    );
}

/// NOTES says which Argo CD mode is active, and that the RoleBindings are in Argo CD's
/// namespace.
#[test]
fn install_notes_name_the_argo_cd_mode() {
    let off = install_notes("");
    assert!(off.contains("Argo CD: off."), "{off}");
    let both = install_notes(ARGOCD);
    assert!(!both.contains("Argo CD: off."));
    assert!(both.contains(
        "Argo CD PostSync: after each sync, a Job collects Application gitops-status in namespace argo"
    ));
    assert!(both.contains(
        "Argo CD live watch: the server watches the Applications labelled team in (payments,platform) in namespace argo"
    ));
    insta::assert_snapshot!("install_notes_argocd", both);
    let post_sync = install_notes("postSyncJob:\n  enabled: true\n  application: storefront\n");
    assert!(post_sync.contains("collects Application storefront in namespace argocd"));
    assert!(!post_sync.contains("Argo CD live watch"));
}
