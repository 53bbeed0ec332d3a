//! The Pod Security Standard "restricted" (and so "baseline") on every pod the chart renders,
//! the seed's security promises, probes, resources, RBAC scope and the ServiceMonitor wiring.

use serde_yaml::Value;

use crate::cases::{ALL_FEATURES, matrix};
use crate::support::{Install, containers, find, of_kind, pod_specs, render, str_of};

/// The value of a security field: the container's own, else the pod's (as Kubernetes resolves it).
fn effective<'a>(pod: &'a Value, container: &'a Value, field: &str) -> &'a Value {
    let own = &container["securityContext"][field];
    if own.is_null() {
        &pod["securityContext"][field]
    } else {
        own
    }
}

/// The checks of https://kubernetes.io/docs/concepts/security/pod-security-standards/ that a
/// pod spec can fail, restricted profile (which includes baseline). Returns every violation.
fn restricted_violations(spec: &Value) -> Vec<String> {
    let mut v = Vec::new();
    // baseline: host namespaces, host ports, hostPath, privileged, capabilities, procMount,
    // seLinux types, sysctls, AppArmor
    for field in ["hostNetwork", "hostPID", "hostIPC"] {
        if spec[field].as_bool() == Some(true) {
            v.push(format!("{field} is true"));
        }
    }
    if !spec["securityContext"]["sysctls"].is_null() {
        v.push("pod sets sysctls".into());
    }
    // restricted: volume types
    let allowed_volumes = [
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "persistentVolumeClaim",
        "projected",
        "secret",
    ];
    for volume in spec["volumes"].as_sequence().into_iter().flatten() {
        let map = volume.as_mapping().expect("volume is a map");
        for (key, _) in map {
            let key = key.as_str().unwrap_or_default();
            if key != "name" && !allowed_volumes.contains(&key) {
                v.push(format!("volume type {key} is not allowed"));
            }
        }
    }
    let pod_seccomp = &spec["securityContext"]["seccompProfile"]["type"];
    for c in containers(spec) {
        let name = c["name"].as_str().unwrap_or("?");
        let sc = &c["securityContext"];
        if sc["privileged"].as_bool() == Some(true) {
            v.push(format!("{name}: privileged"));
        }
        for port in c["ports"].as_sequence().into_iter().flatten() {
            if !port["hostPort"].is_null() && port["hostPort"].as_u64() != Some(0) {
                v.push(format!("{name}: hostPort"));
            }
        }
        if !sc["procMount"].is_null() && sc["procMount"] != "Default" {
            v.push(format!("{name}: procMount"));
        }
        if sc["allowPrivilegeEscalation"].as_bool() != Some(false) {
            v.push(format!("{name}: allowPrivilegeEscalation is not false"));
        }
        if effective(spec, c, "runAsNonRoot").as_bool() != Some(true) {
            v.push(format!("{name}: runAsNonRoot is not true"));
        }
        if effective(spec, c, "runAsUser").as_u64() == Some(0) {
            v.push(format!("{name}: runAsUser is 0"));
        }
        let seccomp = if sc["seccompProfile"]["type"].is_null() {
            pod_seccomp
        } else {
            &sc["seccompProfile"]["type"]
        };
        if seccomp != "RuntimeDefault" && seccomp != "Localhost" {
            v.push(format!("{name}: seccompProfile.type is {seccomp:?}"));
        }
        let drop = sc["capabilities"]["drop"].as_sequence();
        if !drop.is_some_and(|d| d.iter().any(|c| c == "ALL")) {
            v.push(format!("{name}: capabilities.drop does not hold ALL"));
        }
        for add in sc["capabilities"]["add"]
            .as_sequence()
            .into_iter()
            .flatten()
        {
            if add != "NET_BIND_SERVICE" {
                v.push(format!("{name}: adds capability {add:?}"));
            }
        }
    }
    v
}

#[test]
fn every_pod_meets_the_restricted_pod_security_standard() {
    let mut checked = 0;
    for case in matrix() {
        let docs = render(&case.install);
        for (what, spec) in pod_specs(&docs) {
            let violations = restricted_violations(spec);
            assert!(
                violations.is_empty(),
                "{}: {what} breaks the restricted PSS: {violations:#?}",
                case.name
            );
            checked += 1;
        }
    }
    assert!(checked >= 15, "only {checked} pod specs were checked");
}

/// The control for the test above: a pod spec that breaks the rules is caught, rule by rule.
#[test]
fn the_restricted_check_catches_violations() {
    let docs = render(&Install::default());
    let deployment = find(&docs, "Deployment", "gitops-status-server");
    let good = &deployment["spec"]["template"]["spec"];
    assert!(restricted_violations(good).is_empty());
    let breakages = [
        (
            "containers.0.securityContext.allowPrivilegeEscalation",
            Value::Bool(true),
        ),
        (
            "containers.0.securityContext.runAsNonRoot",
            Value::Bool(false),
        ),
        ("securityContext.runAsNonRoot", Value::Null),
        (
            "containers.0.securityContext.seccompProfile.type",
            "Unconfined".into(),
        ),
        (
            "containers.0.securityContext.capabilities.drop",
            Value::Sequence(vec![]),
        ),
        ("containers.0.securityContext.privileged", Value::Bool(true)),
        ("hostNetwork", Value::Bool(true)),
    ];
    for (path, value) in breakages {
        let mut spec = good.clone();
        let mut slot = &mut spec;
        for part in path.split('.') {
            slot = match part.parse::<usize>() {
                Ok(i) => &mut slot[i],
                Err(_) => &mut slot[part],
            };
        }
        *slot = value;
        // runAsNonRoot unset on the pod only matters when the container does not set it either.
        if path == "securityContext.runAsNonRoot" {
            spec["containers"][0]["securityContext"]["runAsNonRoot"] = Value::Null;
        }
        assert!(
            !restricted_violations(&spec).is_empty(),
            "setting {path} was not caught"
        );
    }
    let mut host_path = good.clone();
    host_path["volumes"][0]["hostPath"] = serde_yaml::from_str("{path: /etc}").expect("yaml");
    assert!(!restricted_violations(&host_path).is_empty());
}

/// What the seed promises, made exact: UID 65532, read-only root filesystem, resources.
#[test]
fn server_pod_keeps_the_seed_promises() {
    let docs = render(&Install::default());
    let deployment = find(&docs, "Deployment", "gitops-status-server");
    let spec = &deployment["spec"]["template"]["spec"];
    assert_eq!(spec["automountServiceAccountToken"], false);
    let c = &spec["containers"][0];
    let sc = &c["securityContext"];
    assert_eq!(sc["readOnlyRootFilesystem"], true);
    assert_eq!(sc["runAsUser"], 65532);
    assert_eq!(sc["runAsGroup"], 65532);
    assert_eq!(c["resources"]["requests"]["cpu"], "50m");
    assert_eq!(c["resources"]["requests"]["memory"], "32Mi");
    assert_eq!(c["resources"]["limits"]["cpu"], "100m");
    assert_eq!(c["resources"]["limits"]["memory"], "64Mi");
    assert_eq!(c["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert_eq!(c["ports"][0]["containerPort"], 8080);
    // Whole-directory mounts: kubelet never updates a subPath mount.
    for mount in c["volumeMounts"].as_sequence().expect("mounts") {
        assert!(mount["subPath"].is_null(), "subPath mount: {mount:?}");
        assert_eq!(mount["readOnly"], true);
    }
    let service = find(&docs, "Service", "gitops-status-server");
    assert_eq!(service["spec"]["type"], "ClusterIP");
    assert_eq!(service["spec"]["ports"][0]["port"], 80);
    assert_eq!(service["spec"]["ports"][0]["targetPort"], 8080);
}

/// The push Role reaches one ConfigMap, the live one, with get, create and patch only.
#[test]
fn push_role_is_limited_to_the_live_configmap() {
    let docs = render(&Install {
        values: ALL_FEATURES,
        namespace: "monitoring",
        ..Install::default()
    });
    // The release namespace's: the collect Role is in Argo CD's (argocd.rs checks it).
    let roles: Vec<&Value> = of_kind(&docs, "Role")
        .into_iter()
        .filter(|r| r["metadata"]["namespace"] == "monitoring")
        .collect();
    assert_eq!(roles.len(), 1);
    let rules = roles[0]["rules"].as_sequence().expect("rules");
    assert_eq!(rules.len(), 1);
    let expected: Value = serde_yaml::from_str(
        "{apiGroups: [''], resources: [configmaps], resourceNames: [gitops-status-server-live], verbs: [get, create, patch]}",
    )
    .expect("yaml");
    assert_eq!(rules[0], expected);
    let binding = find(&docs, "RoleBinding", "gitops-status-server-push");
    let subjects: Vec<String> = binding["subjects"]
        .as_sequence()
        .expect("subjects")
        .iter()
        .map(|s| {
            format!(
                "{}/{}/{}",
                str_of(&s["kind"], "kind"),
                s["namespace"].as_str().unwrap_or(""),
                str_of(&s["name"], "name")
            )
        })
        .collect();
    assert_eq!(
        subjects,
        [
            "ServiceAccount/monitoring/gitops-status-server-push",
            "ServiceAccount/ci/ci-runner"
        ]
    );
    // The PostSync Job runs as the push ServiceAccount, with a token; nothing else gets one.
    let job = &of_kind(&docs, "Job")[0];
    let job_spec = &job["spec"]["template"]["spec"];
    assert_eq!(job_spec["serviceAccountName"], "gitops-status-server-push");
    assert_eq!(job_spec["automountServiceAccountToken"], true);
    let test_pod = &of_kind(&docs, "Pod")[0];
    assert_eq!(test_pod["spec"]["automountServiceAccountToken"], false);
}

/// The PostSync Job collects the Application then pushes it, with the flags statusctl takes.
#[test]
fn post_sync_job_collects_then_pushes() {
    let docs = render(&Install {
        values: ALL_FEATURES,
        namespace: "monitoring",
        ..Install::default()
    });
    let job = &of_kind(&docs, "Job")[0];
    let annotations = &job["metadata"]["annotations"];
    assert_eq!(annotations["argocd.argoproj.io/hook"], "PostSync");
    assert_eq!(
        annotations["argocd.argoproj.io/hook-delete-policy"],
        "BeforeHookCreation,HookSucceeded"
    );
    let spec = &job["spec"]["template"]["spec"];
    assert_eq!(spec["restartPolicy"], "Never");
    let args = |c: &Value| -> Vec<String> {
        c["command"]
            .as_sequence()
            .into_iter()
            .chain(c["args"].as_sequence())
            .flatten()
            .map(|a| str_of(a, "arg").to_owned())
            .collect()
    };
    assert_eq!(
        args(&spec["initContainers"][0]),
        [
            "/statusctl",
            "collect",
            "argocd",
            "--app",
            "storefront",
            "--namespace",
            "argocd",
            "--output-file",
            "/shared/status.json"
        ]
    );
    assert_eq!(
        args(&spec["containers"][0]),
        [
            "/statusctl",
            "push",
            "/shared/status.json",
            "--configmap",
            "gitops-status-server-live",
            "--namespace",
            "monitoring"
        ]
    );
}

/// ServiceMonitor is a CRD (not in kubernetes-validate's schemas): check its wiring by hand.
#[test]
fn service_monitor_selects_the_service() {
    let docs = render(&Install {
        values: ALL_FEATURES,
        namespace: "monitoring",
        ..Install::default()
    });
    let monitor = find(&docs, "ServiceMonitor", "gitops-status-server");
    assert_eq!(monitor["apiVersion"], "monitoring.coreos.com/v1");
    assert_eq!(
        monitor["metadata"]["labels"]["release"],
        "kube-prometheus-stack"
    );
    let service = find(&docs, "Service", "gitops-status-server");
    let endpoint = &monitor["spec"]["endpoints"][0];
    assert_eq!(endpoint["path"], "/metrics");
    let port = str_of(&endpoint["port"], "endpoint port");
    assert!(
        service["spec"]["ports"]
            .as_sequence()
            .expect("ports")
            .iter()
            .any(|p| p["name"] == port),
        "the Service has no port named {port}"
    );
    for (k, v) in monitor["spec"]["selector"]["matchLabels"]
        .as_mapping()
        .expect("matchLabels")
    {
        assert_eq!(&service["metadata"]["labels"][k], v, "label {k:?}");
    }
    assert_eq!(
        monitor["spec"]["namespaceSelector"]["matchNames"][0],
        "monitoring"
    );
}

/// The NetworkPolicy admits the server port only and allows no egress.
#[test]
fn network_policy_admits_the_server_port_only() {
    let docs = render(&Install {
        values: ALL_FEATURES,
        ..Install::default()
    });
    let policy = find(&docs, "NetworkPolicy", "gitops-status-server");
    let spec = &policy["spec"];
    assert_eq!(
        spec["policyTypes"],
        serde_yaml::from_str::<Value>("[Ingress, Egress]").expect("yaml")
    );
    assert_eq!(spec["egress"], Value::Sequence(vec![]));
    assert_eq!(spec["ingress"][0]["ports"][0]["port"], 8080);
    assert_eq!(
        spec["ingress"][0]["from"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
        "grafana"
    );
}
