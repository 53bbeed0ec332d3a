//! The soak's HTTP clients: each asks status-server for documents at a steady, bounded rate
//! (rate-limited, not a benchmark) and judges every answer: a 200 must carry one complete,
//! valid document (or an array of them for `/statuses.json`), gzip-decoded when the server
//! compressed it; a 304 only answers an `If-None-Match`; anything else is an error. A strong
//! `ETag` must never name two different bodies.
//!
//! HTTP/1.1 over std's `TcpStream`: keep-alive or a new connection per request, `Content-Length`
//! bodies only (status-server sends every body with one).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// The longest body a client reads: the server's documents are far smaller.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// What the clients saw: in all, and since the sampler last looked ([`Tally::drain`]).
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub(crate) ok: u64,
    pub(crate) not_modified: u64,
    pub(crate) errors: u64,
    /// The first errors, for the report.
    pub(crate) first_errors: Vec<String>,
    interval: Interval,
}

/// One sampling interval's answers.
#[derive(Debug, Default)]
pub(crate) struct Interval {
    /// Latency of every answered request (200 or 304), in microseconds.
    pub(crate) latencies_us: Vec<u64>,
    pub(crate) errors: u64,
}

impl Tally {
    fn answered(&mut self, latency: Duration, not_modified: bool) {
        if not_modified {
            self.not_modified += 1;
        } else {
            self.ok += 1;
        }
        self.interval.latencies_us.push(latency.as_micros() as u64);
    }

    fn error(&mut self, what: String) {
        self.errors += 1;
        self.interval.errors += 1;
        if self.first_errors.len() < 20 {
            self.first_errors.push(what);
        }
    }

    /// The interval since the last drain.
    pub(crate) fn drain(&mut self) -> Interval {
        std::mem::take(&mut self.interval)
    }
}

/// One request of the mix: a path, whether gzip is accepted.
#[derive(Debug, Clone, Copy)]
struct Ask {
    path: &'static str,
    gzip: bool,
}

/// The mix every client walks through: the primary document, one more, and the array; each
/// with and without gzip (Grafana's Go client accepts gzip, curl does not).
const MIX: [Ask; 6] = [
    Ask {
        path: "/status.json",
        gzip: false,
    },
    Ask {
        path: "/status.json",
        gzip: true,
    },
    Ask {
        path: "/statuses.json",
        gzip: false,
    },
    Ask {
        path: "/statuses.json",
        gzip: true,
    },
    Ask {
        path: "/status/team-a.json",
        gzip: true,
    },
    Ask {
        path: "/status/team-c.json",
        gzip: false,
    },
];

/// One client: its connection policy and rate.
pub(crate) struct Client {
    pub(crate) addr: SocketAddr,
    /// Keep the connection open between requests (else a new one each time).
    pub(crate) keep_alive: bool,
    pub(crate) requests_per_second: f64,
    /// Which client this is (varies where in the mix it starts and its `If-None-Match`s).
    pub(crate) index: usize,
}

impl Client {
    /// Sends requests until `deadline`, recording into `tally`.
    pub(crate) fn run(&self, deadline: Instant, tally: &Arc<Mutex<Tally>>) {
        let period = Duration::from_secs_f64(1.0 / self.requests_per_second.max(0.01));
        let mut connection: Option<Connection> = None;
        // The last ETag and body hash seen per (path, gzip): conditional requests use the
        // ETag; the hash catches an ETag reused for other bytes.
        let mut seen: HashMap<(&str, bool), (String, u64)> = HashMap::new();
        let mut next = Instant::now();
        let mut n = self.index;
        while Instant::now() < deadline {
            let ask = MIX[n % MIX.len()];
            // Every other round conditional, offset per client.
            let etag = (n / MIX.len() + self.index)
                .is_multiple_of(2)
                .then(|| seen.get(&(ask.path, ask.gzip)).map(|(e, _)| e.clone()))
                .flatten();
            n += 1;
            let started = Instant::now();
            let answer = self.ask(&mut connection, ask, etag.as_deref());
            let elapsed = started.elapsed();
            let mut tally = tally.lock().unwrap_or_else(|p| p.into_inner());
            match answer.and_then(|r| judge(ask.path, etag.as_deref(), &r).map(|hash| (r, hash))) {
                Ok((response, hash)) => {
                    tally.answered(elapsed, response.status == 304);
                    // A 304 has no body (and no hash) to compare.
                    if let (Some(etag), Some(hash)) = (response.etag, hash) {
                        let key = (ask.path, ask.gzip);
                        if let Some((old, old_hash)) = seen.get(&key)
                            && *old == etag
                            && *old_hash != hash
                        {
                            tally.error(format!(
                                "GET {} (gzip: {}): ETag {etag} names two different bodies",
                                ask.path, ask.gzip
                            ));
                        }
                        seen.insert(key, (etag, hash));
                    }
                }
                Err(e) => {
                    tally.error(format!("GET {} (gzip: {}): {e:#}", ask.path, ask.gzip));
                    connection = None;
                }
            }
            drop(tally);
            if !self.keep_alive {
                connection = None;
            }
            next += period;
            let now = Instant::now();
            if next > now {
                std::thread::sleep(next - now);
            } else {
                // Behind (a slow answer): do not burst to catch up.
                next = now;
            }
        }
    }

    fn ask(
        &self,
        connection: &mut Option<Connection>,
        ask: Ask,
        etag: Option<&str>,
    ) -> Result<Response> {
        if connection.is_none() {
            *connection = Some(Connection::open(self.addr)?);
        }
        let conn = connection.as_mut().context("no connection")?;
        let mut request = format!("GET {} HTTP/1.1\r\nHost: {}\r\n", ask.path, self.addr);
        if ask.gzip {
            request.push_str("Accept-Encoding: gzip\r\n");
        }
        if let Some(etag) = etag {
            request.push_str(&format!("If-None-Match: {etag}\r\n"));
        }
        if !self.keep_alive {
            request.push_str("Connection: close\r\n");
        }
        request.push_str("\r\n");
        conn.writer.write_all(request.as_bytes())?;
        read_response(&mut conn.reader)
    }
}

struct Connection {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Connection {
    fn open(addr: SocketAddr) -> Result<Self> {
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
            .with_context(|| format!("cannot connect to {addr}"))?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
        })
    }
}

/// A response as read off the wire.
#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) etag: Option<String>,
    pub(crate) gzip: bool,
    pub(crate) body: Vec<u8>,
}

/// Reads one response: status line, headers, and a `Content-Length` body.
pub(crate) fn read_response(reader: &mut impl BufRead) -> Result<Response> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        bail!("the server closed the connection");
    }
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("no status code in {line:?}"))?;
    let (mut length, mut etag, mut gzip) = (None, None, false);
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            bail!("the connection ended inside the headers");
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let Some((name, value)) = header.split_once(':') else {
            bail!("a malformed header: {header:?}");
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = Some(value.parse::<usize>()?),
            "etag" => etag = Some(value.to_owned()),
            "content-encoding" => gzip = value.eq_ignore_ascii_case("gzip"),
            "transfer-encoding" => bail!("a {value} body, where Content-Length was expected"),
            _ => {}
        }
    }
    let length = match (status, length) {
        (304, _) => 0,
        (_, Some(n)) if n <= MAX_BODY => n,
        (_, Some(n)) => bail!("a body of {n} bytes"),
        (_, None) => bail!("{status} without Content-Length"),
    };
    let mut body = vec![0; length];
    reader
        .read_exact(&mut body)
        .context("the body ended before its Content-Length")?;
    Ok(Response {
        status,
        etag,
        gzip,
        body,
    })
}

/// Judges one answer; Ok(hash of the decoded body) for a 200, Ok(None) for a fitting 304.
pub(crate) fn judge(
    path: &str,
    etag_sent: Option<&str>,
    response: &Response,
) -> Result<Option<u64>> {
    match response.status {
        304 if etag_sent.is_some() => return Ok(None),
        304 => bail!("304 to a request without If-None-Match"),
        200 => {}
        other => bail!("status {other}"),
    }
    if response.etag.is_none() {
        bail!("200 without an ETag");
    }
    let body = if response.gzip {
        let mut decoded = Vec::new();
        flate2::read::GzDecoder::new(&response.body[..])
            .read_to_end(&mut decoded)
            .context("a gzip body that does not decode")?;
        decoded
    } else {
        response.body.clone()
    };
    if path == "/statuses.json" {
        let array: Vec<serde_json::Value> =
            serde_json::from_slice(&body).context("/statuses.json is not one JSON array")?;
        if array.is_empty() {
            bail!("/statuses.json is empty");
        }
        for (i, doc) in array.iter().enumerate() {
            let bytes = serde_json::to_vec(doc)?;
            if !status_core::validate(&bytes).is_valid() {
                bail!("/statuses.json[{i}] is not a valid document");
            }
        }
    } else if !status_core::validate(&body).is_valid() {
        bail!("not one complete, valid document ({} bytes)", body.len());
    }
    Ok(Some(fnv1a(&body)))
}

/// A 64-bit FNV-1a hash: enough to tell two bodies apart.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"repo":"r","server":"s","sync_status":"SYNCED","drift_count":0,"files":[],"last_check":"2026-04-21T10:00:00Z"}"#;

    fn response(raw: &str) -> Result<Response> {
        read_response(&mut BufReader::new(raw.as_bytes()))
    }

    fn ok(body: &str) -> Response {
        Response {
            status: 200,
            etag: Some("\"e\"".into()),
            gzip: false,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn reads_a_content_length_body_and_its_headers() {
        let r = response(&format!(
            "HTTP/1.1 200 OK\r\nETag: \"abc\"\r\nContent-Length: {}\r\n\r\n{DOC}",
            DOC.len()
        ))
        .unwrap();
        assert_eq!(
            (r.status, r.etag.as_deref(), r.gzip),
            (200, Some("\"abc\""), false)
        );
        assert_eq!(r.body, DOC.as_bytes());
    }

    #[test]
    fn a_short_body_or_a_chunked_one_is_an_error() {
        assert!(response("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}").is_err());
        assert!(
            response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n")
                .is_err()
        );
        assert!(response("HTTP/1.1 200 OK\r\n\r\n").is_err());
    }

    #[test]
    fn judges_documents_arrays_and_statuses() {
        assert!(judge("/status.json", None, &ok(DOC)).unwrap().is_some());
        // Torn: a prefix of a document, or of the array.
        assert!(judge("/status.json", None, &ok(&DOC[..DOC.len() - 5])).is_err());
        assert!(judge("/statuses.json", None, &ok(&format!("[{DOC},{DOC}]"))).is_ok());
        assert!(
            judge(
                "/statuses.json",
                None,
                &ok(&format!("[{DOC},{}", &DOC[..20]))
            )
            .is_err()
        );
        // An invalid document inside a well-formed array.
        assert!(judge("/statuses.json", None, &ok(r#"[{"repo":""}]"#)).is_err());
        let mut not_modified = ok("");
        not_modified.status = 304;
        assert!(
            judge("/status.json", Some("\"e\""), &not_modified)
                .unwrap()
                .is_none()
        );
        assert!(judge("/status.json", None, &not_modified).is_err());
        let mut unavailable = ok(DOC);
        unavailable.status = 503;
        assert!(judge("/status.json", None, &unavailable).is_err());
    }

    #[test]
    fn decodes_gzip_before_judging() {
        use std::io::Write as _;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(DOC.as_bytes()).unwrap();
        let mut gz = ok("");
        gz.gzip = true;
        gz.body = encoder.finish().unwrap();
        assert_eq!(
            judge("/status.json", None, &gz).unwrap(),
            Some(fnv1a(DOC.as_bytes()))
        );
        gz.body.truncate(gz.body.len() / 2);
        assert!(judge("/status.json", None, &gz).is_err());
    }
}
