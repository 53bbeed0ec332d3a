//! kube-rs's `runtime::watcher` — the client status-server's live sources use — against the
//! fake: the initial list then events, with both initial list strategies (a list then a watch;
//! a streaming list), a relist after compaction (410), a rewatch after dropped watches without
//! a relist, an outage and a restart lived through, permissions granted mid-run, and Argo CD
//! Applications watched as dynamic objects.

use std::time::Duration;

use fake_apiserver::{ADMIN_TOKEN, Config, Rule};
use futures_util::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::serde::de::DeserializeOwned;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::utils::Backoff;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, Resource, ResourceExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::support::{Cluster, NS, WAIT};

/// What the watcher yielded, in short.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Init,
    /// An object of the initial list: `name=value`.
    Listed(String),
    InitDone,
    Applied(String),
    Deleted(String),
    /// A watch ended with 410 Expired: the watcher relists.
    Gone,
    /// Any other error (the API unreachable, 403, ...), which the watcher retries.
    Failed(String),
}

/// Retries at once (50 ms): tests wait for outcomes, not for kube's production backoff.
struct Quick;

impl Iterator for Quick {
    type Item = Duration;
    fn next(&mut self) -> Option<Duration> {
        Some(Duration::from_millis(50))
    }
}

impl Backoff for Quick {
    fn reset(&mut self) {}
}

async fn client(cluster: &Cluster, token: &str) -> Client {
    // kube is built without a crypto provider of its own (status-kube installs ring's).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let kubeconfig = Kubeconfig::from_yaml(&cluster.server.kubeconfig(token, NS)).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap();
    Client::try_from(config).unwrap()
}

/// A watcher running on its own task, and what it yields.
struct Watching {
    rx: mpsc::UnboundedReceiver<Seen>,
    task: tokio::task::JoinHandle<()>,
}

impl Watching {
    fn start<K>(api: Api<K>, config: watcher::Config, show: fn(&K) -> String) -> Self
    where
        K: Resource + Clone + DeserializeOwned + std::fmt::Debug + Send + 'static,
    {
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            let mut events = watcher(api, config).backoff(Quick).boxed();
            while let Some(event) = events.next().await {
                let seen = match event {
                    Ok(watcher::Event::Init) => Seen::Init,
                    Ok(watcher::Event::InitApply(o)) => Seen::Listed(show(&o)),
                    Ok(watcher::Event::InitDone) => Seen::InitDone,
                    Ok(watcher::Event::Apply(o)) => Seen::Applied(show(&o)),
                    Ok(watcher::Event::Delete(o)) => Seen::Deleted(show(&o)),
                    Err(watcher::Error::WatchError(status)) if status.code == 410 => Seen::Gone,
                    Err(e) => Seen::Failed(e.to_string()),
                };
                if tx.send(seen).is_err() {
                    return;
                }
            }
        });
        Self { rx, task }
    }

    async fn next(&mut self) -> Seen {
        tokio::time::timeout(WAIT, self.rx.recv())
            .await
            .unwrap_or_else(|_| panic!("the watcher yielded nothing within {WAIT:?}"))
            .expect("the watcher ended")
    }

    /// Everything yielded before `wanted` (which must come within [`WAIT`]).
    async fn until(&mut self, wanted: &Seen) -> Vec<Seen> {
        let mut before = Vec::new();
        loop {
            let seen = self.next().await;
            if seen == *wanted {
                return before;
            }
            before.push(seen);
        }
    }

    /// The initial list: Init, the objects, InitDone.
    async fn initial(&mut self) -> Vec<Seen> {
        assert_eq!(self.next().await, Seen::Init);
        let mut listed = Vec::new();
        loop {
            match self.next().await {
                Seen::InitDone => return listed,
                seen => listed.push(seen),
            }
        }
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn show_cm(cm: &ConfigMap) -> String {
    let value = cm
        .data
        .as_ref()
        .and_then(|d| d.get("v"))
        .cloned()
        .unwrap_or_default();
    format!("{}={value}", cm.name_any())
}

fn cm(name: &str, value: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": NS}, "data": {"v": value}})
}

fn listed(names: &[&str]) -> Vec<Seen> {
    names
        .iter()
        .map(|n| Seen::Listed((*n).to_owned()))
        .collect()
}

fn applied(what: &str) -> Seen {
    Seen::Applied(what.to_owned())
}

/// Blocking test controls (stop joins a thread) off the async workers' backs.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

async fn configmaps(cluster: &Cluster, config: watcher::Config) -> Watching {
    let api = Api::<ConfigMap>::namespaced(client(cluster, ADMIN_TOKEN).await, NS);
    Watching::start(api, config, show_cm)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_initial_list_strategies_list_then_follow() {
    for streaming in [false, true] {
        let cluster = Cluster::start();
        let server = &cluster.server;
        for name in ["a", "b"] {
            server.create("configmaps", cm(name, "1"), "test").unwrap();
        }
        let config = if streaming {
            watcher::Config::default().streaming_lists()
        } else {
            watcher::Config::default()
        };
        let mut watching = configmaps(&cluster, config).await;
        assert_eq!(
            watching.initial().await,
            listed(&["a=1", "b=1"]),
            "streaming: {streaming}"
        );
        server.create("configmaps", cm("c", "1"), "test").unwrap();
        server.apply("configmaps", cm("a", "2"), "test").unwrap();
        server.delete("configmaps", Some(NS), "b").unwrap();
        assert_eq!(watching.next().await, applied("c=1"));
        assert_eq!(watching.next().await, applied("a=2"));
        assert_eq!(watching.next().await, Seen::Deleted("b=1".into()));

        let queries: Vec<String> = server
            .requests()
            .into_iter()
            .filter(|r| r.path == format!("/api/v1/namespaces/{NS}/configmaps"))
            .map(|r| r.query)
            .collect();
        if streaming {
            // One watch that streams the state, ended by the initial-events-end bookmark.
            assert_eq!(queries.len(), 1, "{queries:?}");
            assert!(queries[0].contains("sendInitialEvents=true"), "{queries:?}");
        } else {
            // A list (500 at a time; the fake returns everything, with no continue token),
            // then a watch from its resourceVersion.
            assert_eq!(queries.len(), 2, "{queries:?}");
            assert_eq!(queries[0].trim_start_matches('&'), "limit=500");
            assert!(
                queries[1].contains("watch=true")
                    && queries[1].contains("allowWatchBookmarks=true")
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compacted_history_makes_the_watcher_relist() {
    for config in [
        watcher::Config::default(),
        watcher::Config::default().streaming_lists(),
    ] {
        let cluster = Cluster::start();
        let server = &cluster.server;
        server.create("configmaps", cm("a", "1"), "test").unwrap();
        let mut watching = configmaps(&cluster, config).await;
        assert_eq!(watching.initial().await, listed(&["a=1"]));
        server.create("configmaps", cm("b", "1"), "test").unwrap();
        assert_eq!(watching.next().await, applied("b=1"));
        // Everything the watcher saw is now too old to resume from: its rewatch gets the 410
        // ERROR event, and it lists again.
        server.compact();
        server.drop_watches();
        assert_eq!(watching.next().await, Seen::Gone);
        assert_eq!(watching.initial().await, listed(&["a=1", "b=1"]));
        server.create("configmaps", cm("c", "1"), "test").unwrap();
        assert_eq!(watching.next().await, applied("c=1"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_watches_are_rewatched_without_a_relist() {
    let cluster = Cluster::start();
    let server = &cluster.server;
    let mut watching = configmaps(&cluster, watcher::Config::default()).await;
    assert_eq!(watching.initial().await, listed(&[]));
    server.create("configmaps", cm("a", "1"), "test").unwrap();
    assert_eq!(watching.next().await, applied("a=1"));
    for round in 2..4 {
        server.drop_watches();
        // Made while the watcher has no watch open, or after it watches again: either way
        // the rewatch from its resourceVersion brings it.
        server
            .apply("configmaps", cm("a", &round.to_string()), "test")
            .unwrap();
        assert_eq!(watching.next().await, applied(&format!("a={round}")));
    }
    let requests = server.requests();
    let lists = requests
        .iter()
        .filter(|r| r.query.trim_start_matches('&') == "limit=500")
        .count();
    let watches = requests
        .iter()
        .filter(|r| r.query.contains("watch=true"))
        .count();
    assert_eq!((lists, watches), (1, 3), "{requests:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watcher_lives_through_an_outage_and_a_restart() {
    let cluster = Cluster::start();
    let server = &cluster.server;
    server.create("configmaps", cm("a", "1"), "test").unwrap();
    let mut watching = configmaps(&cluster, watcher::Config::default()).await;
    assert_eq!(watching.initial().await, listed(&["a=1"]));

    // The API goes away; meanwhile things change; it comes back with its state and history.
    blocking(|| server.stop());
    server.apply("configmaps", cm("a", "2"), "test").unwrap();
    server.create("configmaps", cm("b", "1"), "test").unwrap();
    let during = watching.next().await;
    assert!(matches!(during, Seen::Failed(_)), "{during:?}");
    blocking(|| server.restart()).unwrap();
    let before = watching.until(&applied("a=2")).await;
    assert!(
        before.iter().all(|s| matches!(s, Seen::Failed(_))),
        "{before:?}"
    );
    assert_eq!(watching.next().await, applied("b=1"));

    // Again, with the history lost as a real server's watch cache loses it on a restart: the
    // watcher relists and finds what changed.
    blocking(|| server.stop());
    server.delete("configmaps", Some(NS), "a").unwrap();
    server.compact();
    blocking(|| server.restart()).unwrap();
    let before = watching.until(&Seen::Gone).await;
    assert!(
        before.iter().all(|s| matches!(s, Seen::Failed(_))),
        "{before:?}"
    );
    assert_eq!(watching.initial().await, listed(&["b=1"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watcher_refused_with_403_starts_once_permissions_are_granted() {
    let cluster = Cluster::with(Config::default().user(
        "server",
        "server-token",
        vec![Rule::configmaps(["get", "list"]).in_namespaces([NS])],
    ));
    let server = &cluster.server;
    let api = Api::<ConfigMap>::namespaced(client(&cluster, "server-token").await, NS);
    let mut watching = Watching::start(api, watcher::Config::default(), show_cm);
    // The list is allowed, the watch is not: the real message names what is missing.
    assert_eq!(watching.initial().await, listed(&[]));
    let Seen::Failed(refused) = watching.next().await else {
        panic!("the watch was not refused");
    };
    assert!(
        refused.contains(
            "cannot watch resource \"configmaps\" in API group \"\" in the namespace \"monitoring\""
        ),
        "{refused}"
    );
    blocking(|| {
        server
            .set_rules("server", vec![Rule::configmaps(["get", "list", "watch"])])
            .unwrap();
    });
    server.create("configmaps", cm("a", "1"), "test").unwrap();
    let before = watching.until(&applied("a=1")).await;
    assert!(
        before.iter().all(|s| matches!(s, Seen::Failed(_))),
        "{before:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn argo_cd_applications_are_watched_as_dynamic_objects() {
    let cluster = Cluster::start();
    let server = &cluster.server;
    let app = |name: &str, team: &str, sync: &str| {
        json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": name, "namespace": "argocd", "labels": {"team": team}},
            "spec": {"project": "default", "destination": {"server": "https://kubernetes.default.svc"}},
            "status": {"sync": {"status": sync}}})
    };
    server
        .apply(
            "applications.argoproj.io",
            app("web", "web", "Synced"),
            "argocd",
        )
        .unwrap();
    server
        .apply(
            "applications.argoproj.io",
            app("db", "db", "Synced"),
            "argocd",
        )
        .unwrap();
    let gvk = GroupVersionKind::gvk("argoproj.io", "v1alpha1", "Application");
    let resource = ApiResource::from_gvk_with_plural(&gvk, "applications");
    let api = Api::<DynamicObject>::namespaced_with(
        client(&cluster, ADMIN_TOKEN).await,
        "argocd",
        &resource,
    );
    let show = |app: &DynamicObject| {
        format!(
            "{}={}",
            app.name_any(),
            app.data["status"]["sync"]["status"]
                .as_str()
                .unwrap_or_default()
        )
    };
    let mut watching = Watching::start(
        api,
        watcher::Config::default()
            .labels("team=web")
            .streaming_lists(),
        show,
    );
    assert_eq!(watching.initial().await, listed(&["web=Synced"]));
    server
        .apply(
            "applications.argoproj.io",
            app("db", "db", "OutOfSync"),
            "argocd",
        )
        .unwrap();
    server
        .apply(
            "applications.argoproj.io",
            app("web", "web", "OutOfSync"),
            "argocd",
        )
        .unwrap();
    assert_eq!(watching.next().await, applied("web=OutOfSync"));
    server
        .delete("applications.argoproj.io", Some("argocd"), "web")
        .unwrap();
    assert_eq!(watching.next().await, Seen::Deleted("web=OutOfSync".into()));
}
