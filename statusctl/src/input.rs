//! Reading a document argument: a path, or `-` for standard input.

use std::io::Read;

use crate::exit::Failure;
use crate::report::printable;

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

/// Reads a document argument (`validate`, `push`): as [`read`], and standard input with not
/// one byte on it is an input error (exit 2), not an empty document.
///
/// `-` promised a document: nothing at all on standard input means nothing was connected
/// (`</dev/null`, a closed descriptor, which the Rust runtime reopens on /dev/null before
/// `main`, so the two cannot be told apart) or the command before the pipe failed and wrote
/// nothing. Either is a problem with the invocation, not an invalid document. Standard input
/// holding only blanks, and an empty *file*, are read, and status-core calls them an
/// `empty-document`.
pub(crate) fn read_document(arg: &str) -> Result<Input, Failure> {
    let input = read(arg)?;
    if arg == "-" && input.bytes.is_empty() {
        return Err(Failure::usage(
            "cannot read standard input: it is empty: nothing was written to it (closed, /dev/null, or the command before the pipe wrote nothing)",
        ));
    }
    Ok(input)
}

/// Reads `arg`: `-` is standard input, anything else a file path.
///
/// Errors name the path and say what is wrong (missing, a directory, unreadable).
pub(crate) fn read(arg: &str) -> Result<Input, Failure> {
    let mut bytes = Vec::new();
    if arg == "-" {
        std::io::stdin()
            .take(READ_LIMIT + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Failure::usage(format!("cannot read standard input: {e}")))?;
        check_limit("standard input", &bytes)?;
        return Ok(Input {
            name: "<stdin>".to_owned(),
            bytes,
        });
    }
    let shown = printable(arg);
    let cannot_read = |e: std::io::Error| Failure::usage(format!("cannot read {shown}: {e}"));
    let meta = std::fs::metadata(arg).map_err(cannot_read)?;
    if meta.is_dir() {
        return Err(Failure::usage(format!(
            "cannot read {shown}: it is a directory, not a file"
        )));
    }
    // A regular file's size is known: one too large is refused with it, before reading.
    if meta.is_file() && meta.len() > READ_LIMIT {
        return Err(Failure::usage(format!(
            "cannot read {shown}: it is {} bytes, more than statusctl reads ({} MiB; a status document holds at most 1 MiB)",
            meta.len(),
            READ_LIMIT / (1024 * 1024)
        )));
    }
    std::fs::File::open(arg)
        .and_then(|f| f.take(READ_LIMIT + 1).read_to_end(&mut bytes))
        .map_err(cannot_read)?;
    check_limit(&shown, &bytes)?;
    Ok(Input {
        name: arg.to_owned(),
        bytes,
    })
}

fn check_limit(what: &str, bytes: &[u8]) -> Result<(), Failure> {
    if bytes.len() as u64 > READ_LIMIT {
        return Err(Failure::usage(format!(
            "cannot read {what}: it is larger than {} MiB, more than statusctl reads (a status document holds at most 1 MiB)",
            READ_LIMIT / (1024 * 1024)
        )));
    }
    Ok(())
}
