//! Many idle connections (slowloris-style) do not keep a normal client out.

use std::time::Duration;

use tokio::net::TcpStream;

use crate::helpers::{doc, spawn, write};

#[tokio::test]
async fn five_hundred_idle_connections_do_not_block_a_request() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("status.json"), &doc("r", 0));
    let server = spawn(&["--dir", dir.path().to_str().unwrap(), "--workers", "1"]).await;
    let mut idle = Vec::with_capacity(500);
    for _ in 0..500 {
        idle.push(
            TcpStream::connect(("127.0.0.1", server.port))
                .await
                .expect("connect"),
        );
    }
    // Half-sent request heads on some of them, as a slowloris client would.
    for stream in idle.iter().take(100) {
        stream.writable().await.unwrap();
        stream
            .try_write(b"GET /status.json HTTP/1.1\r\nHost: x\r\n")
            .unwrap();
    }
    let response = tokio::time::timeout(Duration::from_secs(5), server.get("/status.json"))
        .await
        .expect("answered while 500 connections sit idle");
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), doc("r", 0));
    drop(idle);
}

#[tokio::test]
async fn oversized_request_heads_get_431() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("status.json"), &doc("r", 0));
    let server = spawn(&["--dir", dir.path().to_str().unwrap()]).await;
    let huge_value = format!("X-Big: {}\r\n", "a".repeat(140 * 1024));
    let many_headers: String = (0..120).map(|i| format!("X-{i}: 1\r\n")).collect();
    for extra in [huge_value, many_headers] {
        let mut stream = TcpStream::connect(("127.0.0.1", server.port))
            .await
            .unwrap();
        let head = format!("GET /status.json HTTP/1.1\r\nHost: x\r\n{extra}\r\n");
        // The server may stop reading (and close) before the whole head is sent.
        drop(stream.write_all(head.as_bytes()).await);
        let mut response = Vec::new();
        drop(
            tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut response))
                .await
                .expect("answered"),
        );
        let response = String::from_utf8_lossy(&response);
        assert!(
            response.starts_with("HTTP/1.1 431 "),
            "{}",
            &response[..response.len().min(200)]
        );
    }
}

/// A client that never finishes its request head is cut off (slowloris); the limit is 5 s, the
/// test allows 15.
#[tokio::test]
async fn a_stalled_request_head_is_timed_out() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("status.json"), &doc("r", 0));
    let server = spawn(&["--dir", dir.path().to_str().unwrap()]).await;
    let mut stream = TcpStream::connect(("127.0.0.1", server.port))
        .await
        .unwrap();
    stream
        .write_all(b"GET /status.json HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(15), stream.read_to_end(&mut response))
        .await
        .expect("the server closed the stalled connection")
        .expect("read");
    let response = String::from_utf8_lossy(&response);
    assert!(
        response.is_empty() || response.starts_with("HTTP/1.1 408 "),
        "{response}"
    );
}
