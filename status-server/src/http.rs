//! The HTTP routes: one handler that matches the path, answers from the current snapshot, and
//! maps every failure to a JSON body in one place (an HTML page or an SVG badge for the
//! routes people and `<img>` tags ask for: `http/people.rs`, over what `pages.rs` renders).
//!
//! Matching by hand (rather than with actix's router) keeps the 404-vs-405 rules in one `match`,
//! gives every request a bounded `route` label for metrics, and keeps the hot path short.

use std::borrow::Cow;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Instant, SystemTime};

use actix_web::body::{BodySize, MessageBody};
use actix_web::http::header::{self, HeaderMap, HeaderValue, HttpDate};
use actix_web::http::{Method, StatusCode};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use arc_swap::ArcSwap;
use serde_json::json;

use crate::layer::LoadError;
use crate::metrics::Metrics;
use crate::pages;
use crate::representation::Body;
use crate::snapshot::{PRIMARY_KEY, Snapshot};

mod people;
mod unread_body;

use people::{BadgeFormat, badge, html_key, page};

/// What every request handler shares.
#[derive(Debug, Clone)]
pub(crate) struct AppState {
    /// The documents being served.
    pub(crate) snapshot: Arc<ArcSwap<Snapshot>>,
    /// The metrics registry.
    pub(crate) metrics: Arc<Metrics>,
}

const JSON: HeaderValue = HeaderValue::from_static("application/json");
const NO_CACHE: HeaderValue = HeaderValue::from_static("no-cache");
const NOSNIFF: HeaderValue = HeaderValue::from_static("nosniff");
const GZIP: HeaderValue = HeaderValue::from_static("gzip");
const ACCEPT_ENCODING: HeaderValue = HeaderValue::from_static("accept-encoding");
const GET_HEAD: HeaderValue = HeaderValue::from_static("GET, HEAD");
const METRICS_TYPE: HeaderValue =
    HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8");
const HTML: HeaderValue = HeaderValue::from_static("text/html; charset=utf-8");
const SVG: HeaderValue = HeaderValue::from_static("image/svg+xml; charset=utf-8");
/// Badges are embedded in READMEs and wikis through caching image proxies (GitHub's camo):
/// a short lifetime keeps them current without a request per view.
const BADGE_CACHE: HeaderValue = HeaderValue::from_static("max-age=60");
/// Pages link only to this server, and a badge's viewer need not be told which page embeds it.
const NO_REFERRER: HeaderValue = HeaderValue::from_static("no-referrer");

/// The headers that make a kind of body what it is.
struct Representation {
    content_type: HeaderValue,
    cache_control: HeaderValue,
    /// For pages and badges: their `Content-Security-Policy` (and `Referrer-Policy`).
    csp: Option<HeaderValue>,
}

impl Representation {
    fn json() -> Self {
        Self {
            content_type: JSON,
            cache_control: NO_CACHE,
            csp: None,
        }
    }

    fn page(csp: &HeaderValue) -> Self {
        Self {
            content_type: HTML,
            cache_control: NO_CACHE,
            csp: Some(csp.clone()),
        }
    }

    fn badge() -> Self {
        Self {
            content_type: SVG,
            cache_control: BADGE_CACHE,
            csp: Some(pages::BADGE_CSP),
        }
    }

    fn shields() -> Self {
        Self {
            content_type: JSON,
            cache_control: BADGE_CACHE,
            csp: None,
        }
    }

    /// Sets the headers on a response (`Content-Type` only on one with a body).
    fn apply(&self, h: &mut HeaderMap, with_body: bool) {
        if with_body {
            h.insert(header::CONTENT_TYPE, self.content_type.clone());
        }
        h.insert(header::CACHE_CONTROL, self.cache_control.clone());
        h.insert(header::X_CONTENT_TYPE_OPTIONS, NOSNIFF);
        if let Some(csp) = &self.csp {
            h.insert(header::CONTENT_SECURITY_POLICY, csp.clone());
            h.insert(header::REFERRER_POLICY, NO_REFERRER);
        }
    }
}

/// Every route, as the 404 body lists them.
const ROUTES: [&str; 12] = [
    "/",
    "/status.json",
    "/status/{name}.json",
    "/status/{name}.html",
    "/statuses.json",
    "/badge.svg",
    "/badge/{name}.svg",
    "/badge.json",
    "/badge/{name}.json",
    "/healthz",
    "/readyz",
    "/metrics",
];

/// The one handler behind every path.
pub(crate) async fn dispatch(req: HttpRequest, payload: actix_web::web::Payload) -> HttpResponse {
    let start = Instant::now();
    let Some(state) = req.app_data::<AppState>() else {
        return HttpResponse::InternalServerError().finish();
    };
    let (route, mut response) = respond(&req, state);
    if unread_body::has_body(req.headers()) {
        response = unread_body::closing(response, payload);
    }
    state
        .metrics
        .observe_request(route, response.status().as_u16(), start.elapsed());
    response
}

fn respond(req: &HttpRequest, state: &AppState) -> (&'static str, HttpResponse) {
    let path = req.path();
    let route = route_of(path);
    if let Kind::Other = route.kind {
        let shown = echoed(path);
        return (
            route.label,
            error(
                StatusCode::NOT_FOUND,
                json!({"error": "not_found", "message": format!("no route for {shown}"),
                       "routes": ROUTES}),
            ),
        );
    }
    let method = req.method();
    if method != Method::GET && method != Method::HEAD {
        let mut response = error(
            StatusCode::METHOD_NOT_ALLOWED,
            json!({"error": "method_not_allowed",
                   "message": format!("{method} is not allowed on {}; use GET or HEAD", echoed(path))}),
        );
        response.headers_mut().insert(header::ALLOW, GET_HEAD);
        return (route.label, response);
    }
    let response = match route.kind {
        Kind::Document(key) => {
            let snapshot = state.snapshot.load();
            document(req, &snapshot, key)
        }
        Kind::All => {
            let snapshot = state.snapshot.load();
            serve_body(req, &snapshot.all)
        }
        Kind::Overview => {
            let snapshot = state.snapshot.load();
            serve(
                req,
                snapshot.overview.body(),
                &Representation::page(&pages::OVERVIEW_CSP),
            )
        }
        Kind::Page(key) => page(req, &state.snapshot.load(), &key),
        Kind::Badge(key, format) => badge(req, &state.snapshot.load(), &key, format),
        Kind::Healthz => status_json(StatusCode::OK, json!({"status": "ok"})),
        Kind::Readyz => readyz(&state.snapshot.load()),
        Kind::Metrics => metrics(&state.metrics),
        Kind::Other => not_found_document(path),
    };
    (route.label, response)
}

/// How much of a path an error body echoes, in bytes: the body stays small whatever was asked.
const ECHOED_PATH_BYTES: usize = 200;

/// The path as an error body echoes it: its first [`ECHOED_PATH_BYTES`] at most, cut at a
/// character boundary (a raw request line may carry UTF-8).
fn echoed(path: &str) -> &str {
    let mut end = path.len().min(ECHOED_PATH_BYTES);
    while !path.is_char_boundary(end) {
        end -= 1;
    }
    &path[..end]
}

#[derive(Debug, Clone)]
pub(crate) enum Kind<'a> {
    Document(&'a str),
    All,
    Overview,
    /// `/status/{name}.html`, by document key.
    Page(String),
    /// A badge, by document key.
    Badge(Cow<'a, str>, BadgeFormat),
    Healthz,
    Readyz,
    Metrics,
    Other,
}

pub(crate) struct Route<'a> {
    pub(crate) label: &'static str,
    pub(crate) kind: Kind<'a>,
}

pub(crate) fn route_of(path: &str) -> Route<'_> {
    let (label, kind) = match path {
        "/" => ("/", Kind::Overview),
        "/badge.svg" => (
            "/badge.svg",
            Kind::Badge(Cow::Borrowed(PRIMARY_KEY), BadgeFormat::Svg),
        ),
        "/badge.json" => (
            "/badge.json",
            Kind::Badge(Cow::Borrowed(PRIMARY_KEY), BadgeFormat::Shields),
        ),
        "/status.json" => ("/status.json", Kind::Document(PRIMARY_KEY)),
        "/statuses.json" => ("/statuses.json", Kind::All),
        "/healthz" => ("/healthz", Kind::Healthz),
        "/readyz" => ("/readyz", Kind::Readyz),
        "/metrics" => ("/metrics", Kind::Metrics),
        _ => {
            if let Some(rest) = path.strip_prefix("/status/") {
                // The key is the rest of the path (`name.json`): a document key, by
                // status-core's rule; `name.html` is its page.
                if status_core::is_document_key(rest) {
                    ("/status/{name}.json", Kind::Document(rest))
                } else if let Some(key) = html_key(rest, ".html") {
                    ("/status/{name}.html", Kind::Page(key))
                } else {
                    ("other", Kind::Other)
                }
            } else if let Some(rest) = path.strip_prefix("/badge/") {
                if status_core::is_document_key(rest) {
                    (
                        "/badge/{name}.json",
                        Kind::Badge(Cow::Borrowed(rest), BadgeFormat::Shields),
                    )
                } else if let Some(key) = html_key(rest, ".svg") {
                    (
                        "/badge/{name}.svg",
                        Kind::Badge(Cow::Owned(key), BadgeFormat::Svg),
                    )
                } else {
                    ("other", Kind::Other)
                }
            } else {
                ("other", Kind::Other)
            }
        }
    };
    Route { label, kind }
}

fn document(req: &HttpRequest, snapshot: &Snapshot, key: &str) -> HttpResponse {
    let name = key.trim_end_matches(".json");
    match snapshot.documents.get(key) {
        Some(document) => match (&document.served, &document.error) {
            (Some(served), _) => serve_body(req, &served.body),
            (None, Some(err)) => never_valid(key, err),
            (None, None) => not_found_document(name),
        },
        None => not_found_document(name),
    }
}

fn not_found_document(name: &str) -> HttpResponse {
    error(
        StatusCode::NOT_FOUND,
        json!({"error": "not_found", "document": name,
               "message": format!("no document named {name:?} is being served")}),
    )
}

fn never_valid(key: &str, err: &LoadError) -> HttpResponse {
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        json!({"error": "document_invalid", "document": key.trim_end_matches(".json"),
               "message": format!("{key} has never been valid, so there is nothing to serve: {}", err.message),
               "findings": err.findings}),
    )
}

/// Serves a pre-built JSON body: gzip when the client takes it, 304 when its copy is current.
fn serve_body(req: &HttpRequest, body: &Body) -> HttpResponse {
    serve(req, body, &Representation::json())
}

/// Serves a pre-built body of any kind: gzip when the client takes it, 304 when its copy is
/// current.
fn serve(req: &HttpRequest, body: &Body, rep: &Representation) -> HttpResponse {
    let headers = req.headers();
    let content = &body.content;
    // Compressed here, by the first request that takes gzip, when it was not yet.
    let gzip = accepts_gzip(headers).then(|| content.gzip()).flatten();
    let (bytes, etag) = match gzip {
        Some(gz) => (gz.clone(), &content.etag_gzip),
        None => (content.bytes.clone(), &content.etag),
    };
    let not_modified = match headers.get(header::IF_NONE_MATCH) {
        // If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2). Either representation's
        // tag matches: the content is the same.
        Some(inm) => if_none_match(inm, &[&content.etag, &content.etag_gzip]),
        None => headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<HttpDate>().ok())
            .is_some_and(|since| body.modified <= SystemTime::from(since)),
    };
    let mut response = if not_modified {
        HttpResponse::NotModified().finish()
    } else if bytes.len() > CHUNK {
        HttpResponse::Ok().body(Chunked {
            len: bytes.len() as u64,
            rest: bytes,
        })
    } else {
        HttpResponse::Ok().body(bytes)
    };
    let h = response.headers_mut();
    rep.apply(h, !not_modified);
    if !not_modified && gzip.is_some() {
        h.insert(header::CONTENT_ENCODING, GZIP);
    }
    h.insert(header::ETAG, etag.clone());
    // A Last-Modified after the Date is not allowed (RFC 9110 8.8.2.1): a body stamped ahead of
    // the clock (several changes within one second) is dated now, which is still before its
    // `modified`, so an If-Modified-Since echoing it is answered 200, never a wrong 304.
    let now = SystemTime::now();
    if body.modified > now {
        h.insert(
            header::LAST_MODIFIED,
            HeaderValue::from_str(&HttpDate::from(now).to_string())
                .unwrap_or_else(|_| body.last_modified.clone()),
        );
    } else {
        h.insert(header::LAST_MODIFIED, body.last_modified.clone());
    }
    h.insert(header::VARY, ACCEPT_ENCODING);
    response
}

/// Large bodies are handed to actix in slices of this size (zero-copy views of the same buffer).
/// actix-http copies each chunk into the connection's write buffer, which keeps its capacity for
/// the life of the connection: one 500 KiB chunk would cost every keep-alive connection 500 KiB
/// (64 clients: 40 MiB, in a pod limited to 64 MiB); slices bound it to about one slice, at the
/// price of a few more write calls per large response.
const CHUNK: usize = 64 * 1024;

/// A pre-built body served in [`CHUNK`]-sized slices, with its full length as Content-Length.
struct Chunked {
    rest: Bytes,
    len: u64,
}

impl MessageBody for Chunked {
    type Error = Infallible;

    fn size(&self) -> BodySize {
        BodySize::Sized(self.len)
    }

    fn poll_next(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let this = self.get_mut();
        if this.rest.is_empty() {
            return Poll::Ready(None);
        }
        let n = this.rest.len().min(CHUNK);
        Poll::Ready(Some(Ok(this.rest.split_to(n))))
    }
}

/// Whether `Accept-Encoding` allows gzip (`gzip` or `*`, with a non-zero q).
pub(crate) fn accepts_gzip(headers: &HeaderMap) -> bool {
    let mut gzip = None;
    let mut star = None;
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim();
            let q_nonzero = parts
                .filter_map(|p| {
                    let (k, v) = p.split_once('=')?;
                    k.trim().eq_ignore_ascii_case("q").then(|| v.trim())
                })
                .next_back()
                .is_none_or(|q| q.parse::<f32>().is_ok_and(|q| q > 0.0));
            if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
                gzip = Some(q_nonzero);
            } else if coding == "*" {
                star = Some(q_nonzero);
            }
        }
    }
    gzip.or(star).unwrap_or(false)
}

/// Weak comparison of an `If-None-Match` list with the current tags (RFC 9110 13.1.2).
pub(crate) fn if_none_match(value: &HeaderValue, current: &[&HeaderValue]) -> bool {
    let Ok(value) = value.to_str() else {
        return false;
    };
    value.split(',').map(str::trim).any(|tag| {
        tag == "*" || {
            let tag = tag.strip_prefix("W/").unwrap_or(tag);
            current.iter().any(|c| c.as_bytes() == tag.as_bytes())
        }
    })
}

/// `/readyz`: 200 while the snapshot says it is ready (`Snapshot::readiness`), else 503 with
/// the reasons; in either case how each source is doing.
fn readyz(snapshot: &Snapshot) -> HttpResponse {
    let sources: Vec<serde_json::Value> = snapshot
        .sources
        .iter()
        .map(|source| {
            let mut value = json!({
                "source": source.name,
                "healthy": source.up,
                "synced": source.synced,
                "documents": source.documents,
            });
            if let (Some(error), Some(map)) = (&source.error, value.as_object_mut()) {
                map.insert("error".to_owned(), json!(error));
            }
            value
        })
        .collect();
    match snapshot.readiness() {
        Ok(()) => status_json(
            StatusCode::OK,
            json!({"status": "ready", "sources": sources}),
        ),
        Err(reasons) => status_json(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"status": "not_ready", "reason": reasons.join("; "), "sources": sources}),
        ),
    }
}

fn metrics(metrics: &Metrics) -> HttpResponse {
    match metrics.encode() {
        Ok(text) => {
            let mut response = HttpResponse::Ok().body(text);
            let h = response.headers_mut();
            h.insert(header::CONTENT_TYPE, METRICS_TYPE);
            h.insert(header::CACHE_CONTROL, NO_CACHE);
            h.insert(header::X_CONTENT_TYPE_OPTIONS, NOSNIFF);
            response
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot encode metrics");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"error": "internal", "message": "cannot encode metrics"}),
            )
        }
    }
}

fn status_json(code: StatusCode, body: serde_json::Value) -> HttpResponse {
    let mut bytes = serde_json::to_vec(&body).unwrap_or_default();
    bytes.push(b'\n');
    let mut response = HttpResponse::build(code).body(Bytes::from(bytes));
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, JSON);
    h.insert(header::CACHE_CONTROL, NO_CACHE);
    h.insert(header::X_CONTENT_TYPE_OPTIONS, NOSNIFF);
    response
}

/// Every error response: a JSON body with `error` (a stable code) and `message` (for people).
fn error(code: StatusCode, body: serde_json::Value) -> HttpResponse {
    status_json(code, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn an_echoed_path_is_cut_at_a_character_boundary() {
        let ascii = format!("/{}", "a".repeat(300));
        assert_eq!(echoed(&ascii).len(), 200);
        // Byte 200 inside a two-byte character: the cut is before it, never the whole path.
        let utf8 = format!("/{}{}", "a".repeat(198), "é".repeat(300));
        assert_eq!(echoed(&utf8), &utf8[..199]);
        assert_eq!(echoed("/short"), "/short");
    }

    fn accepts(value: &str) -> bool {
        let req = TestRequest::default()
            .insert_header((header::ACCEPT_ENCODING, value))
            .to_http_request();
        accepts_gzip(req.headers())
    }

    #[test]
    fn gzip_negotiation() {
        assert!(accepts("gzip"));
        assert!(accepts("deflate, gzip;q=0.5"));
        assert!(accepts("GZIP"));
        assert!(accepts("*"));
        assert!(!accepts("gzip;q=0"));
        assert!(!accepts("br"));
        assert!(!accepts("*, gzip;q=0"));
        assert!(!accepts(""));
    }

    #[test]
    fn etag_matching() {
        let tag = HeaderValue::from_static("\"abc\"");
        let gz = HeaderValue::from_static("\"abc-gz\"");
        for (inm, expected) in [
            ("\"abc\"", true),
            ("W/\"abc\"", true),
            ("\"x\", \"abc-gz\"", true),
            ("*", true),
            ("\"abd\"", false),
            ("abc", false),
        ] {
            let inm = HeaderValue::from_static(inm);
            assert_eq!(if_none_match(&inm, &[&tag, &gz]), expected, "{inm:?}");
        }
    }

    #[test]
    fn routes() {
        assert_eq!(route_of("/status/prod.json").label, "/status/{name}.json");
        assert_eq!(route_of("/status/.hidden.json").label, "other");
        assert_eq!(route_of("/status/../x.json").label, "other");
        assert_eq!(route_of("/status/a/b.json").label, "other");
        assert_eq!(route_of("/status/.json").label, "other");
        assert_eq!(route_of("/status.json/").label, "other");
    }
}
