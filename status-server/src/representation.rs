//! The HTTP representation of a document: its bytes as stored, their gzip form, a strong ETag
//! derived from the content, and a Last-Modified date, built once per change so that serving a
//! body allocates nothing for it.
//!
//! The server compresses here, once per change, rather than per response (actix's `Compress`
//! middleware is not used): a status document is read far more often than it changes.

use std::time::{Duration, SystemTime};

use actix_web::http::header::{HeaderValue, HttpDate};
use actix_web::web::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;

/// One body ready to be served: the bytes as stored, their gzip form, and the validators.
#[derive(Debug)]
pub(crate) struct Body {
    /// The bytes, exactly as stored.
    pub(crate) bytes: Bytes,
    /// The gzip-compressed bytes, when gzip makes the body smaller.
    pub(crate) gzip: Option<Bytes>,
    /// The strong ETag of the identity representation, derived from the content only.
    pub(crate) etag: HeaderValue,
    /// The strong ETag of the gzip representation.
    pub(crate) etag_gzip: HeaderValue,
    /// When this content was first served (see `Snapshot::high_water`), for `Last-Modified`.
    /// Can be slightly in the future after several changes within one second; the header sent
    /// is then the current time (see `http::serve_body`).
    pub(crate) modified: SystemTime,
    /// `modified` as an HTTP date.
    pub(crate) last_modified: HeaderValue,
}

impl Body {
    /// The representation of `bytes`, first served at `modified` (kept to whole seconds).
    pub(crate) fn new(bytes: Bytes, modified: SystemTime) -> Self {
        let hash = content_hash(&bytes);
        let gzip = gzip(&bytes).filter(|gz| gz.len() < bytes.len());
        // Whole seconds: HTTP dates have no more, and If-Modified-Since compares against them.
        let modified = truncate_to_seconds(modified);
        Self {
            etag: header_value(&format!("\"{hash}\"")),
            etag_gzip: header_value(&format!("\"{hash}-gz\"")),
            last_modified: header_value(&HttpDate::from(modified).to_string()),
            modified,
            gzip,
            bytes,
        }
    }
}

fn gzip(bytes: &[u8]) -> Option<Bytes> {
    use std::io::Write;
    let mut encoder = GzEncoder::new(
        Vec::with_capacity(bytes.len() / 4 + 64),
        Compression::best(),
    );
    encoder.write_all(bytes).ok()?;
    encoder.finish().ok().map(Bytes::from)
}

/// `t` without its fraction of a second: the precision of an HTTP date.
pub(crate) fn truncate_to_seconds(t: SystemTime) -> SystemTime {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(SystemTime::UNIX_EPOCH, |d| {
            SystemTime::UNIX_EPOCH + Duration::from_secs(d.as_secs())
        })
}

fn header_value(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static("\"invalid\""))
}

/// A 128-bit FNV-1a hash of the content, in hex: the same bytes give the same ETag on every
/// replica and every restart (unlike nginx's mtime-and-size tag), with no extra dependency.
fn content_hash(bytes: &[u8]) -> String {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013B;
    let mut hash = OFFSET;
    for &b in bytes {
        hash ^= u128::from(b);
        hash = hash.wrapping_mul(PRIME);
    }
    format!("{hash:032x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"repo":"r","server":"s","sync_status":"SYNCED","drift_count":0,"files":[],"last_check":"2026-04-21T12:30:00Z"}"#;

    #[test]
    fn etag_depends_on_content_only() {
        let a = Body::new(Bytes::from_static(DOC.as_bytes()), SystemTime::UNIX_EPOCH);
        let b = Body::new(Bytes::from_static(DOC.as_bytes()), SystemTime::now());
        assert_eq!(a.etag, b.etag);
        let c = Body::new(Bytes::from_static(b"{}"), SystemTime::UNIX_EPOCH);
        assert_ne!(a.etag, c.etag);
        assert_ne!(a.etag, a.etag_gzip);
    }

    #[test]
    fn gzip_only_when_smaller_and_whole_seconds() {
        use std::io::Read;
        // A tiny body grows under gzip: served as stored only.
        let tiny = Body::new(Bytes::from_static(b"{}"), SystemTime::UNIX_EPOCH);
        assert!(tiny.gzip.is_none());
        let large = DOC.repeat(20);
        let modified = SystemTime::UNIX_EPOCH + Duration::from_millis(1_500);
        let body = Body::new(Bytes::from(large.clone()), modified);
        let gz = body.gzip.as_ref().unwrap();
        assert!(gz.len() < large.len());
        let mut unzipped = String::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_string(&mut unzipped)
            .unwrap();
        assert_eq!(unzipped, large);
        assert_eq!(
            body.modified,
            SystemTime::UNIX_EPOCH + Duration::from_secs(1)
        );
        assert_eq!(body.last_modified, "Thu, 01 Jan 1970 00:00:01 GMT");
    }
}
