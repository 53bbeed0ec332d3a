//! End to end without a cluster: render the chart, lay its ConfigMaps out on disk as kubelet does
//! (`..data` symlink to a timestamped directory, every key a symlink through it), start the real
//! status-server with the command, args and env of the rendered Deployment, and talk HTTP to it
//! through the Service's port mapping.
//!
//! Two deliberate departures from the pod, both forced by the test machine: mount paths are
//! re-rooted under a temporary directory, and `--listen 0.0.0.0:<port>` becomes
//! `127.0.0.1:<free port>` (loopback only; a fixed port could be taken). The test asserts that the
//! rendered port wiring (Service port -> targetPort -> containerPort -> --listen) is consistent
//! before it substitutes the port.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use serde_yaml::Value;

use crate::cases::{EXTRA_STAGING as EXTRA, SEED_CUSTOM_STATUS};
use crate::support::{Install, argv, find, render, str_of, workspace_binary};

static GENERATION: AtomicU32 = AtomicU32::new(0);

/// Writes `data` into `dir` the way kubelet's AtomicWriter does: a fresh `..<timestamp>`
/// directory, a `..data_tmp` symlink to it renamed over `..data` (the one atomic step), then a
/// `<key> -> ..data/<key>` symlink per key, and the old directory removed.
fn kubelet_write(dir: &Path, data: &BTreeMap<String, String>) {
    std::fs::create_dir_all(dir).expect("mount dir");
    let generation = GENERATION.fetch_add(1, Ordering::SeqCst);
    let ts = format!("..2026_11_24_12_00_00.{generation:09}");
    let ts_dir = dir.join(&ts);
    std::fs::create_dir(&ts_dir).expect("timestamped dir");
    for (key, value) in data {
        std::fs::write(ts_dir.join(key), value).expect("write key");
    }
    let old = std::fs::read_link(dir.join("..data")).ok();
    let tmp = dir.join("..data_tmp");
    std::os::unix::fs::symlink(&ts, &tmp).expect("..data_tmp");
    std::fs::rename(&tmp, dir.join("..data")).expect("swap ..data");
    for key in data.keys() {
        let link = dir.join(key);
        if std::fs::symlink_metadata(&link).is_err() {
            std::os::unix::fs::symlink(Path::new("..data").join(key), &link).expect("key link");
        }
    }
    // Keys gone from the new data lose their symlink.
    for entry in std::fs::read_dir(dir).expect("read mount") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if !name.starts_with("..") && !data.contains_key(&name) {
            std::fs::remove_file(dir.join(&name)).expect("remove key link");
        }
    }
    if let Some(old) = old {
        std::fs::remove_dir_all(dir.join(old)).expect("remove old generation");
    }
}

fn data_of(configmap: &Value) -> BTreeMap<String, String> {
    configmap["data"]
        .as_mapping()
        .expect("ConfigMap data")
        .iter()
        .map(|(k, v)| (str_of(k, "key").to_owned(), str_of(v, "value").to_owned()))
        .collect()
}

fn free_loopback_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Kills the server when the test ends, however it ends; prints its log on failure.
struct Server {
    child: Child,
    log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            eprintln!("status-server log:\n{log}");
        }
    }
}

fn get(client: &reqwest::blocking::Client, url: &str) -> (u16, String) {
    match client.get(url).send() {
        Ok(r) => {
            let status = r.status().as_u16();
            (status, r.text().unwrap_or_default())
        }
        Err(_) => (0, String::new()),
    }
}

/// Polls until `check` holds, for at most `limit` (the server reloads on inotify events and
/// re-scans every 10 s; kubelet itself takes about a minute, which we do not wait for).
fn eventually(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out waiting for {what}");
}

#[test]
fn rendered_deployment_serves_status_json_from_kubelet_style_mounts() {
    let binary = workspace_binary("status-server");
    let values = format!("{SEED_CUSTOM_STATUS}{EXTRA}");
    let docs = render(&Install {
        release: "gitops-status",
        namespace: "monitoring",
        values: &values,
    });
    let deployment = find(&docs, "Deployment", "gitops-status-server");
    let service = find(&docs, "Service", "gitops-status-server");
    let pod = &deployment["spec"]["template"]["spec"];
    let container = &pod["containers"][0];

    // The port wiring: Service port 80 -> targetPort -> containerPort `http` -> --listen.
    let service_port = &service["spec"]["ports"][0];
    assert_eq!(service_port["port"], 80, "the seed's curl uses port 80");
    let target_port = service_port["targetPort"]
        .as_u64()
        .expect("numeric targetPort");
    let container_port = &container["ports"][0];
    assert_eq!(container_port["containerPort"].as_u64(), Some(target_port));
    assert_eq!(container_port["name"], "http");
    for probe in ["livenessProbe", "readinessProbe"] {
        assert_eq!(container[probe]["httpGet"]["port"], "http", "{probe} port");
    }

    // Volumes: each mount's ConfigMap (rendered, or optional and absent: an empty directory).
    let fs_root = tempfile::tempdir().expect("tempdir");
    let mut mounts: Vec<(String, PathBuf, Option<Value>)> = Vec::new();
    for mount in container["volumeMounts"].as_sequence().expect("mounts") {
        let name = str_of(&mount["name"], "mount name");
        let path = str_of(&mount["mountPath"], "mountPath");
        let volume = pod["volumes"]
            .as_sequence()
            .expect("volumes")
            .iter()
            .find(|v| v["name"] == name)
            .expect("the mount's volume");
        let cm_name = str_of(&volume["configMap"]["name"], "configMap volume");
        let cm = docs
            .iter()
            .find(|d| d["kind"] == "ConfigMap" && d["metadata"]["name"] == cm_name)
            .cloned();
        if cm.is_none() {
            assert_eq!(
                volume["configMap"]["optional"], true,
                "{cm_name} is not rendered"
            );
        }
        let host = fs_root.path().join(path.trim_start_matches('/'));
        std::fs::create_dir_all(&host).expect("mount dir");
        if let Some(cm) = &cm {
            kubelet_write(&host, &data_of(cm));
        }
        mounts.push((path.to_owned(), host, cm));
    }

    // The exact command line, re-rooted and on loopback.
    let port = free_loopback_port();
    let mut argv: Vec<String> = argv(container);
    assert_eq!(argv[0], "/status-server");
    let mut listen_seen = false;
    for arg in argv.iter_mut().skip(1) {
        if let Some((path, host, _)) = mounts.iter().find(|(p, _, _)| arg.starts_with(p.as_str())) {
            *arg = arg.replacen(path.as_str(), &host.to_string_lossy(), 1);
        } else if *arg == format!("0.0.0.0:{target_port}") {
            *arg = format!("127.0.0.1:{port}");
            listen_seen = true;
        }
    }
    assert!(
        listen_seen,
        "--listen 0.0.0.0:{target_port} not in {argv:?}"
    );
    let env: Vec<(String, String)> = container["env"]
        .as_sequence()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                str_of(&e["name"], "env name").to_owned(),
                str_of(&e["value"], "env value").to_owned(),
            )
        })
        .collect();

    let log = fs_root.path().join("server.log");
    let log_file = std::fs::File::create(&log).expect("log file");
    let child = Command::new(&binary)
        .args(&argv[1..])
        .env_clear()
        .envs(env)
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().expect("log"))
        .stderr(log_file)
        .spawn()
        .expect("start status-server");
    let _server = Server { child, log };

    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(5))
        .no_proxy()
        .build()
        .expect("client");
    // What the Service's port 80 reaches: the pod's targetPort, here our loopback port.
    let service_url = format!("http://127.0.0.1:{port}");

    eventually("/readyz to answer 200", Duration::from_secs(30), || {
        get(&client, &format!("{service_url}/readyz")).0 == 200
    });
    assert_eq!(get(&client, &format!("{service_url}/healthz")).0, 200);

    // `helm test`: the test pod's statusctl, its URL (the Service's DNS name and port) mapped
    // to where the Service leads here.
    let test_pod = crate::support::of_kind(&docs, "Pod")[0];
    let test_argv = crate::support::argv(&test_pod["spec"]["containers"][0]);
    assert_eq!(test_argv[0], "/statusctl");
    let service_name = str_of(&service["metadata"]["name"], "service name");
    let in_cluster_url = format!("http://{service_name}:80");
    assert!(test_argv.contains(&in_cluster_url), "{test_argv:?}");
    let out = Command::new(workspace_binary("statusctl"))
        .args(
            test_argv[1..]
                .iter()
                .map(|a| a.replace(&in_cluster_url, &service_url)),
        )
        .env_clear()
        .output()
        .expect("run statusctl");
    assert!(
        out.status.success(),
        "the helm test command failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // /status.json is byte-for-byte the ConfigMap key, which is statusJson.
    let default_cm = mounts[0].2.clone().expect("default ConfigMap");
    let default_data = data_of(&default_cm);
    let (status, body) = get(&client, &format!("{service_url}/status.json"));
    assert_eq!(status, 200);
    assert_eq!(body, default_data["status.json"]);
    let served: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    let values: Value = serde_yaml::from_str(SEED_CUSTOM_STATUS).expect("values");
    let expected = serde_json::to_value(&values["statusJson"]).expect("to JSON");
    assert_eq!(served, expected, "/status.json is not statusJson");

    let (status, body) = get(&client, &format!("{service_url}/status/staging.json"));
    assert_eq!(status, 200);
    assert_eq!(body, default_data["staging.json"]);
    let (status, body) = get(&client, &format!("{service_url}/statuses.json"));
    assert_eq!(status, 200);
    let all: serde_json::Value = serde_json::from_str(&body).expect("JSON array");
    assert_eq!(all.as_array().map(Vec::len), Some(2), "{body}");

    // `kubectl edit configmap gitops-status-server`: kubelet swaps ..data; no restart needed.
    let mut edited = default_data.clone();
    let edited_doc =
        default_data["status.json"].replace("\"drift_count\": 2", "\"drift_count\": 5");
    assert_ne!(edited_doc, default_data["status.json"]);
    edited.insert("status.json".into(), edited_doc.clone());
    kubelet_write(&mounts[0].1, &edited);
    eventually(
        "the edited default document",
        Duration::from_secs(30),
        || get(&client, &format!("{service_url}/status.json")).1 == edited_doc,
    );

    // `statusctl push` creates the live ConfigMap: kubelet fills the (so far empty) live mount,
    // and its key overrides the default one.
    let live_doc = "{\"repo\":\"production-apps\",\"server\":\"prod-cluster-01\",\"sync_status\":\"OUT_OF_SYNC\",\"drift_count\":1,\"files\":[\"service.yaml\"],\"last_check\":\"2026-04-21T13:00:00Z\"}\n";
    let live_dir = &mounts[1].1;
    kubelet_write(
        live_dir,
        &BTreeMap::from([("status.json".to_owned(), live_doc.to_owned())]),
    );
    eventually("the pushed live document", Duration::from_secs(30), || {
        get(&client, &format!("{service_url}/status.json")).1 == live_doc
    });

    // A bad push (it cannot come from statusctl, which validates, but from kubectl): the last
    // good document stays served and the pod stays ready.
    kubelet_write(
        live_dir,
        &BTreeMap::from([("status.json".to_owned(), "{\"repo\": ".to_owned())]),
    );
    let metrics_url = format!("{service_url}/metrics");
    eventually(
        "the invalid document to be reported",
        Duration::from_secs(30),
        || {
            let (_, metrics) = get(&client, &metrics_url);
            metrics
                .lines()
                .any(|l| l.starts_with("gitops_status_document_valid{") && l.ends_with(" 0"))
        },
    );
    assert_eq!(
        get(&client, &format!("{service_url}/status.json")).1,
        live_doc
    );
    assert_eq!(get(&client, &format!("{service_url}/readyz")).0, 200);
}
