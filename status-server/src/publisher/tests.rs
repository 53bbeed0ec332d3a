//! The publisher's state driven by updates as the sources send them: what each publication
//! serves, what it leaves alone, and what it logs.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use status_kube::watch::{Document, Object};

use super::state::State;
use crate::metrics::Metrics;
use crate::snapshot::Snapshot;
use crate::source::{Health, Rank, SourceId, SourceSpec, Update};

const FILES: SourceId = SourceId(0);
const WATCH: SourceId = SourceId(1);

fn doc(repo: &str) -> String {
    format!(
        r#"{{"repo":"{repo}","server":"s","sync_status":"SYNCED","drift_count":0,"files":[],"last_check":"2026-04-21T12:30:00Z"}}"#
    )
}

fn object(name: &str, pairs: &[(&str, &str)]) -> Object {
    Object {
        name: name.to_owned(),
        resource_version: "1".to_owned(),
        documents: pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Document::Bytes(v.as_bytes().to_vec())))
            .collect(),
    }
}

struct Harness {
    state: State,
    snapshot: Arc<ArcSwap<Snapshot>>,
    metrics: Arc<Metrics>,
}

impl Harness {
    fn new() -> Self {
        let specs = vec![
            SourceSpec {
                name: "files".into(),
                rank: Rank::Files,
                object_prefix: String::new(),
                watched: false,
            },
            SourceSpec {
                name: "configmaps/m?team".into(),
                rank: Rank::ConfigMaps,
                object_prefix: "configmap/m/".into(),
                watched: true,
            },
        ];
        let snapshot = Arc::new(ArcSwap::from_pointee(Snapshot::empty(Default::default())));
        let metrics = Arc::new(Metrics::new(snapshot.clone(), None));
        let state = State::new(specs, snapshot.clone(), metrics.clone(), Default::default());
        Self {
            state,
            snapshot,
            metrics,
        }
    }

    fn send(&mut self, updates: impl IntoIterator<Item = Update>) -> Arc<Snapshot> {
        let mut flushes = Vec::new();
        for update in updates {
            assert!(self.state.take(update, &mut flushes));
        }
        self.state.publish();
        self.snapshot.load_full()
    }

    fn files(&mut self, pairs: &[(&str, &str)]) -> Arc<Snapshot> {
        let slots =
            crate::layer::apply_documents(&BTreeMap::new(), object("", pairs).documents, &|k| {
                k.to_owned()
            })
            .slots;
        self.send([Update::Files {
            source: FILES,
            slots: Some(slots),
            rejected: Vec::new(),
            health: Health {
                up: true,
                ..Health::default()
            },
        }])
    }

    fn reloads(&self) -> String {
        let text = self.metrics.encode().unwrap();
        text.lines()
            .find(|l| l.starts_with("gitops_status_reloads_total"))
            .unwrap_or_default()
            .to_owned()
    }
}

fn served(snapshot: &Snapshot, key: &str) -> Option<String> {
    let served = snapshot.documents.get(key)?.served.as_ref()?;
    Some(String::from_utf8(served.body.content.bytes.to_vec()).unwrap())
}

#[test]
fn a_relist_of_the_same_bytes_changes_nothing_served() {
    let mut h = Harness::new();
    let first = h.send([Update::Listed {
        source: WATCH,
        objects: vec![object("a", &[("status.json", &doc("a"))])],
    }]);
    assert_eq!(served(&first, "status.json"), Some(doc("a")));
    let reloads = h.reloads();

    let second = h.send([Update::Listed {
        source: WATCH,
        objects: vec![object("a", &[("status.json", &doc("a"))])],
    }]);
    assert!(Arc::ptr_eq(&first.documents, &second.documents));
    assert!(Arc::ptr_eq(&first.all, &second.all));
    assert_eq!(h.reloads(), reloads, "not counted as a reload");
}

#[test]
fn the_overview_follows_changes_at_most_once_a_second() {
    let overview = |s: &Snapshot| String::from_utf8(s.overview.content.bytes.to_vec()).unwrap();
    let mut h = Harness::new();
    let first = h.files(&[("status.json", &doc("first"))]);
    assert!(overview(&first).contains(">first</dd>"));
    assert_eq!(h.state.overview_due(), None);
    // A change within the second: the documents follow at once, the overview later.
    let second = h.files(&[("status.json", &doc("second"))]);
    assert_eq!(served(&second, "status.json"), Some(doc("second")));
    assert!(Arc::ptr_eq(&first.overview, &second.overview));
    let due = h.state.overview_due().expect("the overview is behind");
    assert!(due > std::time::Instant::now());
    // ...when the publisher's timer says it is due.
    h.state.render_overview();
    let third = h.snapshot.load_full();
    assert!(overview(&third).contains(">second</dd>"));
    assert!(Arc::ptr_eq(&second.documents, &third.documents));
    assert_eq!(h.state.overview_due(), None);
    // A relist of the same bytes changes nothing, so it does not make the overview late.
    h.files(&[("status.json", &doc("second"))]);
    assert_eq!(h.state.overview_due(), None);
}

#[test]
fn configmaps_override_files_and_a_deleted_one_hands_back_with_a_later_date() {
    let mut h = Harness::new();
    let files = h.files(&[("status.json", &doc("file"))]);
    let file_body = files.documents["status.json"].served.clone().unwrap();
    let live = h.send([Update::Applied {
        source: WATCH,
        object: object("live", &[("status.json", &doc("live"))]),
    }]);
    assert_eq!(served(&live, "status.json"), Some(doc("live")));
    let live_body = live.documents["status.json"].served.clone().unwrap();
    assert!(live_body.body.modified > file_body.body.modified);

    let back = h.send([Update::Deleted {
        source: WATCH,
        name: "live".into(),
    }]);
    assert_eq!(served(&back, "status.json"), Some(doc("file")));
    // The file's bytes again, but new to clients that hold the ConfigMap's: dated later.
    let body = &back.documents["status.json"].served.as_ref().unwrap().body;
    assert!(body.modified > live_body.body.modified);
    assert_eq!(body.content.etag, file_body.body.content.etag);
}

#[test]
fn a_relist_without_an_object_removes_its_documents() {
    let mut h = Harness::new();
    h.send([Update::Listed {
        source: WATCH,
        objects: vec![
            object("a", &[("a.json", &doc("a"))]),
            object("b", &[("b.json", &doc("b"))]),
        ],
    }]);
    let after = h.send([Update::Listed {
        source: WATCH,
        objects: vec![object("b", &[("b.json", &doc("b"))])],
    }]);
    assert_eq!(served(&after, "a.json"), None);
    assert_eq!(served(&after, "b.json"), Some(doc("b")));
    assert_eq!(after.sources[1].documents, 1);
}

/// A writer into a shared buffer, for capturing log lines.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_clash_is_logged_once_and_exported_while_it_lasts() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .without_time()
        .with_ansi(false)
        .with_target(false)
        .finish();
    let mut h = Harness::new();
    tracing::subscriber::with_default(subscriber, || {
        h.send([Update::Listed {
            source: WATCH,
            objects: vec![
                object("team-a", &[("shared.json", &doc("a"))]),
                object("team-b", &[("shared.json", &doc("b"))]),
            ],
        }]);
        // Events that do not change the clash log nothing more.
        for i in 0..3 {
            h.send([Update::Applied {
                source: WATCH,
                object: object("team-a", &[("shared.json", &doc(&format!("a{i}")))]),
            }]);
        }
        let snapshot = h.snapshot.load_full();
        assert_eq!(served(&snapshot, "shared.json"), Some(doc("b")));
        assert_eq!(snapshot.shadowed.len(), 1);
        let metrics = h.metrics.encode().unwrap();
        assert!(metrics.contains(
            "gitops_status_document_shadowed{document=\"shared.json\",source=\"configmap/m/team-a\",by=\"configmap/m/team-b\"} 1"
        ), "{metrics}");
        h.send([Update::Deleted {
            source: WATCH,
            name: "team-b".into(),
        }]);
        assert!(h.snapshot.load().shadowed.is_empty());
    });
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let clash_lines: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("clash") || l.contains("two sources"))
        .collect();
    insta::assert_snapshot!(clash_lines.join("\n"), @r#"
    WARN two sources hold this document; serving the one with precedence, the others are hidden document=shared.json served_from=configmap/m/team-b hidden=configmap/m/team-a
    INFO document clash resolved: one source holds it now document=shared.json
    "#);
}

#[test]
fn health_alone_is_published_without_touching_documents() {
    let mut h = Harness::new();
    let first = h.files(&[("status.json", &doc("file"))]);
    assert!(!first.sources[1].up, "a watch is down until it is answered");
    let second = h.send([Update::Health {
        source: WATCH,
        health: Health {
            up: true,
            ..Health::default()
        },
    }]);
    assert!(second.sources[1].up);
    assert!(Arc::ptr_eq(&first.documents, &second.documents));
    assert!(Arc::ptr_eq(&first.all, &second.all));
}

#[test]
#[ignore = "a measurement, not a check: cargo test --release -- --ignored --nocapture fleet"]
fn fleet_publication_cost() {
    let mut h = Harness::new();
    let fleet: Vec<Object> = (0..2000)
        .map(|i| {
            object(
                &format!("app-{i:04}"),
                &[(
                    &format!("app-{i:04}.json"),
                    &doc(&format!(
                        "https://git.example.com/team-{}/app-{i}.git",
                        i % 40
                    )),
                )],
            )
        })
        .collect();
    let started = std::time::Instant::now();
    h.send([Update::Listed {
        source: WATCH,
        objects: fleet,
    }]);
    eprintln!(
        "first publication of 2000 documents: {:?}",
        started.elapsed()
    );
    let started = std::time::Instant::now();
    let rounds = 200;
    for r in 0..rounds {
        // 20 changes per publication: a second of a 20 changes/s fleet.
        let changes: Vec<Update> = (0..20)
            .map(|k| {
                let i = (r * 37 + k * 101) % 2000;
                Update::Applied {
                    source: WATCH,
                    object: object(
                        &format!("app-{i:04}"),
                        &[(&format!("app-{i:04}.json"), &doc(&format!("rev-{r}-{k}")))],
                    ),
                }
            })
            .collect();
        h.send(changes);
    }
    eprintln!(
        "per publication of 20 changes among 2000: {:?}",
        started.elapsed() / rounds as u32
    );
}
