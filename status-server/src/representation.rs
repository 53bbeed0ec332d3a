//! The HTTP representation of a document: its bytes as stored, their gzip form and strong ETags
//! derived from the content ([`Content`], built once per distinct content), and a Last-Modified
//! date ([`Body`], given when a snapshot first serves that content), so that serving a body
//! allocates nothing for it.
//!
//! The server compresses here, once per change, rather than per response (actix's `Compress`
//! middleware is not used): a status document is read far more often than it changes.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use actix_web::http::header::{HeaderValue, HttpDate};
use actix_web::web::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;

/// What a body is, whenever and wherever it is served: the bytes as stored, their gzip form,
/// and the ETags, all derived from the bytes alone. Built once per distinct content and shared
/// (`Arc`) by every snapshot that serves it.
#[derive(Debug)]
pub(crate) struct Content {
    /// The bytes, exactly as stored.
    pub(crate) bytes: Bytes,
    /// The gzip-compressed bytes, when gzip makes the body smaller.
    pub(crate) gzip: Option<Bytes>,
    /// The 128-bit content hash the ETags are made of.
    pub(crate) hash: u128,
    /// The strong ETag of the identity representation, derived from the content only.
    pub(crate) etag: HeaderValue,
    /// The strong ETag of the gzip representation.
    pub(crate) etag_gzip: HeaderValue,
}

impl Content {
    /// The content of `bytes`: compressed and hashed here, once.
    pub(crate) fn new(bytes: Bytes) -> Self {
        let gzip = gzip(&bytes).filter(|gz| gz.len() < bytes.len());
        let hash = content_hash(&bytes);
        Self::from_parts(bytes, gzip, hash)
    }

    /// Content whose gzip form and hash were made another way (`/statuses.json`, assembled
    /// from its documents' parts).
    pub(crate) fn from_parts(bytes: Bytes, gzip: Option<Bytes>, hash: u128) -> Self {
        Self {
            etag: header_value(&format!("\"{hash:032x}\"")),
            etag_gzip: header_value(&format!("\"{hash:032x}-gz\"")),
            hash,
            gzip,
            bytes,
        }
    }
}

/// One body as a snapshot serves it: its content and when this process first served it.
#[derive(Debug)]
pub(crate) struct Body {
    /// The bytes, their gzip form and ETags.
    pub(crate) content: Arc<Content>,
    /// When this content was first served (see `Snapshot::high_water`), for `Last-Modified`.
    /// Can be slightly in the future after several changes within one second; the header sent
    /// is then the current time (see `http::serve_body`).
    pub(crate) modified: SystemTime,
    /// `modified` as an HTTP date.
    pub(crate) last_modified: HeaderValue,
}

impl Body {
    /// `content`, first served at `modified` (kept to whole seconds).
    pub(crate) fn new(content: Arc<Content>, modified: SystemTime) -> Self {
        // Whole seconds: HTTP dates have no more, and If-Modified-Since compares against them.
        let modified = truncate_to_seconds(modified);
        Self {
            content,
            last_modified: header_value(&HttpDate::from(modified).to_string()),
            modified,
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

/// A 128-bit FNV-1a hash of the content: the same bytes give the same ETag on every replica
/// and every restart (unlike nginx's mtime-and-size tag), with no extra dependency.
pub(crate) fn content_hash(bytes: &[u8]) -> u128 {
    fnv128(FNV128_OFFSET, bytes)
}

const FNV128_OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;

/// FNV-1a, 128 bits, continuing from `hash`.
pub(crate) fn fnv128(mut hash: u128, bytes: &[u8]) -> u128 {
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013B;
    for &b in bytes {
        hash ^= u128::from(b);
        hash = hash.wrapping_mul(PRIME);
    }
    hash
}

/// `[]`, with the tag an assembly of no documents has: what `/statuses.json` is with nothing
/// to serve (the first snapshot's, and `statuses.rs`'s when every document is gone).
pub(crate) fn empty_array() -> Content {
    Content::from_parts(Bytes::from_static(b"[]"), None, hash_of_hashes([]))
}

/// A hash of a sequence of content hashes: the tag of a body assembled from parts, the same
/// for the same parts in the same order on every replica.
pub(crate) fn hash_of_hashes(hashes: impl IntoIterator<Item = u128>) -> u128 {
    // A different start than `content_hash`, so that an assembled body and a document never
    // share a tag by construction.
    hashes
        .into_iter()
        .fold(fnv128(FNV128_OFFSET, b"parts"), |h, part| {
            fnv128(h, &part.to_le_bytes())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"repo":"r","server":"s","sync_status":"SYNCED","drift_count":0,"files":[],"last_check":"2026-04-21T12:30:00Z"}"#;

    #[test]
    fn etag_depends_on_content_only() {
        let a = Content::new(Bytes::from_static(DOC.as_bytes()));
        let b = Content::new(Bytes::from_static(DOC.as_bytes()));
        assert_eq!(a.etag, b.etag);
        let c = Content::new(Bytes::from_static(b"{}"));
        assert_ne!(a.etag, c.etag);
        assert_ne!(a.etag, a.etag_gzip);
        assert_ne!(hash_of_hashes([a.hash]), a.hash);
    }

    #[test]
    fn gzip_only_when_smaller_and_whole_seconds() {
        use std::io::Read;
        // A tiny body grows under gzip: served as stored only.
        let tiny = Content::new(Bytes::from_static(b"{}"));
        assert!(tiny.gzip.is_none());
        let large = DOC.repeat(20);
        let modified = SystemTime::UNIX_EPOCH + Duration::from_millis(1_500);
        let body = Body::new(Arc::new(Content::new(Bytes::from(large.clone()))), modified);
        let gz = body.content.gzip.as_ref().unwrap();
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
