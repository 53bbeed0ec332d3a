//! `watch.enabled`: what turning watching on (and only that) adds to the rendered manifests —
//! the server's `STATUS_SERVER_KUBE_*` environment, the API token, a read-only Role in the
//! release namespace, egress to the API server — and what it leaves alone: the `-live` volume,
//! the server's arguments, the push Role, the PostSync Job. The server's watch itself is tested
//! with the server; here the manifests are.

use serde_yaml::Value;

use crate::cases::{
    ALL_FEATURES, WATCH, WATCH_ALL_FEATURES, WATCH_SELECTOR_NETWORK_POLICY, matrix,
};
use crate::support::{Install, argv, find, install_notes, of_kind, render, str_of};

const NAMESPACE: &str = "monitoring";
const LIVE: &str = "gitops-status-server-live";

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

fn pod_spec(docs: &[Value]) -> &Value {
    &find(docs, "Deployment", "gitops-status-server")["spec"]["template"]["spec"]
}

/// The server container's environment as `NAME=value` lines.
fn env(docs: &[Value]) -> Vec<String> {
    pod_spec(docs)["containers"][0]["env"]
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
        .collect()
}

/// Whether the values of a matrix case turn watching ConfigMaps on.
fn watches(values: &str) -> bool {
    let values: Value = serde_yaml::from_str(values).unwrap_or(Value::Null);
    values["watch"]["enabled"].as_bool() == Some(true)
}

/// Whether the values of a matrix case make the server read the API: it watches ConfigMaps, or
/// Argo CD's Applications.
fn reads_api(values: &str) -> bool {
    let parsed: Value = serde_yaml::from_str(values).unwrap_or(Value::Null);
    watches(values) || parsed["argocd"]["watch"]["enabled"].as_bool() == Some(true)
}

#[test]
fn watching_points_the_server_at_the_live_configmap_in_the_release_namespace() {
    let docs = render_in_monitoring(WATCH);
    assert_eq!(
        env(&docs),
        [
            format!("STATUS_SERVER_KUBE_CONFIGMAP={LIVE}"),
            format!("STATUS_SERVER_KUBE_NAMESPACE={NAMESPACE}"),
        ]
    );
    let docs = render_in_monitoring(WATCH_SELECTOR_NETWORK_POLICY);
    assert_eq!(
        env(&docs),
        [
            format!("STATUS_SERVER_KUBE_CONFIGMAP={LIVE}"),
            format!("STATUS_SERVER_KUBE_NAMESPACE={NAMESPACE}"),
            "STATUS_SERVER_KUBE_SELECTOR=gitops-status.io/documents=true,team in (payments,platform)"
                .to_owned(),
        ]
    );
    // server.extraEnv comes after, so that it can add to (or override) the chart's.
    let docs = render_in_monitoring(WATCH_ALL_FEATURES);
    assert_eq!(env(&docs).last().map(String::as_str), Some("RUST_LOG=info"));
    // Without watching, no STATUS_SERVER_KUBE_* at all (and no env in the defaults).
    assert!(env(&render_in_monitoring("")).is_empty());
    assert_eq!(env(&render_in_monitoring(ALL_FEATURES)), ["RUST_LOG=info"]);
}

#[test]
fn the_live_volume_and_the_server_arguments_stay_as_they_are() {
    for (off, on) in [("", WATCH), (ALL_FEATURES, WATCH_ALL_FEATURES)] {
        let (off, on) = (render_in_monitoring(off), render_in_monitoring(on));
        let (off, on) = (pod_spec(&off), pod_spec(&on));
        assert_eq!(off["volumes"], on["volumes"]);
        assert_eq!(
            off["containers"][0]["volumeMounts"],
            on["containers"][0]["volumeMounts"]
        );
        assert_eq!(argv(&off["containers"][0]), argv(&on["containers"][0]));
        let live = on["volumes"]
            .as_sequence()
            .expect("volumes")
            .iter()
            .find(|v| v["configMap"]["name"] == LIVE)
            .expect("the live ConfigMap is mounted");
        assert_eq!(live["configMap"]["optional"], true);
    }
}

/// Exactly get, list and watch on ConfigMaps in the release namespace; by name unless a label
/// selector asks for the collection. Nothing cluster-wide, nothing else.
#[test]
fn the_watch_role_reads_configmaps_in_the_release_namespace_and_nothing_else() {
    let by_name = yaml(&format!(
        "[{{apiGroups: [''], resources: [configmaps], resourceNames: [{LIVE}], verbs: [get, list, watch]}}]"
    ));
    let by_selector =
        yaml("[{apiGroups: [''], resources: [configmaps], verbs: [get, list, watch]}]");
    for (values, rules) in [
        (WATCH, &by_name),
        (WATCH_ALL_FEATURES, &by_name),
        (WATCH_SELECTOR_NETWORK_POLICY, &by_selector),
    ] {
        let docs = render_in_monitoring(values);
        let role = find(&docs, "Role", "gitops-status-server-watch");
        assert_eq!(role["metadata"]["namespace"], NAMESPACE);
        assert_eq!(&role["rules"], rules, "{values}");
        let binding = find(&docs, "RoleBinding", "gitops-status-server-watch");
        assert_eq!(binding["metadata"]["namespace"], NAMESPACE);
        assert_eq!(
            binding["roleRef"],
            yaml(
                "{apiGroup: rbac.authorization.k8s.io, kind: Role, name: gitops-status-server-watch}"
            )
        );
        // Bound to the server's ServiceAccount, the one the Deployment runs as, and no other.
        let server_account = str_of(&pod_spec(&docs)["serviceAccountName"], "serviceAccountName");
        assert_eq!(
            binding["subjects"],
            yaml(&format!(
                "[{{kind: ServiceAccount, name: {server_account}, namespace: {NAMESPACE}}}]"
            ))
        );
        for kind in ["ClusterRole", "ClusterRoleBinding"] {
            assert!(of_kind(&docs, kind).is_empty(), "{kind} rendered");
        }
    }
    for case in matrix() {
        let docs = render(&case.install);
        let watch_roles = of_kind(&docs, "Role")
            .into_iter()
            .chain(of_kind(&docs, "RoleBinding"))
            .filter(|d| d["metadata"]["name"] == "gitops-status-server-watch")
            .count();
        let expected = if watches(case.install.values) { 2 } else { 0 };
        assert_eq!(watch_roles, expected, "{}", case.name);
    }
}

/// The API token is mounted in the server pods when watching (ConfigMaps or Argo CD's
/// Applications), and only then; the ServiceAccount itself keeps it off, so that no other pod
/// running as it gets one.
#[test]
fn the_token_is_mounted_only_when_watching() {
    for case in matrix() {
        let docs = render(&case.install);
        let spec = pod_spec_of_any_name(&docs);
        assert_eq!(
            spec["automountServiceAccountToken"].as_bool(),
            Some(reads_api(case.install.values)),
            "{}",
            case.name
        );
        for account in of_kind(&docs, "ServiceAccount")
            .into_iter()
            .filter(|a| a["metadata"]["labels"]["app.kubernetes.io/component"].is_null())
        {
            assert_eq!(
                account["automountServiceAccountToken"], false,
                "{}",
                case.name
            );
        }
    }
}

/// The Deployment's pod spec, whatever the full name.
fn pod_spec_of_any_name(docs: &[Value]) -> &Value {
    let deployments = of_kind(docs, "Deployment");
    assert_eq!(deployments.len(), 1);
    &deployments[0]["spec"]["template"]["spec"]
}

/// With watching and a NetworkPolicy, egress goes to the API server's addresses and ports (and
/// DNS when asked for), nowhere else; ingress does not change.
#[test]
fn the_network_policy_lets_the_server_reach_the_api_server_only() {
    let policy = |values: &str| {
        find(
            &render_in_monitoring(values),
            "NetworkPolicy",
            "gitops-status-server",
        )["spec"]
            .clone()
    };
    let custom = policy(WATCH_SELECTOR_NETWORK_POLICY);
    assert_eq!(
        custom["egress"],
        yaml(
            "[{to: [{ipBlock: {cidr: 10.0.0.10/32}}, {ipBlock: {cidr: 10.0.0.11/32}}, {ipBlock: {cidr: 'fd00:10::a/128'}}],
               ports: [{port: 6443, protocol: TCP}]},
              {ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}],
               to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}},
                     podSelector: {matchLabels: {k8s-app: kube-dns}}}]}]"
        )
    );
    // The defaults: any address, on the API server's usual ports only; no DNS.
    let defaults = policy(WATCH_ALL_FEATURES);
    assert_eq!(
        defaults["egress"],
        yaml(
            "[{to: [{ipBlock: {cidr: 0.0.0.0/0}}], ports: [{port: 443, protocol: TCP}, {port: 6443, protocol: TCP}]}]"
        )
    );
    let without = policy(ALL_FEATURES);
    assert_eq!(without["egress"], Value::Sequence(vec![]));
    assert_eq!(defaults["ingress"], without["ingress"]);
    assert_eq!(defaults["policyTypes"], without["policyTypes"]);
}

/// Watching changes nothing of the push side: the push Role, its binding and ServiceAccount,
/// the PostSync Job, the test pod.
#[test]
fn the_push_role_and_the_post_sync_job_are_unchanged() {
    let off = render_in_monitoring(ALL_FEATURES);
    let on = render_in_monitoring(WATCH_ALL_FEATURES);
    for (kind, name) in [
        ("Role", "gitops-status-server-push"),
        ("RoleBinding", "gitops-status-server-push"),
        ("ServiceAccount", "gitops-status-server-push"),
        ("ServiceAccount", "gitops-status-server"),
        ("Job", "gitops-status-server-post-sync"),
        ("Pod", "gitops-status-server-test"),
    ] {
        assert_eq!(
            find(&off, kind, name),
            find(&on, kind, name),
            "{kind} {name}"
        );
    }
    // Everything else of the two renders is the same too, but for what watching adds.
    let added: Vec<String> = on
        .iter()
        .filter(|d| !off.contains(d))
        .map(|d| {
            format!(
                "{}/{}",
                str_of(&d["kind"], "kind"),
                str_of(&d["metadata"]["name"], "name")
            )
        })
        .collect();
    assert_eq!(
        added,
        [
            "NetworkPolicy/gitops-status-server",
            "Role/gitops-status-server-watch",
            "RoleBinding/gitops-status-server-watch",
            "Deployment/gitops-status-server",
        ]
    );
}

/// NOTES says which mode is active, and how fast a push is served in it.
#[test]
fn install_notes_name_the_mode() {
    let volume = install_notes("");
    assert!(volume.contains(
        "Mode: volume (watch.enabled=false): a push is served within about a minute (kubelet's sync"
    ));
    assert!(!volume.contains("Mode: watch"));
    let watch = install_notes(WATCH);
    assert!(watch.contains("Mode: watch (watch.enabled=true): a push is served within a second."));
    assert!(!watch.contains("Mode: volume"));
    insta::assert_snapshot!("install_notes_watch", watch);
    let selector = install_notes(WATCH_SELECTOR_NETWORK_POLICY);
    assert!(selector.contains(
        "and every ConfigMap labelled gitops-status.io/documents=true,team in (payments,platform) in namespace monitoring"
    ));
}
