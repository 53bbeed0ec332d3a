//! The merge: precedence between kinds and between ConfigMaps, last good kept where it has
//! the say, fall-through of never-valid keys, clashes, deletions.

use status_kube::watch::{Document, Documents};

use super::*;
use crate::layer::apply_documents;

fn doc(repo: &str) -> String {
    format!(
        r#"{{"repo":"{repo}","server":"s","sync_status":"SYNCED","drift_count":0,"files":[],"last_check":"2026-04-21T12:30:00Z"}}"#
    )
}

fn slots(old: &Slots, pairs: &[(&str, &str)]) -> Slots {
    let documents: Documents = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Document::Bytes(v.as_bytes().to_vec())))
        .collect();
    apply_documents(old, documents, &|k| k.to_owned()).slots
}

fn files() -> LayerId {
    LayerId {
        rank: Rank::Files,
        object: String::new(),
        source: SourceId(0),
    }
}

fn configmap(name: &str) -> LayerId {
    LayerId {
        rank: Rank::ConfigMaps,
        object: name.to_owned(),
        source: SourceId(1),
    }
}

fn application(name: &str) -> LayerId {
    LayerId {
        rank: Rank::Derived,
        object: name.to_owned(),
        source: SourceId(2),
    }
}

fn name(id: &LayerId) -> String {
    match id.rank {
        Rank::Files => "files".to_owned(),
        Rank::ConfigMaps => format!("configmap/m/{}", id.object),
        Rank::Derived => format!("application/argocd/{}", id.object),
    }
}

fn set(layers: &mut Layers, id: LayerId, pairs: &[(&str, &str)]) -> Vec<String> {
    let old = layers.slots(&id).cloned().unwrap_or_default();
    let new = slots(&old, pairs);
    layers.set(id.clone(), name(&id), new)
}

fn served(layers: &Layers, key: &str) -> Option<(String, String)> {
    let resolved = layers.resolve(key)?;
    let entry = resolved.served?;
    Some((entry.document.repo().to_owned(), resolved.from))
}

#[test]
fn derived_then_files_then_configmaps_in_name_order() {
    let mut layers = Layers::default();
    set(
        &mut layers,
        application("web"),
        &[("status.json", &doc("argo"))],
    );
    assert_eq!(
        served(&layers, "status.json"),
        Some(("argo".into(), "application/argocd/web".into()))
    );
    set(&mut layers, files(), &[("status.json", &doc("file"))]);
    assert_eq!(served(&layers, "status.json").unwrap().0, "file");
    set(
        &mut layers,
        configmap("team-b"),
        &[("status.json", &doc("b"))],
    );
    set(
        &mut layers,
        configmap("team-a"),
        &[("status.json", &doc("a"))],
    );
    // team-b sorts after team-a: it wins, whatever arrived first.
    assert_eq!(
        served(&layers, "status.json"),
        Some(("b".into(), "configmap/m/team-b".into()))
    );
    // A deleted ConfigMap takes its documents with it: the next one down is served.
    let changed = layers.remove(&configmap("team-b"));
    assert_eq!(changed, ["status.json"]);
    assert_eq!(served(&layers, "status.json").unwrap().0, "a");
    layers.remove(&configmap("team-a"));
    assert_eq!(served(&layers, "status.json").unwrap().0, "file");
    assert!(layers.resolve("other.json").is_none());
}

#[test]
fn an_invalid_update_keeps_the_last_good_version_where_it_has_the_say() {
    let mut layers = Layers::default();
    set(&mut layers, files(), &[("status.json", &doc("file"))]);
    set(
        &mut layers,
        configmap("live"),
        &[("status.json", &doc("live"))],
    );
    set(&mut layers, configmap("live"), &[("status.json", "{")]);
    let resolved = layers.resolve("status.json").unwrap();
    // Not the file's version: the ConfigMap's last good one, with its error.
    assert_eq!(resolved.served.unwrap().document.repo(), "live");
    assert!(resolved.error.is_some());
    assert_eq!(resolved.from, "configmap/m/live");
}

#[test]
fn a_key_never_valid_falls_through_to_a_lower_valid_version() {
    let mut layers = Layers::default();
    set(&mut layers, files(), &[("status.json", &doc("file"))]);
    set(&mut layers, configmap("a"), &[("status.json", "{")]);
    set(&mut layers, configmap("b"), &[("status.json", "[]")]);
    let resolved = layers.resolve("status.json").unwrap();
    assert_eq!(resolved.served.unwrap().document.repo(), "file");
    assert_eq!(resolved.from, "files");
    // The error is the one of the layer with the say (b), so the metrics say invalid.
    assert!(resolved.error.unwrap().message.contains("$"));

    // With nothing valid anywhere: nothing to serve (503), and still the error.
    let mut alone = Layers::default();
    set(&mut alone, configmap("a"), &[("x.json", "{")]);
    let resolved = alone.resolve("x.json").unwrap();
    assert!(resolved.served.is_none());
    assert!(resolved.error.is_some());
    assert_eq!(resolved.from, "configmap/m/a");
}

#[test]
fn two_configmaps_with_one_key_clash_files_under_a_configmap_do_not() {
    let mut layers = Layers::default();
    set(&mut layers, files(), &[("status.json", &doc("file"))]);
    set(&mut layers, configmap("a"), &[("status.json", &doc("a"))]);
    let resolved = layers.resolve("status.json").unwrap();
    assert!(layers.clash("status.json", &resolved).is_empty());

    set(&mut layers, configmap("b"), &[("status.json", &doc("b"))]);
    let resolved = layers.resolve("status.json").unwrap();
    assert_eq!(
        layers.clash("status.json", &resolved),
        [Shadowed {
            document: "status.json".into(),
            source: "configmap/m/a".into(),
            by: "configmap/m/b".into(),
        }]
    );

    // The same ConfigMap seen by two watches (by name and by selector) is no clash.
    let mut twice = Layers::default();
    let mut by_selector = configmap("a");
    by_selector.source = SourceId(3);
    set(&mut twice, configmap("a"), &[("status.json", &doc("a"))]);
    set(&mut twice, by_selector, &[("status.json", &doc("a"))]);
    let resolved = twice.resolve("status.json").unwrap();
    assert!(twice.clash("status.json", &resolved).is_empty());
}

#[test]
fn a_derived_document_under_an_explicit_one_clashes() {
    let mut layers = Layers::default();
    set(
        &mut layers,
        application("web"),
        &[("web.json", &doc("argo"))],
    );
    set(&mut layers, files(), &[("web.json", &doc("file"))]);
    let resolved = layers.resolve("web.json").unwrap();
    let clash = layers.clash("web.json", &resolved);
    assert_eq!(clash.len(), 1);
    assert_eq!(clash[0].source, "application/argocd/web");
    assert_eq!(clash[0].by, "files");
}

#[test]
fn set_reports_only_the_keys_that_changed() {
    let mut layers = Layers::default();
    let changed = set(
        &mut layers,
        configmap("a"),
        &[("x.json", &doc("x")), ("y.json", &doc("y"))],
    );
    assert_eq!(changed, ["x.json", "y.json"]);
    // A relist with the same bytes: nothing.
    let changed = set(
        &mut layers,
        configmap("a"),
        &[("x.json", &doc("x")), ("y.json", &doc("y"))],
    );
    assert!(changed.is_empty());
    let changed = set(
        &mut layers,
        configmap("a"),
        &[("x.json", &doc("x2")), ("z.json", &doc("z"))],
    );
    assert_eq!(changed, ["x.json", "y.json", "z.json"]);
    assert!(layers.resolve("y.json").is_none());
    assert_eq!(
        layers.documents_by_source(),
        BTreeMap::from([(SourceId(1), 2)])
    );
}
