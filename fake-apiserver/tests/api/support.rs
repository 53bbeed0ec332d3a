//! A fake API server per test with a temporary home and an admin kubeconfig, the official
//! kubectl run against it with a cleared environment, and [`Lines`]: what a watch streams,
//! read on a thread so that a test waits for it with a deadline, never forever.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::Output;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use fake_apiserver::{ADMIN_TOKEN, Config, FakeApiServer};
use serde_json::Value;
use tempfile::TempDir;

/// How long a test waits for what it expects before failing.
pub(crate) const WAIT: Duration = Duration::from_secs(10);

/// The namespace the kubeconfig defaults to.
pub(crate) const NS: &str = "monitoring";
/// The ConfigMap the tests write (the chart's live one).
pub(crate) const LIVE: &str = "gitops-status-server-live";

/// A running fake API server, a temporary home, and a kubeconfig for the admin user.
pub(crate) struct Cluster {
    pub(crate) server: FakeApiServer,
    dir: TempDir,
    kubeconfig: PathBuf,
}

impl Cluster {
    pub(crate) fn start() -> Self {
        Self::with(Config::default())
    }

    pub(crate) fn with(config: Config) -> Self {
        let server = FakeApiServer::start(config).expect("the fake API server starts");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let kubeconfig = dir.path().join("kubeconfig");
        server
            .write_kubeconfig(&kubeconfig, ADMIN_TOKEN, NS)
            .expect("the kubeconfig is written");
        Self {
            server,
            dir,
            kubeconfig,
        }
    }

    /// Writes `contents` to a file in the temporary directory and returns its path.
    pub(crate) fn file(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).expect("the file is written");
        path
    }

    /// The official kubectl against this server, with HOME in the temporary directory.
    pub(crate) fn kubectl(&self) -> Command {
        let mut cmd = Command::new(fake_apiserver::tools::kubectl());
        cmd.env_clear()
            .env("HOME", self.dir.path())
            .env("KUBECONFIG", &self.kubeconfig)
            .current_dir(self.dir.path());
        cmd
    }

    /// The same kubectl as a process that keeps running (`get --watch`), its output piped.
    pub(crate) fn kubectl_process(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(fake_apiserver::tools::kubectl());
        cmd.env_clear()
            .env("HOME", self.dir.path())
            .env("KUBECONFIG", &self.kubeconfig)
            .current_dir(self.dir.path())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        cmd
    }

    /// An HTTPS client that trusts this server's CA.
    pub(crate) fn http(&self) -> reqwest::blocking::Client {
        let ca = reqwest::Certificate::from_pem(self.server.ca_pem().as_bytes()).unwrap();
        reqwest::blocking::Client::builder()
            .add_root_certificate(ca)
            // A watch lasts as long as the test wants it to.
            .timeout(None)
            .build()
            .unwrap()
    }

    /// `GET path` (with its query) as `token`: the response, whatever its status.
    pub(crate) fn get_as(&self, token: &str, path: &str) -> reqwest::blocking::Response {
        self.http()
            .get(format!("{}{path}", self.server.url()))
            .bearer_auth(token)
            .send()
            .unwrap()
    }

    /// `GET path` as the admin, as JSON: the status and the body.
    pub(crate) fn get(&self, path: &str) -> (u16, Value) {
        let response = self.get_as(ADMIN_TOKEN, path);
        let code = response.status().as_u16();
        (code, response.json().unwrap())
    }

    /// A watch as the admin (`path` with `watch=true` in its query), which must start (200).
    pub(crate) fn watch(&self, path: &str) -> Lines {
        let response = self.get_as(ADMIN_TOKEN, path);
        assert_eq!(response.status().as_u16(), 200, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/json",
            "{path}"
        );
        Lines::of(response)
    }
}

/// The lines a stream (a watch response, kubectl's output) yields, read on their own thread.
pub(crate) struct Lines {
    rx: Receiver<Result<String, String>>,
}

impl Lines {
    /// Reads `reader` line by line until it ends or fails.
    pub(crate) fn of(reader: impl Read + Send + 'static) -> Self {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(reader).lines() {
                let failed = line.is_err();
                if tx.send(line.map_err(|e| e.to_string())).is_err() || failed {
                    return;
                }
            }
        });
        Self { rx }
    }

    /// The next line; fails the test when none comes within [`WAIT`] or the stream ends.
    pub(crate) fn next(&self) -> String {
        match self.rx.recv_timeout(WAIT) {
            Ok(Ok(line)) => line,
            Ok(Err(e)) => panic!("the stream failed: {e}"),
            Err(RecvTimeoutError::Timeout) => panic!("no line within {WAIT:?}"),
            Err(RecvTimeoutError::Disconnected) => panic!("the stream ended"),
        }
    }

    /// The next line as a watch event.
    pub(crate) fn event(&self) -> Value {
        let line = self.next();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
    }

    /// The next event's type and object name (or, for a BOOKMARK or ERROR, the
    /// resourceVersion or Status message).
    pub(crate) fn summary(&self) -> (String, String) {
        summary(&self.event())
    }

    /// Nothing within `quiet` (and the stream still open).
    pub(crate) fn quiet_for(&self, quiet: Duration) -> bool {
        matches!(self.rx.recv_timeout(quiet), Err(RecvTimeoutError::Timeout))
    }

    /// How the stream ended within [`WAIT`], after any lines still coming: `Ok` when cleanly,
    /// `Err` with the error when it was cut; fails the test when it does not end.
    pub(crate) fn end(&self) -> Result<Vec<String>, String> {
        let deadline = Instant::now() + WAIT;
        let mut rest = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(Ok(line)) => rest.push(line),
                Ok(Err(e)) => return Err(e),
                Err(RecvTimeoutError::Disconnected) => return Ok(rest),
                Err(RecvTimeoutError::Timeout) => panic!("the stream did not end within {WAIT:?}"),
            }
        }
    }
}

/// A watch event's type and what it is about: the object's name, a BOOKMARK's
/// resourceVersion, an ERROR's message.
pub(crate) fn summary(event: &Value) -> (String, String) {
    let kind = event["type"].as_str().unwrap_or_default().to_owned();
    let object = &event["object"];
    let about = match kind.as_str() {
        "BOOKMARK" => object["metadata"]["resourceVersion"].as_str(),
        "ERROR" => object["message"].as_str(),
        _ => object["metadata"]["name"].as_str(),
    };
    (kind, about.unwrap_or_default().to_owned())
}

/// Polls `done` until it holds, failing the test after [`WAIT`].
pub(crate) fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {WAIT:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// What a run did: the exit code and both streams.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs `cmd` to completion; being killed by a signal fails the test.
pub(crate) fn run(cmd: &mut Command) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("the command runs");
    Run {
        code: status.code().expect("exited, not killed by a signal"),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// A status document with this `last_check` (and `repo`, to tell documents apart): what the
/// ConfigMaps of this project hold, though the fake does not care.
pub(crate) fn doc(repo: &str, last_check: &str) -> String {
    format!(
        "{{\"repo\":\"{repo}\",\"server\":\"prod-cluster-01\",\"sync_status\":\"SYNCED\",\"drift_count\":0,\"files\":[],\"last_check\":\"{last_check}\"}}\n"
    )
}
