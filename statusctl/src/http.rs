//! Reading documents from a running status-server: the one HTTP client statusctl has (`get`,
//! `check` and `push --wait-url` share it), with its timeout, the bounded body read, the URL of
//! a document, and how a URL and an HTTP failure are written in messages.
//!
//! - One deadline bounds a whole exchange: connecting, sending, the head and the whole body. A
//!   server that sends its head and then a byte every half second holds statusctl no longer
//!   than the timeout (a per-read timeout, as reqwest's blocking client has, would let it).
//!   So requests run on reqwest's async client, on a runtime of [`Http`]'s own, under one
//!   `tokio::time::timeout`.
//! - Bodies are read up to [`MAX_DOCUMENT_BYTES`] (1 MiB, a ConfigMap's limit, so no valid
//!   document is larger): a wrong URL (a download, a stream without end) fails instead of
//!   filling memory. A gzip answer is decoded by reqwest (it asks for gzip) and the limit
//!   applies to the decoded bytes.
//! - A URL may carry credentials (`http://user:pass@host`): reqwest sends them as Basic
//!   authentication, and messages show the URL through [`shown`], which never holds the
//!   password.

use std::cell::Cell;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{ETAG, HeaderValue, IF_NONE_MATCH};
use status_core::{MAX_DOCUMENT_BYTES, duration};

use crate::report::printable;

/// statusctl's HTTP client: reqwest's async client and a current-thread runtime to run it on.
pub(crate) struct Http {
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
}

/// An answer read whole within the timeout.
#[derive(Debug)]
pub(crate) struct Answer {
    /// The status code.
    pub(crate) status: StatusCode,
    /// The `ETag` header, when there was one.
    pub(crate) etag: Option<HeaderValue>,
    /// The body of a 2xx answer (decoded from gzip), at most [`MAX_DOCUMENT_BYTES`]; empty for
    /// any other status, whose body is not read.
    pub(crate) body: Vec<u8>,
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http").finish_non_exhaustive()
    }
}

impl Http {
    /// The client (statusctl's user agent, gzip accepted and decoded) and its runtime.
    pub(crate) fn new() -> Result<Self, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the HTTP client's runtime: {e}"))?;
        let client = reqwest::Client::builder()
            .user_agent(concat!("statusctl/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot set up the HTTP client: {}", error_chain(&e)))?;
        Ok(Self { runtime, client })
    }

    /// GETs `url` (with `If-None-Match: etag` when given) and reads the answer whole, all
    /// within `timeout`. `Err` says why there is no answer (connecting failed, the time ran
    /// out, the body is over 1 MiB or broke off), without the URL: callers name it, as
    /// [`shown`] writes it.
    pub(crate) fn get(
        &self,
        url: &str,
        etag: Option<&HeaderValue>,
        timeout: Duration,
    ) -> Result<Answer, String> {
        // How far the exchange got, for the message when the time runs out: `None` before the
        // head, then the body bytes read so far.
        let progress: Cell<Option<usize>> = Cell::new(None);
        let exchange = async {
            // No timeout of reqwest's own: the one below bounds everything, and says how far
            // the exchange got.
            let mut request = self.client.get(url);
            if let Some(etag) = etag {
                request = request.header(IF_NONE_MATCH, etag.clone());
            }
            let response = request.send().await.map_err(|e| send_failure(e, timeout))?;
            progress.set(Some(0));
            let status = response.status();
            let etag = response.headers().get(ETAG).cloned();
            let body = if status.is_success() {
                read_body(response, &progress).await?
            } else {
                Vec::new()
            };
            Ok(Answer { status, etag, body })
        };
        match self
            .runtime
            .block_on(async { tokio::time::timeout(timeout, exchange).await })
        {
            Ok(result) => result,
            Err(_) => Err(out_of_time(timeout, progress.get())),
        }
    }
}

/// The message for a timeout, saying how far the exchange got.
fn out_of_time(timeout: Duration, progress: Option<usize>) -> String {
    let within = duration::format(timeout);
    match progress {
        None => format!("no answer within {within}"),
        Some(bytes) => format!(
            "no complete answer within {within}: the head came, but the body had not ended ({bytes} byte{} of it read)",
            if bytes == 1 { "" } else { "s" }
        ),
    }
}

/// The URL of a document: `base` is the server's base URL (`http://host:port`, a path prefix
/// allowed), `name` the document's key (`payments.json`) or that without `.json`. `status.json`
/// (or no name) is served at `/status.json`, any other `NAME.json` at `/status/NAME.json`. A
/// `base` whose path ends in `.json` is a document's URL already and is used as it is.
pub(crate) fn document_url(base: &str, name: Option<&str>) -> String {
    let base = base.trim_end_matches('/');
    let has_path = base
        .split_once("://")
        .map_or(base, |(_, rest)| rest)
        .contains('/');
    if has_path && base.ends_with(".json") {
        return base.to_owned();
    }
    match name.map(|n| n.strip_suffix(".json").unwrap_or(n)) {
        None | Some("status") => format!("{base}/status.json"),
        Some(name) => format!("{base}/status/{name}.json"),
    }
}

/// `url` as messages show it: a password in it becomes `***` (`http://ci:***@host/`), and
/// control characters are escaped. Works on any text, a URL or not, so that even a URL reqwest
/// cannot parse is never printed with its password.
///
/// The user information is looked for where URL parsers find it: after `scheme:` and any run of
/// slashes, backslashes, tabs and line breaks, which the WHATWG URL standard (and so reqwest)
/// skips (`http:///ci:pass@host` is `http://ci:pass@host` to it); without such a scheme, in the
/// text from its start. It ends at its last `@`, the authority at the first `/`, `?` or `#`.
/// status-kube shows a proxy's URL by the same rule.
pub(crate) fn shown(url: &str) -> String {
    const SKIPPED: [char; 5] = ['/', '\\', '\t', '\n', '\r'];
    let start = match url.split_once(':') {
        Some((scheme, rest)) if rest.starts_with(SKIPPED) => {
            scheme.len() + 1 + rest.len() - rest.trim_start_matches(SKIPPED).len()
        }
        _ => 0,
    };
    let (head, rest) = url.split_at(start);
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    let text = match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _password)) => format!("{head}{user}:***@{host}{path}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    };
    printable(&text).into_owned()
}

/// Why a request got no answer, for messages: `cannot connect (...)`, `no answer within 10s
/// (...)`, `request failed (...)`. The error's own URL is left out (callers name the URL, as
/// [`shown`] writes it), and so are control characters.
fn send_failure(error: reqwest::Error, timeout: Duration) -> String {
    let why = if error.is_timeout() {
        format!("no answer within {}", duration::format(timeout))
    } else if error.is_connect() {
        "cannot connect".to_owned()
    } else {
        "request failed".to_owned()
    };
    let chain = error_chain(&error.without_url());
    format!("{why} ({})", printable(&chain))
}

/// Reads at most [`MAX_DOCUMENT_BYTES`] of a response body, counting in `progress`. A declared
/// `Content-Length` over the limit is refused before reading anything; without one, one byte
/// past the limit is read to tell "exactly 1 MiB" from "more".
async fn read_body(
    mut response: reqwest::Response,
    progress: &Cell<Option<usize>>,
) -> Result<Vec<u8>, String> {
    let too_large = |size: String| {
        format!(
            "the response is too large (over 1 MiB{size}); a status document holds at most {MAX_DOCUMENT_BYTES} bytes"
        )
    };
    if let Some(length) = response.content_length()
        && length > MAX_DOCUMENT_BYTES as u64
    {
        return Err(too_large(format!(": Content-Length {length}")));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| {
        format!(
            "the body broke off ({})",
            printable(&error_chain(&e.without_url()))
        )
    })? {
        body.extend_from_slice(&chunk);
        progress.set(Some(body.len()));
        if body.len() > MAX_DOCUMENT_BYTES {
            return Err(too_large(String::new()));
        }
    }
    Ok(body)
}

/// An error and its sources, `: `-separated.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_built_from_a_base() {
        assert_eq!(
            document_url("http://h:8080", None),
            "http://h:8080/status.json"
        );
        assert_eq!(
            document_url("http://h:8080/", Some("payments.json")),
            "http://h:8080/status/payments.json"
        );
        assert_eq!(
            document_url("http://h:8080", Some("status.json")),
            "http://h:8080/status.json"
        );
        assert_eq!(
            document_url("http://h/prefix", Some("team.a.json")),
            "http://h/prefix/status/team.a.json"
        );
        assert_eq!(
            document_url("http://h/x/status.json", None),
            "http://h/x/status.json"
        );
    }

    #[test]
    fn shown_urls_never_hold_the_password() {
        let cases = [
            ("http://h:8080/status.json", "http://h:8080/status.json"),
            ("http://ci:s3cret@h:8080/x", "http://ci:***@h:8080/x"),
            ("https://ci:p@ss:w@rd@h", "https://ci:***@h"),
            ("http://ci@h/", "http://ci@h/"),
            ("http://h/a@b", "http://h/a@b"),
            ("http://h?next=u:p@x", "http://h?next=u:p@x"),
            ("ci:s3cret@h", "ci:***@h"),
            ("http://u:p@h/\u{1b}[31m", "http://u:***@h/\\u{1b}[31m"),
            // Slashes, backslashes and line breaks after the scheme are skipped by URL parsers:
            // each of these has the password `s3cret` to reqwest.
            ("http:///ci:s3cret@h/x", "http:///ci:***@h/x"),
            ("http:/ci:s3cret@h", "http:/ci:***@h"),
            ("https:\\\\ci:s3cret@h", "https:\\\\ci:***@h"),
            ("http:/\n/ci:s3cret@h", "http:/\\n/ci:***@h"),
            ("http:ci:s3cret@h", "http:***@h"),
        ];
        for (url, expected) in cases {
            assert_eq!(shown(url), expected, "{url}");
        }
    }
}
