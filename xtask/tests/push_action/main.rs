//! The push action (`push/action.yml`) run end to end by a stand-in for GitHub's runner
//! (`runner.rs`) against the fake API server: a valid document is pushed (statusctl from PATH,
//! or downloaded from a local stand-in for the GitHub release and checked against its
//! SHA256SUMS), an invalid one is annotated and not pushed, `strict` refuses warnings, a
//! failed push reports statusctl's exit code, a tampered download is refused, and every input
//! reaches statusctl as the flag it names (`wait-url` only when set). The GitLab CI template
//! (`gitlab.rs`) is run the same way.

mod gitlab;
mod runner;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use fake_apiserver::{ADMIN_TOKEN, Config, FakeApiServer, Rule};
use sha2::Digest;

use runner::{Outcome, Run};

const CONFIGMAP: &str = "gitops-status-server-live";

fn root() -> PathBuf {
    runner::action_dir()
        .parent()
        .expect("the action is in the workspace")
        .to_path_buf()
}

/// The debug statusctl, built once by cargo (a no-op when it is fresh).
fn statusctl() -> PathBuf {
    let out = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "-p", "statusctl", "--bin", "statusctl"])
        .args(["--message-format", "json"])
        .current_dir(root())
        .output()
        .expect("run cargo build");
    assert!(
        out.status.success(),
        "cargo build -p statusctl failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "statusctl")
        .filter_map(|m| m["executable"].as_str().map(PathBuf::from))
        .next_back()
        .expect("cargo reported no statusctl executable")
}

/// A directory holding only `statusctl` (a link to the real one), to put on PATH.
fn statusctl_dir(temp: &Path) -> PathBuf {
    let dir = temp.join("statusctl-bin");
    std::fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::symlink(statusctl(), dir.join("statusctl")).unwrap();
    dir
}

/// A fake cluster and a kubeconfig for it, for the job's KUBECONFIG.
struct Cluster {
    server: FakeApiServer,
    dir: tempfile::TempDir,
}

impl Cluster {
    fn start(config: Config) -> Cluster {
        Cluster {
            server: FakeApiServer::start(config).expect("the fake API server starts"),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn kubeconfig(&self, token: &str) -> String {
        let path = self.dir.path().join(format!("{token}.kubeconfig"));
        self.server
            .write_kubeconfig(&path, token, "default")
            .unwrap();
        path.display().to_string()
    }

    fn stored(&self, namespace: &str, key: &str) -> Option<String> {
        let configmap = self.server.configmap(namespace, CONFIGMAP)?;
        configmap["data"][key].as_str().map(str::to_owned)
    }

    fn write_document(&self, name: &str, text: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }
}

/// A document that validates with one warning (SYNCED with drift).
fn example() -> String {
    std::fs::read_to_string(root().join("examples/status.json")).unwrap()
}

fn run(inputs: &[(&'static str, &str)], kubeconfig: &str, path: Vec<PathBuf>) -> Outcome {
    Run {
        inputs: inputs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
        env: BTreeMap::from([("KUBECONFIG", kubeconfig.to_owned())]),
        path,
        step_env_overrides: BTreeMap::new(),
    }
    .execute()
}

#[test]
fn a_valid_document_is_pushed_with_the_statusctl_on_path() {
    let cluster = Cluster::start(Config::default());
    let document = example();
    let file = cluster.write_document("status.json", &document);
    let bin = statusctl_dir(cluster.dir.path());
    let outcome = run(
        &[
            ("file", &file),
            ("namespace", "monitoring"),
            ("key", "app.json"),
        ],
        &cluster.kubeconfig(ADMIN_TOKEN),
        vec![bin],
    );
    assert_eq!(outcome.code, 0, "{}", outcome.log);
    assert_eq!(outcome.steps_run, ["Set up statusctl", "Validate and push"]);
    assert!(
        outcome.log.contains("Using statusctl from PATH"),
        "{}",
        outcome.log
    );
    assert_eq!(cluster.stored("monitoring", "app.json"), Some(document));
    assert_eq!(outcome.outputs["exit-code"], "0");
    // The one warning (SYNCED with drift) is an annotation on the file, not a failure.
    assert_eq!(outcome.annotations.len(), 1, "{:?}", outcome.annotations);
    assert!(
        outcome.annotations[0].starts_with(&format!("::warning file={}", file.replace(':', "%3A"))),
        "{:?}",
        outcome.annotations
    );
    assert!(
        outcome.summary.contains("### gitops-status push"),
        "{}",
        outcome.summary
    );
    assert!(
        outcome.summary.contains("| result | pushed |"),
        "{}",
        outcome.summary
    );
    assert!(
        outcome
            .summary
            .contains("`monitoring/gitops-status-server-live`, key `app.json`"),
        "{}",
        outcome.summary
    );
    assert!(
        outcome.summary.contains("key app.json created"),
        "{}",
        outcome.summary
    );
}

#[test]
fn an_invalid_document_is_annotated_and_not_pushed() {
    let cluster = Cluster::start(Config::default());
    let file = cluster.write_document(
        "status.json",
        &example().replace("\"drift_count\": 2", "\"drift_count\": -1"),
    );
    let bin = statusctl_dir(cluster.dir.path());
    let outcome = run(
        &[("file", &file)],
        &cluster.kubeconfig(ADMIN_TOKEN),
        vec![bin],
    );
    assert_eq!(outcome.code, 1, "{}", outcome.log);
    assert_eq!(outcome.outputs["exit-code"], "1");
    assert!(
        outcome
            .annotations
            .iter()
            .any(|a| a.starts_with("::error file=")
                && a.contains("drift_count")
                && a.contains(",line=5,")),
        "{:?}",
        outcome.annotations
    );
    assert!(
        outcome
            .summary
            .contains("**not pushed**: the document is invalid"),
        "{}",
        outcome.summary
    );
    assert!(outcome.summary.contains("<pre>"), "{}", outcome.summary);
    assert_eq!(cluster.server.configmap("default", CONFIGMAP), None);
    // Nothing but the discovery of nothing: no request reached the API server.
    assert!(
        cluster.server.requests().is_empty(),
        "{:?}",
        cluster.server.requests()
    );
}

#[test]
fn strict_refuses_a_document_with_warnings() {
    let cluster = Cluster::start(Config::default());
    let file = cluster.write_document("status.json", &example());
    let bin = statusctl_dir(cluster.dir.path());
    let outcome = run(
        &[("file", &file), ("strict", "true")],
        &cluster.kubeconfig(ADMIN_TOKEN),
        vec![bin.clone()],
    );
    assert_eq!(outcome.code, 1, "{}", outcome.log);
    assert!(
        outcome.annotations[0].starts_with("::error"),
        "{:?}",
        outcome.annotations
    );
    assert_eq!(cluster.stored("default", "status.json"), None);

    let outcome = run(
        &[("file", &file), ("strict", "yes")],
        &cluster.kubeconfig(ADMIN_TOKEN),
        vec![bin],
    );
    assert_eq!(outcome.code, 2, "{}", outcome.log);
    assert!(
        outcome.annotations[0].contains("use true or false"),
        "{:?}",
        outcome.annotations
    );
}

#[test]
fn a_failed_push_reports_statusctls_exit_code() {
    let cluster = Cluster::start(Config::default().user(
        "system:serviceaccount:ci:reader",
        "reader-token",
        vec![Rule::configmaps(["get"])],
    ));
    let file = cluster.write_document("status.json", &example());
    let bin = statusctl_dir(cluster.dir.path());
    let outcome = run(
        &[("file", &file)],
        &cluster.kubeconfig("reader-token"),
        vec![bin],
    );
    assert_eq!(outcome.code, 5, "{}", outcome.log);
    assert_eq!(outcome.outputs["exit-code"], "5");
    assert!(
        outcome.summary.contains("**not allowed**"),
        "{}",
        outcome.summary
    );
    let error = outcome
        .annotations
        .iter()
        .find(|a| a.starts_with("::error title=gitops-status push::statusctl push failed (exit 5)"))
        .unwrap_or_else(|| panic!("{:?}", outcome.annotations));
    assert!(error.contains("cannot patch"), "{error}");
    assert!(
        !outcome.log.contains("reader-token"),
        "the token leaked:\n{}",
        outcome.log
    );
}

/// A stand-in for a statusctl that records its arguments and succeeds.
fn recording_statusctl(dir: &Path) -> (PathBuf, PathBuf) {
    let bin = dir.join("stub-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = dir.join("argv.log");
    let stub = bin.join("statusctl");
    std::fs::write(
        &stub,
        format!(
            "#!/usr/bin/env bash\nprintf '%s\\n' \"$*\" >>'{}'\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&stub, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    (bin, log)
}

#[test]
fn each_input_reaches_statusctl_as_its_flag() {
    let dir = tempfile::tempdir().unwrap();
    let (bin, log) = recording_statusctl(dir.path());
    let outcome = run(
        &[
            ("file", "docs status.json"),
            ("key", "payments.json"),
            ("namespace", "monitoring"),
            ("configmap", "team-a-live"),
            ("wait-url", "http://gitops-status-server.monitoring:8080"),
            ("strict", "true"),
        ],
        "/nowhere",
        vec![bin.clone()],
    );
    assert_eq!(outcome.code, 0, "{}", outcome.log);
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        "--version\n\
         validate --format github --strict -- docs status.json\n\
         validate --strict -- docs status.json\n\
         push docs status.json --key payments.json --configmap team-a-live --namespace monitoring --wait-url http://gitops-status-server.monitoring:8080\n"
    );

    // The defaults: no --namespace (the context's), no --wait-url, no --strict.
    std::fs::remove_file(&log).unwrap();
    let outcome = run(&[("file", "status.json")], "/nowhere", vec![bin]);
    assert_eq!(outcome.code, 0, "{}", outcome.log);
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        "--version\n\
         validate --format github -- status.json\n\
         validate -- status.json\n\
         push status.json --key status.json --configmap gitops-status-server-live\n"
    );
}

/// Serves files on 127.0.0.1 (a stand-in for the GitHub release downloads), 404 for others.
fn serve(files: BTreeMap<String, Vec<u8>>) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            let mut buf = [0; 1024];
            while !request.ends_with(b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let request = String::from_utf8_lossy(&request);
            let path = request.split_whitespace().nth(1).unwrap_or("/");
            let response = match files.get(path) {
                Some(body) => {
                    let mut r = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    r.extend_from_slice(body);
                    r
                }
                None => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .to_vec(),
            };
            let _ = stream.write_all(&response);
        }
    });
    port
}

/// The release the action downloads from: version, the runner's target, the archive of the
/// real statusctl, and SHA256SUMS (`tamper` breaks the archive's checksum).
fn release(tamper: bool) -> (String, BTreeMap<String, Vec<u8>>) {
    let action = std::fs::read_to_string(runner::action_dir().join("action.yml")).unwrap();
    let version = action
        .lines()
        .find_map(|l| l.trim().strip_prefix("STATUSCTL_VERSION: "))
        .expect("the action pins a statusctl version")
        .trim_matches('"')
        .to_owned();
    let target = match std::env::consts::ARCH {
        "x86_64" => "x86_64-unknown-linux-gnu",
        "aarch64" => "aarch64-unknown-linux-gnu",
        other => panic!("no release target for {other}"),
    };
    let name = format!("statusctl-{version}-{target}.tar.gz");
    let mut archive = Vec::new();
    {
        let gzip = flate2::write::GzEncoder::new(&mut archive, flate2::Compression::fast());
        let mut tar = tar::Builder::new(gzip);
        let binary = std::fs::read(statusctl()).unwrap();
        let mut header = tar::Header::new_gnu();
        header.set_size(binary.len() as u64);
        header.set_mode(0o755);
        tar.append_data(&mut header, "statusctl", binary.as_slice())
            .unwrap();
        tar.into_inner().unwrap().finish().unwrap();
    }
    let mut digest: String = sha2::Sha256::digest(&archive)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if tamper {
        digest = digest.replace(|c: char| c.is_ascii_digit(), "0");
    }
    let sums = format!(
        "{digest}  {name}\n{}  statusctl-{version}-other.tar.gz\n",
        "f".repeat(64)
    );
    let files = BTreeMap::from([
        (format!("/v{version}/{name}"), archive),
        (format!("/v{version}/SHA256SUMS"), sums.into_bytes()),
    ]);
    (version, files)
}

fn run_with_download(cluster: &Cluster, file: &str, tamper: bool) -> Outcome {
    let (_, files) = release(tamper);
    let port = serve(files);
    let inputs = if file.is_empty() {
        BTreeMap::new()
    } else {
        BTreeMap::from([("file", file.to_owned())])
    };
    Run {
        inputs,
        env: BTreeMap::from([("KUBECONFIG", cluster.kubeconfig(ADMIN_TOKEN))]),
        // No statusctl on PATH: the action must download it.
        path: Vec::new(),
        step_env_overrides: BTreeMap::from([(
            "STATUSCTL_RELEASES",
            format!("http://127.0.0.1:{port}"),
        )]),
    }
    .execute()
}

#[test]
fn without_statusctl_on_path_the_release_is_downloaded_and_verified() {
    assert!(
        !Path::new("/usr/bin/statusctl").exists() && !Path::new("/bin/statusctl").exists(),
        "a statusctl on the system PATH would hide the download"
    );
    let cluster = Cluster::start(Config::default());
    let document = example();
    let file = cluster.write_document("status.json", &document);
    let outcome = run_with_download(&cluster, &file, false);
    assert_eq!(outcome.code, 0, "{}", outcome.log);
    assert!(outcome.log.contains("checksum verified"), "{}", outcome.log);
    assert_eq!(cluster.stored("default", "status.json"), Some(document));
    // Unpacked under RUNNER_TEMP, the archive removed.
    let (version, _) = release(false);
    let unpacked: Vec<String> = std::fs::read_dir(outcome.temp.path().join("runner-temp"))
        .unwrap()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(unpacked.contains(&"statusctl".to_owned()), "{unpacked:?}");
    assert!(
        !unpacked.iter().any(|f| f.ends_with(".tar.gz")),
        "{unpacked:?}"
    );
    assert!(
        outcome.log.contains(&format!("(statusctl {version})")),
        "{}",
        outcome.log
    );
}

#[test]
fn a_download_that_does_not_match_sha256sums_is_refused() {
    let cluster = Cluster::start(Config::default());
    let file = cluster.write_document("status.json", &example());
    let outcome = run_with_download(&cluster, &file, true);
    assert_eq!(outcome.code, 1, "{}", outcome.log);
    assert_eq!(
        outcome.steps_run,
        ["Set up statusctl"],
        "the push step must not run"
    );
    assert_eq!(outcome.outputs["exit-code"], "");
    assert!(
        outcome
            .annotations
            .iter()
            .any(|a| a.contains("does not match the release's SHA256SUMS")),
        "{:?}",
        outcome.annotations
    );
    let leftovers: Vec<PathBuf> = std::fs::read_dir(outcome.temp.path().join("runner-temp"))
        .unwrap()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.ends_with("statusctl") || p.extension().is_some_and(|e| e == "gz"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert_eq!(cluster.server.configmap("default", CONFIGMAP), None);
}

#[test]
fn without_a_file_the_action_only_sets_up_statusctl_for_later_steps() {
    let cluster = Cluster::start(Config::default());
    let outcome = run_with_download(&cluster, "", false);
    assert_eq!(outcome.code, 0, "{}", outcome.log);
    assert_eq!(outcome.steps_run, ["Set up statusctl", "Validate and push"]);
    assert!(outcome.log.contains("nothing is pushed"), "{}", outcome.log);
    assert_eq!(outcome.summary, "");
    assert!(cluster.server.requests().is_empty());
    // The next steps of the job find the downloaded statusctl on PATH.
    let [dir] = outcome.path_added.as_slice() else {
        panic!("{:?}", outcome.path_added)
    };
    let version = Command::new(Path::new(dir).join("statusctl"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("statusctl "));
}
