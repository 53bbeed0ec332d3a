//! Text as the pages and badges show it: measured widths (from the generated table of the
//! font the badges declare), ages ("12 min ago"), short forms, and strings made safe for XML.

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};

use super::font_widths::{ADVANCES, FIRST, UNITS_PER_EM};

/// The badges' font size, in pixels (shields.io's).
pub(crate) const FONT_SIZE: f64 = 11.0;

/// The width of `text` in pixels, in DejaVu Sans at [`FONT_SIZE`], without kerning. A
/// character outside the table (or one the font lacks) counts as one em: as wide as a CJK
/// character, the widest a fallback font is likely to draw.
pub(crate) fn text_width(text: &str) -> f64 {
    let units: u64 = text
        .chars()
        .map(|c| {
            let advance = u32::from(c)
                .checked_sub(FIRST)
                .and_then(|i| ADVANCES.get(i as usize))
                .copied()
                .unwrap_or(0);
            u64::from(if advance == 0 { UNITS_PER_EM } else { advance })
        })
        .sum();
    units as f64 * FONT_SIZE / f64::from(UNITS_PER_EM)
}

/// At most `max` characters of `text`, ending in `…` when cut.
pub(crate) fn truncate(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => text.into(),
        Some(_) => {
            let cut: String = text.chars().take(max.saturating_sub(1)).collect();
            format!("{cut}…").into()
        }
    }
}

/// `text` with every character XML 1.0 does not allow (C0 controls but tab, line feed and
/// carriage return; U+FFFE, U+FFFF) replaced by U+FFFD: one of them in a badge would make the
/// whole SVG unparseable. (maud escapes `&`, `<`, `>` and `"`; JSON strings may hold the rest.)
pub(crate) fn xml_safe(text: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| {
        (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
    };
    if text.chars().any(bad) {
        text.chars()
            .map(|c| if bad(c) { '\u{FFFD}' } else { c })
            .collect::<String>()
            .into()
    } else {
        text.into()
    }
}

/// How long ago something happened, in words, for `seconds` (negative: in the future). The
/// inline script (`assets.rs`) has the same rules, so its updates read the same.
pub(crate) fn age(seconds: i64) -> String {
    match seconds {
        s if s < 0 => "in the future".to_owned(),
        s if s < 60 => format!("{s} s ago"),
        s if s < 3_600 => format!("{} min ago", s / 60),
        s if s < 172_800 => format!("{} h ago", s / 3_600),
        s => format!("{} d ago", s / 86_400),
    }
}

/// A time as the pages show it exactly: `2026-04-21 12:30:00 UTC`.
pub(crate) fn exact(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// A time for `<time datetime>`: RFC 3339 in UTC, which every browser's `Date.parse` reads.
pub(crate) fn machine(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `last_check` in UTC.
pub(crate) fn utc(t: &DateTime<FixedOffset>) -> DateTime<Utc> {
    t.with_timezone(&Utc)
}

/// A revision as the overview shows it: a commit hash cut to 7 characters (as git does), any
/// other revision (a tag, a branch) at most 24.
pub(crate) fn short_revision(revision: &str) -> std::borrow::Cow<'_, str> {
    let hex = revision.len() >= 12 && revision.bytes().all(|b| b.is_ascii_hexdigit());
    if hex {
        revision[..7].into()
    } else {
        truncate(revision, 24)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_come_from_the_font() {
        // DejaVu Sans: "a" is 1255 units, "W" 2025, the space 651, at 2048 units per em.
        assert!((text_width("a") - 1255.0 * 11.0 / 2048.0).abs() < 1e-9);
        assert!((text_width("W a") - (2025.0 + 651.0 + 1255.0) * 11.0 / 2048.0).abs() < 1e-9);
        assert!(text_width("SYNCED") > text_width("synced"));
        assert!(text_width("iiii") < text_width("MMMM") / 2.0);
        // Outside the table: one em.
        assert!((text_width("中") - 11.0).abs() < 1e-9);
        // Greek and Cyrillic are in it.
        assert!(text_width("αд") < 2.0 * 11.0 && text_width("αд") > 10.0);
        assert_eq!(text_width(""), 0.0);
    }

    #[test]
    fn ages_read_like_a_person_would_say_them() {
        assert_eq!(age(-5), "in the future");
        assert_eq!(age(0), "0 s ago");
        assert_eq!(age(59), "59 s ago");
        assert_eq!(age(60), "1 min ago");
        assert_eq!(age(12 * 60 + 30), "12 min ago");
        assert_eq!(age(3 * 3600 + 5), "3 h ago");
        assert_eq!(age(47 * 3600), "47 h ago");
        assert_eq!(age(3 * 86_400), "3 d ago");
    }

    #[test]
    fn short_forms() {
        assert_eq!(
            short_revision("4f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a3f"),
            "4f2a9c1"
        );
        assert_eq!(short_revision("v1.2.3"), "v1.2.3");
        assert_eq!(
            short_revision("refs/heads/a-very-long-branch-name-indeed")
                .chars()
                .count(),
            24
        );
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("abcd", 3), "ab…");
        assert_eq!(xml_safe("a\u{1}b\tc"), "a\u{FFFD}b\tc");
        assert!(matches!(xml_safe("plain"), std::borrow::Cow::Borrowed(_)));
    }
}
