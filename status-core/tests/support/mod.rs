//! Generators the differential tests share: document texts (valid ones and near-misses of every
//! field, numbers spelled every way JSON allows) and timestamps (the profile's, and one part
//! away from it).

#![allow(dead_code)] // each test binary uses its part

use proptest::prelude::*;
use proptest::sample::select;

/// A timestamp: mostly in the profile, else with one part changed the way people get it wrong.
pub(crate) fn timestamp() -> impl Strategy<Value = String> {
    let date = (1u32..=9999, 1u32..=12, 1u32..=28);
    let time = (0u32..=23, 0u32..=59, 0u32..=59);
    let fraction = prop_oneof![
        3 => Just(String::new()),
        2 => (1usize..=9, any::<u64>()).prop_map(|(n, d)| format!(".{:0>9}", d % 1_000_000_000)[..=n].to_owned()),
    ];
    let offset = prop_oneof![
        3 => Just("Z".to_owned()),
        2 => (select(vec!['+', '-']), 0u32..=23, 0u32..=59).prop_map(|(s, h, m)| format!("{s}{h:02}:{m:02}")),
    ];
    let good = (date, time, fraction, offset).prop_map(|((y, mo, d), (h, mi, s), f, o)| {
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{f}{o}")
    });
    prop_oneof![
        40 => good.clone(),
        1 => (good.clone(), select(vec!['t', ' ', 'x'])).prop_map(|(t, c)| format!("{}{c}{}", &t[..10], &t[11..])),
        1 => good.clone().prop_map(|t| t.replace('Z', "z")),
        1 => good.clone().prop_map(|t| format!("{}60{}", &t[..17], &t[19..])),
        1 => good.clone().prop_map(|t| format!("0000{}", &t[4..])),
        1 => good.clone().prop_map(|t| t[..19].to_owned()),
        1 => good.clone().prop_map(|t| format!("{},5Z", &t[..19])),
        1 => good.clone().prop_map(|t| format!("{}.1234567890Z", &t[..19])),
        1 => good.clone().prop_map(|t| format!("{}+2400", &t[..19])),
        1 => good.clone().prop_map(|t| format!("{}+24:00", &t[..19])),
        1 => good.clone().prop_map(|t| format!("{}-02-30{}", &t[..4], &t[10..])),
        1 => good.clone().prop_map(|t| format!("{}-13{}", &t[..4], &t[7..])),
        1 => good.prop_map(|t| format!("{}T24{}", &t[..10], &t[13..])),
        1 => "[0-9T:.Z+-]{0,25}",
    ]
}

/// A JSON string literal for `s`.
fn quoted(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

/// A value for a field that should hold a non-empty string.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        30 => "[a-z][a-z0-9-]{0,12}".prop_map(|s| quoted(&s)),
        1 => Just(quoted("")),
        1 => Just(quoted(" \t")),
        1 => Just("null".to_owned()),
        1 => Just("42".to_owned()),
        1 => Just("[\"a\"]".to_owned()),
    ]
}

/// `drift_count` spelled every way JSON allows, around every bound.
fn drift_count() -> impl Strategy<Value = String> {
    const MAX: u64 = (1 << 53) - 1;
    prop_oneof![
        20 => (0u64..50).prop_map(|n| n.to_string()),
        1 => (0u64..4).prop_map(|d| (MAX - 1 + d).to_string()),
        1 => select(vec!["18446744073709551615", "18446744073709551616", "1e400", "1e30"]).prop_map(str::to_owned),
        1 => select(vec!["-0", "-0.0", "0.0", "-1", "1.0", "1e2", "1E2", "2.5", "-2.5", "1e-2"]).prop_map(str::to_owned),
        1 => select(vec!["\"3\"", "null", "true", "[]", "{}"]).prop_map(str::to_owned),
    ]
}

fn sync_status() -> impl Strategy<Value = String> {
    prop_oneof![
        20 => select(vec!["SYNCED", "OUT_OF_SYNC", "UNKNOWN", "ERROR"]).prop_map(quoted),
        1 => select(vec!["Synced", "OutOfSync", "synced", "error", ""]).prop_map(quoted),
        1 => select(vec!["null", "1"]).prop_map(str::to_owned),
    ]
}

fn health_status() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        3 => Just(None),
        12 => select(vec!["Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown"]).prop_map(|s| Some(quoted(s))),
        1 => select(vec!["healthy", "HEALTHY", "Broken", ""]).prop_map(|s| Some(quoted(s))),
        1 => select(vec!["null", "3"]).prop_map(|s| Some(s.to_owned())),
    ]
}

fn file() -> impl Strategy<Value = String> {
    prop_oneof![
        40 => "[a-z]{1,8}\\.yaml".prop_map(|s| quoted(&s)),
        1 => Just(quoted("")),
        1 => Just(quoted("  ")),
        1 => Just("7".to_owned()),
        1 => Just("null".to_owned()),
    ]
}

/// An optional field that should hold a string (or null).
fn optional_text() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        12 => Just(None),
        12 => "[ -~]{0,10}".prop_map(|s| Some(quoted(&s))),
        1 => Just(Some("null".to_owned())),
        1 => Just(Some("5".to_owned())),
    ]
}

/// A document text: the six required fields (each sometimes left out), optional ones, and an
/// unknown field now and then.
pub(crate) fn document() -> impl Strategy<Value = String> {
    let required = (
        name(),
        name(),
        sync_status(),
        drift_count(),
        prop::collection::vec(file(), 0..4),
        prop_oneof![30 => timestamp().prop_map(|t| quoted(&t)), 1 => Just("1745229600".to_owned())],
    );
    let optional = (
        optional_text(),
        optional_text(),
        health_status(),
        optional_text(),
        prop::option::of(("[a-z_]{1,8}", drift_count())),
    );
    (required, optional, any::<u8>()).prop_map(
        |(
            (repo, server, sync, drift, files, last_check),
            (app, revision, health, message, extra),
            omit,
        )| {
            let mut members: Vec<String> = [
                ("repo", repo),
                ("server", server),
                ("sync_status", sync),
                ("drift_count", drift),
                ("files", format!("[{}]", files.join(", "))),
                ("last_check", last_check),
            ]
            .into_iter()
            .enumerate()
            // Leave a required field out now and then (about one document in 40).
            .filter(|(i, _)| omit >= 40 || usize::from(omit % 8) != *i)
            .map(|(_, (k, v))| format!("\"{k}\": {v}"))
            .collect();
            for (key, value) in [
                ("app", app),
                ("revision", revision),
                ("health_status", health),
                ("message", message),
            ] {
                if let Some(value) = value {
                    members.push(format!("\"{key}\": {value}"));
                }
            }
            if let Some((key, value)) = extra {
                members.push(format!("{}: {value}", quoted(&key)));
            }
            format!("{{{}}}", members.join(", "))
        },
    )
}
