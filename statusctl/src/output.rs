//! What statusctl prints for people, and how: the one escaping function ([`printable`]) for
//! every text that came from a file, a server, the API or a flag, and writing to standard
//! output and error without panicking when a reader went away.
//!
//! A status document is anyone's text: a pipeline that can push can put `\n::error::` (a
//! GitHub workflow command) or an ANSI escape into `server`, and the API server or a proxy
//! answers with messages statusctl quotes. Escaped, such text stays inside its own line and no
//! control byte reaches a terminal or a CI log.

use std::borrow::Cow;
use std::io::{self, Write};

use crate::exit::Failure;

/// `s` with every character that could break a line or drive a terminal escaped: control
/// characters (C0, DEL, C1: `\n` becomes `\n`, ESC becomes `\u{1b}`, as Rust writes them), the
/// Unicode line and paragraph separators, and the bidirectional controls that reorder what is
/// shown. Everything else, non-ASCII text included, is kept.
pub(crate) fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut text = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if needs_escape(c) {
            text.extend(c.escape_default());
        } else {
            text.push(c);
        }
    }
    Cow::Owned(text)
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c,
            // Line and paragraph separators: line breaks to some viewers.
            '\u{2028}' | '\u{2029}'
            // Bidirectional embeddings, overrides and isolates.
            | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// A message of several lines (statusctl's own advice is on lines of its own), each line made
/// [`printable`]: what `main` prints for a failure, so that nothing escapes even where a
/// quoted value was not escaped where it was put in.
pub(crate) fn printable_lines(message: &str) -> String {
    message
        .split('\n')
        .map(printable)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Treats a reader that went away (`statusctl validate *.json | head -1`) as the end of output
/// rather than an error: the exit code still says how it went.
pub(crate) fn quiet_broken_pipe(result: io::Result<()>) -> io::Result<()> {
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Prints `line` on standard output. A closed pipe is the end of output; any other failure
/// (a full disk behind `>`) is an I/O error, exit 2.
pub(crate) fn stdout(line: &str) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    quiet_broken_pipe(
        out.write_all(line.as_bytes())
            .and_then(|()| out.write_all(b"\n"))
            .and_then(|()| out.flush()),
    )
    .map_err(|e| Failure::usage(format!("cannot write to standard output: {e}")))
}

/// Prints `line` on standard error. Nothing is left to tell when that fails, so a failure is
/// ignored (where `eprintln!` would panic).
pub(crate) fn stderr(line: &str) {
    let mut err = io::stderr().lock();
    let _ = err
        .write_all(line.as_bytes())
        .and_then(|()| err.write_all(b"\n"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_text_kept() {
        assert_eq!(printable("ü a\nb\t"), "ü a\\nb\\t");
        assert_eq!(printable("s\n::error::x"), "s\\n::error::x");
        assert_eq!(printable("\u{1b}[31mred\u{7}"), "\\u{1b}[31mred\\u{7}");
        // C1 (CSI) and DEL are control characters too.
        assert_eq!(printable("\u{9b}2J\u{7f}"), "\\u{9b}2J\\u{7f}");
        assert_eq!(printable("a\u{2028}b\u{202e}c"), "a\\u{2028}b\\u{202e}c");
        assert!(matches!(printable("plain ✓"), Cow::Borrowed(_)));
    }

    #[test]
    fn lines_stay_lines_and_each_is_escaped() {
        assert_eq!(printable_lines("a\r\nb\u{1b}"), "a\\r\nb\\u{1b}");
    }
}
