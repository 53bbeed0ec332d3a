//! Several `statusctl push` processes at once against one ConfigMap: pushes to different keys
//! never remove each other's, and among pushes to one key the newest document wins.

use std::process::{Child, Stdio};

use crate::process::checked;
use crate::support::{Cluster, LIVE, NS, doc};

fn spawn_push(cluster: &Cluster, key: &str, document: &str, name: &str) -> Child {
    let file = cluster.file(name, document);
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("statusctl"));
    cmd.env_clear()
        .env("HOME", cluster.dir.path())
        .env("KUBECONFIG", &cluster.kubeconfig)
        .args(["push", "--key", key])
        .arg(file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.spawn().expect("statusctl starts")
}

#[test]
fn eight_pushes_to_eight_keys_keep_all_eight() {
    let cluster = Cluster::start();
    let children: Vec<Child> = (0..8)
        .map(|i| {
            spawn_push(
                &cluster,
                &format!("pipeline-{i}.json"),
                &doc(&format!("repo-{i}"), "2026-04-21T12:00:00Z"),
                &format!("doc-{i}.json"),
            )
        })
        .collect();
    for child in children {
        let out = checked(child.wait_with_output().unwrap());
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    let data = cluster.live_data();
    for i in 0..8 {
        assert_eq!(
            data[format!("pipeline-{i}.json")],
            doc(&format!("repo-{i}"), "2026-04-21T12:00:00Z"),
            "{data}"
        );
    }
    let managers = cluster.server.configmap(NS, LIVE).unwrap()["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(managers, 8);
}

#[test]
fn eight_pushes_to_one_key_leave_the_newest() {
    let cluster = Cluster::start();
    // The newest is started in the middle, so it neither starts first nor last.
    let minutes = [3, 7, 1, 9, 4, 0, 6, 2];
    let children: Vec<(u32, Child)> = minutes
        .iter()
        .map(|m| {
            let last_check = format!("2026-04-21T12:0{m}:00Z");
            (
                *m,
                spawn_push(
                    &cluster,
                    "status.json",
                    &doc("apps", &last_check),
                    &format!("doc-{m}.json"),
                ),
            )
        })
        .collect();
    for (minute, child) in children {
        let out = checked(child.wait_with_output().unwrap());
        let (code, stderr) = (out.code, out.stderr);
        // Each push either landed or was refused as out of order; the newest always lands.
        assert!(
            code == 0 || code == 3,
            "minute {minute}: exit {code}: {stderr}"
        );
        if minute == 9 {
            assert_eq!(code, 0, "{stderr}");
        }
    }
    assert_eq!(
        cluster.live_data()["status.json"],
        doc("apps", "2026-04-21T12:09:00Z")
    );
}
