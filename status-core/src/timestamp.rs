//! The timestamp profile: the spelling of `last_check` that every reader of a document parses.
//!
//! RFC 3339 allows more than the readers of a status document accept. Go's `encoding/json`
//! into a `time.Time` and Grafana Infinity (`time.RFC3339` first) refuse a lower-case `t` or
//! `z` and a space for the `T`; Go, JavaScript's `Date` and Python's
//! `datetime.fromisoformat` all refuse a leap second (`23:59:60`), and Python refuses the
//! year 0000. A document is read by all of them, so `last_check` is held to what all of them
//! parse, to the same instant:
//!
//! ```text
//! YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
//! ```
//!
//! - an upper-case `T` between date and time, and an upper-case `Z` for UTC;
//! - seconds `00` to `59` (no leap second), hours `00` to `23`, and a date that exists;
//! - years `0001` to `9999`;
//! - an optional fraction of 1 to 9 digits after a `.` (nanoseconds at most);
//! - an offset of `Z` or `±HH:MM`, hours `00` to `23`.
//!
//! [`PATTERN`] is the profile as a regular expression, for the JSON Schema (with
//! `"format": "date-time"`, which checks that the date exists).
//!
//! ```
//! use status_core::timestamp;
//!
//! let t = timestamp::parse("2026-04-21T12:30:00.5+02:00")?;
//! assert_eq!(t.timestamp_millis(), 1_776_767_400_500);
//! let err = timestamp::parse("2026-04-21 12:30:00Z").unwrap_err();
//! assert!(err.to_string().contains(r#"write "2026-04-21T12:30:00Z""#), "{err}");
//! # Ok::<(), status_core::Error>(())
//! ```

use chrono::{DateTime, FixedOffset};

use crate::Error;

/// The profile as a regular expression (ECMA 262, and RE2 for Helm's validators: no
/// look-around). It cannot tell which dates exist (February 30): the schema pairs it with
/// `"format": "date-time"`.
pub const PATTERN: &str = concat!(
    "^([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})",
    "-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])",
    "T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?",
    "(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
);

/// What the profile is, for messages: said after what is wrong with a timestamp.
pub(crate) const PROFILE: &str = "expected YYYY-MM-DDTHH:MM:SS with an upper-case T, an optional .fraction of up to 9 digits, then Z or an offset ±HH:MM (such as \"2026-04-21T10:00:00Z\"); seconds 00-59, years 0001-9999";

/// The length of `YYYY-MM-DDTHH:MM:SS`.
const DATE_TIME_LEN: usize = 19;

/// Parses a timestamp in the profile.
///
/// Fails with [`Error::InvalidTimestamp`], whose message says what is wrong, what the profile
/// is, and (when one exists) the spelling of the same instant that the profile accepts.
pub fn parse(text: &str) -> Result<DateTime<FixedOffset>, Error> {
    check(text).map_err(|reason| Error::InvalidTimestamp {
        input: text.to_owned(),
        reason: explain(text, &reason),
    })
}

/// Why `text` is not in the profile, followed by its fix when there is one (`; write "..."`).
pub(crate) fn explain(text: &str, reason: &str) -> String {
    match suggestion(text) {
        Some(fixed) => format!("{reason}; write \"{fixed}\""),
        None => reason.to_owned(),
    }
}

/// The message of [`Error::InvalidTimestamp`].
pub(crate) fn message(input: &str, reason: &str) -> String {
    format!(
        "{input:?} is not a timestamp every reader parses ({reason}); {PROFILE}",
        input = clip(input)
    )
}

/// At most 40 characters of `s`, for a message: a timestamp is short, a wrong value may not be.
pub(crate) fn clip(s: &str) -> String {
    match s.char_indices().nth(40) {
        Some((end, _)) => format!("{}...", &s[..end]),
        None => s.to_owned(),
    }
}

/// The timestamp, or why it is not in the profile (a phrase, without the fix).
pub(crate) fn check(text: &str) -> Result<DateTime<FixedOffset>, String> {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        b.get(range.clone())
            .filter(|d| d.iter().all(u8::is_ascii_digit))
            .map(|d| d.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0')))
    };
    let at = |i: usize| b.get(i).copied();
    let (Some(year), Some(b'-'), Some(month), Some(b'-'), Some(day)) =
        (digits(0..4), at(4), digits(5..7), at(7), digits(8..10))
    else {
        return Err("it does not start with a date YYYY-MM-DD".to_owned());
    };
    match at(10) {
        Some(b'T') => {}
        Some(b't') => return Err("the T between date and time is lower-case".to_owned()),
        Some(b' ') => return Err("a space stands where the T belongs".to_owned()),
        None => return Err("it has a date but no time".to_owned()),
        Some(_) => return Err("the date is not followed by T".to_owned()),
    }
    let (Some(hour), Some(b':'), Some(minute)) = (digits(11..13), at(13), digits(14..16)) else {
        return Err("the T is not followed by a time HH:MM:SS".to_owned());
    };
    let (Some(b':'), Some(second)) = (at(16), digits(17..19)) else {
        return Err("the time has no seconds (HH:MM:SS)".to_owned());
    };
    let mut rest = &b[DATE_TIME_LEN..];
    match rest.first() {
        Some(b'.') => {
            let n = rest[1..].iter().take_while(|d| d.is_ascii_digit()).count();
            if n == 0 {
                return Err("the . of the fraction is not followed by digits".to_owned());
            }
            if n > 9 {
                return Err(format!(
                    "the fraction has {n} digits; at most 9 (nanoseconds) are read alike"
                ));
            }
            rest = &rest[1 + n..];
        }
        Some(b',') => return Err("the fraction is written after a comma".to_owned()),
        _ => {}
    }
    match rest {
        [b'Z'] => {}
        [b'z'] => return Err("the Z for UTC is lower-case".to_owned()),
        [] => {
            return Err(
                "it has no UTC offset; add Z for UTC or an offset such as +02:00".to_owned(),
            );
        }
        [b'+' | b'-', h1, h2, b':', m1, m2]
            if [h1, h2, m1, m2].iter().all(|d| d.is_ascii_digit()) =>
        {
            let hours = (h1 - b'0') * 10 + (h2 - b'0');
            let minutes = (m1 - b'0') * 10 + (m2 - b'0');
            if hours > 23 || minutes > 59 {
                return Err("the offset is out of range (at most ±23:59)".to_owned());
            }
        }
        [b'+' | b'-', h1, h2, m1, m2] if [h1, h2, m1, m2].iter().all(|d| d.is_ascii_digit()) => {
            return Err("the offset has no colon".to_owned());
        }
        _ => return Err("it does not end in Z or an offset ±HH:MM".to_owned()),
    }
    if year == 0 {
        return Err("the year 0000 is out of range (Python has no year 0)".to_owned());
    }
    if second == 60 {
        return Err("23:59:60 is a leap second, which Go, JavaScript and Python refuse".to_owned());
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err("the time is out of range".to_owned());
    }
    if !(1..=12).contains(&month)
        || chrono::NaiveDate::from_ymd_opt(year as i32, month, day).is_none()
    {
        return Err("the date does not exist".to_owned());
    }
    // The shape is the profile's, which is a subset of RFC 3339: chrono reads the value.
    DateTime::parse_from_rfc3339(text).map_err(|e| e.to_string())
}

/// The same instant spelled in the profile, when only the spelling is wrong: `T` and `Z` in
/// upper case, a `T` for a space, a `.` for a decimal comma, `:` in the offset, `:59` for a
/// leap second is *not* offered (it is another instant).
fn suggestion(text: &str) -> Option<String> {
    if !text.is_ascii() || text.len() < DATE_TIME_LEN + 1 {
        return None;
    }
    let mut fixed: Vec<u8> = text.as_bytes().to_vec();
    if matches!(fixed[10], b't' | b' ') {
        fixed[10] = b'T';
    }
    if fixed[DATE_TIME_LEN] == b',' {
        fixed[DATE_TIME_LEN] = b'.';
    }
    if let Some(last) = fixed.last_mut()
        && *last == b'z'
    {
        *last = b'Z';
    }
    // +0200 -> +02:00
    let n = fixed.len();
    if n >= 5
        && matches!(fixed[n - 5], b'+' | b'-')
        && fixed[n - 4..].iter().all(u8::is_ascii_digit)
    {
        fixed.insert(n - 2, b':');
    }
    let fixed = String::from_utf8(fixed).ok()?;
    (fixed != text && check(&fixed).is_ok()).then_some(fixed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_profile_accepts_what_every_reader_parses() {
        for good in [
            "2026-04-21T12:30:00Z",
            "2026-04-21T12:30:00+02:00",
            "2026-04-21T12:30:00-00:00",
            "2026-04-21T12:30:00.5Z",
            "2026-04-21T12:30:00.123456789+23:59",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59-23:59",
            "2024-02-29T00:00:00Z",
        ] {
            assert!(check(good).is_ok(), "{good}: {:?}", check(good));
        }
    }

    #[test]
    fn each_refusal_says_why_and_how_to_fix_it() {
        for (bad, why, fix) in [
            (
                "2026-04-21t12:30:00Z",
                "lower-case",
                Some("2026-04-21T12:30:00Z"),
            ),
            (
                "2026-04-21 12:30:00Z",
                "a space",
                Some("2026-04-21T12:30:00Z"),
            ),
            (
                "2026-04-21T12:30:00z",
                "lower-case",
                Some("2026-04-21T12:30:00Z"),
            ),
            (
                "2026-04-21T12:30:00,5Z",
                "comma",
                Some("2026-04-21T12:30:00.5Z"),
            ),
            (
                "2026-04-21T12:30:00+0200",
                "no colon",
                Some("2026-04-21T12:30:00+02:00"),
            ),
            (
                "2026-04-21 12:30:00+0200",
                "a space",
                Some("2026-04-21T12:30:00+02:00"),
            ),
            ("2026-12-31T23:59:60Z", "leap second", None),
            ("0000-01-01T00:00:00Z", "year 0000", None),
            ("2026-04-21T12:30:00", "no UTC offset", None),
            ("2026-04-21T12:30Z", "no seconds", None),
            ("2026-02-30T12:30:00Z", "does not exist", None),
            ("2026-13-01T12:30:00Z", "does not exist", None),
            ("2026-04-21T24:00:00Z", "out of range", None),
            ("2026-04-21T12:30:00+24:00", "offset is out of range", None),
            ("2026-04-21T12:30:00.Z", "not followed by digits", None),
            ("2026-04-21T12:30:00.1234567890Z", "10 digits", None),
            ("2026-04-21", "no time", None),
            ("yesterday", "does not start with a date", None),
            ("2026-04-21T12:30:00Z ", "does not end in Z", None),
            ("", "does not start with a date", None),
        ] {
            let err = parse(bad).unwrap_err().to_string();
            assert!(err.contains(why), "{bad}: {err}");
            assert!(err.ends_with(PROFILE), "{bad}: {err}");
            match fix {
                Some(fix) => assert!(err.contains(&format!("write \"{fix}\"")), "{bad}: {err}"),
                None => assert!(!err.contains("; write"), "{bad}: {err}"),
            }
        }
    }

    #[test]
    fn the_pattern_accepts_what_the_parser_accepts() {
        let pattern = regex::Regex::new(PATTERN).unwrap();
        // Every one-character change of timestamps that reach each branch, and each with one
        // character left out.
        let bases = [
            "2026-04-21T12:30:00Z",
            "2024-02-29T23:59:59.123+23:59",
            "0001-01-01T00:00:00-00:00",
        ];
        let alphabet = "0123456789-+:.,TtZz x";
        let mut texts = Vec::new();
        for base in bases {
            for i in 0..base.len() {
                texts.push(format!("{}{}", &base[..i], &base[i + 1..]));
                for c in alphabet.chars() {
                    texts.push(format!("{}{c}{}", &base[..i], &base[i + 1..]));
                }
            }
        }
        let mut accepted = 0;
        for text in &texts {
            let exists = |t: &str| chrono::NaiveDate::parse_from_str(&t[..10], "%Y-%m-%d").is_ok();
            let by_pattern = pattern.is_match(text) && exists(text);
            assert_eq!(
                check(text).is_ok(),
                by_pattern,
                "{text:?}: {:?}",
                check(text)
            );
            accepted += usize::from(by_pattern);
        }
        assert!(accepted > 100, "{accepted}");
    }

    #[test]
    fn a_parsed_timestamp_is_the_instant_written() {
        let t = parse("2026-04-21T12:30:00.25-01:30").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-04-21T12:30:00.250-01:30");
        assert_eq!(t.offset().local_minus_utc(), -5400);
    }
}
