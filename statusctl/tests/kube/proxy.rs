//! `push` through an HTTP proxy, as kubectl goes through one: the kubeconfig's `proxy-url`,
//! else `HTTPS_PROXY` (CI runners behind a corporate proxy set it), except for hosts that
//! `NO_PROXY` names and for loopback, which are reached directly. A tiny CONNECT proxy in the
//! test sends every tunnel to the fake API server and records what it was asked for.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use fake_apiserver::ADMIN_TOKEN;

use crate::support::{Cluster, doc, run};

/// A CONNECT proxy on loopback that tunnels every request to `127.0.0.1` at the port asked
/// for, whatever the host; `connects` lists the `host:port` of each CONNECT.
struct Proxy {
    url: String,
    connects: Arc<Mutex<Vec<String>>>,
}

impl Proxy {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let connects = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&connects);
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let seen = Arc::clone(&seen);
                std::thread::spawn(move || tunnel(client, &seen));
            }
        });
        Self { url, connects }
    }

    fn connects(&self) -> Vec<String> {
        self.connects.lock().unwrap().clone()
    }
}

fn tunnel(client: TcpStream, seen: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut request = String::new();
    if reader.read_line(&mut request).is_err() {
        return;
    }
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
        line.clear();
    }
    let Some(target) = request
        .strip_prefix("CONNECT ")
        .and_then(|rest| rest.split_whitespace().next())
    else {
        return;
    };
    seen.lock().unwrap().push(target.to_owned());
    let port = target.rsplit(':').next().unwrap_or("443");
    let Ok(upstream) = TcpStream::connect(format!("127.0.0.1:{port}")) else {
        return;
    };
    let mut client = client;
    if client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .is_err()
    {
        return;
    }
    let (mut up_read, mut up_write) = (upstream.try_clone().unwrap(), upstream);
    let mut client_write = client.try_clone().unwrap();
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut up_read, &mut client_write);
        let _ = client_write.shutdown(std::net::Shutdown::Write);
    });
    let _ = std::io::copy(&mut reader, &mut up_write);
    let _ = up_write.shutdown(std::net::Shutdown::Write);
}

/// A kubeconfig naming the fake by a host name that only the proxy can reach (`.invalid`
/// never resolves), checking its certificate for `localhost`, with `extra` cluster fields.
fn kubeconfig_by_name(cluster: &Cluster, extra: &str) -> std::path::PathBuf {
    let text = cluster.server.kubeconfig(ADMIN_TOKEN, "monitoring").replace(
        &format!("    server: {}\n", cluster.server.url()),
        &format!(
            "    server: https://gitops-fake.invalid:{}\n    tls-server-name: localhost\n{extra}",
            cluster.server.port()
        ),
    );
    let path = cluster.dir.path().join("kubeconfig-by-name");
    std::fs::write(&path, text).unwrap();
    path
}

/// `statusctl push` of a document; `timeout` short where the push is meant to fail.
fn push(cluster: &Cluster, timeout: &str) -> assert_cmd::Command {
    let file = cluster.file("doc.json", &doc("apps", "2026-04-21T12:00:00Z"));
    let mut cmd = cluster.statusctl();
    cmd.args(["push", "--timeout", timeout]).arg(file);
    cmd
}

#[test]
fn https_proxy_from_the_environment_is_used_as_kubectl_uses_it() {
    let cluster = Cluster::start();
    let proxy = Proxy::start();
    let kubeconfig = kubeconfig_by_name(&cluster, "");
    let r = run(push(&cluster, "5s")
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .env("HTTPS_PROXY", &proxy.url));
    assert_eq!(r.code, 0, "{}", r.transcript());
    let target = format!("gitops-fake.invalid:{}", cluster.server.port());
    assert!(proxy.connects().contains(&target), "{:?}", proxy.connects());
    // The lower-case spelling too, as Go reads both.
    let r = run(push(&cluster, "5s")
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .env("https_proxy", &proxy.url));
    assert_eq!(r.code, 0, "{}", r.transcript());
}

#[test]
fn no_proxy_and_loopback_are_reached_directly() {
    let cluster = Cluster::start();
    let proxy = Proxy::start();
    // The fake at 127.0.0.1: loopback never goes through a proxy (Go's rule), so a CI's
    // HTTPS_PROXY does not break a push to a port-forward or a kind cluster.
    let r = run(push(&cluster, "5s").env("HTTPS_PROXY", &proxy.url));
    assert_eq!(r.code, 0, "{}", r.transcript());
    // A host NO_PROXY names (here by its domain) is reached directly: `.invalid` does not
    // resolve, so the push fails to connect, and the proxy sees nothing.
    for no_proxy in [
        "gitops-fake.invalid",
        ".invalid",
        "*",
        "example.com, invalid",
    ] {
        let r = run(push(&cluster, "1s")
            .arg("--kubeconfig")
            .arg(kubeconfig_by_name(&cluster, ""))
            .env("HTTPS_PROXY", &proxy.url)
            .env("NO_PROXY", no_proxy));
        assert_eq!(r.code, 7, "NO_PROXY={no_proxy}: {}", r.transcript());
    }
    assert_eq!(proxy.connects(), Vec::<String>::new());
}

#[test]
fn the_kubeconfigs_proxy_url_wins_and_applies_to_every_host() {
    let cluster = Cluster::start();
    let proxy = Proxy::start();
    let kubeconfig = kubeconfig_by_name(&cluster, &format!("    proxy-url: {}\n", proxy.url));
    let r = run(push(&cluster, "5s")
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .env("HTTPS_PROXY", "http://127.0.0.1:9")
        .env("NO_PROXY", "*"));
    assert_eq!(r.code, 0, "{}", r.transcript());
    assert!(!proxy.connects().is_empty());
}

#[test]
fn a_proxys_password_is_never_printed() {
    const PASS: &str = "proxy-pass-that-must-not-show";
    let cluster = Cluster::start();
    let kubeconfig = kubeconfig_by_name(&cluster, "");
    for proxy in [
        format!("http://ci:{PASS}@127.0.0.1:9"),
        format!("socks5://ci:{PASS}@127.0.0.1:9"),
        format!("ftp://ci:{PASS}@127.0.0.1:9"),
        format!("ci:{PASS}@127.0.0.1:9"),
    ] {
        let r = run(push(&cluster, "1s")
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .env("HTTPS_PROXY", &proxy));
        assert_ne!(r.code, 0, "{proxy}: {}", r.transcript());
        assert!(
            !r.stdout.contains(PASS) && !r.stderr.contains(PASS),
            "{proxy}: {}",
            r.transcript()
        );
        // A failed connection says there is a proxy, and which.
        if r.code == 7 {
            assert!(
                r.stderr
                    .contains("(through the proxy http://ci:***@127.0.0.1:9)"),
                "{}",
                r.stderr
            );
        }
    }
}
