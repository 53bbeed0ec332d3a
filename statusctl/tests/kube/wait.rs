//! `statusctl push --wait-url`: the push goes to the fake API server, and statusctl then polls
//! a real status-server (in-process, serving a directory) that a test "kubelet" feeds from the
//! ConfigMap after a delay, or a scripted HTTP server whose every answer the test chooses and
//! whose every request it records.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::{Cluster, NS, doc, run, settings, status_server};

/// A valid document with `files` files (and as much drift): large enough that status-server
/// serves it gzip-compressed to a client that accepts gzip.
fn big_doc(repo: &str, last_check: &str, files: usize) -> String {
    let names: Vec<String> = (0..files)
        .map(|i| format!("\"apps/{repo}/deployment-{i}.yaml\""))
        .collect();
    format!(
        "{{\"repo\":\"{repo}\",\"server\":\"prod-cluster-01\",\"sync_status\":\"OUT_OF_SYNC\",\"drift_count\":{files},\"files\":[{}],\"last_check\":\"{last_check}\"}}\n",
        names.join(",")
    )
}

/// Writes `contents` to `dir/key` atomically (a hidden temporary file renamed over it: the
/// server skips hidden names and never sees a half-written file).
fn write_atomically(dir: &Path, key: &str, contents: &str) {
    let tmp = dir.join(format!(".{key}.tmp"));
    std::fs::write(&tmp, contents).expect("write the temporary file");
    std::fs::rename(&tmp, dir.join(key)).expect("rename it over the key");
}

/// A stand-in for kubelet: `delay` after `key` of the live ConfigMap appears or changes, it
/// copies the value into `dir`, as kubelet's sync reaches a ConfigMap volume late. Returns
/// when `stop` is set, with the times it copied.
fn kubelet(
    cluster: &Cluster,
    dir: &Path,
    key: &str,
    delay: Duration,
    stop: &AtomicBool,
) -> Vec<Instant> {
    let mut copied = Vec::new();
    let mut last = None;
    while !stop.load(Ordering::SeqCst) {
        let value = cluster.live_data()[key].as_str().map(str::to_owned);
        if value.is_some() && value != last {
            std::thread::sleep(delay);
            let text = value.clone().unwrap_or_default();
            write_atomically(dir, key, &text);
            copied.push(Instant::now());
            last = value;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    copied
}

/// One request the scripted server received.
#[derive(Debug, Clone)]
struct Request {
    path: String,
    /// Header names in lower case.
    headers: Vec<(String, String)>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An HTTP server on loopback that answers the n-th request (from 0) with `answer(n, request)`
/// (a whole response: status line, headers, body) and closes the connection; it records every
/// request. It stops when dropped.
struct Scripted {
    url: String,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
}

impl Scripted {
    fn start(answer: impl Fn(usize, &Request) -> Vec<u8> + Send + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (seen, stopped) = (requests.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stopped.load(Ordering::SeqCst) {
                let stream = match listener.accept() {
                    Ok((stream, _)) => stream,
                    Err(_) => {
                        std::thread::sleep(Duration::from_millis(5));
                        continue;
                    }
                };
                stream.set_nonblocking(false).unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_secs(10)))
                    .unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
                let mut headers = Vec::new();
                loop {
                    line.clear();
                    if reader.read_line(&mut line).unwrap_or(0) <= 2 {
                        break;
                    }
                    if let Some((name, value)) = line.trim_end().split_once(':') {
                        headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
                    }
                }
                let request = Request { path, headers };
                let n = {
                    let mut all = seen.lock().unwrap();
                    all.push(request.clone());
                    all.len() - 1
                };
                let mut stream = stream;
                let _ = stream.write_all(&answer(n, &request));
            }
        });
        Self {
            url,
            requests,
            stop,
        }
    }

    fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Scripted {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// A whole HTTP response: `status` line, `headers`, a Content-Length and `body`.
fn response(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\nConnection: close\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Snapshot settings for the waiting: request counts vary with timing.
fn wait_settings() -> insta::Settings {
    let mut s = settings();
    s.add_filter(r"\(\d+ requests?\)", "([N] requests)");
    s
}

#[test]
fn waits_until_the_server_serves_the_pushed_document() {
    let cluster = Cluster::start();
    let live = cluster.dir.path().join("live");
    std::fs::create_dir(&live).unwrap();
    write_atomically(
        &live,
        "status.json",
        &big_doc("apps", "2026-04-21T11:00:00Z", 40),
    );
    let url = status_server(&["--dir", live.to_str().unwrap()]);
    let pushed = big_doc("apps", "2026-04-21T12:00:00Z", 40);
    let file = cluster.file("status.json", &pushed);

    let delay = Duration::from_millis(1500);
    let stop = AtomicBool::new(false);
    let (out, started, copied) = std::thread::scope(|scope| {
        let feeder = scope.spawn(|| kubelet(&cluster, &live, "status.json", delay, &stop));
        let started = Instant::now();
        let out = run(cluster.statusctl().arg("push").arg(&file).args([
            "--wait-url",
            &url,
            "--wait-timeout",
            "30s",
        ]));
        stop.store(true, Ordering::SeqCst);
        (out, started, feeder.join().unwrap())
    });
    assert_eq!(out.code, 0, "{}", out.transcript());
    assert!(
        out.stdout.contains("key status.json created")
            && out
                .stdout
                .contains(&format!("served by {url}/status.json after ")),
        "{}",
        out.stdout
    );
    // It waited for the "kubelet": the document reached the directory 1.5 s after the push,
    // and statusctl did not return before that.
    assert_eq!(copied.len(), 1, "the kubelet copied {} times", copied.len());
    assert!(copied[0] - started >= delay);
    assert!(started.elapsed() >= delay);

    // What it waited for went through gzip: the server compresses this document for a client
    // that accepts gzip (as statusctl's does), and serves exactly the pushed bytes.
    let client = reqwest::blocking::Client::builder()
        .gzip(false)
        .build()
        .unwrap();
    let answer = client
        .get(format!("{url}/status.json"))
        .header("accept-encoding", "gzip")
        .send()
        .unwrap();
    assert_eq!(answer.headers()["content-encoding"], "gzip");
    let compressed = answer.bytes().unwrap();
    let mut decoded = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(&compressed[..]),
        &mut decoded,
    )
    .unwrap();
    assert_eq!(decoded, pushed);
}

#[test]
fn waits_through_404s_for_a_named_document() {
    let cluster = Cluster::start();
    let live = cluster.dir.path().join("live");
    std::fs::create_dir(&live).unwrap();
    let url = status_server(&["--dir", live.to_str().unwrap()]);
    let file = cluster.file("payments.json", &doc("payments", "2026-04-21T12:00:00Z"));

    let stop = AtomicBool::new(false);
    let delay = Duration::from_millis(800);
    let out = std::thread::scope(|scope| {
        scope.spawn(|| kubelet(&cluster, &live, "payments.json", delay, &stop));
        let out = run(cluster
            .statusctl()
            .args(["push", "--key", "payments.json", "--wait-url", &url])
            .arg(&file));
        stop.store(true, Ordering::SeqCst);
        out
    });
    assert_eq!(out.code, 0, "{}", out.transcript());
    assert!(
        out.stdout
            .contains(&format!("served by {url}/status/payments.json after ")),
        "{}",
        out.stdout
    );
    // The server's own count: 404s for the document's route first, then the 200.
    let metrics = reqwest::blocking::get(format!("{url}/metrics"))
        .unwrap()
        .text()
        .unwrap();
    let count = |code: u16| -> u64 {
        let prefix = format!(
            "gitops_status_http_requests_total{{route=\"/status/{{name}}.json\",code=\"{code}\"}} "
        );
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .map_or(0, |n| n.trim().parse().unwrap())
    };
    assert!(count(404) >= 1, "no 404 before the document:\n{metrics}");
    assert_eq!(count(200), 1, "{metrics}");
}

#[test]
fn polls_with_if_none_match_and_decodes_gzip() {
    let cluster = Cluster::start();
    let pushed = doc("team-a", "2026-04-21T12:00:00Z");
    let older = doc("team-a", "2026-04-21T11:00:00Z");
    let answer_pushed = gzip(pushed.as_bytes());
    let server = Scripted::start(move |n, request| {
        let accepts_gzip = request
            .header("accept-encoding")
            .is_some_and(|v| v.contains("gzip"));
        match n {
            0 => response("404 Not Found", &[], b"{\"error\":\"not_found\"}"),
            1 => response("200 OK", &[("ETag", "\"v1\"")], older.as_bytes()),
            2 | 3 if request.header("if-none-match") == Some("\"v1\"") => {
                response("304 Not Modified", &[("ETag", "\"v1\"")], b"")
            }
            _ if accepts_gzip => response(
                "200 OK",
                &[("ETag", "\"v2-gz\""), ("Content-Encoding", "gzip")],
                &answer_pushed,
            ),
            _ => response("406 Not Acceptable", &[], b""),
        }
    });
    let file = cluster.file("team.a.json", &pushed);
    let out = run(cluster
        .statusctl()
        .args(["push", "--key", "team.a.json", "--wait-url", &server.url])
        .arg(&file));
    assert_eq!(out.code, 0, "{}", out.transcript());
    assert!(out.stdout.contains("(5 requests)"), "{}", out.stdout);

    let requests = server.requests();
    assert_eq!(requests.len(), 5, "{requests:#?}");
    for (i, request) in requests.iter().enumerate() {
        assert_eq!(request.path, "/status/team.a.json", "request {i}");
        assert!(
            request
                .header("accept-encoding")
                .is_some_and(|v| v.contains("gzip")),
            "request {i} does not accept gzip: {request:?}"
        );
    }
    let sent: Vec<Option<&str>> = requests.iter().map(|r| r.header("if-none-match")).collect();
    // Nothing to match before the first ETag; then the ETag of the older document, until the
    // server answers with something new.
    assert_eq!(
        sent,
        [None, None, Some("\"v1\""), Some("\"v1\""), Some("\"v1\"")]
    );
}

#[test]
fn gives_up_with_exit_8_naming_what_it_last_saw() {
    let cluster = Cluster::start();
    let live = cluster.dir.path().join("live");
    std::fs::create_dir(&live).unwrap();
    write_atomically(&live, "status.json", &doc("apps", "2026-04-21T11:00:00Z"));
    let url = status_server(&["--dir", live.to_str().unwrap()]);
    let port = url.rsplit(':').next().unwrap();
    let file = cluster.file("status.json", &doc("apps", "2026-04-21T12:00:00Z"));
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port())
    };
    let not_a_document = Scripted::start(|_, _| {
        response(
            "200 OK",
            &[("Content-Type", "text/html")],
            b"\x1b[31m<html>Sign in\x07</html>",
        )
    });
    let unavailable = Scripted::start(|_, _| {
        response(
            "503 Service Unavailable",
            &[],
            b"{\"error\":\"unavailable\"}",
        )
    });
    let with_password = format!("http://ci:s3cret@127.0.0.1:{port}");
    let cases = [
        ("an older document served", url.as_str()),
        ("credentials in the URL", &with_password),
        ("nothing listening", &closed),
        ("not a status document", &not_a_document.url),
        ("an error status", &unavailable.url),
    ];
    let mut transcript = String::new();
    for (what, wait_url) in cases {
        let started = Instant::now();
        let out = run(cluster.statusctl().arg("push").arg(&file).args([
            "--wait-url",
            wait_url,
            "--wait-timeout",
            "1s",
        ]));
        assert_eq!(out.code, 8, "{what}: {}", out.transcript());
        // Bounded by the wait timeout (plus the push and one request's minimum timeout).
        assert!(started.elapsed() < Duration::from_secs(6), "{what}");
        assert!(!out.stdout.contains("s3cret") && !out.stderr.contains("s3cret"));
        assert!(!out.stderr.contains('\u{1b}'), "{what}: {}", out.stderr);
        transcript.push_str(&format!("# {what}\n{}\n", out.transcript()));
    }
    // The document was pushed all the same: exit 8 says only that it was not served in time.
    assert_eq!(
        cluster.live_data()["status.json"],
        doc("apps", "2026-04-21T12:00:00Z")
    );
    assert!(!not_a_document.requests().is_empty() && !unavailable.requests().is_empty());
    wait_settings().bind(|| insta::assert_snapshot!("wait_timeout", transcript));
}

#[test]
fn usage_errors_push_nothing() {
    let cluster = Cluster::start();
    let file = cluster.file("status.json", &doc("apps", "2026-04-21T12:00:00Z"));
    let file = file.to_str().unwrap();
    let cases: [&[&str]; 6] = [
        &[file, "--wait-url", "http://127.0.0.1:9", "--dry-run"],
        &[file, "--wait-timeout", "1m"],
        &[
            file,
            "--wait-url",
            "http://127.0.0.1:9",
            "--wait-timeout",
            "1.5m",
        ],
        &[
            file,
            "--wait-url",
            "http://127.0.0.1:9",
            "--key",
            ".hidden.json",
        ],
        &[file, "--wait-url", "ftp://ci:s3cret@127.0.0.1:9"],
        &[file, "--wait-url", "gitops-status-server"],
    ];
    let mut transcript = String::new();
    for args in cases {
        let out = run(cluster.statusctl().arg("push").args(args));
        assert_eq!(out.code, 2, "{args:?}: {}", out.transcript());
        assert!(!out.stderr.contains("s3cret"), "{}", out.stderr);
        transcript.push_str(&format!(
            "# push {}\n{}\n",
            args[1..].join(" "),
            out.transcript()
        ));
    }
    assert!(
        cluster.server.configmap(NS, crate::support::LIVE).is_none(),
        "a usage error pushed something"
    );
    settings().bind(|| insta::assert_snapshot!("wait_usage_errors", transcript));
}
