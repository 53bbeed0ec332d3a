//! Argo CD Applications watched through the API (`--argocd-namespace`): each served as the
//! document its mapping gives, following creations, updates and deletions; below files and
//! ConfigMaps on a name clash; stable across relists; a refused Application visible as an
//! invalid document; a watch that outlives an outage and a missing permission.

use fake_apiserver::{Config, Rule};
use serde_json::{Value, json};
use status_core::argocd::Application;

use super::binary::{CI_TOKEN, Running, redacted};
use super::{Cluster, NAMESPACE, RECOVERY, eventually_within, serve, source_health};
use crate::helpers::{TestServer, doc};
use crate::metrics::{gauge, parse};

/// Argo CD's namespace in these tests.
const ARGOCD: &str = "argocd";
/// The source `/readyz` and `/metrics` name for every Application of [`ARGOCD`].
const SOURCE: &str = "applications/argocd";

/// An Application modelled on status-core's fixtures (`out-of-sync.json`: three drifted
/// resources), named `name`, with `labels`.
fn application(name: &str, labels: &[(&str, &str)]) -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../status-core/tests/fixtures/argocd/out-of-sync.json"
    );
    let mut app: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let labels: serde_json::Map<String, Value> = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), json!(v)))
        .collect();
    // What the API server owns is its own to set.
    app["metadata"] = json!({"name": name, "namespace": ARGOCD, "labels": labels});
    app
}

impl Cluster {
    /// Creates or replaces an Application (Argo CD's controller writing its status).
    fn put_app(&self, app: &Value) {
        self.api
            .apply(
                "applications.argoproj.io",
                app.clone(),
                "argocd-application-controller",
            )
            .unwrap_or_else(|e| panic!("cannot write Application: {e:?}"));
    }

    fn delete_app(&self, name: &str) {
        self.api
            .delete("applications.argoproj.io", Some(ARGOCD), name)
            .unwrap_or_else(|e| panic!("cannot delete Application {name}: {e:?}"));
    }

    /// The document the server must serve for the Application `name` as the fake holds it:
    /// status-core's mapping, with its creation as the fallback `last_check`.
    fn mapped(&self, name: &str) -> String {
        let stored = self
            .api
            .object("applications.argoproj.io", Some(ARGOCD), name)
            .unwrap();
        let app = Application::from_value(&stored).unwrap();
        let created = app.creation_timestamp().expect("the API server sets it");
        app.to_document(created).unwrap().to_json_pretty()
    }

    /// The flags that point the server at Argo CD's namespace.
    fn argocd_flags(&self) -> Vec<String> {
        vec![
            "--kubeconfig".into(),
            self.kubeconfig.display().to_string(),
            "--argocd-namespace".into(),
            ARGOCD.into(),
        ]
    }
}

/// Starts the server in-process watching Argo CD's namespace, with `args`.
async fn serve_apps(cluster: &Cluster, args: &[&str]) -> TestServer {
    let flags = cluster.argocd_flags();
    let mut all: Vec<&str> = flags.iter().map(String::as_str).collect();
    all.extend_from_slice(args);
    crate::helpers::spawn(&all).await
}

async fn served(server: &TestServer, path: &str, expected: &str) {
    server
        .eventually(path, expected, |s, b| s == 200 && b == expected)
        .await;
}

#[tokio::test]
async fn applications_are_served_as_their_mapped_documents_and_follow_changes_and_deletions() {
    let cluster = Cluster::start();
    cluster.put_app(&application("storefront", &[]));
    cluster.put_app(&application("checkout", &[]));
    let server = serve_apps(&cluster, &[]).await;
    let storefront = cluster.mapped("storefront");
    served(&server, "/status/storefront.json", &storefront).await;
    // What Argo CD observed, not what anyone claimed.
    let document: Value = serde_json::from_str(&storefront).unwrap();
    assert_eq!(document["sync_status"], "OUT_OF_SYNC");
    assert_eq!(document["app"], "storefront");
    assert_eq!(
        document["files"],
        json!([
            "/ConfigMap/storefront/storefront-config",
            "apps/Deployment/storefront/storefront",
            "/Secret/storefront/storefront-legacy"
        ])
    );
    assert_eq!(
        server.get_text("/statuses.json").await,
        (
            200,
            format!("[{},{}]", cluster.mapped("checkout"), storefront)
        )
    );
    // The per-document gauges work for derived documents unchanged.
    let scrape = parse(&server.get_text("/metrics").await.1);
    let repo = "https://git.example.com/platform/storefront-deploy.git";
    let server_url = "https://prod-eu-1.k8s.example.com:6443";
    let labels = |status| {
        vec![
            ("document", "storefront.json"),
            ("repo", repo),
            ("server", server_url),
            ("status", status),
        ]
    };
    assert_eq!(
        gauge(&scrape, "gitops_status_sync", &labels("OUT_OF_SYNC")),
        1.0
    );
    assert_eq!(gauge(&scrape, "gitops_status_sync", &labels("SYNCED")), 0.0);
    assert_eq!(
        gauge(&scrape, "gitops_status_drift_count", &labels("")[..3]),
        3.0
    );
    let health = source_health(&server, SOURCE).await;
    assert_eq!(health["healthy"], true, "{health}");
    assert_eq!(health["documents"], 2);
    // The source's own series, as a ConfigMap watch has them (read after /readyz says it is
    // healthy: its health may arrive just after its documents).
    let scrape = parse(&server.get_text("/metrics").await.1);
    let source = [("source", SOURCE)];
    assert_eq!(gauge(&scrape, "gitops_status_source_up", &source), 1.0);
    assert_eq!(
        gauge(&scrape, "gitops_status_source_documents", &source),
        2.0
    );
    assert!(
        gauge(
            &scrape,
            "gitops_status_source_last_event_timestamp_seconds",
            &source
        ) > 1.7e9
    );

    // Argo CD reconciles and syncs: the new status is served.
    let mut synced = application("storefront", &[]);
    synced["status"]["reconciledAt"] = json!("2026-04-21T12:35:00Z");
    synced["status"]["sync"]["status"] = json!("Synced");
    for resource in synced["status"]["resources"].as_array_mut().unwrap() {
        resource["status"] = json!("Synced");
    }
    cluster.put_app(&synced);
    let storefront = cluster.mapped("storefront");
    assert!(storefront.contains("\"SYNCED\""), "{storefront}");
    served(&server, "/status/storefront.json", &storefront).await;

    // Deleted: its document goes with it.
    cluster.delete_app("checkout");
    server
        .eventually("/status/checkout.json", "404", |s, _| s == 404)
        .await;
    assert_eq!(
        server.get_text("/statuses.json").await,
        (200, format!("[{storefront}]"))
    );
    let scrape = parse(&server.get_text("/metrics").await.1);
    assert!(
        !scrape
            .samples
            .iter()
            .any(|s| s.labels.get("document") == Some("checkout.json")),
        "a deleted document's series go away"
    );
}

#[tokio::test]
async fn a_selector_picks_applications_by_label() {
    let cluster = Cluster::start();
    cluster.put_app(&application("a", &[("team", "payments")]));
    cluster.put_app(&application("b", &[("team", "storefront")]));
    let server = serve_apps(&cluster, &["--argocd-selector", "team in (payments,x)"]).await;
    served(&server, "/status/a.json", &cluster.mapped("a")).await;
    assert_eq!(server.get_text("/status/b.json").await.0, 404);
    // One that gains the label joins.
    cluster.put_app(&application("b", &[("team", "x")]));
    served(&server, "/status/b.json", &cluster.mapped("b")).await;
    let health = source_health(&server, "applications/argocd?team in (payments,x)").await;
    assert_eq!(health["documents"], 2, "{health}");
}

#[tokio::test]
async fn explicit_documents_win_over_derived_ones_and_the_clash_is_reported() {
    let cluster = Cluster::start();
    cluster.put_app(&application("storefront", &[]));
    cluster.put("live", &[], &[("storefront.json", &doc("pushed", 0))]);
    let server = serve(
        &cluster,
        &["--kube-configmap", "live", "--argocd-namespace", ARGOCD],
    )
    .await;
    // Both arrive; the ConfigMap's wins, whichever came first.
    server
        .eventually("/metrics", "the clash", |_, b| {
            b.contains("gitops_status_document_shadowed{")
        })
        .await;
    assert_eq!(
        server.get_text("/status/storefront.json").await,
        (200, doc("pushed", 0))
    );
    let scrape = parse(&server.get_text("/metrics").await.1);
    let shadowed = gauge(
        &scrape,
        "gitops_status_document_shadowed",
        &[
            ("document", "storefront.json"),
            ("source", "application/argocd/storefront"),
            ("by", "configmap/monitoring/live"),
        ],
    );
    assert_eq!(shadowed, 1.0);

    // The explicit one goes: the derived one is served, and the clash is over.
    cluster.delete("live");
    served(
        &server,
        "/status/storefront.json",
        &cluster.mapped("storefront"),
    )
    .await;
    server
        .eventually("/metrics", "no clash", |_, b| {
            !b.contains("gitops_status_document_shadowed{")
        })
        .await;
}

#[tokio::test]
async fn a_relist_of_an_application_never_reconciled_changes_nothing_served() {
    let cluster = Cluster::start();
    // Brand new: no reconciledAt, no operation. Its last_check is its creation.
    let mut brand_new = application("fresh", &[]);
    brand_new["status"] = json!({});
    cluster.put_app(&brand_new);
    let server = serve_apps(&cluster, &[]).await;
    let mapped = cluster.mapped("fresh");
    served(&server, "/status/fresh.json", &mapped).await;
    let created = cluster
        .api
        .object("applications.argoproj.io", Some(ARGOCD), "fresh")
        .unwrap()["metadata"]["creationTimestamp"]
        .as_str()
        .unwrap()
        .to_owned();
    let document: Value = serde_json::from_str(&mapped).unwrap();
    assert_eq!(
        document["last_check"]
            .as_str()
            .unwrap()
            .replace("+00:00", "Z"),
        created
    );
    let before = server.get("/statuses.json").await;

    // The watch's history is compacted away: it lists again, a second later.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let lists = || {
        cluster
            .api
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/applications") && !r.query.contains("watch"))
            .count()
    };
    let lists_before = lists();
    cluster.api.compact();
    cluster.api.drop_watches();
    let deadline = std::time::Instant::now() + RECOVERY;
    while lists() == lists_before {
        assert!(std::time::Instant::now() < deadline, "no relist after 410");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let after = server.get("/statuses.json").await;
    for header in ["etag", "last-modified"] {
        assert_eq!(
            after.headers()[header],
            before.headers()[header],
            "{header}"
        );
    }
    assert_eq!(server.get_text("/status/fresh.json").await.1, mapped);
}

#[tokio::test]
async fn an_application_the_mapping_refuses_answers_503_or_keeps_its_last_good_version() {
    let cluster = Cluster::start();
    let mut broken = application("broken", &[]);
    broken["spec"]["source"]["repoURL"] = json!(42);
    cluster.put_app(&broken);
    cluster.put_app(&application("storefront", &[]));
    let server = serve_apps(&cluster, &[]).await;
    served(
        &server,
        "/status/storefront.json",
        &cluster.mapped("storefront"),
    )
    .await;
    // Never valid: 503, saying what the mapping refused.
    let (status, body) = server.get_text("/status/broken.json").await;
    assert_eq!(status, 503, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["error"], "document_invalid");
    assert_eq!(
        body["message"],
        "broken.json has never been valid, so there is nothing to serve: invalid Argo CD \
         Application: $.spec.source.repoURL is a number (42); expected a string"
    );
    let scrape = parse(&server.get_text("/metrics").await.1);
    let valid = |scrape: &_, document| {
        gauge(
            scrape,
            "gitops_status_document_valid",
            &[("document", document)],
        )
    };
    assert_eq!(valid(&scrape, "broken.json"), 0.0);
    assert!(!server.get_text("/statuses.json").await.1.contains("broken"));

    // Valid once, then refused: the last good version stays served, marked invalid.
    let good = cluster.mapped("storefront");
    let mut refused = application("storefront", &[]);
    refused["status"]["reconciledAt"] = json!("yesterday");
    cluster.put_app(&refused);
    server
        .eventually("/metrics", "storefront invalid", |_, b| {
            b.contains("gitops_status_document_valid{document=\"storefront.json\"} 0")
        })
        .await;
    assert_eq!(
        server.get_text("/status/storefront.json").await,
        (200, good)
    );
    assert_eq!(
        valid(
            &parse(&server.get_text("/metrics").await.1),
            "storefront.json"
        ),
        0.0
    );
}

#[tokio::test]
async fn an_outage_keeps_the_documents_and_brings_the_changes_made_meanwhile() {
    let cluster = Cluster::start();
    cluster.put_app(&application("storefront", &[]));
    let server = serve_apps(&cluster, &[]).await;
    served(
        &server,
        "/status/storefront.json",
        &cluster.mapped("storefront"),
    )
    .await;
    cluster.api.stop();
    eventually_within(&server, RECOVERY, "/readyz", "the watch down", |_, b| {
        b.contains("\"healthy\":false")
    })
    .await;
    assert_eq!(server.get_text("/status/storefront.json").await.0, 200);

    let mut later = application("storefront", &[]);
    later["status"]["reconciledAt"] = json!("2026-04-21T13:00:00Z");
    cluster.put_app(&later);
    cluster.put_app(&application("new", &[]));
    cluster.api.restart().unwrap();
    let storefront = cluster.mapped("storefront");
    eventually_within(
        &server,
        RECOVERY,
        "/status/storefront.json",
        "the change",
        |s, b| s == 200 && b == storefront,
    )
    .await;
    let new = cluster.mapped("new");
    eventually_within(
        &server,
        RECOVERY,
        "/status/new.json",
        "the new one",
        |s, b| s == 200 && b == new,
    )
    .await;
    eventually_within(&server, RECOVERY, "/readyz", "the watch up", |_, b| {
        !b.contains("\"healthy\":false")
    })
    .await;
}

#[tokio::test]
async fn forbidden_names_list_applications_in_argo_cds_namespace_until_granted() {
    let user = "system:serviceaccount:monitoring:gitops-status";
    let config = Config::default().user(user, CI_TOKEN, vec![]);
    let cluster = Cluster::with(config, CI_TOKEN);
    cluster.put_app(&application("storefront", &[]));
    let kubeconfig = cluster.kubeconfig.display().to_string();
    let file = cluster.file("status.json", &doc("default", 0));
    let server = Running::start(
        &[
            "--file",
            file.to_str().unwrap(),
            "--argocd-namespace",
            ARGOCD,
            "--kubeconfig",
            &kubeconfig,
        ],
        &[],
    );
    let line = server
        .log_line("not allowed to list applications.argoproj.io")
        .await;
    insta::assert_snapshot!(
        "forbidden_applications_log_line",
        redacted(&line, cluster.api.port())
    );
    server
        .eventually("/readyz", "ready on the file, the source down", |s, b| {
            s == 200 && b.contains("\"source\":\"applications/argocd\",\"healthy\":false")
        })
        .await;

    // Granted exactly what the chart's Role grants: the next retry lists and watches.
    cluster
        .api
        .set_rules(
            user,
            vec![Rule::applications(["get", "list", "watch"]).in_namespaces([ARGOCD])],
        )
        .unwrap();
    let mapped = cluster.mapped("storefront");
    server
        .eventually("/status/storefront.json", "the Application", |s, b| {
            s == 200 && b == mapped
        })
        .await;
    server.log_line("answers the watch again").await;
    assert!(!server.all_logs().contains(CI_TOKEN));
    let exit = server.terminate().await;
    assert!(exit.success(), "{exit}");
}

#[tokio::test]
async fn argo_cds_namespace_is_its_own_whatever_the_configmaps_namespace() {
    // ConfigMaps in `monitoring`, Applications in `argocd`, through one client.
    let cluster = Cluster::start();
    cluster.put_app(&application("storefront", &[]));
    cluster.put("live", &[], &[("status.json", &doc("live", 0))]);
    let server = serve(
        &cluster,
        &["--kube-configmap", "live", "--argocd-namespace", ARGOCD],
    )
    .await;
    served(&server, "/status.json", &doc("live", 0)).await;
    served(
        &server,
        "/status/storefront.json",
        &cluster.mapped("storefront"),
    )
    .await;
    // /readyz lists the sources lowest precedence first: derived documents first.
    let (_, body) = server.get_text("/readyz").await;
    let readyz: Value = serde_json::from_str(&body).unwrap();
    let names: Vec<&str> = readyz["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["source"].as_str().unwrap())
        .collect();
    assert_eq!(names, [SOURCE, &format!("configmap/{NAMESPACE}/live")]);
}
