//! Hand-made HTTP servers on loopback for what a real status-server never does: bodies without
//! end, bodies that never come, bodies that trickle in a byte at a time, answers that are not
//! documents.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// What the loopback server below sends after its headers.
pub(crate) enum Body {
    /// These bytes, then close.
    Bytes(Vec<u8>),
    /// `{` then spaces without end (until the client hangs up, or `cap` bytes as a safety net).
    Endless { cap: u64 },
    /// Nothing: the headers promise a body that never comes (until the client hangs up).
    Nothing,
}

/// A one-connection HTTP server on loopback that answers with `head` and `body`; the thread
/// returns how many body bytes it managed to write before the client hung up.
pub(crate) fn raw_server(head: String, body: Body) -> (String, std::thread::JoinHandle<u64>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        // A safety net against a client that never hangs up: the test fails, it does not hang.
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(30)))
            .unwrap();
        stream
            .set_write_timeout(Some(std::time::Duration::from_secs(30)))
            .unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap() > 2 {
            line.clear();
        }
        let mut stream = stream;
        stream.write_all(head.as_bytes()).unwrap();
        match body {
            Body::Bytes(bytes) => {
                stream.write_all(&bytes).unwrap();
                bytes.len() as u64
            }
            Body::Endless { cap } => {
                let chunk = [b' '; 64 * 1024];
                let mut written = 0u64;
                if stream.write_all(b"{").is_err() {
                    return 0;
                }
                while written < cap {
                    match stream.write(&chunk) {
                        Ok(n) => written += n as u64,
                        Err(_) => break,
                    }
                }
                written
            }
            Body::Nothing => {
                // Returns when the client closes its end (0 bytes or an error).
                let _ = reader.read(&mut [0u8; 1]);
                0
            }
        }
    });
    (url, handle)
}

/// A server that answers every connection (any number, each on its own thread) with a
/// `200 OK` head at once, then a body of one byte every `every`, for at most `bytes` bytes: a
/// server that holds a client as long as it likes while never going quiet for long. Returns the
/// base URL; the listener lives as long as the test binary.
pub(crate) fn trickling_server(every: Duration, bytes: usize) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            std::thread::spawn(move || trickle(stream, every, bytes));
        }
    });
    url
}

fn trickle(stream: TcpStream, every: Duration, bytes: usize) {
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
        line.clear();
    }
    let mut stream = stream;
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {bytes}\r\n\r\n"
    );
    if stream.write_all(head.as_bytes()).is_err() {
        return;
    }
    for _ in 0..bytes {
        std::thread::sleep(every);
        // A client that hung up ends the trickle.
        if stream
            .write_all(b" ")
            .and_then(|()| stream.flush())
            .is_err()
        {
            return;
        }
    }
}
