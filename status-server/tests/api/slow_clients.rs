//! Clients that hold connections on purpose: readers that never read a large response, and a
//! request body trickled a byte at a time. Real sockets over loopback, against the real binary
//! with a low file descriptor limit (`prlimit`), as in a container with `nofile` 256.

use std::process::Command;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::binary::Process;
use crate::helpers::{doc, doc_of_size, write};

/// A connection that asked for `path` and will never read the answer (a tiny receive window).
async fn never_reading(port: u16, path: &str) -> Option<TcpStream> {
    let socket = TcpSocket::new_v4().ok()?;
    socket.set_recv_buffer_size(4096).ok()?;
    let mut stream = socket.connect(([127, 0, 0, 1], port).into()).await.ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    Some(stream)
}

/// 300 clients ask for a 2 MB `/statuses.json` and never read it, under `nofile` 256: the
/// server neither runs out of file descriptors nor keeps `/healthz` out for long (kubelet's
/// liveness probe would restart the pod), and a reload still reads its files. The bound is
/// generous (the write timeout is 5 s a round); without one, `/healthz` never answers.
#[tokio::test]
async fn healthz_answers_while_300_clients_never_read_2_mb() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("status.json"), &doc("r", 0));
    for name in ["a", "b", "c"] {
        write(
            &dir.path().join(format!("{name}.json")),
            &doc_of_size(name, 700 * 1024),
        );
    }
    let mut limited = Command::new("prlimit");
    limited.args([
        "--nofile=256:256",
        "--",
        env!("CARGO_BIN_EXE_status-server"),
    ]);
    let mut server = Process::start_with(limited, &["--dir", dir.path().to_str().unwrap()]);
    let (status, _) = server.get_within("/readyz", Duration::from_secs(10)).await;
    assert_eq!(status, 200);

    let mut held = Vec::new();
    for _ in 0..300 {
        held.extend(never_reading(server.port, "/statuses.json").await);
    }
    assert!(held.len() > 256, "only {} clients connected", held.len());
    let (status, body) = server.get_within("/healthz", Duration::from_secs(30)).await;
    assert_eq!((status, body.as_str()), (200, "{\"status\":\"ok\"}\n"));

    // A reload opens files: there are descriptors left for it.
    write(&dir.path().join("status.json"), &doc("reloaded", 0));
    server
        .eventually("/status.json", "the reloaded document", |s, b| {
            s == 200 && b == doc("reloaded", 0)
        })
        .await;
    drop(held);
    let exit = server.terminate_within(Duration::from_secs(10)).await;
    let log = server.log();
    assert!(exit.success(), "{exit}; log:\n{log}");
    assert!(!log.contains("Too many open files"), "{log}");
}

/// A request body trickled one byte a second does not hold its connection: it is answered and
/// closed (the body of a GET or HEAD is never read), long before the body would end.
#[tokio::test]
async fn a_trickled_request_body_does_not_hold_a_connection() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("status.json"), &doc("r", 0));
    let server = Process::start(&["--dir", dir.path().to_str().unwrap()]);
    server.get_within("/readyz", Duration::from_secs(10)).await;
    let cases = [
        ("GET", "Content-Length: 100000", &b"x"[..]),
        ("POST", "Content-Length: 100000", b"x"),
        ("GET", "Transfer-Encoding: chunked", b"1\r\nx\r\n"),
        ("POST", "Transfer-Encoding: chunked", b"1\r\nx\r\n"),
    ];
    for (method, framing, piece) in cases {
        let stream = TcpStream::connect(("127.0.0.1", server.port))
            .await
            .unwrap();
        let (mut read, mut write) = stream.into_split();
        let head = format!("{method} /status.json HTTP/1.1\r\nHost: x\r\n{framing}\r\n\r\n");
        write.write_all(head.as_bytes()).await.unwrap();
        let trickle = tokio::spawn(async move {
            loop {
                if write.write_all(piece).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
        let mut response = Vec::new();
        let read =
            tokio::time::timeout(Duration::from_secs(20), read.read_to_end(&mut response)).await;
        trickle.abort();
        assert!(
            read.is_ok(),
            "{method} with {framing}: the connection was still open after 20 s: {:.200}",
            String::from_utf8_lossy(&response)
        );
        let response = String::from_utf8_lossy(&response);
        assert!(
            response.starts_with("HTTP/1.1 "),
            "{method}: {response:.200}"
        );
    }
}
