//! `/statuses.json` assembled from cached parts, so that a change to one document of many
//! costs about one chunk's compression, not the whole array's.
//!
//! The array is `[` + the served documents, in key order, joined by `,` + `]`. Its identity
//! bytes are a concatenation (a copy, no serialisation); its ETag is a hash of the documents'
//! own content hashes (no pass over the bytes); and its gzip form is one gzip member made of
//! cached pieces: the documents are cut into chunks (a chunk ends after a document whose key
//! hashes to a boundary, or once it holds 32 KiB, so a change elsewhere does not move the cuts),
//! each chunk is compressed once as raw deflate ending in a sync flush (byte-aligned, not
//! final, no reference outside itself), and the pieces are joined behind one gzip header, with
//! a final stored block holding the closing `]` and a CRC-32 combined from the chunks'. Only
//! chunks whose documents changed are compressed again.

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::time::SystemTime;

use actix_web::web::Bytes;
use flate2::Compression;
use flate2::write::DeflateEncoder;

use crate::representation::{Body, Content, empty_array, hash_of_hashes};
use crate::snapshot::Document;

/// A chunk ends after a document whose key hashes to 0 modulo this: about this many documents
/// per chunk, wherever the others are.
const BOUNDARY: u64 = 32;
/// ...or once its text is at least this long, so that recompressing one chunk stays cheap
/// whatever the documents' size.
const MAX_CHUNK_TEXT: usize = 32 * 1024;

/// The gzip header of the assembled member: no name, no time (so replicas agree), unknown OS.
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
/// A final stored block holding `]`: BFINAL=1, BTYPE=00, LEN=1, NLEN=!1, then the byte.
const CLOSING_BLOCK: [u8; 6] = [0x01, 0x01, 0x00, 0xfe, 0xff, b']'];

/// One compressed piece of the array.
#[derive(Debug)]
struct Chunk {
    /// Whether the chunk starts the array (its first separator is `[`, not `,`).
    first: bool,
    /// Its documents' contents, in order.
    members: Vec<Arc<Content>>,
    /// Raw deflate of the chunk's text, ending in a sync flush.
    deflate: Bytes,
    /// CRC-32 of the chunk's text.
    crc: flate2::Crc,
}

/// The chunks of the array last assembled, to reuse.
#[derive(Debug, Default)]
pub(crate) struct Statuses {
    chunks: Vec<Chunk>,
    /// Chunks compressed so far (the rest were reused).
    compressed: u64,
}

impl Statuses {
    /// The `/statuses.json` body of `documents`: `previous` when the bytes are the same,
    /// otherwise new content first served at `stamp`.
    pub(crate) fn assemble(
        &mut self,
        documents: &BTreeMap<String, Document>,
        previous: &Arc<Body>,
        stamp: SystemTime,
    ) -> Arc<Body> {
        let served: Vec<(&str, &Arc<Content>)> = documents
            .iter()
            .filter_map(|(key, d)| Some((key.as_str(), &d.served.as_ref()?.body.content)))
            .collect();
        let hash = hash_of_hashes(served.iter().map(|(_, c)| c.hash));
        if hash == previous.content.hash {
            return previous.clone();
        }
        let content = if served.is_empty() {
            self.chunks.clear();
            empty_array()
        } else {
            let bytes = identity(&served);
            let gzip = self.gzip(&served).filter(|gz| gz.len() < bytes.len());
            Content::from_parts(bytes, gzip, hash)
        };
        Arc::new(Body::new(Arc::new(content), stamp))
    }

    /// The gzip form, from the cached chunks and new ones for what changed.
    fn gzip(&mut self, served: &[(&str, &Arc<Content>)]) -> Option<Bytes> {
        let mut reusable: HashMap<*const Content, Chunk> = std::mem::take(&mut self.chunks)
            .into_iter()
            .filter_map(|c| Some((Arc::as_ptr(c.members.first()?), c)))
            .collect();
        let mut chunks = Vec::new();
        for (start, end) in cuts(served) {
            let members: Vec<Arc<Content>> = served[start..end]
                .iter()
                .map(|(_, c)| Arc::clone(c))
                .collect();
            let first = start == 0;
            let cached = members
                .first()
                .and_then(|m| reusable.remove(&Arc::as_ptr(m)))
                .filter(|c| c.first == first && same_members(&c.members, &members));
            let chunk = match cached {
                Some(chunk) => chunk,
                None => {
                    self.compressed += 1;
                    compress(first, members)?
                }
            };
            chunks.push(chunk);
        }
        let mut crc = flate2::Crc::new();
        let mut len: usize = 1; // the closing `]`
        let mut out = Vec::with_capacity(
            GZIP_HEADER.len() + chunks.iter().map(|c| c.deflate.len()).sum::<usize>() + 14,
        );
        out.extend_from_slice(&GZIP_HEADER);
        for chunk in &chunks {
            out.extend_from_slice(&chunk.deflate);
            crc.combine(&chunk.crc);
            len += chunk.crc.amount() as usize;
        }
        out.extend_from_slice(&CLOSING_BLOCK);
        crc.update(b"]");
        out.extend_from_slice(&crc.sum().to_le_bytes());
        // ISIZE is the length modulo 2^32 (RFC 1952).
        out.extend_from_slice(&((len & 0xffff_ffff) as u32).to_le_bytes());
        self.chunks = chunks;
        Some(Bytes::from(out))
    }
}

/// `[` + the documents joined by `,` + `]`: each body is one valid JSON object (validated),
/// so the array is valid JSON and holds the documents byte for byte.
fn identity(served: &[(&str, &Arc<Content>)]) -> Bytes {
    let len = served.iter().map(|(_, c)| c.bytes.len() + 1).sum::<usize>() + 1;
    let mut array = Vec::with_capacity(len);
    for (i, (_, content)) in served.iter().enumerate() {
        array.push(if i == 0 { b'[' } else { b',' });
        array.extend_from_slice(&content.bytes);
    }
    array.push(b']');
    Bytes::from(array)
}

/// Where the chunks start and end (`start..end` in `served`).
fn cuts(served: &[(&str, &Arc<Content>)]) -> Vec<(usize, usize)> {
    let mut cuts = Vec::new();
    let mut start = 0;
    let mut text = 0;
    for (i, (key, content)) in served.iter().enumerate() {
        text += content.bytes.len() + 1;
        if key_hash(key).is_multiple_of(BOUNDARY) || text >= MAX_CHUNK_TEXT {
            cuts.push((start, i + 1));
            start = i + 1;
            text = 0;
        }
    }
    if start < served.len() {
        cuts.push((start, served.len()));
    }
    cuts
}

fn key_hash(key: &str) -> u64 {
    crate::layer::content_hash_u64(key.as_bytes())
}

fn same_members(a: &[Arc<Content>], b: &[Arc<Content>]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| Arc::ptr_eq(x, y) || x.bytes == y.bytes)
}

/// Compresses one chunk's text (each document after its separator) as raw deflate, ending
/// with a sync flush so that the next piece can follow it.
fn compress(first: bool, members: Vec<Arc<Content>>) -> Option<Chunk> {
    let mut crc = flate2::Crc::new();
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::best());
    for (i, member) in members.iter().enumerate() {
        let separator: &[u8] = if first && i == 0 { b"[" } else { b"," };
        crc.update(separator);
        crc.update(&member.bytes);
        encoder.write_all(separator).ok()?;
        encoder.write_all(&member.bytes).ok()?;
    }
    // flush() is a sync flush: everything so far, then an empty stored block, byte-aligned
    // and not final. (Dropping the encoder then writes a final block into the vector taken
    // out here, which is discarded.)
    encoder.flush().ok()?;
    let deflate = Bytes::from(std::mem::take(encoder.get_mut()));
    Some(Chunk {
        first,
        members,
        deflate,
        crc,
    })
}

#[cfg(test)]
mod tests;
