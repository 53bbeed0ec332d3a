//! Reading a document argument: a path, or `-` for standard input.

use std::io::Read;

use anyhow::{Context, Result, bail};

/// One document's bytes and the name findings refer to it by.
#[derive(Debug)]
pub(crate) struct Input {
    /// The path as given, or `<stdin>`.
    pub(crate) name: String,
    /// The raw bytes, read whole (status documents are small: at most 1 MiB is valid).
    pub(crate) bytes: Vec<u8>,
}

/// How much is read before giving up: more than any valid document, so that an oversized one is
/// reported as too large (by status-core) rather than read without bound.
const READ_LIMIT: u64 = status_core::MAX_DOCUMENT_BYTES as u64 * 16;

/// Reads `arg`: `-` is standard input, anything else a file path.
///
/// Errors name the path and say what is wrong (missing, a directory, unreadable).
pub(crate) fn read(arg: &str) -> Result<Input> {
    let mut bytes = Vec::new();
    if arg == "-" {
        std::io::stdin()
            .take(READ_LIMIT)
            .read_to_end(&mut bytes)
            .context("cannot read standard input")?;
        return Ok(Input {
            name: "<stdin>".to_owned(),
            bytes,
        });
    }
    let meta = std::fs::metadata(arg).with_context(|| format!("cannot read {arg}"))?;
    if meta.is_dir() {
        bail!("cannot read {arg}: it is a directory, not a status document");
    }
    std::fs::File::open(arg)
        .and_then(|f| f.take(READ_LIMIT).read_to_end(&mut bytes))
        .with_context(|| format!("cannot read {arg}"))?;
    Ok(Input {
        name: arg.to_owned(),
        bytes,
    })
}
