//! The JSON Schema and status-core give one verdict: generated documents, valid ones and
//! near-misses of every field, are judged by status-core and by a JSON Schema validator (the
//! `jsonschema` crate, format checks on) reading the published schema (`docs/status.schema.json`)
//! and the chart's values schema (`statusJson`, and each of `extraStatusFiles`).
//!
//! Where they differ on purpose (docs/schema.md lists it: a whole `drift_count` written with a
//! fraction or exponent, which a schema cannot see) the test asserts that difference exactly,
//! rather than skipping the case.

mod support;

use std::sync::LazyLock;

use proptest::prelude::*;
use serde_json::Value;
use status_core::{Code, Severity};
use support::document;

/// The validators of the schemas users validate with.
static SCHEMAS: LazyLock<Vec<(&'static str, jsonschema::Validator)>> = LazyLock::new(|| {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let read = |path: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(format!("{root}/{path}")).unwrap()).unwrap()
    };
    let build = |schema: &Value| {
        jsonschema::options()
            .should_validate_formats(true)
            .build(schema)
            .unwrap()
    };
    let values = read("charts/gitops-status-server/values.schema.json");
    vec![
        (
            "docs/status.schema.json",
            build(&read("docs/status.schema.json")),
        ),
        (
            "status_core::json_schema()",
            build(&status_core::json_schema()),
        ),
        (
            "values.schema.json statusJson",
            build(&values["properties"]["statusJson"]),
        ),
        (
            "values.schema.json extraStatusFiles",
            build(&values["properties"]["extraStatusFiles"]["additionalProperties"]),
        ),
    ]
});

/// Checks one document text; `Err` describes a disagreement.
fn agree(text: &str) -> Result<(), String> {
    let report = status_core::validate(text.as_bytes());
    let errors: Vec<_> = report.of(Severity::Error).collect();
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        // Only a number beyond f64 is JSON that serde_json cannot hold; status-core refuses it
        // (number-out-of-range), and so do Go and this validator's reader.
        return match errors.iter().any(|f| f.code() == Code::NumberOutOfRange) {
            true => Ok(()),
            false => Err(format!("not JSON to serde_json, yet {errors:?}")),
        };
    };
    for (name, schema) in SCHEMAS.iter() {
        let by_schema = schema.is_valid(&value);
        if by_schema == report.is_valid() {
            continue;
        }
        // The deliberate difference: valid by value, refused by spelling.
        let spelled = !errors.is_empty()
            && errors.iter().all(|f| {
                f.code() == Code::WrongType
                    && f.path() == "$.drift_count"
                    && f.message().starts_with("drift_count is written ")
            });
        if !(by_schema && spelled) {
            let why: Vec<String> = schema.iter_errors(&value).map(|e| e.to_string()).collect();
            return Err(format!(
                "{name} says {by_schema} ({why:?}), status-core says {} ({errors:?}) for {text}",
                report.is_valid()
            ));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 768, ..ProptestConfig::default() })]

    #[test]
    fn the_schema_and_status_core_agree(text in document()) {
        if let Err(e) = agree(&text) {
            prop_assert!(false, "{}", e);
        }
    }
}

#[test]
fn the_known_disagreements_are_settled() {
    let doc = |drift: &str, last_check: &str| {
        format!(
            r#"{{"repo": "r", "server": "s", "sync_status": "OUT_OF_SYNC", "drift_count": {drift}, "files": [], "last_check": "{last_check}"}}"#
        )
    };
    let ok = "2026-04-21T12:30:00Z";
    for (text, valid) in [
        (doc("-0", ok), true),
        (doc("9007199254740991", ok), true),
        (doc("9007199254740992", ok), false),
        (doc("18446744073709551616", ok), false),
        (doc("1", "2026-04-21 12:30:00Z"), false),
        (doc("1", "2026-04-21t12:30:00Z"), false),
        (doc("1", "2026-04-21T12:30:00z"), false),
        (doc("1", "2026-12-31T23:59:60Z"), false),
        (doc("1", "0000-01-01T00:00:00Z"), false),
        (doc("1", "2026-02-30T00:00:00Z"), false),
    ] {
        assert_eq!(
            status_core::validate(text.as_bytes()).is_valid(),
            valid,
            "{text}"
        );
        agree(&text).unwrap();
    }
    // The deliberate difference, asserted: the schema accepts these values, status-core their
    // spelling not.
    for spelling in ["1.0", "1e0", "-0.0"] {
        let text = doc(spelling, ok);
        let value: Value = serde_json::from_str(&text).unwrap();
        assert!(SCHEMAS.iter().all(|(_, s)| s.is_valid(&value)), "{text}");
        assert!(!status_core::validate(text.as_bytes()).is_valid(), "{text}");
        agree(&text).unwrap();
    }
    agree(&doc("1e400", ok)).unwrap();
}

#[test]
fn the_generator_makes_both_valid_documents_and_near_misses() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = document();
    let valid = (0..400)
        .filter(|_| {
            let text = strategy.new_tree(&mut runner).unwrap().current();
            status_core::validate(text.as_bytes()).is_valid()
        })
        .count();
    assert!((60..=340).contains(&valid), "{valid} of 400 valid");
}
