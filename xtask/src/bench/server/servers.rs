//! The servers compared: three Debian nginx configurations (the seed's, a tuned one,
//! `gzip_static`) and status-server, each started pinned to the server CPU with `taskset`,
//! and the tools the benchmark runs (installed with apt-get when missing and we are root).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::SERVER_CPU;
use super::sampling::Running;
use crate::host::{self, ChildProcess, Recommends, free_port, http_get, is_root, which};

/// The programs the benchmark runs, by full path (nginx lives in `/usr/sbin`).
pub(super) struct Tools {
    pub(super) nginx: PathBuf,
    pub(super) wrk: PathBuf,
    pub(super) taskset: PathBuf,
}

impl Tools {
    pub(super) fn find_or_install() -> Result<Self> {
        if let Some(tools) = Self::find() {
            return Ok(tools);
        }
        if !is_root() {
            bail!(
                "the server benchmark needs nginx, wrk and taskset: install them with \
                 `sudo apt-get install nginx-light wrk util-linux` (or run as root and it will)"
            );
        }
        host::apt_get_install(&["nginx-light", "wrk", "util-linux"], Recommends::Skip)?;
        Self::find().context("nginx, wrk or taskset still missing after apt-get install")
    }

    fn find() -> Option<Self> {
        Some(Self {
            nginx: which("nginx")?,
            wrk: which("wrk")?,
            taskset: which("taskset")?,
        })
    }
}

/// The nginx baselines.
#[derive(Clone, Copy)]
pub(super) enum NginxFlavour {
    Seed,
    Tuned,
    GzipStatic,
}

impl NginxFlavour {
    pub(super) const ALL: [NginxFlavour; 3] = [Self::Seed, Self::Tuned, Self::GzipStatic];
}

/// A server under test.
#[derive(Clone, Copy)]
pub(super) enum ServerKind {
    Nginx(NginxFlavour),
    StatusServer,
}

impl ServerKind {
    /// Its name in the report.
    pub(super) fn name(self) -> &'static str {
        match self {
            Self::Nginx(NginxFlavour::Seed) => "nginx (seed config)",
            Self::Nginx(NginxFlavour::Tuned) => "nginx (tuned)",
            Self::Nginx(NginxFlavour::GzipStatic) => "nginx (gzip_static)",
            Self::StatusServer => "status-server",
        }
    }

    /// Starts it on a free loopback port, serving the documents in `www/status`, and waits
    /// until it serves them.
    pub(super) fn start(
        self,
        tools: &Tools,
        binary: &Path,
        work: &Path,
        www: &Path,
    ) -> Result<Running> {
        let port = free_port()?;
        let mut cmd = Command::new(&tools.taskset);
        cmd.args(["-c", SERVER_CPU]);
        match self {
            Self::Nginx(flavour) => {
                let prefix = work.join(format!("nginx-{port}"));
                std::fs::create_dir_all(prefix.join("tmp"))?;
                let conf = prefix.join("nginx.conf");
                std::fs::write(&conf, nginx_conf(flavour, port, &prefix, www))?;
                cmd.arg(&tools.nginx)
                    .arg("-p")
                    .arg(&prefix)
                    .arg("-c")
                    .arg(&conf)
                    .args(["-g", "daemon off;"]);
            }
            Self::StatusServer => {
                cmd.arg(binary)
                    .arg("--dir")
                    .arg(www.join("status"))
                    .args(["--listen", &format!("127.0.0.1:{port}")])
                    .args(["--workers", "1", "--log-format", "json"])
                    .env("STATUS_SERVER_LOG", "warn");
            }
        }
        let child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("cannot start {}", self.name()))?;
        let running = Running {
            process: ChildProcess::new(child),
            port,
        };
        wait_until_serving(port)?;
        Ok(running)
    }
}

fn nginx_conf(flavour: NginxFlavour, port: u16, prefix: &Path, www: &Path) -> String {
    // What nginx-unprivileged ships (nginx.conf + conf.d/default.conf), pinned to one worker,
    // access log off, temp paths under the prefix so it runs without root.
    let user = if is_root() { "user root;\n" } else { "" };
    let tuned = match flavour {
        NginxFlavour::Seed => "",
        NginxFlavour::Tuned => {
            "    open_file_cache max=1000 inactive=60s;\n    open_file_cache_valid 60s;\n    tcp_nopush on;\n    tcp_nodelay on;\n"
        }
        NginxFlavour::GzipStatic => {
            "    open_file_cache max=1000 inactive=60s;\n    open_file_cache_valid 60s;\n    tcp_nopush on;\n    tcp_nodelay on;\n    gzip_static on;\n    gzip_vary on;\n"
        }
    };
    let p = prefix.display();
    format!(
        "{user}worker_processes 1;\nerror_log {p}/error.log warn;\npid {p}/nginx.pid;\n\
         events {{\n    worker_connections 1024;\n}}\n\
         http {{\n    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n\
         \x20   access_log off;\n    sendfile on;\n    keepalive_timeout 65;\n\
         \x20   client_body_temp_path {p}/tmp/body;\n    proxy_temp_path {p}/tmp/proxy;\n\
         \x20   fastcgi_temp_path {p}/tmp/fastcgi;\n    uwsgi_temp_path {p}/tmp/uwsgi;\n\
         \x20   scgi_temp_path {p}/tmp/scgi;\n{tuned}\
         \x20   server {{\n        listen 127.0.0.1:{port};\n        server_name localhost;\n\
         \x20       location / {{\n            root {www};\n            index index.html index.htm;\n        }}\n    }}\n}}\n",
        www = www.display()
    )
}

fn wait_until_serving(port: u16) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if http_get(&format!("http://127.0.0.1:{port}/status/small.json"), &[])
            .is_ok_and(|r| r.status == 200)
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("server on port {port} did not serve /status/small.json within 10 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The encoding a server answers `/status/{key}.json` in, with or without
/// `Accept-Encoding: gzip`: `gzip` or `identity`.
pub(super) fn served_encoding(port: u16, key: &str, gzip: bool) -> Result<&'static str> {
    let accept: &[(&str, &str)] = if gzip {
        &[("Accept-Encoding", "gzip")]
    } else {
        &[]
    };
    let response = http_get(
        &format!("http://127.0.0.1:{port}/status/{key}.json"),
        accept,
    )?;
    if response.status != 200 {
        bail!(
            "GET /status/{key}.json on port {port} answered {}",
            response.status
        );
    }
    Ok(if response.header("content-encoding") == Some("gzip") {
        "gzip"
    } else {
        "identity"
    })
}
