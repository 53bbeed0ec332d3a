//! Properties of `status_core::argocd`: whatever the JSON, mapping never panics; it either
//! gives a valid document or an error naming a JSON path; and bytes and values agree.

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use serde_json::{Map, Value};
use status_core::{Error, StatusDocument, argocd};

fn now() -> DateTime<Utc> {
    "2026-04-21T12:35:00Z".parse().unwrap()
}

/// Keys the mapping reads (and a few it does not), so random objects often hit its paths.
const KEYS: [&str; 31] = [
    "metadata",
    "name",
    "namespace",
    "resourceVersion",
    "spec",
    "source",
    "sources",
    "repoURL",
    "sourceHydrator",
    "drySource",
    "syncSource",
    "destination",
    "server",
    "status",
    "resources",
    "group",
    "kind",
    "hook",
    "sync",
    "revision",
    "revisions",
    "health",
    "conditions",
    "type",
    "message",
    "operationState",
    "phase",
    "finishedAt",
    "reconciledAt",
    "history",
    "x",
];

/// Strings the mapping gives meaning to, and some it must refuse or ignore.
const STRINGS: [&str; 14] = [
    "",
    " ",
    "x",
    "OutOfSync",
    "Synced",
    "Unknown",
    "Healthy",
    "Deploying",
    "Failed",
    "Error",
    "ComparisonError",
    "2026-04-21T12:30:07Z",
    "2026-04-21T12:30:07",
    "é\u{0}\"\\",
];

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop::sample::select(STRINGS.to_vec()).prop_map(Value::from),
        ".{0,8}".prop_map(Value::from),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS.to_vec()), inner), 0..6).prop_map(
                |entries| {
                    Value::Object(
                        entries
                            .into_iter()
                            .map(|(k, v)| (k.to_owned(), v))
                            .collect::<Map<String, Value>>(),
                    )
                }
            ),
        ]
    })
}

/// The JSON pointer of every value in `value`, the root included.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                pointers(
                    v,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                pointers(v, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

fn fixture_values() -> Vec<Value> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/argocd");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
        .collect()
}

/// The document, or the path of the error: what reading from bytes and from a value must agree
/// on (messages may differ in a float's last digit, which serde_json parses from text
/// slightly differently).
fn outcome(result: &Result<StatusDocument, Error>) -> Result<&StatusDocument, String> {
    match result {
        Ok(doc) => Ok(doc),
        Err(Error::InvalidApplication { path, .. }) => Err(path.clone()),
        Err(other) => Err(other.to_string()),
    }
}

/// What a mapping must be: a document status-core accepts, or an error naming a JSON path.
fn check(result: Result<StatusDocument, Error>) -> Result<(), TestCaseError> {
    match result {
        Ok(doc) => {
            let report = status_core::validate(doc.to_json().as_bytes());
            prop_assert!(report.is_valid(), "{:?}", report.findings());
            prop_assert_eq!(doc.drift_count(), doc.files().len() as u64);
            prop_assert!(doc.app().is_some());
        }
        Err(Error::InvalidApplication { path, message }) => {
            prop_assert!(path.starts_with('$'), "{path}");
            prop_assert!(!message.is_empty());
        }
        Err(other) => prop_assert!(false, "not an Application error: {other}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn arbitrary_json_never_panics(value in json()) {
        let from_value = argocd::from_value(&value, now());
        let from_bytes = argocd::from_slice(value.to_string().as_bytes(), now());
        prop_assert_eq!(outcome(&from_value), outcome(&from_bytes));
        check(from_value)?;
    }

    #[test]
    fn a_fixture_with_any_part_replaced_never_panics(
        which in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        replacement in json(),
    ) {
        let fixtures = fixture_values();
        let mut value = which.get(&fixtures).clone();
        let mut all = Vec::new();
        pointers(&value, String::new(), &mut all);
        let pointer = at.get(&all).clone();
        if pointer.is_empty() {
            value = replacement;
        } else if let Some(slot) = value.pointer_mut(&pointer) {
            *slot = replacement;
        }
        let from_value = argocd::from_value(&value, now());
        let from_bytes = argocd::from_slice(value.to_string().as_bytes(), now());
        prop_assert_eq!(outcome(&from_value), outcome(&from_bytes));
        check(from_value)?;
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        if let Err(err) = argocd::from_slice(&bytes, now()) {
            prop_assert!(matches!(err, Error::InvalidApplication { .. }), "{err}");
        }
    }
}
