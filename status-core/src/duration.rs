//! Durations as gitops-status spells them: how old a document may be before it is stale.
//!
//! The freshness rule (status-server's `--stale-after`, the chart's `server.staleAfter`,
//! `statusctl check --max-age`) and the other time flags of the programs (`--timeout`,
//! `--rescan-interval`) all take this one grammar:
//!
//! | form | example | means |
//! | --- | --- | --- |
//! | a whole number alone | `90` | seconds |
//! | whole numbers, each with a unit, run together | `90s`, `10m`, `1h30m`, `500ms`, `1d` | the sum |
//!
//! Units: `ms`, `s`, `m` (minutes), `h`, `d` (24 hours). No white space, no fractions, no
//! signs. At most [`MAX`] (ten years): the bound is checked while parsing, so no caller can
//! overflow an `Instant` or a timer with a parsed duration.
//!
//! ```
//! use std::time::Duration;
//! use status_core::duration;
//!
//! assert_eq!(duration::parse("1h30m")?, Duration::from_secs(5400));
//! assert_eq!(duration::parse("90")?, Duration::from_secs(90));
//! assert_eq!(duration::parse("250ms")?, Duration::from_millis(250));
//! let err = duration::parse("1.5h").unwrap_err();
//! assert!(err.to_string().starts_with("`1.5h` is not a duration: fractions are not accepted"));
//! # Ok::<(), status_core::Error>(())
//! ```

use std::time::Duration;

use crate::Error;

/// The longest duration accepted: ten years of 365 days.
pub const MAX: Duration = Duration::from_secs(10 * 365 * 86_400);

/// The grammar as a regular expression, for JSON Schema's `pattern` (ECMA 262; also valid RE2,
/// which Helm's schema validators use). `cargo xtask codegen` writes it into the chart's
/// `values.schema.json`. A pattern cannot count, so the [`MAX`] bound is the programs' alone.
pub const DURATION_PATTERN: &str = "^([0-9]+|([0-9]+(ms|s|m|h|d))+)$";

/// The units and their lengths in milliseconds. `DURATION_PATTERN` spells the same list, which
/// a test checks.
const UNITS: [(&str, u128); 5] = [
    ("ms", 1),
    ("s", 1_000),
    ("m", 60_000),
    ("h", 3_600_000),
    ("d", 86_400_000),
];

/// What an error says is accepted, after saying what is wrong.
const ACCEPTED: &str = "write whole seconds (90) or whole numbers with units ms, s, m, h, d run together (90s, 10m, 1h30m, 500ms, 1d), at most 10 years";

/// Writes a duration in this module's grammar, for messages: `1h2m3s`, `10m`, `45s`, or
/// `500ms` below one second. Whole seconds above one second (the fraction is dropped), so what
/// it writes parses back with [`parse`] to the duration truncated to seconds.
///
/// ```
/// use std::time::Duration;
/// use status_core::duration;
///
/// assert_eq!(duration::format(Duration::from_secs(3723)), "1h2m3s");
/// assert_eq!(duration::format(Duration::from_millis(250)), "250ms");
/// assert_eq!(duration::parse(&duration::format(Duration::from_secs(600)))?, Duration::from_secs(600));
/// # Ok::<(), status_core::Error>(())
/// ```
pub fn format(d: Duration) -> String {
    use std::fmt::Write;
    let secs = d.as_secs();
    if secs == 0 {
        return format!("{}ms", d.as_millis());
    }
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    let mut out = String::new();
    for (value, unit) in [(h, "h"), (m, "m"), (s, "s")] {
        if value > 0 {
            // Writing to a String cannot fail.
            let _ = write!(out, "{value}{unit}");
        }
    }
    out
}

/// Parses a duration in this module's grammar.
///
/// Fails with [`Error::InvalidDuration`], whose message names the input, what is wrong with it
/// and the accepted forms.
pub fn parse(text: &str) -> Result<Duration, Error> {
    let fail = |reason: String| Error::InvalidDuration {
        input: text.to_owned(),
        reason,
    };
    if text.is_empty() {
        return Err(fail("it is empty".to_owned()));
    }
    // Milliseconds, in a type wide enough that no sum of u64 parts can overflow it.
    let mut total: u128 = 0;
    let mut rest = text;
    let mut parts = 0usize;
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            return Err(fail(unexpected(rest)));
        }
        let (number, after) = rest.split_at(digits);
        let letters = after.len()
            - after
                .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                .len();
        let (unit, after) = after.split_at(letters);
        let unit_ms: u128 = match (UNITS.iter().find(|(name, _)| *name == unit), unit) {
            (Some(&(_, ms)), _) => ms,
            (None, "") if parts == 0 && after.is_empty() => 1_000,
            (None, "") if after.is_empty() => {
                return Err(fail(format!(
                    "the last number, `{number}`, has no unit (a number alone is seconds only when it is the whole duration)"
                )));
            }
            (None, "") => return Err(fail(unexpected(after))),
            (None, other) => return Err(fail(format!("unknown unit `{other}`"))),
        };
        // A number too long for u64 is far beyond the bound whatever its unit.
        let n = number.parse::<u64>().map_or(u128::MAX, u128::from);
        total = total.saturating_add(n.saturating_mul(unit_ms));
        parts += 1;
        rest = after;
    }
    // The bound is judged once the whole text is known to be a duration: `99999d-1` is refused
    // for its sign, not for its length (found by fuzzing).
    if total > MAX.as_millis() {
        return Err(fail(
            "it is longer than 10 years, the longest accepted".to_owned(),
        ));
    }
    // At most MAX, so it fits in a u64 of milliseconds.
    Ok(Duration::from_millis(
        u64::try_from(total).unwrap_or(u64::MAX),
    ))
}

/// Why `rest`, where a number should start, does not.
fn unexpected(rest: &str) -> String {
    let Some(c) = rest.chars().next() else {
        return "it ends early".to_owned();
    };
    match c {
        c if c.is_whitespace() => "white space is not accepted".to_owned(),
        '-' | '+' => "signs are not accepted".to_owned(),
        '.' | ',' => "fractions are not accepted (write 1h30m, not 1.5h)".to_owned(),
        c if c.is_ascii_alphabetic() => {
            let word: String = rest.chars().take_while(char::is_ascii_alphabetic).collect();
            if UNITS.iter().any(|(unit, _)| *unit == word) {
                format!("the unit `{word}` has no number before it")
            } else {
                format!("expected a number, found `{word}`")
            }
        }
        c => format!("`{}` is not part of a duration", c.escape_debug()),
    }
}

/// The message of [`Error::InvalidDuration`].
pub(crate) fn message(input: &str, reason: &str) -> String {
    format!(
        "`{}` is not a duration: {reason}; {ACCEPTED}",
        input.escape_debug()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_print_in_the_grammar_they_are_parsed_in() {
        assert_eq!(format(Duration::from_secs(3723)), "1h2m3s");
        assert_eq!(format(Duration::from_secs(600)), "10m");
        assert_eq!(format(Duration::from_millis(250)), "250ms");
        for d in [3723, 600, 90, 86_400 * 3 + 5] {
            let d = Duration::from_secs(d);
            assert_eq!(parse(&format(d)).ok(), Some(d));
        }
    }

    #[test]
    fn what_both_programs_accepted_parses() {
        for (text, expected) in [
            ("90", Duration::from_secs(90)),
            ("90s", Duration::from_secs(90)),
            ("10m", Duration::from_secs(600)),
            ("1h30m", Duration::from_secs(5400)),
            ("250ms", Duration::from_millis(250)),
            ("1d", Duration::from_secs(86_400)),
            ("0", Duration::ZERO),
            ("0s", Duration::ZERO),
            ("1d2h3m4s5ms", Duration::from_millis(93_784_005)),
            ("007s", Duration::from_secs(7)),
        ] {
            assert_eq!(parse(text).ok(), Some(expected), "{text}");
        }
    }

    #[test]
    fn the_bound_is_ten_years() {
        assert_eq!(parse("3650d").ok(), Some(MAX));
        assert_eq!(parse("3649d24h").ok(), Some(MAX));
        for over in [
            "3651d",
            "3650d1ms",
            "315360001",
            "99999999999999999999999999s",
            "18446744073709551615d18446744073709551615d",
        ] {
            let err = parse(over).unwrap_err().to_string();
            assert!(err.contains("longer than 10 years"), "{over}: {err}");
        }
    }

    #[test]
    fn bad_inputs_say_why() {
        for (text, why) in [
            ("53620d026-04", "signs are not accepted"),
            ("99999d1x", "unknown unit `x`"),
            ("99999d 1s", "white space is not accepted"),
            ("", "it is empty"),
            (" 10s", "white space is not accepted"),
            ("10 s", "white space is not accepted"),
            ("10s ", "white space is not accepted"),
            ("-1s", "signs are not accepted"),
            ("+5m", "signs are not accepted"),
            ("1.5h", "fractions are not accepted"),
            ("1,5h", "fractions are not accepted"),
            ("s", "the unit `s` has no number before it"),
            ("m10", "the unit `m` has no number before it"),
            ("10x", "unknown unit `x`"),
            ("10min", "unknown unit `min`"),
            ("10M", "unknown unit `M`"),
            ("1h30", "the last number, `30`, has no unit"),
            ("10s!", "`!` is not part of a duration"),
            ("½h", "`½` is not part of a duration"),
            ("10 minutes", "white space is not accepted"),
            ("soon", "expected a number, found `soon`"),
            ("h1", "the unit `h` has no number before it"),
        ] {
            let err = parse(text).unwrap_err().to_string();
            assert!(
                err.starts_with(&format!("`{text}` is not a duration: {why}")),
                "{text:?}: {err}"
            );
            assert!(err.ends_with(ACCEPTED), "{text:?}: {err}");
        }
    }

    #[test]
    fn the_pattern_spells_the_units_of_the_table() {
        let units = UNITS.map(|(unit, _)| unit).join("|");
        assert!(
            DURATION_PATTERN.contains(&format!("({units})")),
            "{DURATION_PATTERN}"
        );
    }

    #[test]
    fn the_pattern_accepts_what_the_parser_accepts() {
        let pattern = regex::Regex::new(DURATION_PATTERN).unwrap();
        let alphabet = ['0', '1', '9', 's', 'm', 'h', 'd', 'x', ' ', '.', '-'];
        // Every string of up to four characters over an alphabet that reaches every branch.
        let mut texts = vec![String::new()];
        let mut frontier = vec![String::new()];
        for _ in 0..4 {
            frontier = frontier
                .iter()
                .flat_map(|t| alphabet.iter().map(move |c| format!("{t}{c}")))
                .collect();
            texts.extend(frontier.iter().cloned());
        }
        for text in texts {
            assert_eq!(
                parse(&text).is_ok(),
                pattern.is_match(&text),
                "{text:?}: parser and pattern disagree"
            );
        }
        // Beyond the bound, only the parser can refuse.
        assert!(pattern.is_match("3651d") && parse("3651d").is_err());
    }
}
