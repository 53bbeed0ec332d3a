//! The NetworkPolicies: with `networkPolicy.enabled` (the default) each Pod the chart runs is
//! selected by exactly one of them, which lists both directions and allows what that Pod needs
//! and nothing more — the server: ingress on its port (and from the helm test Pod whatever
//! `networkPolicy.from` says); the test Pod: the server and DNS; the PostSync Job: the API server.

use serde_yaml::Value;

use crate::cases::{ALL_FEATURES, matrix};
use crate::support::{Install, find, of_kind, render};

fn yaml(text: &str) -> Value {
    serde_yaml::from_str(text).expect("yaml")
}

fn render_with(values: &str) -> Vec<Value> {
    render(&Install {
        values,
        ..Install::default()
    })
}

/// Whether a `matchLabels` selector selects these labels (every pair present).
fn selects(match_labels: &Value, labels: &Value) -> bool {
    let Some(wanted) = match_labels.as_mapping() else {
        return false;
    };
    !wanted.is_empty() && wanted.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// Every Pod the render runs, by `Kind/name`, with its labels.
fn pod_labels(docs: &[Value]) -> Vec<(String, &Value)> {
    docs.iter()
        .filter_map(|d| {
            let labels = match d["kind"].as_str()? {
                "Deployment" | "Job" => &d["spec"]["template"]["metadata"]["labels"],
                "Pod" => &d["metadata"]["labels"],
                _ => return None,
            };
            Some((
                format!(
                    "{}/{}",
                    d["kind"].as_str()?,
                    d["metadata"]["name"].as_str()?
                ),
                labels,
            ))
        })
        .collect()
}

/// The policies that select a Pod with these labels, by name.
fn policies_selecting<'a>(docs: &'a [Value], labels: &Value) -> Vec<&'a str> {
    of_kind(docs, "NetworkPolicy")
        .into_iter()
        .filter(|p| selects(&p["spec"]["podSelector"]["matchLabels"], labels))
        .filter_map(|p| p["metadata"]["name"].as_str())
        .collect()
}

#[test]
fn every_pod_is_selected_by_one_policy_that_lists_both_directions() {
    let mut checked = 0;
    for case in matrix() {
        let docs = render(&case.install);
        for (pod, labels) in pod_labels(&docs) {
            let policies = policies_selecting(&docs, labels);
            assert_eq!(
                policies.len(),
                1,
                "{}: {pod} is selected by {policies:?}",
                case.name
            );
            let policy = find(&docs, "NetworkPolicy", policies[0]);
            assert_eq!(
                policy["spec"]["policyTypes"],
                yaml("[Ingress, Egress]"),
                "{}: {}",
                case.name,
                policies[0]
            );
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} Pods checked");
}

#[test]
fn without_network_policy_enabled_none_is_rendered() {
    let docs = render_with(concat!(
        "networkPolicy:\n  enabled: false\n",
        "postSyncJob:\n  enabled: true\n"
    ));
    assert!(of_kind(&docs, "NetworkPolicy").is_empty());
}

/// The server: ingress on the server port only, from `networkPolicy.from` and the helm test
/// Pod; no egress (volume mode).
#[test]
fn the_server_admits_its_port_only_and_the_test_pod_whatever_from_says() {
    let docs = render_with(ALL_FEATURES);
    let policy = find(&docs, "NetworkPolicy", "gitops-status-server");
    let spec = &policy["spec"];
    assert_eq!(spec["egress"], Value::Sequence(vec![]));
    let ingress = spec["ingress"].as_sequence().expect("ingress");
    assert_eq!(ingress.len(), 1);
    assert_eq!(ingress[0]["ports"], yaml("[{port: 8080, protocol: TCP}]"));
    let from = ingress[0]["from"].as_sequence().expect("from");
    assert_eq!(
        from[0],
        yaml("{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: grafana}}}")
    );
    // The second peer is the test Pod, in the release namespace (no namespaceSelector).
    assert_eq!(from.len(), 2);
    assert!(from[1]["namespaceSelector"].is_null());
    let test_pod = find(&docs, "Pod", "gitops-status-server-test");
    assert!(selects(
        &from[1]["podSelector"]["matchLabels"],
        &test_pod["metadata"]["labels"]
    ));
    // ... and only it: not the server, not the Job.
    for (pod, labels) in pod_labels(&docs) {
        assert_eq!(
            selects(&from[1]["podSelector"]["matchLabels"], labels),
            pod == "Pod/gitops-status-server-test",
            "{pod}"
        );
    }

    // Without tests there is no test Pod to admit; without `from`, any source already may.
    let no_tests = render_with(concat!(
        "networkPolicy:\n  from: [{podSelector: {matchLabels: {app: grafana}}}]\n",
        "tests:\n  enabled: false\n"
    ));
    let from =
        &find(&no_tests, "NetworkPolicy", "gitops-status-server")["spec"]["ingress"][0]["from"];
    assert_eq!(
        from,
        &yaml("[{podSelector: {matchLabels: {app: grafana}}}]")
    );
    let defaults = render_with("");
    let ingress = &find(&defaults, "NetworkPolicy", "gitops-status-server")["spec"]["ingress"];
    assert_eq!(ingress, &yaml("[{ports: [{port: 8080, protocol: TCP}]}]"));
}

/// The test Pod: nothing comes in; it goes out to the server's Pods on the container port (the
/// Service's address is translated before the plugin checks it) and to DNS (it looks up the
/// Service's name), nowhere else.
#[test]
fn the_test_pod_reaches_the_server_and_dns_only() {
    for (values, target_port, name) in [
        ("", 8080, "gitops-status-server"),
        (
            "fullnameOverride: status\nservice:\n  port: 8080\n  targetPort: 9090\nnetworkPolicy:\n  dns:\n    to: []\n",
            9090,
            "status",
        ),
    ] {
        let docs = render_with(values);
        let spec = &find(&docs, "NetworkPolicy", &format!("{name}-test"))["spec"];
        assert_eq!(spec["ingress"], Value::Sequence(vec![]));
        let egress = spec["egress"].as_sequence().expect("egress");
        assert_eq!(egress.len(), 2, "{egress:?}");
        assert_eq!(
            egress[0]["ports"],
            yaml(&format!("[{{port: {target_port}, protocol: TCP}}]"))
        );
        let to = egress[0]["to"].as_sequence().expect("to");
        assert_eq!(to.len(), 1);
        // The peer is exactly the Pods behind the Service.
        let service = find(&docs, "Service", name);
        assert_eq!(
            to[0]["podSelector"]["matchLabels"],
            service["spec"]["selector"]
        );
        assert!(to[0]["namespaceSelector"].is_null());
        assert_eq!(
            egress[1]["ports"],
            yaml("[{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]")
        );
        if values.is_empty() {
            assert_eq!(
                egress[1]["to"],
                yaml(
                    "[{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}},
                       podSelector: {matchLabels: {k8s-app: kube-dns}}}]"
                )
            );
        } else {
            // `dns.to: []`: any destination on port 53.
            assert!(egress[1]["to"].is_null(), "{:?}", egress[1]);
        }
    }
}

/// The PostSync Job: nothing comes in; it goes out to the API server only (DNS only when
/// asked for: it connects to KUBERNETES_SERVICE_HOST, an IP).
#[test]
fn the_post_sync_job_reaches_the_api_server_only() {
    let docs = render_with(ALL_FEATURES);
    let spec = &find(&docs, "NetworkPolicy", "gitops-status-server-post-sync")["spec"];
    assert_eq!(spec["ingress"], Value::Sequence(vec![]));
    assert_eq!(
        spec["egress"],
        yaml(
            "[{to: [{ipBlock: {cidr: 0.0.0.0/0}}], ports: [{port: 443, protocol: TCP}, {port: 6443, protocol: TCP}]}]"
        )
    );
    let narrowed = render_with(concat!(
        "postSyncJob:\n  enabled: true\n",
        "networkPolicy:\n  apiServer:\n    cidrs: [10.0.0.10/32]\n    ports: [6443]\n  dns:\n    enabled: true\n    to: []\n"
    ));
    let spec = &find(&narrowed, "NetworkPolicy", "gitops-status-server-post-sync")["spec"];
    assert_eq!(
        spec["egress"],
        yaml(
            "[{to: [{ipBlock: {cidr: 10.0.0.10/32}}], ports: [{port: 6443, protocol: TCP}]},
              {ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]}]"
        )
    );
    // Watching is the server's business: it changes nothing of the Job's policy.
    let watching = render_with(concat!(
        "postSyncJob:\n  enabled: true\n",
        "watch:\n  enabled: true\n"
    ));
    let plain = render_with("postSyncJob:\n  enabled: true\n");
    assert_eq!(
        find(&watching, "NetworkPolicy", "gitops-status-server-post-sync"),
        find(&plain, "NetworkPolicy", "gitops-status-server-post-sync")
    );
}
