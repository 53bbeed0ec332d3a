//! Reading documents from a running status-server: the one HTTP client statusctl has (`get`,
//! `check` and `push --wait-url` share it), with its timeouts, the bounded body read, the URL of
//! a document, and how a URL and an HTTP failure are written in messages.
//!
//! - Bodies are read up to [`MAX_DOCUMENT_BYTES`] (1 MiB, a ConfigMap's limit, so no valid
//!   document is larger): a wrong URL (a download, a stream without end) fails instead of
//!   filling memory. A gzip answer is decoded by reqwest (it asks for gzip) and the limit
//!   applies to the decoded bytes.
//! - A URL may carry credentials (`http://user:pass@host`): reqwest sends them as Basic
//!   authentication, and messages show the URL through [`shown`], which never holds the
//!   password.

use std::time::Duration;

use status_core::{MAX_DOCUMENT_BYTES, duration};

/// The client: a timeout for each request (connecting included), statusctl's user agent, gzip
/// accepted and decoded.
pub(crate) fn client(timeout: Duration) -> Result<reqwest::blocking::Client, String> {
    reqwest::blocking::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(concat!("statusctl/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot set up the HTTP client: {}", error_chain(&e)))
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
pub(crate) fn shown(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, url),
    };
    // The authority ends at the first `/`, `?` or `#`; the user information, at its last `@`.
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    let authority = match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _password)) => format!("{user}:***@{host}"),
            None => format!("{user_info}@{host}"),
        },
        None => authority.to_owned(),
    };
    let text = match scheme {
        Some(scheme) => format!("{scheme}://{authority}{path}"),
        None => format!("{authority}{path}"),
    };
    crate::output::printable(&text).into_owned()
}

/// Why a request got no answer, for messages: `cannot connect (...)`, `no answer within 10s
/// (...)`, `request failed (...)`. The error's own URL is left out (callers name the URL, as
/// [`shown`] writes it), and so are control characters.
pub(crate) fn send_failure(error: reqwest::Error, timeout: Duration) -> String {
    let why = if error.is_timeout() {
        format!("no answer within {}", duration::format(timeout))
    } else if error.is_connect() {
        "cannot connect".to_owned()
    } else {
        "request failed".to_owned()
    };
    let chain = error_chain(&error.without_url());
    format!("{why} ({})", crate::output::printable(&chain))
}

/// Reads at most [`MAX_DOCUMENT_BYTES`] of a response body. A declared `Content-Length` over
/// the limit is refused before reading anything; without one, one byte past the limit is read
/// to tell "exactly 1 MiB" from "more". `Err` is the message, naming `url` (as [`shown`] writes
/// it).
pub(crate) fn read_body(
    response: reqwest::blocking::Response,
    url: &str,
) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let url = shown(url);
    let too_large = |size: String| {
        format!(
            "cannot read {url}: the response is too large (over 1 MiB{size}); a status document holds at most {MAX_DOCUMENT_BYTES} bytes"
        )
    };
    if let Some(length) = response.content_length()
        && length > MAX_DOCUMENT_BYTES as u64
    {
        return Err(too_large(format!(": Content-Length {length}")));
    }
    let mut body = Vec::new();
    response
        .take(MAX_DOCUMENT_BYTES as u64 + 1)
        .read_to_end(&mut body)
        .map_err(|e| {
            format!(
                "cannot read {url}: {}",
                crate::output::printable(&error_chain(&e))
            )
        })?;
    if body.len() > MAX_DOCUMENT_BYTES {
        return Err(too_large(String::new()));
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
        ];
        for (url, expected) in cases {
            assert_eq!(shown(url), expected, "{url}");
        }
    }
}
