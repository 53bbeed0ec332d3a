//! What status-server parses by hand from a request: the path (its route and the document key
//! it names), `Accept-Encoding` (gzip or not) and `If-None-Match` (304 or not).

use arbitrary::{Arbitrary, Unstructured};
use status_server::fuzzing;

/// The routes' labels: the metrics' `route` values, a bounded set whatever the path.
const LABELS: [&str; 13] = [
    "/",
    "/status.json",
    "/statuses.json",
    "/badge.svg",
    "/badge.json",
    "/healthz",
    "/readyz",
    "/metrics",
    "/status/{name}.json",
    "/status/{name}.html",
    "/badge/{name}.json",
    "/badge/{name}.svg",
    "other",
];

/// The parts of a request the handler reads.
#[derive(Debug, Arbitrary)]
struct Request<'a> {
    path: &'a str,
    accept_encoding: Vec<&'a [u8]>,
    if_none_match: &'a [u8],
    etag: &'a str,
}

/// Routing, gzip negotiation and `If-None-Match` never panic and keep their rules.
pub fn http_request(bytes: &[u8]) {
    let mut u = Unstructured::new(bytes);
    let Ok(request) = Request::arbitrary(&mut u) else {
        return;
    };
    route(request.path);
    accept_encoding(&request.accept_encoding);
    if_none_match(request.if_none_match, request.etag);
}

/// A path is about a document only as one of its routes with a document key (no traversal, no
/// hidden files): `/status.json` and `/badge.{svg,json}` for the primary one, `/status/KEY`,
/// `/status/NAME.html`, `/badge/KEY` and `/badge/NAME.svg` for any; and its label is one of
/// the fixed set.
fn route(path: &str) {
    let (label, key) = fuzzing::route(path);
    assert!(LABELS.contains(&label), "{path:?}: label {label:?}");
    let Some(key) = key else {
        assert!(
            [
                "/",
                "/statuses.json",
                "/healthz",
                "/readyz",
                "/metrics",
                "other"
            ]
            .contains(&label),
            "{path:?}: {label:?} without a document"
        );
        return;
    };
    assert!(status_core::is_document_key(&key), "{path:?}: {key:?}");
    let name = status_core::document_name(&key).unwrap_or_default();
    let expected = match label {
        "/status.json" | "/badge.svg" | "/badge.json" => {
            assert_eq!(key, "status.json", "{path:?}");
            label.to_owned()
        }
        "/status/{name}.json" => format!("/status/{key}"),
        "/status/{name}.html" => format!("/status/{name}.html"),
        "/badge/{name}.json" => format!("/badge/{key}"),
        "/badge/{name}.svg" => format!("/badge/{name}.svg"),
        other => panic!("{path:?}: {other:?} with a document {key:?}"),
    };
    assert_eq!(path, expected, "{label:?}, {key:?}");
}

/// The last word on `gzip` wins (then `*`), and other codings change nothing.
fn accept_encoding(values: &[&[u8]]) {
    let base = fuzzing::accepts_gzip(values);
    let with = |extra: &[u8]| {
        let mut all = values.to_vec();
        all.push(extra);
        fuzzing::accepts_gzip(&all)
    };
    assert!(with(b"gzip"), "{values:?}, gzip");
    assert!(!with(b"gzip;q=0"), "{values:?}, gzip;q=0");
    assert_eq!(with(b"br, identity"), base, "{values:?}");
    let mut first = vec![b"deflate".as_slice()];
    first.extend_from_slice(values);
    assert_eq!(fuzzing::accepts_gzip(&first), base, "{values:?}");
}

/// `*` or the current tag (weak or not) as a list item matches; a match needs one of them.
fn if_none_match(value: &[u8], etag: &str) {
    let tag: String = etag.chars().filter(char::is_ascii_alphanumeric).collect();
    let tag = format!("\"{tag}\"");
    let Some(matched) = fuzzing::if_none_match(value, &[&tag]) else {
        return;
    };
    // A value with bytes beyond visible ASCII is a valid header value that no tag can match
    // (actix cannot read it as text): nothing more to compare.
    let Some(text) = std::str::from_utf8(value)
        .ok()
        .filter(|t| t.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b)))
    else {
        assert!(!matched, "{value:?}");
        return;
    };
    if matched {
        assert!(
            text.contains('*') || text.contains(&tag),
            "{text:?} matched {tag}"
        );
    }
    for extra in ["*".to_owned(), tag.clone(), format!("W/{tag}")] {
        let listed = format!("{text}, {extra}");
        if fuzzing::if_none_match(listed.as_bytes(), &[&tag]) == Some(false) {
            panic!("{listed:?} does not match {tag}");
        }
    }
}
