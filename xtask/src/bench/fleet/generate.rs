//! A fleet of Argo CD Applications of realistic size, made from status-core's fixtures
//! (`status-core/tests/fixtures/argocd/`: single and multi-source, hooks, comparison errors,
//! failed syncs, no `reconciledAt`, a brand-new one...), and the changes Argo CD makes to them.
//!
//! Each Application keeps its fixture's spec and status, and grows to what a real one carries:
//! 32 to 40 entries in `status.resources` (a few drifted), two `history` entries, an
//! operation with its result, a warning condition now and then, labels, annotations and a
//! finalizer: about 6 KB of JSON. The churn is Argo CD's: every reconcile rewrites
//! `status.reconciledAt`; now and then a resource drifts or is synced again, which flips the
//! sync status.

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::project_root;

/// The namespace of the fleet (Argo CD's).
pub(super) const NAMESPACE: &str = "argocd";

const TEAMS: [&str; 10] = [
    "payments",
    "storefront",
    "search",
    "identity",
    "platform",
    "data",
    "mobile",
    "billing",
    "catalog",
    "support",
];
const SERVICES: [&str; 20] = [
    "api",
    "web",
    "worker",
    "gateway",
    "cache",
    "scheduler",
    "indexer",
    "auth",
    "notifier",
    "reports",
    "ledger",
    "checkout",
    "profile",
    "media",
    "events",
    "export",
    "import",
    "admin",
    "metrics",
    "proxy",
];
const ENVIRONMENTS: [&str; 10] = [
    "prod-eu-1",
    "prod-eu-2",
    "prod-us-1",
    "prod-us-2",
    "prod-ap-1",
    "staging-eu",
    "staging-us",
    "qa",
    "dev",
    "sandbox",
];

/// What an Application deploys besides its fixture's resources: (group, version, kind,
/// namespaced, has a health check), as Argo CD lists them (it gives no health to a kind it
/// has no check for).
const KINDS: [(&str, &str, &str, bool, bool); 13] = [
    ("apps", "v1", "Deployment", true, true),
    ("", "v1", "Service", true, true),
    ("", "v1", "ConfigMap", true, false),
    ("", "v1", "Secret", true, false),
    ("", "v1", "ServiceAccount", true, false),
    ("networking.k8s.io", "v1", "Ingress", true, true),
    ("autoscaling", "v2", "HorizontalPodAutoscaler", true, true),
    ("policy", "v1", "PodDisruptionBudget", true, true),
    ("rbac.authorization.k8s.io", "v1", "Role", true, false),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "RoleBinding",
        true,
        false,
    ),
    ("batch", "v1", "CronJob", true, true),
    ("monitoring.coreos.com", "v1", "ServiceMonitor", true, false),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRole",
        false,
        false,
    ),
];

/// The time every generated reconcile counts from (change `n` is `n` seconds after it).
const EPOCH: i64 = 1_777_000_000;

/// status-core's Application fixtures, in name order.
pub(super) fn fixtures() -> Result<Vec<Value>> {
    let dir = project_root().join("status-core/tests/fixtures/argocd");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    let fixtures = paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p)?;
            serde_json::from_str(&text).with_context(|| format!("{} is not JSON", p.display()))
        })
        .collect::<Result<Vec<Value>>>()?;
    if fixtures.is_empty() {
        bail!("no Application fixtures in {}", dir.display());
    }
    Ok(fixtures)
}

/// The name of the `i`th Application: `<service>-<team>-<environment>`, unique for the first
/// 2,000.
pub(super) fn name(i: usize) -> String {
    format!(
        "{}-{}-{}",
        SERVICES[(i / TEAMS.len()) % SERVICES.len()],
        TEAMS[i % TEAMS.len()],
        ENVIRONMENTS[(i / (TEAMS.len() * SERVICES.len())) % ENVIRONMENTS.len()]
    )
}

/// The `i`th Application of the fleet, from fixture `i` modulo their number.
pub(super) fn application(i: usize, fixtures: &[Value]) -> Value {
    let mut app = fixtures[i % fixtures.len()].clone();
    let name = name(i);
    let team = TEAMS[i % TEAMS.len()];
    let service = SERVICES[(i / TEAMS.len()) % SERVICES.len()];
    app["metadata"] = json!({
        "name": name,
        "namespace": NAMESPACE,
        "labels": {"team": team, "app.kubernetes.io/part-of": team},
        "annotations": {
            "notifications.argoproj.io/subscribe.on-sync-failed.slack": format!("{team}-deployments"),
            "argocd.argoproj.io/refresh": "normal",
        },
        "finalizers": ["resources-finalizer.argocd.argoproj.io"],
    });
    if let Some(destination) = app["spec"]["destination"].as_object_mut() {
        destination.insert("namespace".into(), json!(team));
    }
    // A brand-new Application (no status) stays one: the controller has not seen it yet.
    let Some(status) = app.get_mut("status").and_then(Value::as_object_mut) else {
        return app;
    };
    let mut resources = status
        .get("resources")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let wanted = 32 + i % 9;
    let mut k = 0;
    while resources.len() < wanted {
        let (group, version, kind, namespaced, health) = KINDS[k % KINDS.len()];
        let mut resource = json!({
            "version": version, "kind": kind, "name": format!("{service}-{}", k / KINDS.len()),
            "status": if (i + k).is_multiple_of(97) { "OutOfSync" } else { "Synced" },
        });
        if !group.is_empty() {
            resource["group"] = json!(group);
        }
        if namespaced {
            resource["namespace"] = json!(team);
        }
        if health {
            resource["health"] = json!({"status": "Healthy"});
        }
        resources.push(resource);
        k += 1;
    }
    status.insert("resources".into(), Value::Array(resources));
    let revision = |n: usize| {
        format!(
            "{:040x}",
            (i as u128 + 1) * 0x9e37_79b9_7f4a_7c15 + n as u128
        )
    };
    let source = app["spec"]["source"].clone();
    let history: Vec<Value> = (0..2)
        .map(|n| {
            json!({
                "id": n + 1,
                "revision": revision(n),
                "deployStartedAt": timestamp(-86_400 * (2 - n as i64)),
                "deployedAt": timestamp(-86_400 * (2 - n as i64) + 4),
                "initiatedBy": {"automated": true},
                "source": source,
            })
        })
        .collect();
    let Some(status) = app["status"].as_object_mut() else {
        return app;
    };
    status.insert("history".into(), Value::Array(history));
    status.insert(
        "summary".into(),
        json!({"images": [format!("registry.example.com/{team}/{name}:1.{}.0", i % 40)]}),
    );
    status.insert("controllerNamespace".into(), json!(NAMESPACE));
    if i.is_multiple_of(5) && !status.contains_key("conditions") {
        status.insert(
            "conditions".into(),
            json!([{"type": "OrphanedResourceWarning",
                    "message": "Application has 2 orphaned resources",
                    "lastTransitionTime": timestamp(-3_600)}]),
        );
    }
    if !status.contains_key("operationState") {
        status.insert(
            "operationState".into(),
            json!({
                "phase": "Succeeded", "message": "successfully synced (all tasks run)",
                "startedAt": timestamp(-86_400), "finishedAt": timestamp(-86_396),
                "operation": {"initiatedBy": {"automated": true},
                              "sync": {"prune": true, "revision": revision(2)}},
                "syncResult": {"revision": revision(2), "source": source},
            }),
        );
    }
    app
}

/// Argo CD's `n`th change to the fleet, to `app`: a reconcile (a new `reconciledAt`, `n`
/// seconds after the first), and every tenth time a resource drifting or synced again (so
/// the sync status flips). Returns nothing: `app` is changed in place.
pub(super) fn change(app: &mut Value, n: usize) {
    if app.get("status").is_none_or(|s| !s.is_object()) {
        // A brand-new Application's first reconcile.
        app["status"] = json!({"sync": {"status": "Unknown"}});
    }
    let status = &mut app["status"];
    status["reconciledAt"] = json!(timestamp(n as i64));
    if n.is_multiple_of(10) {
        let drifted = status["resources"]
            .as_array()
            .and_then(|r| r.first())
            .is_some_and(|r| r["status"] == "OutOfSync");
        let (resource, sync) = if drifted {
            ("Synced", "Synced")
        } else {
            ("OutOfSync", "OutOfSync")
        };
        if let Some(first) = status["resources"]
            .as_array_mut()
            .and_then(|r| r.first_mut())
        {
            first["status"] = json!(resource);
        }
        status["sync"]["status"] = json!(sync);
    }
}

/// [`EPOCH`] plus `seconds`, as Argo CD writes times.
fn timestamp(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(EPOCH + seconds, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fleet_is_unique_realistic_and_maps_to_valid_documents() {
        let fixtures = fixtures().unwrap();
        let mut names = std::collections::BTreeSet::new();
        let mut bytes = 0;
        let now = chrono::Utc::now();
        for i in 0..2000 {
            let mut app = application(i, &fixtures);
            assert!(names.insert(name(i)), "{} twice", name(i));
            bytes += app.to_string().len();
            status_core::argocd::from_value(&app, now).unwrap();
            if app.get("status").is_some() {
                assert!(app["status"]["resources"].as_array().unwrap().len() >= 32);
            }
            // Every change gives another document.
            let before = status_core::argocd::from_value(&app, now).unwrap();
            change(&mut app, i + 1);
            let after = status_core::argocd::from_value(&app, now).unwrap();
            assert_ne!(before.to_json(), after.to_json(), "{}", name(i));
        }
        let average = bytes / 2000;
        assert!(
            (5_000..8_000).contains(&average),
            "{average} bytes on average"
        );
    }
}
