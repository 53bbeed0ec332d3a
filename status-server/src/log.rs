//! The text log's fields, with every control character escaped: a file name, a key, a
//! ConfigMap's or an Application's name, a path or a header is anyone's text, and one with a
//! line break in it (`"x\nINJECTED level=ERROR ..."`) would otherwise print a line of its
//! choosing. The JSON log escapes as JSON does.
//!
//! The escaping is status-core's `printable`, which statusctl uses too: control characters as
//! Rust writes them (`\n`, `\r`, `\u{1b}`), and the Unicode line separators and bidirectional
//! controls.

use std::fmt;

use status_core::printable;
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::fmt::format::{DefaultFields, Writer};

/// Formats fields as tracing-subscriber's default text format does, then escapes them.
#[derive(Debug, Default)]
pub(crate) struct EscapedFields {
    inner: DefaultFields,
}

impl<'writer> FormatFields<'writer> for EscapedFields {
    fn format_fields<R: RecordFields>(
        &self,
        mut writer: Writer<'writer>,
        fields: R,
    ) -> fmt::Result {
        let mut text = String::new();
        self.inner.format_fields(Writer::new(&mut text), fields)?;
        writer.write_str(&printable(&text))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_field_and_the_message_stay_on_one_line() {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .fmt_fields(EscapedFields::default())
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let name = "nl\nINJECTED level=ERROR x\u{1b}[31m\u{202e}.json";
            tracing::error!(from = %name, debug = ?name, "cannot read {name}\r\n");
        });
        let log = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        assert_eq!(log.lines().count(), 1, "{log}");
        // (tracing-subscriber writes ESC in a message as `\x1b` itself.)
        assert!(
            log.contains(r"cannot read nl\nINJECTED level=ERROR x"),
            "{log}"
        );
        assert!(
            log.contains(r"\u{202e}.json\r\n from=nl\nINJECTED"),
            "{log}"
        );
        assert!(
            log.contains(r"from=nl\nINJECTED level=ERROR x\u{1b}[31m"),
            "{log}"
        );
        let line = log.trim_end_matches('\n');
        assert_eq!(printable(line), line, "{log}");
    }
}
