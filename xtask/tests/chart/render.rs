//! `helm lint --strict` and `helm template` under Helm 3 and Helm 4 over the values matrix,
//! snapshots of the manifests, refused values, resource names, and the Kubernetes schemas.

use std::process::Command;

use crate::cases::{bad_values, matrix};
use crate::support::{
    HELMS, Helm, Install, documents, find, lint, of_kind, render, str_of, template, tool,
};

#[test]
fn lint_strict_passes_under_helm_3_and_4() {
    for case in matrix() {
        for h in HELMS {
            if let Err(e) = lint(h, &case.install) {
                panic!("{} lint --strict failed for {}:\n{e}", h.name(), case.name);
            }
        }
    }
}

/// One snapshot per case; Helm 3 and Helm 4 must render byte-for-byte the same manifests.
#[test]
fn rendered_manifests() {
    for case in matrix() {
        let v3 = template(Helm::V3, &case.install)
            .unwrap_or_else(|e| panic!("helm3 template {}:\n{e}", case.name));
        let v4 = template(Helm::V4, &case.install)
            .unwrap_or_else(|e| panic!("helm4 template {}:\n{e}", case.name));
        assert_eq!(v3, v4, "Helm 3 and Helm 4 render {} differently", case.name);
        insta::assert_snapshot!(format!("render__{}", case.name), v4);
    }
}

#[test]
fn bad_values_fail_with_a_message_naming_the_field() {
    for bad in bad_values() {
        let install = Install {
            values: bad.values,
            ..Install::default()
        };
        for h in HELMS {
            let expected = match h {
                Helm::V3 => bad.helm3_says,
                Helm::V4 => bad.helm4_says,
            };
            for (what, result) in [
                ("template", template(h, &install)),
                ("lint", lint(h, &install)),
            ] {
                let err = match result {
                    Ok(_) => panic!("{} {what} accepted bad values {}", h.name(), bad.name),
                    Err(e) => e,
                };
                assert!(
                    err.contains(expected),
                    "{} {what} {}: message does not name `{expected}`:\n{err}",
                    h.name(),
                    bad.name
                );
            }
            let err = template(h, &install).expect_err("refused above");
            insta::assert_snapshot!(format!("refused__{}__{}", bad.name, h.name()), err);
        }
    }
}

/// The seed's commands (`curl http://gitops-status-server/status.json`,
/// `kubectl edit configmap gitops-status-server`) work with both of its installs.
#[test]
fn names_follow_the_documented_rule() {
    let cases = [
        ("gitops-status", "", "gitops-status-server"),
        ("gitops-status-server", "", "gitops-status-server"),
        ("status", "", "gitops-status-server"),
        ("prod-gitops-status-server", "", "prod-gitops-status-server"),
        ("team-a", "", "team-a-gitops-status-server"),
        (
            "gitops-status",
            "fullnameOverride: status-api\n",
            "status-api",
        ),
        ("gitops-status", "nameOverride: gitops\n", "gitops-status"),
        ("prod", "nameOverride: gitops\n", "prod-gitops"),
    ];
    for (release, values, expected) in cases {
        let docs = render(&Install {
            release,
            values,
            ..Install::default()
        });
        for kind in ["Service", "ConfigMap", "Deployment"] {
            find(&docs, kind, expected);
        }
        let role = find(&docs, "Role", &format!("{expected}-push"));
        assert_eq!(
            role["rules"][0]["resourceNames"][0],
            format!("{expected}-live").as_str(),
            "release {release}"
        );
        let deployment = find(&docs, "Deployment", expected);
        let volumes = &deployment["spec"]["template"]["spec"]["volumes"];
        assert_eq!(volumes[0]["configMap"]["name"], expected);
        assert_eq!(
            volumes[1]["configMap"]["name"],
            format!("{expected}-live").as_str()
        );
        assert_eq!(volumes[1]["configMap"]["optional"], true);
    }
}

/// The live ConfigMap is mounted but never rendered: Helm and Argo CD must not own it.
#[test]
fn live_configmap_is_never_rendered() {
    for case in matrix() {
        let docs = render(&case.install);
        for cm in of_kind(&docs, "ConfigMap") {
            let name = str_of(&cm["metadata"]["name"], "ConfigMap name");
            assert!(!name.ends_with("-live"), "{}: renders {name}", case.name);
        }
    }
}

/// Helper pods (PostSync Job, helm test) must not be selected by the Service, PDB or
/// NetworkPolicy, or the Service would route requests to a pod that serves nothing.
#[test]
fn only_server_pods_match_the_service_selector() {
    let docs = render(&Install {
        values: crate::cases::ALL_FEATURES,
        ..Install::default()
    });
    let service = &of_kind(&docs, "Service")[0];
    let selector = service["spec"]["selector"]
        .as_mapping()
        .expect("service selector");
    for (what, spec_labels) in docs.iter().filter_map(|d| {
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
    }) {
        let matches = selector
            .iter()
            .all(|(k, v)| spec_labels.get(k).is_some_and(|l| l == v));
        assert_eq!(
            matches,
            what.starts_with("Deployment/"),
            "{what}: selected by the Service: {matches}"
        );
    }
}

const KUBERNETES_VERSIONS: [&str; 5] = ["1.30", "1.31", "1.32", "1.33", "1.34"];

/// The Prometheus Operator CRD is not in kubernetes-validate's schemas (it warns); it is
/// checked by hand in `security::service_monitor_selects_the_service`.
const NOT_IN_KUBERNETES_SCHEMAS: &str =
    "Couldn't find schema for kind ServiceMonitor with api version monitoring.coreos.com/v1";

fn kubernetes_validate(version: &str, files: &[std::path::PathBuf]) -> (bool, String) {
    let out = Command::new(tool("kubernetes-validate"))
        .args(["--strict", "--kubernetes-version", version])
        .args(files)
        .output()
        .expect("run kubernetes-validate");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn manifests_validate_against_kubernetes_1_30_to_1_34() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut files = Vec::new();
    let mut expected_resources = 0;
    for case in matrix() {
        let out = template(Helm::V4, &case.install).expect("renders");
        expected_resources += documents(&out).len();
        let file = dir.path().join(format!("{}.yaml", case.name));
        std::fs::write(&file, out).expect("write manifest");
        files.push(file);
    }
    for version in KUBERNETES_VERSIONS {
        let (ok, text) = kubernetes_validate(version, &files);
        assert!(ok, "kubernetes-validate {version} failed:\n{text}");
        let mut passed = 0;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            if line.contains(" passed for resource ") {
                passed += 1;
            } else if !line.contains(NOT_IN_KUBERNETES_SCHEMAS) {
                panic!("kubernetes-validate {version}: unexpected line: {line}\n{text}");
            }
        }
        let service_monitors = text.matches(NOT_IN_KUBERNETES_SCHEMAS).count();
        assert_eq!(
            passed + service_monitors,
            expected_resources,
            "kubernetes-validate {version} did not check every resource:\n{text}"
        );
    }
}

/// The control for the test above: kubernetes-validate --strict does refuse a broken manifest
/// (an unknown field, a wrong type), so its passing means something.
#[test]
fn kubernetes_validate_refuses_a_broken_deployment() {
    let out = template(Helm::V4, &Install::default()).expect("renders");
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, broken) in [
        (
            "unknown-field",
            out.replace("  revisionHistoryLimit: 3", "  revisionHistoryLimits: 3"),
        ),
        (
            "wrong-type",
            out.replace("containerPort: 8080", "containerPort: \"eighty\""),
        ),
    ] {
        assert_ne!(broken, out, "{name}: the replacement did not apply");
        let file = dir.path().join(format!("{name}.yaml"));
        std::fs::write(&file, broken).expect("write");
        let (ok, text) = kubernetes_validate("1.34", &[file]);
        assert!(!ok, "{name}: kubernetes-validate accepted it:\n{text}");
    }
}

/// NOTES.txt, as `helm install` prints it (volume mode: the default).
#[test]
fn install_notes() {
    let notes = crate::support::install_notes("");
    // The seed's commands, with the names the chart really gives.
    assert!(notes.contains("curl http://gitops-status-server/status.json"));
    assert!(notes.contains("kubectl edit configmap gitops-status-server"));
    assert!(notes.contains("--configmap gitops-status-server-live --namespace monitoring"));
    insta::assert_snapshot!("install_notes", notes);
}
