//! Watches over real HTTPS, read as a client reads them: the events of a chunked response, line
//! by line, checked against what the real API server sends (where a watch starts, the order,
//! DELETED's last state, selectors moving objects in and out, bookmarks, streaming lists, the
//! 410 ERROR event, timeouts) — and the test controls around them (dropping watches, open
//! watches counted, compaction, faults, permissions changed at run time).

use std::time::Duration;

use fake_apiserver::{ADMIN_TOKEN, Config, DROP_CONNECTION, Rule};
use serde_json::{Value, json};

use crate::support::{Cluster, eventually};

const CMS: &str = "/api/v1/namespaces/monitoring/configmaps";

fn cm(name: &str, value: &str, labels: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "monitoring", "labels": labels},
        "data": {"v": value}})
}

fn rv(obj: &Value) -> u64 {
    obj["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|rv| rv.parse().ok())
        .unwrap_or_else(|| panic!("no resourceVersion in {obj}"))
}

fn pair(kind: &str, about: &str) -> (String, String) {
    (kind.to_owned(), about.to_owned())
}

#[test]
fn a_watch_replays_the_changes_after_its_resource_version_then_follows() {
    let cluster = Cluster::start();
    let server = &cluster.server;
    let start = server.resource_version();
    let a = server
        .create("configmaps", cm("a", "1", json!({})), "test")
        .unwrap();
    server
        .create("configmaps", cm("b", "1", json!({})), "test")
        .unwrap();
    server
        .apply("configmaps", cm("a", "2", json!({})), "test")
        .unwrap();
    let b = server
        .delete("configmaps", Some("monitoring"), "b")
        .unwrap();
    // Elsewhere: not in this watch's namespace.
    let mut elsewhere = cm("x", "1", json!({}));
    elsewhere["metadata"]["namespace"] = "default".into();
    server.create("configmaps", elsewhere, "test").unwrap();

    let events = cluster.watch(&format!("{CMS}?watch=true&resourceVersion={start}"));
    let replayed: Vec<Value> = (0..4).map(|_| events.event()).collect();
    let kinds: Vec<(String, String)> = replayed.iter().map(crate::support::summary).collect();
    assert_eq!(
        kinds,
        [
            pair("ADDED", "a"),
            pair("ADDED", "b"),
            pair("MODIFIED", "a"),
            pair("DELETED", "b")
        ]
    );
    let versions: Vec<u64> = replayed.iter().map(|e| rv(&e["object"])).collect();
    assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
    assert_eq!(versions[0], rv(&a));
    assert_eq!(replayed[2]["object"]["data"]["v"], "2");
    // DELETED carries the last state, at the delete's own (newer) resourceVersion.
    let deleted = &replayed[3]["object"];
    assert_eq!(deleted["data"], b["data"]);
    assert!(rv(deleted) > rv(&b));
    assert_eq!(deleted["kind"], "ConfigMap");

    // Then it follows, through the API as through direct writes.
    let created = cluster
        .http()
        .post(format!("{}{CMS}", server.url()))
        .bearer_auth(ADMIN_TOKEN)
        .json(&cm("c", "1", json!({})))
        .send()
        .unwrap();
    assert_eq!(created.status().as_u16(), 201);
    assert_eq!(events.summary(), pair("ADDED", "c"));
    // Writing what is stored changes nothing, and sends nothing.
    server
        .apply("configmaps", cm("c", "1", json!({})), "test")
        .unwrap();
    server
        .apply("configmaps", cm("c", "2", json!({})), "test")
        .unwrap();
    assert_eq!(events.summary(), pair("MODIFIED", "c"));
}

#[test]
fn without_a_resource_version_the_state_comes_first_as_added_events() {
    let cluster = Cluster::start();
    let server = &cluster.server;
    for name in ["b", "a"] {
        server
            .create("configmaps", cm(name, "1", json!({})), "test")
            .unwrap();
    }
    for start in ["", "&resourceVersion=", "&resourceVersion=0"] {
        let events = cluster.watch(&format!("{CMS}?watch=1{start}"));
        assert_eq!(events.summary(), pair("ADDED", "a"), "{start}");
        assert_eq!(events.summary(), pair("ADDED", "b"), "{start}");
        assert!(events.quiet_for(Duration::from_millis(100)));
    }
    // Across all namespaces; cluster-wide resources too.
    let events = cluster.watch("/api/v1/configmaps?watch=true");
    assert_eq!(events.summary(), pair("ADDED", "a"));
    let events = cluster.watch("/api/v1/namespaces?watch=true");
    assert_eq!(events.summary(), pair("ADDED", "argocd"));
}

#[test]
fn a_watch_from_a_forgotten_resource_version_gets_one_410_error_event() {
    let cluster = Cluster::with(Config {
        watch_history: 2,
        ..Config::default()
    });
    let server = &cluster.server;
    let start: u64 = server.resource_version().parse().unwrap();
    for value in ["1", "2", "3"] {
        server
            .apply("configmaps", cm("a", value, json!({})), "test")
            .unwrap();
    }
    // The first change was dropped from a history of two: as the real server does, the watch
    // starts (200) and its only event is the error.
    let events = cluster.watch(&format!("{CMS}?watch=true&resourceVersion={start}"));
    let error = events.event();
    assert_eq!(error["type"], "ERROR");
    assert_eq!(
        error["object"],
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": format!("too old resource version: {start} ({})", start + 1),
            "reason": "Expired", "code": 410})
    );
    assert_eq!(events.end(), Ok(vec![]));
    // From the oldest kept change on, it replays.
    let events = cluster.watch(&format!("{CMS}?watch=true&resourceVersion={}", start + 1));
    assert_eq!(events.summary(), pair("MODIFIED", "a"));
    assert_eq!(events.summary(), pair("MODIFIED", "a"));

    // Compaction: an open watch that has seen everything goes on; any resumption from before
    // it is too old.
    let latest = server.resource_version();
    let open = cluster.watch(&format!("{CMS}?watch=true&resourceVersion={latest}"));
    let compacted = server.compact();
    assert!(compacted.parse::<u64>().unwrap() > latest.parse().unwrap());
    let resumed = cluster.watch(&format!("{CMS}?watch=true&resourceVersion={latest}"));
    assert_eq!(
        resumed.summary(),
        pair(
            "ERROR",
            &format!("too old resource version: {latest} ({compacted})")
        )
    );
    server
        .apply("configmaps", cm("a", "4", json!({})), "test")
        .unwrap();
    assert_eq!(open.summary(), pair("MODIFIED", "a"));
    let (code, list) = cluster.get(CMS);
    assert_eq!(code, 200);
    assert!(rv(&list) > compacted.parse().unwrap());
}

#[test]
fn a_streaming_list_ends_its_initial_events_with_a_bookmark_and_bookmarks_follow() {
    let cluster = Cluster::with(Config {
        bookmark_interval: Duration::from_millis(200),
        ..Config::default()
    });
    let server = &cluster.server;
    server
        .create("configmaps", cm("a", "1", json!({})), "test")
        .unwrap();
    let now = server.resource_version();
    let events = cluster.watch(&format!(
        "{CMS}?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&resourceVersion=0&allowWatchBookmarks=true&timeoutSeconds=3"
    ));
    assert_eq!(events.summary(), pair("ADDED", "a"));
    let end = events.event();
    assert_eq!(
        end,
        json!({"type": "BOOKMARK", "object": {"kind": "ConfigMap", "apiVersion": "v1",
            "metadata": {"resourceVersion": now, "annotations": {"k8s.io/initial-events-end": "true"}}}})
    );
    server
        .create("configmaps", cm("b", "1", json!({})), "test")
        .unwrap();
    // Periodic bookmarks may come before it.
    let added = std::iter::repeat_with(|| events.summary())
        .find(|(kind, _)| kind != "BOOKMARK")
        .unwrap();
    assert_eq!(added, pair("ADDED", "b"));
    // A periodic bookmark carries the latest resourceVersion and nothing else.
    let later = server.resource_version();
    let bookmark = events.event();
    assert_eq!(
        bookmark,
        json!({"type": "BOOKMARK", "object": {"kind": "ConfigMap", "apiVersion": "v1",
            "metadata": {"resourceVersion": later}}})
    );
    // timeoutSeconds=3: the server ends the stream cleanly (after more bookmarks).
    let rest = events.end().expect("a clean end");
    assert!(rest.iter().all(|l| l.contains("\"BOOKMARK\"")), "{rest:?}");

    // Without allowWatchBookmarks there are none.
    let events = cluster.watch(&format!(
        "{CMS}?watch=true&resourceVersion={later}&timeoutSeconds=1"
    ));
    assert_eq!(events.end(), Ok(vec![]));
    // A streaming list from the future is the real 504, as an ERROR event.
    let future = later.parse::<u64>().unwrap() + 100;
    let events = cluster.watch(&format!(
        "{CMS}?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&resourceVersion={future}&allowWatchBookmarks=true"
    ));
    let error = events.event();
    assert_eq!(
        (error["type"].as_str(), error["object"]["code"].as_u64()),
        (Some("ERROR"), Some(504))
    );
    assert_eq!(
        error["object"]["details"]["causes"][0]["reason"],
        "ResourceVersionTooLarge"
    );
}

#[test]
fn selectors_move_objects_in_and_out_of_a_watch() {
    let cluster = Cluster::start();
    let server = &cluster.server;
    let start = server.resource_version();
    let web = cluster.watch(&format!(
        "{CMS}?watch=true&resourceVersion={start}&labelSelector=team%3Dweb"
    ));
    let named = cluster.watch(&format!(
        "{CMS}?watch=true&resourceVersion={start}&fieldSelector=metadata.name%3Da"
    ));
    server
        .create("configmaps", cm("a", "1", json!({"team": "db"})), "test")
        .unwrap();
    server
        .create("configmaps", cm("b", "1", json!({"team": "web"})), "test")
        .unwrap();
    assert_eq!(web.summary(), pair("ADDED", "b"));
    assert_eq!(named.summary(), pair("ADDED", "a"));
    // Relabelled into the selection: ADDED; out of it: DELETED (with its old labels).
    server
        .apply("configmaps", cm("a", "1", json!({"team": "web"})), "test")
        .unwrap();
    assert_eq!(web.summary(), pair("ADDED", "a"));
    assert_eq!(named.summary(), pair("MODIFIED", "a"));
    server
        .apply("configmaps", cm("b", "1", json!({"team": "db"})), "test")
        .unwrap();
    let left = web.event();
    assert_eq!(crate::support::summary(&left), pair("DELETED", "b"));
    assert_eq!(left["object"]["metadata"]["labels"]["team"], "web");
    server
        .delete("configmaps", Some("monitoring"), "b")
        .unwrap();
    server
        .delete("configmaps", Some("monitoring"), "a")
        .unwrap();
    assert_eq!(web.summary(), pair("DELETED", "a"));
    assert_eq!(named.summary(), pair("DELETED", "a"));
    assert!(web.quiet_for(Duration::from_millis(100)));
}

#[test]
fn lists_select_too_and_bad_selectors_and_options_are_refused() {
    let cluster = Cluster::start();
    let server = &cluster.server;
    server
        .create(
            "configmaps",
            cm("a", "1", json!({"team": "web", "tier": "1"})),
            "test",
        )
        .unwrap();
    server
        .create("configmaps", cm("b", "1", json!({"team": "db"})), "test")
        .unwrap();
    let names = |query: &str| -> Vec<String> {
        let (code, list) = cluster.get(&format!("{CMS}?{query}"));
        assert_eq!(code, 200, "{query}: {list}");
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["metadata"]["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(""), ["a", "b"]);
    assert_eq!(names("labelSelector=team%20in%20(web,ops)"), ["a"]);
    assert_eq!(names("labelSelector=tier"), ["a"]);
    assert_eq!(names("labelSelector=!tier"), ["b"]);
    assert_eq!(names("labelSelector=team!%3Dweb"), ["b"]);
    assert_eq!(names("fieldSelector=metadata.name!%3Da"), ["b"]);
    assert_eq!(
        names("fieldSelector=metadata.namespace%3Ddefault"),
        Vec::<String>::new()
    );
    // limit is ignored: everything, and no continue token.
    let (_, list) = cluster.get(&format!("{CMS}?limit=1"));
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    assert!(list["metadata"].get("continue").is_none());

    let (code, body) = cluster.get(&format!("{CMS}?fieldSelector=data.v%3D1"));
    assert_eq!(
        (code, body["message"].as_str()),
        (400, Some("field label not supported: data.v"))
    );
    let (code, body) = cluster.get(&format!("{CMS}?watch=true&fieldSelector=spec.x%3D1"));
    assert_eq!((code, body["reason"].as_str()), (400, Some("BadRequest")));
    let (code, _) = cluster.get(&format!("{CMS}?labelSelector=team%3D%3D%3D"));
    assert_eq!(code, 400);
    let (code, body) = cluster.get(&format!("{CMS}?watch=true&sendInitialEvents=true"));
    assert_eq!((code, body["reason"].as_str()), (422, Some("Invalid")));
    let future = server.resource_version().parse::<u64>().unwrap() + 1;
    let (code, body) = cluster.get(&format!("{CMS}?resourceVersion={future}"));
    assert_eq!((code, body["reason"].as_str()), (504, Some("Timeout")));
}

#[test]
fn watches_end_when_dropped_or_left_and_are_counted() {
    let cluster = Cluster::start();
    let server = &cluster.server;
    assert_eq!(server.open_watches(), 0);
    let first = cluster.watch(&format!("{CMS}?watch=true"));
    let second = cluster.watch("/api/v1/configmaps?watch=true&allowWatchBookmarks=true");
    assert_eq!(server.open_watches(), 2);
    server.drop_watches();
    assert_eq!(first.end(), Ok(vec![]));
    assert_eq!(second.end(), Ok(vec![]));
    eventually("no watch open", || server.open_watches() == 0);
    // New watches are not affected by an earlier drop.
    let third = cluster.watch(&format!("{CMS}?watch=true"));
    server
        .create("configmaps", cm("a", "1", json!({})), "test")
        .unwrap();
    assert_eq!(third.summary(), pair("ADDED", "a"));
    // A client that goes away takes its watch with it, events or not.
    let response = cluster.get_as(ADMIN_TOKEN, &format!("{CMS}?watch=true"));
    eventually("two watches open", || server.open_watches() == 2);
    drop(response);
    eventually("the left watch closed", || server.open_watches() == 1);
}

#[test]
fn watching_takes_the_watch_verb_and_injected_faults() {
    let cluster = Cluster::with(Config::default().user(
        "reader",
        "read-token",
        vec![Rule::configmaps(["get", "list"])],
    ));
    let server = &cluster.server;
    let response = cluster.get_as("read-token", &format!("{CMS}?watch=true"));
    assert_eq!(response.status().as_u16(), 403);
    let body: Value = response.json().unwrap();
    assert_eq!(
        body["message"],
        "configmaps is forbidden: User \"reader\" cannot watch resource \"configmaps\" in API group \"\" in the namespace \"monitoring\""
    );
    // Permissions change at run time: granted, then revoked (403), then the token is gone.
    server
        .set_rules("reader", vec![Rule::configmaps(["get", "list", "watch"])])
        .unwrap();
    let granted = cluster.get_as("read-token", &format!("{CMS}?watch=true"));
    assert_eq!(granted.status().as_u16(), 200);
    server.set_rules("reader", vec![]).unwrap();
    assert_eq!(cluster.get_as("read-token", CMS).status().as_u16(), 403);
    server.remove_user("reader").unwrap();
    assert_eq!(cluster.get_as("read-token", CMS).status().as_u16(), 401);
    assert!(server.set_rules("reader", vec![]).is_err());
    // The watch already open goes on, as on a real server (authorized once, at its start).
    let events = crate::support::Lines::of(granted);
    server
        .create("configmaps", cm("a", "1", json!({})), "test")
        .unwrap();
    assert_eq!(events.summary(), pair("ADDED", "a"));

    server.fail_next([503, DROP_CONNECTION]);
    let failed = cluster.get_as(ADMIN_TOKEN, &format!("{CMS}?watch=true"));
    assert_eq!(failed.status().as_u16(), 503);
    let dropped = cluster
        .http()
        .get(format!("{}{CMS}?watch=true", server.url()))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .and_then(|r| r.bytes());
    assert!(dropped.is_err(), "{dropped:?}");
    let served = cluster.watch(&format!("{CMS}?watch=true"));
    assert_eq!(served.summary(), pair("ADDED", "a"));
}

#[test]
fn an_outage_cuts_watches_and_a_restart_keeps_the_state_the_history_and_the_ca() {
    let cluster = Cluster::start();
    let server = &cluster.server;
    let a = server
        .create("configmaps", cm("a", "1", json!({})), "test")
        .unwrap();
    let events = cluster.watch(&format!("{CMS}?watch=true&resourceVersion={}", rv(&a)));
    server.stop();
    assert!(!server.is_running());
    assert_eq!(server.open_watches(), 0);
    // The stream is cut, not ended cleanly as a timeout or a drop ends it.
    assert!(events.end().is_err());
    let refused = cluster
        .http()
        .get(format!("{}/version", server.url()))
        .send();
    assert!(refused.is_err(), "{refused:?}");
    // Changes made during the outage are served after it.
    server
        .apply("configmaps", cm("a", "2", json!({})), "test")
        .unwrap();
    server.restart().unwrap();
    assert!(server.is_running());
    let resumed = cluster.watch(&format!("{CMS}?watch=true&resourceVersion={}", rv(&a)));
    assert_eq!(resumed.summary(), pair("MODIFIED", "a"));
    // The same CA (the client built before the outage still verifies it) and state.
    let out = crate::support::run(
        cluster
            .kubectl()
            .args(["get", "configmap", "a", "-o", "json"]),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let stored: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(stored["data"]["v"], "2");
    // Restarting a running server is an outage of no length.
    server.restart().unwrap();
    assert!(resumed.end().is_err());
    assert_eq!(cluster.get(CMS).0, 200);
}
