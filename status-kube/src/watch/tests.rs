//! The watch adapter against scripted watcher events: lists gathered into one event, objects
//! reduced to documents, errors sorted with the verb that failed, and a watch refused with 410
//! started over from a list.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use k8s_openapi::ByteString;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::core::Status;

use super::*;

fn configmap(name: &str, version: &str, data: &[(&str, &str)]) -> ConfigMap {
    ConfigMap {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            resource_version: Some(version.to_owned()),
            ..ObjectMeta::default()
        },
        data: Some(
            data.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        ),
        ..ConfigMap::default()
    }
}

fn refused(code: u16, reason: &str) -> kube::Error {
    kube::Error::Api(Status::failure("refused", reason).with_code(code).boxed())
}

type Script = Vec<Result<watcher::Event<ConfigMap>, watcher::Error>>;

/// An adapter whose watcher plays `scripts` in turn, one per start; how often it was started.
fn scripted(scripts: Vec<Script>) -> (Adapter<ConfigMap>, Arc<AtomicUsize>) {
    let starts = Arc::new(AtomicUsize::new(0));
    let scripts = Mutex::new(scripts.into_iter());
    let counter = starts.clone();
    let adapter = Adapter {
        start: Arc::new(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            let script = scripts.lock().unwrap().next().unwrap_or_default();
            // A real watcher never ends; a script that does stands still.
            futures::stream::iter(script)
                .chain(futures::stream::pending())
                .boxed()
        }),
        documents: Arc::new(configmap_documents),
        request: Request::of::<ConfigMap>("https://10.0.0.1:6443", Verb::List)
            .in_namespace("monitoring"),
    };
    (adapter, starts)
}

async fn take(
    stream: impl Stream<Item = Result<Event, Error>>,
    n: usize,
) -> Vec<Result<Event, Error>> {
    stream.take(n).collect().await
}

#[tokio::test]
async fn a_list_is_one_event_and_objects_are_their_documents() {
    let doc = r#"{"repo":"r"}"#;
    let (adapter, _) = scripted(vec![vec![
        Ok(watcher::Event::Init),
        Ok(watcher::Event::InitApply(configmap(
            "a",
            "1",
            &[
                ("status.json", doc),
                ("notes.txt", "x"),
                (".hidden.json", doc),
            ],
        ))),
        Ok(watcher::Event::InitApply(configmap("b", "2", &[]))),
        Ok(watcher::Event::InitDone),
        Ok(watcher::Event::Apply(configmap(
            "b",
            "3",
            &[("b.json", doc)],
        ))),
        Ok(watcher::Event::Delete(configmap("a", "4", &[]))),
    ]]);
    let events = take(adapter.into_stream(), 3).await;
    let Ok(Event::Listed(listed)) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(
        listed,
        &[
            Object {
                name: "a".into(),
                resource_version: "1".into(),
                documents: [(
                    "status.json".to_owned(),
                    Document::Bytes(doc.as_bytes().to_vec()),
                )]
                .into(),
            },
            Object {
                name: "b".into(),
                resource_version: "2".into(),
                documents: BTreeMap::new(),
            },
        ]
    );
    let Ok(Event::Applied(applied)) = &events[1] else {
        panic!("{events:?}")
    };
    assert_eq!(applied.resource_version, "3");
    assert_eq!(applied.documents["b.json"].bytes(), Some(doc.as_bytes()));
    assert!(matches!(&events[2], Ok(Event::Deleted { name }) if name == "a"));
}

#[tokio::test]
async fn binary_data_keys_are_documents_too() {
    let mut cm = configmap("a", "1", &[("status.json", "{}")]);
    cm.binary_data = Some(
        [
            ("bin.json".to_owned(), ByteString(vec![0xff, 0xfe])),
            ("bin.txt".to_owned(), ByteString(vec![1])),
        ]
        .into(),
    );
    let documents = configmap_documents(cm);
    assert_eq!(
        documents.keys().collect::<Vec<_>>(),
        ["bin.json", "status.json"]
    );
    assert_eq!(documents["bin.json"], Document::Bytes(vec![0xff, 0xfe]));
}

#[tokio::test]
async fn errors_name_the_verb_that_failed() {
    let (adapter, starts) = scripted(vec![vec![
        Err(watcher::Error::InitialListFailed(refused(403, "Forbidden"))),
        Err(watcher::Error::WatchStartFailed(refused(403, "Forbidden"))),
        Err(watcher::Error::WatchError(
            Status::failure("too old", "Expired").with_code(410).boxed(),
        )),
        Err(watcher::Error::NoResourceVersion),
    ]]);
    let events = take(adapter.into_stream(), 4).await;
    let texts: Vec<String> = events
        .iter()
        .map(|e| match e {
            Err(error) => error.to_string(),
            Ok(other) => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        texts,
        [
            "not allowed to list configmaps in namespace \"monitoring\": refused (403 Forbidden)",
            "not allowed to watch configmaps in namespace \"monitoring\": refused (403 Forbidden)",
            "too old (410 Expired)",
            "cannot watch: the answer to list configmaps in namespace \"monitoring\" has no resourceVersion",
        ]
    );
    assert!(matches!(events[2], Err(Error::Expired { .. })));
    // kube's watcher lists again by itself after a 410 event: no start over.
    assert_eq!(starts.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_watch_refused_with_410_starts_over_from_a_list() {
    let (adapter, starts) = scripted(vec![
        vec![
            Ok(watcher::Event::Init),
            Ok(watcher::Event::InitApply(configmap(
                "a",
                "1",
                &[("status.json", "{}")],
            ))),
            // The list's version was compacted before the watch started.
            Err(watcher::Error::WatchStartFailed(refused(410, "Expired"))),
        ],
        vec![
            Ok(watcher::Event::Init),
            Ok(watcher::Event::InitApply(configmap("a", "9", &[]))),
            Ok(watcher::Event::InitDone),
        ],
    ]);
    let events = take(adapter.into_stream(), 2).await;
    assert!(
        matches!(events[0], Err(Error::Expired { .. })),
        "{events:?}"
    );
    // The half-done list of the first start is not mixed into the second.
    let Ok(Event::Listed(listed)) = &events[1] else {
        panic!("{events:?}")
    };
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].resource_version, "9");
    assert_eq!(starts.load(Ordering::SeqCst), 2);
}

#[test]
fn watch_requests_are_told_from_lists() {
    let uri = |s: &str| s.parse::<http::Uri>().unwrap();
    assert!(is_watch(&uri(
        "/api/v1/namespaces/m/configmaps?&watch=true&resourceVersion=5"
    )));
    assert!(is_watch(&uri("/api/v1/configmaps?watch=1")));
    assert!(!is_watch(&uri(
        "/api/v1/namespaces/m/configmaps?fieldSelector=metadata.name%3Dwatch"
    )));
    assert!(!is_watch(&uri("/api/v1/namespaces/m/configmaps")));
}
