//! Lines statusctl prints for people on standard output and error: written without panicking
//! when a reader went away (where `println!` and `eprintln!` would), and a failure's message
//! made [`printable`] line by line (the one escaping function is `report::printable`).

use std::io::{self, Write};

use crate::exit::Failure;
use crate::report::{printable, quiet_broken_pipe};

/// A message of several lines (statusctl's own advice is on lines of its own), each line made
/// [`printable`]: what `main_with` prints for a failure, so that nothing escapes even where a
/// quoted value was not escaped where it was put in.
pub(crate) fn printable_lines(message: &str) -> String {
    message
        .split('\n')
        .map(printable)
        .collect::<Vec<_>>()
        .join("\n")
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
    fn lines_stay_lines_and_each_is_escaped() {
        assert_eq!(printable_lines("a\r\nb\u{1b}"), "a\\r\nb\\u{1b}");
    }
}
