//! The real binary as a child process, for what an in-process server cannot show: a start that
//! never binds, a shutdown that never ends, the text log, resource limits.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::client;
use crate::shutdown::free_port;

/// A status-server process, its port and its log (standard error, in a file); killed when
/// dropped.
pub(crate) struct Process {
    child: Child,
    pub(crate) port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Process {
    /// Starts `status-server` with these flags on a free port (text logs, one worker).
    pub(crate) fn start(args: &[&str]) -> Self {
        Self::start_with(Command::new(env!("CARGO_BIN_EXE_status-server")), args)
    }

    /// Starts `command` (status-server, or a wrapper such as `prlimit` running it) with the
    /// flags.
    pub(crate) fn start_with(mut command: Command, args: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("stderr.log");
        let port = free_port();
        let child = command
            .env_clear()
            .args(args)
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .args(["--workers", "1"])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start status-server");
        Self {
            child,
            port,
            log,
            _dir: dir,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The status and body of `path`, asked until the server answers, for up to `within`.
    pub(crate) async fn get_within(&self, path: &str, within: Duration) -> (u16, String) {
        let deadline = Instant::now() + within;
        loop {
            match client().get(self.url(path)).send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    return (status, response.text().await.unwrap_or_default());
                }
                Err(e) => assert!(
                    Instant::now() < deadline,
                    "{path} unanswered after {within:?}: {e}; log:\n{}",
                    self.log()
                ),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Polls `path` until `check` accepts the (status, body), for up to 10 s.
    pub(crate) async fn eventually(
        &self,
        path: &str,
        what: &str,
        check: impl Fn(u16, &str) -> bool,
    ) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let (status, body) = self.get_within(path, Duration::from_secs(10)).await;
            if check(status, &body) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{path} never showed {what}; last answer: {status} {body:.300}; log:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for the log to contain `text`, for up to 10 s.
    pub(crate) async fn log_shows(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.log().contains(text) {
            assert!(
                Instant::now() < deadline,
                "the log never said {text:?}:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub(crate) fn log(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.log).unwrap_or_default()).into_owned()
    }

    /// Sends SIGTERM and waits for the exit, for up to `within`.
    pub(crate) async fn terminate_within(&mut self, within: Duration) -> ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + within;
        loop {
            if let Some(exit) = self.child.try_wait().unwrap() {
                return exit;
            }
            assert!(
                Instant::now() < deadline,
                "still running {within:?} after SIGTERM; log:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        drop(self.child.kill());
        drop(self.child.wait());
    }
}

pub(crate) fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}
