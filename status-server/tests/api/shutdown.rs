//! The real binary: SIGTERM during a request lets the request finish and exits 0 within 5 s.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::helpers::{doc_of_size, write};

#[tokio::test]
async fn sigterm_finishes_the_request_in_flight_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    // Large enough that the response is still being written when the signal arrives: the client
    // reads through a small receive window.
    let body = doc_of_size("shutdown", 900 * 1024);
    write(&dir.path().join("status.json"), &body);
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_status-server"))
        .env_clear()
        .args(["--dir", dir.path().to_str().unwrap(), "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["--log-format", "json", "--workers", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start status-server");

    let mut stream = connect(port).await;
    stream
        .write_all(b"GET /status.json HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut first = vec![0u8; 1024];
    stream
        .read_exact(&mut first)
        .await
        .expect("the response starts");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let signalled = Instant::now();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut rest = Vec::new();
    stream
        .read_to_end(&mut rest)
        .await
        .expect("the response completes");
    first.extend_from_slice(&rest);
    let response = String::from_utf8(first).unwrap();
    assert!(
        response.starts_with("HTTP/1.1 200 OK\r\n"),
        "{response:.300}"
    );
    assert!(
        response.ends_with(&body),
        "the whole document arrived ({} bytes)",
        response.len()
    );

    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(5),
            "still running 5 s after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut logs = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut logs).unwrap();
    assert!(exit.success(), "exit status {exit}; logs:\n{logs}");
    // JSON logs: every line is a JSON object.
    for line in logs.lines() {
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|_| panic!("not JSON: {line}"));
    }
    assert!(logs.contains("\"stopped\""), "{logs}");
}

/// A port that was free a moment ago (the binary needs a fixed one to be reachable).
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn connect(port: u16) -> TcpStream {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        match socket.connect(([127, 0, 0, 1], port).into()).await {
            Ok(stream) => return stream,
            Err(e) => {
                assert!(Instant::now() < deadline, "server never listened: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}
