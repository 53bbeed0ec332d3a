//! Properties: validation never panics on any input, and what it accepts survives a round trip.

use proptest::prelude::*;
use status_core::{StatusDocument, SyncStatus, validate};

fn doc_strategy() -> impl Strategy<Value = StatusDocument> {
    let text =
        "[a-zA-Z0-9 ./_:\\-é]{1,40}".prop_filter("not blank", |s: &String| !s.trim().is_empty());
    (
        text.clone(),
        text.clone(),
        prop::sample::select(SyncStatus::ALL.to_vec()),
        0u64..1_000_000,
        prop::collection::vec(text.clone(), 0..20),
        0i64..4_000_000_000,
        prop::option::of(text),
    )
        .prop_map(
            |(repo, server, sync_status, drift_count, files, secs, message)| {
                let json = serde_json::json!({
                    "repo": repo, "server": server, "sync_status": sync_status,
                    "drift_count": drift_count, "files": files,
                    "last_check": chrono::DateTime::from_timestamp(secs, 0).unwrap().to_rfc3339(),
                    "message": message,
                });
                serde_json::from_value(json).unwrap()
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let report = validate(&bytes);
        // Invalid input always says why.
        prop_assert!(report.is_valid() || !report.findings().is_empty());
    }

    #[test]
    fn random_json_text_never_panics(src in "[\\[\\]{}\":,0-9a-z_ \n\\\\-]{0,200}") {
        let report = validate(src.as_bytes());
        for f in report.findings() {
            prop_assert!(f.path().starts_with('$'));
            if let (Some(line), Some(column)) = (f.line(), f.column()) {
                prop_assert!(line >= 1 && column >= 1);
            }
        }
    }

    #[test]
    fn serialised_documents_validate_and_round_trip(doc in doc_strategy()) {
        for text in [doc.to_json(), doc.to_json_pretty()] {
            let report = validate(text.as_bytes());
            prop_assert!(report.is_valid(), "{:?}", report.findings());
            prop_assert_eq!(report.document(), Some(&doc));
        }
    }

    #[test]
    fn mutating_one_byte_of_a_valid_document_never_panics(doc in doc_strategy(), at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut bytes = doc.to_json_pretty().into_bytes();
        let i = at.index(bytes.len());
        bytes[i] = byte;
        let _ = validate(&bytes);
    }
}
