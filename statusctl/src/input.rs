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
/// reported as too large (by status-core, with its true size) rather than read without bound.
/// Anything larger still is an input error: it cannot be a status document, and it is not read.
const READ_LIMIT: u64 = status_core::MAX_DOCUMENT_BYTES as u64 * 16;

/// Reads `arg`: `-` is standard input, anything else a file path.
///
/// Errors name the path and say what is wrong (missing, a directory, unreadable).
pub(crate) fn read(arg: &str) -> Result<Input> {
    let mut bytes = Vec::new();
    if arg == "-" {
        std::io::stdin()
            .take(READ_LIMIT + 1)
            .read_to_end(&mut bytes)
            .context("cannot read standard input")?;
        check_limit("standard input", &bytes)?;
        return Ok(Input {
            name: "<stdin>".to_owned(),
            bytes,
        });
    }
    let meta = std::fs::metadata(arg).with_context(|| format!("cannot read {arg}"))?;
    if meta.is_dir() {
        bail!("cannot read {arg}: it is a directory, not a file");
    }
    std::fs::File::open(arg)
        .and_then(|f| f.take(READ_LIMIT + 1).read_to_end(&mut bytes))
        .with_context(|| format!("cannot read {arg}"))?;
    check_limit(arg, &bytes)?;
    Ok(Input {
        name: arg.to_owned(),
        bytes,
    })
}

fn check_limit(what: &str, bytes: &[u8]) -> Result<()> {
    if bytes.len() as u64 > READ_LIMIT {
        bail!(
            "cannot read {what}: it is larger than {} MiB, more than statusctl reads (a status document holds at most 1 MiB)",
            READ_LIMIT / (1024 * 1024)
        );
    }
    Ok(())
}
