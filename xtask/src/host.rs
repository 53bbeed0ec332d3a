//! What xtask's tasks need from the machine they run on, written once: whether we are root,
//! where a program is, Debian packages, file modes, child processes that are stopped when
//! dropped, and plain HTTP GETs over loopback.
//!
//! No dependencies beyond std and anyhow: xtask builds before anything else and stays small.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::{display, run_cmd};

/// Whether this process runs as root (effective UID 0): only then may it install packages.
pub(crate) fn is_root() -> bool {
    // `Uid:` lists the real, effective, saved and file-system UIDs; the effective one decides.
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find(|l| l.starts_with("Uid:"))
            .and_then(|l| l.split_whitespace().nth(2))
            == Some("0")
    })
}

/// Where `program` is: the first match on `PATH`, then `/usr/sbin` and `/sbin`, which a
/// non-root `PATH` often lacks although Debian installs servers there (nginx).
pub(crate) fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// Whether `apt-get install` brings a package's recommended packages too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Recommends {
    /// With its recommends (what a plain `apt-get install` does).
    Install,
    /// `--no-install-recommends`: the package alone.
    Skip,
}

/// Installs Debian packages with apt-get (the caller checks [`is_root`] first and says what to
/// run otherwise). The package lists are refreshed only when the install fails: a fresh
/// container has none, a long-lived machine has them and need not wait for a download.
pub(crate) fn apt_get_install(packages: &[&str], recommends: Recommends) -> Result<()> {
    let install = || {
        let mut cmd = Command::new("apt-get");
        cmd.args(["install", "-y", "-q"]);
        if recommends == Recommends::Skip {
            cmd.arg("--no-install-recommends");
        }
        cmd.args(packages).env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    };
    let mut first = install();
    eprintln!("$ {}", display(&first));
    if first.status().is_ok_and(|s| s.success()) {
        return Ok(());
    }
    run_cmd(Command::new("apt-get").args(["update", "-q"]))?;
    run_cmd(&mut install()).with_context(|| format!("apt-get could not install {packages:?}"))
}

/// Sets a file's permission bits (`chmod`).
pub(crate) fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("chmod {mode:o} {}", path.display()))
}

/// Removes from `cmd` the variables cargo sets for the program it runs (`cargo xtask` is a
/// `cargo run`; a test is run by `cargo test`): `CARGO_PKG_*`, `CARGO_MANIFEST_*` and the like.
/// A cargo started with them rebuilds ring and everything above it, because ring's build script
/// declares `rerun-if-env-changed` on some of them, and then a plain `cargo build` rebuilds it
/// all again.
pub(crate) fn without_cargo_run_env(cmd: &mut Command) {
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        let set_by_cargo = ["CARGO_PKG_", "CARGO_MANIFEST_", "CARGO_BIN_EXE_"]
            .iter()
            .any(|prefix| name.starts_with(prefix))
            || [
                "CARGO_CRATE_NAME",
                "CARGO_BIN_NAME",
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_TARGET_TMPDIR",
                "OUT_DIR",
            ]
            .contains(&name.as_ref());
        if set_by_cargo {
            cmd.env_remove(name.as_ref());
        }
    }
}

/// Makes `link` a symbolic link to `target` (a relative `target` is resolved from the link's
/// directory).
pub(crate) fn symlink(target: &Path, link: &Path) -> Result<()> {
    std::os::unix::fs::symlink(target, link)
        .with_context(|| format!("ln -s {} {}", target.display(), link.display()))
}

/// A loopback port that was free a moment ago, for a server started next.
pub(crate) fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Builds `packages` with the release profile and returns the directory their binaries are
/// in (`target/release`): what the benchmarks and the soak run.
pub(crate) fn build_release(packages: &[&str]) -> Result<PathBuf> {
    let mut cmd = crate::cargo();
    cmd.args(["build", "--release"]);
    for package in packages {
        cmd.args(["-p", package]);
    }
    run_cmd(&mut cmd)?;
    Ok(crate::target_dir().join("release"))
}

/// Starts the fake API server `binary` (`fake-apiserver`) on a loopback port, writing a
/// kubeconfig for it (an admin token, namespace `default`) to `kubeconfig`; returns once it
/// listens. Stopped when the returned process is dropped.
pub(crate) fn start_fake_apiserver(binary: &Path, kubeconfig: &Path) -> Result<ChildProcess> {
    let mut child = Command::new(binary)
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(["--namespace", "default"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot start {}", binary.display()))?;
    let stdout = child.stdout.take().context("no stdout")?;
    let fake = ChildProcess::new(child);
    let mut url = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut url)?;
    if !url.starts_with("https://127.0.0.1:") {
        bail!("fake-apiserver did not print a loopback URL (got {url:?})");
    }
    Ok(fake)
}

/// A child process that is stopped when dropped, so that an error or a panic in the task that
/// started it never leaves a server running (and holding its port) after xtask exits.
#[derive(Debug)]
pub(crate) struct ChildProcess(Child);

/// How long a process has to exit after SIGTERM before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(10);

impl ChildProcess {
    /// Takes charge of a spawned child.
    pub(crate) fn new(child: Child) -> Self {
        Self(child)
    }

    /// Its process id.
    pub(crate) fn id(&self) -> u32 {
        self.0.id()
    }

    /// Its exit status, if it has exited.
    pub(crate) fn try_wait(&mut self) -> std::io::Result<Option<ExitStatus>> {
        self.0.try_wait()
    }

    /// Stops it: SIGTERM first, so a server shuts down cleanly (and `buildah run` removes its
    /// mounts), then SIGKILL if it is still running after [`STOP_GRACE`].
    pub(crate) fn stop(&mut self) {
        if let Ok(Some(_)) = self.0.try_wait() {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A response read by [`http_get`].
#[derive(Debug)]
pub(crate) struct HttpResponse {
    /// The status code.
    pub(crate) status: u16,
    /// The status line and headers, as received.
    head: String,
    /// The body, as received (no decoding).
    pub(crate) body: Vec<u8>,
}

impl HttpResponse {
    /// The value of the first header named `name` (case-insensitive).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then_some(value.trim())
        })
    }
}

/// One HTTP/1.1 GET of an `http://` URL over a fresh connection (`Connection: close`), with
/// extra request headers; the body is read to the end of the connection. Enough for our own
/// servers and nginx on loopback; a chunked response is an error rather than a wrong body.
pub(crate) fn http_get(url: &str, headers: &[(&str, &str)]) -> Result<HttpResponse> {
    let rest = url
        .strip_prefix("http://")
        .with_context(|| format!("not an http:// URL: {url}"))?;
    let (authority, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(a, p)| (a, format!("/{p}")));
    let mut stream = std::net::TcpStream::connect(authority)
        .with_context(|| format!("cannot connect to {authority}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .with_context(|| format!("GET {url}: no end of headers"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("GET {url}: no status code"))?;
    let response = HttpResponse {
        status,
        head,
        body: raw[split + 4..].to_vec(),
    };
    if response
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        bail!("GET {url}: chunked response, which this client does not decode");
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Serves one canned response on a loopback port and returns the request it received.
    fn serve_once(response: &'static str) -> (u16, std::thread::JoinHandle<String>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let handle = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = Vec::new();
            let mut buf = [0; 1024];
            while !request.ends_with(b"\r\n\r\n") {
                let n = stream.read(&mut buf).unwrap();
                request.extend_from_slice(&buf[..n]);
            }
            stream.write_all(response.as_bytes()).unwrap();
            String::from_utf8(request).unwrap()
        });
        (port, handle)
    }

    #[test]
    fn http_get_reads_status_headers_and_body() {
        let (port, server) =
            serve_once("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\n\r\n{}");
        let response = http_get(
            &format!("http://127.0.0.1:{port}/status/small.json"),
            &[("Accept-Encoding", "gzip")],
        )
        .unwrap();
        assert_eq!(response.status, 200);
        assert_eq!(response.header("content-encoding"), Some("gzip"));
        assert_eq!(response.header("etag"), None);
        assert_eq!(response.body, b"{}");
        let request = server.join().unwrap();
        assert!(request.starts_with("GET /status/small.json HTTP/1.1\r\n"));
        assert!(request.contains(&format!("\r\nHost: 127.0.0.1:{port}\r\n")));
        assert!(request.contains("\r\nAccept-Encoding: gzip\r\n"));
    }

    #[test]
    fn http_get_refuses_a_chunked_body() {
        let (port, server) =
            serve_once("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n");
        let error = http_get(&format!("http://127.0.0.1:{port}/"), &[]).unwrap_err();
        assert!(format!("{error:#}").contains("chunked"), "{error:#}");
        server.join().unwrap();
    }

    #[test]
    fn a_child_process_is_stopped_when_dropped() {
        let child = Command::new("sleep").arg("60").spawn().unwrap();
        let pid = child.id();
        let started = Instant::now();
        drop(ChildProcess::new(child));
        // SIGTERM ends `sleep` at once: no wait for the grace period.
        assert!(started.elapsed() < STOP_GRACE);
        assert!(!Path::new(&format!("/proc/{pid}")).exists());
    }
}
