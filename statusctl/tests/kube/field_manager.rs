//! The field manager of a push is one per key and fits the API's 128 characters, for every key
//! the API allows (up to 253 characters): `statusctl:<key>` while that fits, a readable prefix
//! and a hash of the key beyond.

use crate::support::{Cluster, LIVE, NS, doc, run, settings};

fn managers(cluster: &Cluster) -> Vec<String> {
    let cm = cluster.server.configmap(NS, LIVE).unwrap();
    cm["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["manager"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_253_character_key_is_pushed_under_a_manager_that_fits() {
    let cluster = Cluster::start();
    let file = cluster.file("doc.json", &doc("apps", "2026-04-21T12:00:00Z"));
    // Two keys of the longest kind, the same but for their last character.
    let stem = "team-a.payments.".repeat(16);
    let keys = [
        format!("{}x.json", &stem[..247]),
        format!("{}y.json", &stem[..247]),
    ];
    let mut transcript = String::new();
    for key in &keys {
        assert_eq!(key.len(), 253);
        let r = run(cluster.statusctl().args(["push", "--key", key]).arg(&file));
        assert_eq!(r.code, 0, "{}", r.transcript());
        transcript.push_str(&r.transcript());
    }
    let data = cluster.live_data();
    for key in &keys {
        assert_eq!(data[key], doc("apps", "2026-04-21T12:00:00Z"), "{data}");
    }
    let managers = managers(&cluster);
    assert_eq!(managers.len(), 2, "{managers:?}");
    assert_ne!(managers[0], managers[1]);
    for manager in &managers {
        assert!(manager.len() <= 128, "{manager} is {} long", manager.len());
        assert!(
            manager.starts_with("statusctl:team-a.payments."),
            "{manager}"
        );
    }
    // Pushing again is the same manager: an update, not a conflict.
    let r = run(cluster
        .statusctl()
        .args(["push", "--key", &keys[0]])
        .arg(&file));
    assert_eq!(r.code, 0, "{}", r.transcript());
    assert_eq!(self::managers(&cluster), managers);
    let mut settings = settings();
    settings.add_filter("(team-a.payments.)+", "[STEM]");
    settings.bind(|| insta::assert_snapshot!("field_manager_long_keys", transcript));
}

#[test]
fn a_key_up_to_118_characters_keeps_statusctl_key() {
    let cluster = Cluster::start();
    let file = cluster.file("doc.json", &doc("apps", "2026-04-21T12:00:00Z"));
    let key = format!("{}.json", "k".repeat(113));
    assert_eq!(format!("statusctl:{key}").len(), 128);
    let r = run(cluster.statusctl().args(["push", "--key", &key]).arg(&file));
    assert_eq!(r.code, 0, "{}", r.transcript());
    assert_eq!(managers(&cluster), [format!("statusctl:{key}")]);
}

#[test]
fn a_field_manager_over_128_characters_is_a_usage_error() {
    let cluster = Cluster::start();
    let file = cluster.file("doc.json", &doc("apps", "2026-04-21T12:00:00Z"));
    let r = run(cluster
        .statusctl()
        .args(["push", "--field-manager", &"m".repeat(129)])
        .arg(&file));
    assert_eq!(r.code, 2, "{}", r.transcript());
    assert!(r.stderr.starts_with("error: invalid value"), "{}", r.stderr);
    assert!(cluster.server.requests().is_empty());
}
