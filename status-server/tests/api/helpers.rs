//! Starting a server in-process, documents to serve, and small HTTP helpers.

use std::path::Path;
use std::sync::Once;
use std::time::{Duration, Instant};

use status_server::{Application, Config};

/// A server running in this process, and a client for it.
pub(crate) struct TestServer {
    pub(crate) port: u16,
    pub(crate) client: reqwest::Client,
}

impl TestServer {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub(crate) async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request failed")
    }

    pub(crate) async fn get_text(&self, path: &str) -> (u16, String) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
    }

    /// Polls `path` until `check` accepts the (status, body), for up to 5 s: reloads are
    /// asynchronous, and the 1 s target is measured by the benchmark, not asserted here.
    pub(crate) async fn eventually(
        &self,
        path: &str,
        what: &str,
        check: impl Fn(u16, &str) -> bool,
    ) {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let (status, body) = self.get_text(path).await;
            if check(status, &body) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{path} never showed {what} within 5 s; last answer: {status} {body}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Starts the server with these extra flags, on 127.0.0.1 port 0. The periodic re-scan is set
/// to an hour so that reload tests prove the inotify path.
pub(crate) async fn spawn(args: &[&str]) -> TestServer {
    init_logging();
    let mut argv = vec!["status-server", "--listen", "127.0.0.1:0"];
    for (flag, default) in [("--workers", "2"), ("--rescan-interval", "1h")] {
        if !args.contains(&flag) {
            argv.extend([flag, default]);
        }
    }
    argv.extend_from_slice(args);
    let config = Config::try_parse_from(argv).expect("valid flags");
    let app = Application::build(config).await.expect("server builds");
    let port = app.port();
    tokio::spawn(app.run_until_stopped());
    TestServer {
        port,
        client: client(),
    }
}

/// A client that does not ask for gzip (tests ask explicitly) and never follows redirects.
pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_gzip()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

fn init_logging() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            tracing_subscriber::fmt()
                .with_env_filter("debug,actix_server=info")
                .with_test_writer()
                .init();
        }
    });
}

/// A valid document; `repo` and `drift_count` vary so documents can be told apart.
pub(crate) fn doc(repo: &str, drift: u64) -> String {
    format!(
        "{{\n  \"repo\": \"{repo}\",\n  \"server\": \"prod-cluster-01\",\n  \"sync_status\": \"{}\",\n  \"drift_count\": {drift},\n  \"files\": [{}],\n  \"last_check\": \"2026-04-21T12:30:00Z\"\n}}\n",
        if drift == 0 { "SYNCED" } else { "OUT_OF_SYNC" },
        (0..drift)
            .map(|i| format!("\"file-{i}.yaml\""))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// A valid document of at least `size` bytes (padding in `files`).
pub(crate) fn doc_of_size(repo: &str, size: usize) -> String {
    let mut files = Vec::new();
    let mut len = 200;
    let mut i = 0;
    while len < size {
        let f = format!("\"apps/{repo}/manifests/deployment-{i:06}.yaml\"");
        len += f.len() + 2;
        files.push(f);
        i += 1;
    }
    format!(
        "{{\"repo\": \"{repo}\", \"server\": \"prod\", \"sync_status\": \"OUT_OF_SYNC\", \"drift_count\": {}, \"files\": [{}], \"last_check\": \"2026-04-21T12:30:00Z\"}}",
        files.len(),
        files.join(", ")
    )
}

pub(crate) fn write(path: &Path, contents: &str) {
    std::fs::write(path, contents).expect("write file");
}

/// The response headers as sorted `name: value` lines, with the ones that change from run to
/// run (date, ETag, Last-Modified) replaced, for snapshots.
pub(crate) fn headers_for_snapshot(response: &reqwest::Response) -> String {
    let mut lines: Vec<String> = response
        .headers()
        .iter()
        .map(|(name, value)| {
            let value = match name.as_str() {
                "date" | "last-modified" => "[date]".to_owned(),
                "etag" => "[etag]".to_owned(),
                _ => value.to_str().unwrap_or("[binary]").to_owned(),
            };
            format!("{name}: {value}")
        })
        .collect();
    lines.sort();
    lines.join("\n")
}
