//! `push --wait-url URL`: after the write, poll the status-server until it serves exactly the
//! pushed document under the pushed key, or give up after `--wait-timeout` with
//! [`Exit::NotServed`] and a message naming the URL and what it last answered.
//!
//! - `--wait-url` is the server's base URL; the document's URL is the key's, as `get --name`
//!   builds it: `/status.json` for `status.json`, `/status/NAME.json` for `NAME.json`. A key the
//!   server never serves, or a URL that is not a base URL, is refused before the push (it would
//!   be waited for in vain).
//! - "Serves it" means the same bytes: the server serves a document exactly as stored (a gzip
//!   answer is decoded by the client first), so anything else — an older document, a newer one
//!   from a later push, another document with the same `last_check` — is not it.
//! - Requests start 200 ms apart and back off by half up to 2 s: a server watching the API
//!   serves a push within a second, and one reading kubelet's ConfigMap volume within its sync
//!   (60-120 s), where a request every 2 s costs little, because each carries `If-None-Match`
//!   with the last ETag and an unchanged document is a bodiless 304.
//! - Bounded by `--wait-timeout`: no request outlives what is left of it by more than
//!   [`MIN_REQUEST`], and the last request is made at the deadline.
//! - HTTP goes through `http.rs`, as for `get` and `check`: the same client, the same 1 MiB bound,
//!   and URLs in messages without their password.

use std::fmt;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::HeaderValue;
use status_core::{StatusDocument, duration};

use crate::exit::{Exit, Failure};
use crate::http;
use crate::report::printable;

/// The pause after the first request.
const FIRST_INTERVAL: Duration = Duration::from_millis(200);
/// The longest pause between two requests.
const MAX_INTERVAL: Duration = Duration::from_secs(2);
/// The longest a single request may take: a hung connection must not eat the whole wait.
const MAX_REQUEST: Duration = Duration::from_secs(10);
/// The shortest timeout a request gets, even when less of the wait is left.
const MIN_REQUEST: Duration = Duration::from_millis(250);
/// How much of a response that is not a status document a message quotes.
const QUOTED_CHARS: usize = 60;

/// Where to wait, checked before anything is pushed.
#[derive(Debug)]
pub(crate) struct Target {
    /// The document's URL, as requested (credentials included: reqwest sends them).
    url: String,
    /// The URL as messages show it.
    shown: String,
    /// `--wait-timeout`.
    timeout: Duration,
    /// Made before the push, so that a client that cannot be made is a usage error.
    http: http::Http,
}

impl Target {
    /// The URL of `key` on the server at `base`; a usage error (exit 2) when `base` is not an
    /// `http://` or `https://` base URL, or when the server would never serve `key`.
    pub(crate) fn new(base: &str, key: &str, timeout: Duration) -> Result<Self, Failure> {
        if !status_core::is_document_key(key) {
            return Err(Failure::usage(format!(
                "--wait-url: status-server never serves the key {key:?} (only *.json keys that do not start with `.`), so there is nothing to wait for; nothing was pushed"
            )));
        }
        let shown_base = http::shown(base);
        let bad = |why: &str| {
            Failure::usage(format!(
                "--wait-url {shown_base}: {why}; give the status-server's base URL, such as http://gitops-status-server.monitoring; nothing was pushed"
            ))
        };
        let parsed = reqwest::Url::parse(base).map_err(|e| bad(&e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(bad("not an http:// or https:// URL"));
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(bad("the URL has no host"));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(bad("a base URL has no query (`?`) or fragment (`#`)"));
        }
        // `get --url` takes a document's own URL too; here the document is the pushed key's,
        // and a URL naming another one would be waited on in vain.
        if parsed.path().ends_with(".json") {
            return Err(bad(
                "that is a document's URL; the document's path comes from --key",
            ));
        }
        let url = http::document_url(base, Some(key));
        Ok(Self {
            shown: http::shown(&url),
            url,
            timeout,
            http: http::Http::new().map_err(Failure::usage)?,
        })
    }

    /// The URL as messages show it (no password).
    pub(crate) fn shown(&self) -> &str {
        &self.shown
    }

    /// `--wait-timeout`.
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }
}

/// How the wait ended well.
#[derive(Debug)]
pub(crate) struct Served {
    /// From the first request to the one that found the document.
    pub(crate) after: Duration,
    /// How many requests that took.
    pub(crate) requests: u32,
}

/// What one request found, when it was not the pushed document.
#[derive(Debug, Clone)]
enum Seen {
    /// An answer other than 200 (or an unasked-for 304).
    Status(StatusCode),
    /// A valid document with an older `last_check` (the push has not reached the server yet).
    Older(String),
    /// A valid document with a newer `last_check` (a later push replaced this one).
    Newer(String),
    /// Another valid document with the same `last_check`.
    SameLastCheck(String),
    /// A 200 whose body is not a status document (a proxy's page, a wrong URL).
    NotADocument { bytes: usize, start: String },
    /// No answer, or an answer that could not be read: the message.
    Failed(String),
}

impl fmt::Display for Seen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Seen::Status(status) => write!(f, "HTTP {status}"),
            Seen::Older(t) => write!(f, "an older document: last_check {t}"),
            Seen::Newer(t) => write!(
                f,
                "a newer document: last_check {t} (a later push replaced this one?)"
            ),
            Seen::SameLastCheck(t) => {
                write!(f, "a different document with the same last_check {t}")
            }
            Seen::NotADocument { bytes, start } => write!(
                f,
                "a response that is not a status document ({bytes} byte{}: \"{start}\")",
                if *bytes == 1 { "" } else { "s" }
            ),
            Seen::Failed(message) => f.write_str(message),
        }
    }
}

/// The outcome of one request.
enum Poll {
    /// The server serves the pushed bytes.
    Served,
    /// 304: the document of the ETag sent is still the one served.
    Unchanged,
    /// An answer that is not the pushed document, and its ETag when it had one.
    Answered(Seen, Option<HeaderValue>),
    /// No usable answer.
    Failed(Seen),
}

/// Polls until the server at `target` serves `pushed` (the bytes of `document`), or
/// `--wait-timeout` runs out: then [`Exit::NotServed`], naming the URL and what it last saw.
pub(crate) fn wait(
    target: &Target,
    pushed: &[u8],
    document: &StatusDocument,
) -> Result<Served, Failure> {
    let start = Instant::now();
    let deadline = start + target.timeout;
    let mut interval = FIRST_INTERVAL;
    let mut requests = 0u32;
    // What the ETag we send stands for, and what the last request found.
    let mut etag: Option<HeaderValue> = None;
    let mut answered: Option<Seen> = None;
    let mut last: Option<Seen> = None;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let timeout = left.clamp(MIN_REQUEST, MAX_REQUEST);
        requests += 1;
        match poll(target, etag.as_ref(), timeout, pushed, document) {
            Poll::Served => {
                return Ok(Served {
                    after: start.elapsed(),
                    requests,
                });
            }
            Poll::Unchanged => last.clone_from(&answered),
            Poll::Answered(seen, tag) => {
                etag = tag;
                answered = Some(seen.clone());
                last = Some(seen);
            }
            // The ETag is kept: the next answer says whether the document changed meanwhile.
            Poll::Failed(seen) => last = Some(seen),
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        std::thread::sleep(interval.min(left));
        interval = (interval * 3 / 2).min(MAX_INTERVAL);
    }
    let last = last.map_or_else(|| "nothing".to_owned(), |seen| seen.to_string());
    Err(Failure::new(
        Exit::NotServed,
        format!(
            "{} did not serve the pushed document (last_check {}) within --wait-timeout {} ({requests} request{}); last seen: {last}.\n\
The push itself succeeded. Through kubelet's ConfigMap volume a push is served after its sync, \
60-120 s: give --wait-timeout 3m, or let the server watch the ConfigMap through the API (the chart's watch.enabled)",
            target.shown,
            status_core::format_timestamp(&document.last_check()),
            duration::format(target.timeout),
            if requests == 1 { "" } else { "s" },
        ),
    ))
}

/// One conditional GET of the document, bounded as a whole by `timeout`.
fn poll(
    target: &Target,
    etag: Option<&HeaderValue>,
    timeout: Duration,
    pushed: &[u8],
    document: &StatusDocument,
) -> Poll {
    let answer = match target.http.get(&target.url, etag, timeout) {
        Ok(answer) => answer,
        Err(why) => return Poll::Failed(Seen::Failed(why)),
    };
    match answer.status {
        StatusCode::NOT_MODIFIED if etag.is_some() => Poll::Unchanged,
        StatusCode::OK if answer.body == pushed => Poll::Served,
        StatusCode::OK => Poll::Answered(describe(&answer.body, document), answer.etag),
        status => Poll::Answered(Seen::Status(status), None),
    }
}

/// What a served body that is not the pushed document is, compared with the pushed one.
fn describe(body: &[u8], pushed: &StatusDocument) -> Seen {
    let Ok(served) = status_core::parse(body) else {
        let text = String::from_utf8_lossy(body);
        let mut start: String = text.chars().take(QUOTED_CHARS).collect();
        if text.chars().nth(QUOTED_CHARS).is_some() {
            start.push_str("...");
        }
        return Seen::NotADocument {
            bytes: body.len(),
            // Quoted with control characters escaped: the body is anyone's text.
            start: printable(&start).into_owned(),
        };
    };
    let last_check = status_core::format_timestamp(&served.last_check());
    match served.last_check().cmp(&pushed.last_check()) {
        std::cmp::Ordering::Less => Seen::Older(last_check),
        std::cmp::Ordering::Greater => Seen::Newer(last_check),
        std::cmp::Ordering::Equal => Seen::SameLastCheck(last_check),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(last_check: &str) -> StatusDocument {
        status_core::parse(
            format!(
                r#"{{"repo":"r","server":"s","sync_status":"SYNCED","drift_count":0,"files":[],"last_check":"{last_check}"}}"#
            )
            .as_bytes(),
        )
        .unwrap()
    }

    #[test]
    fn targets_are_checked_before_the_push() {
        let t = |base: &str, key: &str| Target::new(base, key, Duration::from_secs(1));
        assert_eq!(
            t("http://h:8080", "status.json").unwrap().url,
            "http://h:8080/status.json"
        );
        assert_eq!(
            t("https://h/", "payments.json").unwrap().url,
            "https://h/status/payments.json"
        );
        let shown = t("http://ci:s3cret@h", "status.json").unwrap();
        assert_eq!(shown.shown(), "http://ci:***@h/status.json");
        for (base, key, says) in [
            ("http://h", ".hidden.json", "never serves the key"),
            ("http://h", "notes.txt", "never serves the key"),
            (
                "ftp://u:s3cret@h",
                "status.json",
                "not an http:// or https://",
            ),
            ("h:8080", "status.json", "not an http:// or https://"),
            ("gitops-status-server", "status.json", "relative URL"),
            ("http://h?x=1", "status.json", "no query"),
            ("http://h/status.json", "payments.json", "a document's URL"),
        ] {
            let failure = t(base, key).unwrap_err();
            assert_eq!(failure.exit, Exit::Usage);
            assert!(
                failure.message.contains(says),
                "{base}: {}",
                failure.message
            );
            assert!(!failure.message.contains("s3cret"), "{}", failure.message);
        }
    }

    #[test]
    fn served_bodies_are_described_against_the_pushed_document() {
        let pushed = doc("2026-04-21T12:00:00Z");
        let body = |t: &str| {
            format!(
                r#"{{"repo":"other","server":"s","sync_status":"SYNCED","drift_count":0,"files":[],"last_check":"{t}"}}"#
            )
        };
        let said = |b: &[u8]| describe(b, &pushed).to_string();
        assert_eq!(
            said(body("2026-04-21T11:00:00Z").as_bytes()),
            "an older document: last_check 2026-04-21T11:00:00Z"
        );
        assert!(said(body("2026-04-21T13:00:00Z").as_bytes()).starts_with("a newer document"));
        assert_eq!(
            said(body("2026-04-21T12:00:00Z").as_bytes()),
            "a different document with the same last_check 2026-04-21T12:00:00Z"
        );
        assert_eq!(
            said(b"\x1b[31mlogin\x07 \"here\""),
            r#"a response that is not a status document (18 bytes: "\u{1b}[31mlogin\u{7} "here"")"#
        );
        assert_eq!(
            said(b"x"),
            r#"a response that is not a status document (1 byte: "x")"#
        );
        let long = said("x".repeat(100).as_bytes());
        assert!(
            long.ends_with(&format!("{}...\")", "x".repeat(60))),
            "{long}"
        );
    }
}
