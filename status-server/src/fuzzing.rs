//! The request parsing the HTTP layer does by hand, as plain functions: what the fuzz targets
//! (`fuzz/`) and their corpus replay (`fuzz-checks`) call.

use actix_web::http::header::{ACCEPT_ENCODING, HeaderMap, HeaderValue};

use crate::http::{self, Kind};

/// The route label (as in metrics) of `path`, and the key of the document it is about (its
/// JSON, its page or one of its badges), if any.
pub fn route(path: &str) -> (&'static str, Option<String>) {
    let route = http::route_of(path);
    let key = match route.kind {
        Kind::Document(key) => Some(key.to_owned()),
        Kind::Page(key) => Some(key),
        Kind::Badge(key, _) => Some(key.into_owned()),
        _ => None,
    };
    (route.label, key)
}

/// Whether a request with these `Accept-Encoding` header values is sent gzip; a value that is
/// not a valid header value is left out, as actix would refuse the request.
pub fn accepts_gzip(values: &[&[u8]]) -> bool {
    let mut headers = HeaderMap::new();
    for value in values {
        if let Ok(value) = HeaderValue::from_bytes(value) {
            headers.append(ACCEPT_ENCODING, value);
        }
    }
    http::accepts_gzip(&headers)
}

/// Whether `If-None-Match: value` matches one of the `current` entity tags (a 304); `None` when
/// `value` is not a valid header value.
pub fn if_none_match(value: &[u8], current: &[&str]) -> Option<bool> {
    let value = HeaderValue::from_bytes(value).ok()?;
    let current: Vec<HeaderValue> = current
        .iter()
        .filter_map(|tag| HeaderValue::from_str(tag).ok())
        .collect();
    let current: Vec<&HeaderValue> = current.iter().collect();
    Some(http::if_none_match(&value, &current))
}
