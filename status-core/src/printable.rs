//! How a document's strings are shown to people: every tool that prints a status document's
//! text on a terminal or into a log uses this one rule.

use std::borrow::Cow;

/// `s` with every character that could break a line or drive a terminal escaped.
///
/// A status document is anyone's text: a pipeline that can push can put `\n::error::` (a
/// GitHub workflow command), a forged log line or an ANSI escape into a field, a key or a file
/// name. Escaped, such text stays inside its own line and no control byte reaches a terminal or
/// a CI log. Escaped are control characters (C0, DEL, C1: a line feed becomes `\n`, ESC becomes
/// `\u{1b}`, as Rust writes them), the Unicode line and paragraph separators, and the
/// bidirectional controls that reorder what is shown. Everything else, non-ASCII text
/// included, is kept, and text with nothing to escape is returned as it is.
///
/// ```
/// assert_eq!(status_core::printable("s\n::error::x"), "s\\n::error::x");
/// assert_eq!(status_core::printable("prod-eu ✓"), "prod-eu ✓");
/// ```
pub fn printable(s: &str) -> Cow<'_, str> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_separators_and_bidi_controls_are_escaped() {
        assert_eq!(printable("a\nb\rc\u{1b}[31m"), "a\\nb\\rc\\u{1b}[31m");
        // C1 (CSI, NEL) and DEL are control characters too.
        assert_eq!(printable("\u{9b}2J\u{85}\u{7f}"), "\\u{9b}2J\\u{85}\\u{7f}");
        assert_eq!(printable("ü a\nb\t"), "ü a\\nb\\t");
        assert_eq!(printable("x\u{2028}y\u{2029}"), "x\\u{2028}y\\u{2029}");
        assert_eq!(printable("\u{202e}evil\u{2066}"), "\\u{202e}evil\\u{2066}");
    }

    #[test]
    fn text_with_nothing_to_escape_is_borrowed() {
        assert!(matches!(printable("prod-eu ✓ 東京"), Cow::Borrowed(_)));
        assert!(matches!(printable("a\tb"), Cow::Owned(_)));
    }
}
