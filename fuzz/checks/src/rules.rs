//! The rules every program shares: the duration grammar, the timestamp profile and the
//! document-key rule, each against its regular expression (the form the chart's schema and
//! the document schema carry) and against the rules it must agree with.

use std::sync::LazyLock;
use std::time::Duration;

use regex::Regex;
use status_core::{duration, timestamp};

static DURATION: LazyLock<Regex> = LazyLock::new(|| compile(duration::DURATION_PATTERN));
static TIMESTAMP: LazyLock<Regex> = LazyLock::new(|| compile(timestamp::PATTERN));

fn compile(pattern: &str) -> Regex {
    match Regex::new(pattern) {
        Ok(re) => re,
        Err(e) => panic!("{pattern} does not compile: {e}"),
    }
}

/// The input is read as text (lossily: the rules take `&str`) and given to each rule.
pub fn shared_rules(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    durations(&text);
    timestamps(&text);
    document_key(&text);
}

/// The parser accepts exactly what the pattern matches, up to the ten-year bound that only the
/// parser can count; what it accepts is within the bound and prints back in the grammar.
fn durations(text: &str) {
    let parsed = duration::parse(text);
    match &parsed {
        Ok(d) => {
            assert!(
                DURATION.is_match(text),
                "{text:?} parsed but does not match"
            );
            assert!(*d <= duration::MAX);
            let printed = duration::format(*d);
            let back = duration::parse(&printed);
            let truncated = if d.as_secs() == 0 {
                Duration::from_millis(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            } else {
                Duration::from_secs(d.as_secs())
            };
            assert_eq!(
                back.ok(),
                Some(truncated),
                "{text:?} printed as {printed:?}"
            );
        }
        Err(e) => {
            // The structured reason, not the message: the message quotes the input, which may
            // say anything.
            let status_core::Error::InvalidDuration { reason, .. } = e else {
                panic!("{text:?}: {e:?}");
            };
            let over = reason == "it is longer than 10 years, the longest accepted";
            assert_eq!(
                DURATION.is_match(text),
                over,
                "{text:?} refused ({e}) but the pattern says otherwise"
            );
        }
    }
}

/// The profile's parser and its pattern agree (the pattern cannot know which dates exist; the
/// schema's `format: date-time` does), and an accepted timestamp prints back to the same
/// instant in the profile.
fn timestamps(text: &str) {
    let parsed = timestamp::parse(text);
    let matches = TIMESTAMP.is_match(text);
    match &parsed {
        Ok(t) => {
            assert!(matches, "{text:?} parsed but does not match the pattern");
            let printed = status_core::format_timestamp(t);
            assert!(
                TIMESTAMP.is_match(&printed),
                "{text:?} printed as {printed:?}"
            );
            assert_eq!(timestamp::parse(&printed).ok(), Some(*t));
        }
        Err(e) => {
            // The structured reason, not the message: the message quotes the input.
            let status_core::Error::InvalidTimestamp { reason, .. } = e else {
                panic!("{text:?}: {e:?}");
            };
            assert!(
                !matches || reason == "the date does not exist",
                "{text:?} matches the pattern but is refused: {reason}"
            );
            // A suggested fix is itself in the profile.
            if let Some((_, fix)) = reason.split_once("; write \"")
                && let Some((fix, _)) = fix.split_once('"')
            {
                assert!(
                    timestamp::parse(fix).is_ok(),
                    "{text:?}: the fix {fix:?} is refused"
                );
            }
        }
    }
}

/// A document key is a ConfigMap key the API server accepts, and its name is the key without
/// `.json`.
fn document_key(text: &str) {
    let is_key = status_core::is_document_key(text);
    assert_eq!(
        status_core::document_name(text),
        is_key.then(|| &text[..text.len() - ".json".len()])
    );
    if is_key {
        assert!(
            status_kube::names::parse_key(text).is_ok(),
            "{text:?} is a document key but not a ConfigMap key"
        );
        assert!(!text.starts_with('.'));
    }
}
