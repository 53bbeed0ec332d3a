//! One source's documents, key by key: the last good version of each and its latest error
//! ([`Slot`]), and how a key's state moves when new bytes arrive.
//!
//! Every source keeps its own slots: the file source (`store.rs`, over its directories) and
//! each watched object (a ConfigMap; an Argo CD Application), through [`apply_documents`]. A key whose new content is invalid keeps its last good version here,
//! in its own source; the merge (`merge.rs`) decides which source's version is served.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use actix_web::web::Bytes;
use status_core::{Finding, Severity, StatusDocument};
use status_kube::watch::{Document, Documents};

use crate::representation::Content;

/// A valid version of a document, as one source loaded it.
#[derive(Debug)]
pub(crate) struct Entry {
    /// The bytes, their gzip form and ETags.
    pub(crate) content: Arc<Content>,
    /// The parsed document (for metrics).
    pub(crate) document: StatusDocument,
    /// The file's modification time (for files; the epoch otherwise): a body first served
    /// is dated no earlier than this.
    pub(crate) modified: SystemTime,
}

/// Why a key's latest version is not being served.
#[derive(Debug)]
pub(crate) struct LoadError {
    /// Where the version came from, for people: a path, or `configmap/NS/NAME key KEY`, or
    /// `application/NS/NAME key KEY`.
    pub(crate) origin: String,
    /// What is wrong, for people.
    pub(crate) message: String,
    /// The failing findings, when the bytes were read but did not validate.
    pub(crate) findings: Vec<Finding>,
    /// A hash of the rejected bytes (or of the refusal, for a version that never had bytes),
    /// so that an unchanged bad version is reported once, not on every scan or event.
    pub(crate) content: Option<u64>,
}

/// The state of one key in one source: the version served (the last good one) and the latest
/// error, if any.
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    /// The last good version; `None` when the key has never been valid in this source.
    pub(crate) served: Option<Arc<Entry>>,
    /// Why the latest version of the key is not served; `None` when it is.
    pub(crate) error: Option<Arc<LoadError>>,
}

impl Slot {
    /// Whether two slots are the same state (the same versions, not merely equal bytes).
    pub(crate) fn same(&self, other: &Slot) -> bool {
        same_arc(&self.served, &other.served) && same_arc(&self.error, &other.error)
    }
}

/// A source's keys.
pub(crate) type Slots = BTreeMap<String, Slot>;

/// Validates `bytes` with status-core: the entry to serve, or why not. `modified` is the
/// file's modification time, when there is a file.
pub(crate) fn check(
    origin: impl FnOnce() -> String,
    bytes: Vec<u8>,
    modified: SystemTime,
) -> Result<Arc<Entry>, Arc<LoadError>> {
    let report = status_core::validate(&bytes);
    let findings: Vec<Finding> = report.of(Severity::Error).cloned().collect();
    match report.into_document() {
        Some(document) => Ok(Arc::new(Entry {
            content: Arc::new(Content::new(Bytes::from(bytes))),
            document,
            modified,
        })),
        None => {
            let message = match findings.as_slice() {
                [] => "invalid status document".to_owned(),
                [one] => one.to_string(),
                [first, rest @ ..] => format!("{first} (and {} more)", rest.len()),
            };
            Err(Arc::new(LoadError {
                origin: origin(),
                message,
                findings,
                content: Some(content_hash_u64(&bytes)),
            }))
        }
    }
}

/// What [`apply_documents`] did.
#[derive(Debug, Default)]
pub(crate) struct Applied {
    /// The source's keys now.
    pub(crate) slots: Slots,
    /// Keys with a new bad version (to log and count once).
    pub(crate) rejected: Vec<(String, Arc<LoadError>)>,
}

/// The next state of a source that delivers whole sets of documents (a watched object's
/// keys): each key compared with what the source held, validated only when its bytes are new.
/// Keys not in `documents` are gone.
///
/// Same bytes keep the same slot (so nothing downstream sees a change); bytes equal to the
/// last good version after a rejected one bring that version back, validators and all. A key
/// the object stands for but could not make a document of ([`Document::Invalid`]: an
/// Application the mapping refuses) is a rejected version like invalid bytes: its last good
/// version stays, or it is never valid (503 with the reason).
pub(crate) fn apply_documents(
    old: &Slots,
    documents: Documents,
    origin: &dyn Fn(&str) -> String,
) -> Applied {
    let mut applied = Applied::default();
    for (key, document) in documents {
        let previous = old.get(&key);
        let last_good = previous.and_then(|s| s.served.clone());
        let slot = match (previous, document) {
            (Some(slot), document) if unchanged(slot, &document) => slot.clone(),
            (_, Document::Bytes(bytes))
                if last_good.as_ref().is_some_and(|e| e.content.bytes == bytes) =>
            {
                Slot {
                    served: last_good,
                    error: None,
                }
            }
            (_, document) => {
                let checked = match document {
                    Document::Bytes(bytes) => check(|| origin(&key), bytes, SystemTime::UNIX_EPOCH),
                    Document::Invalid(message) => Err(refused(origin(&key), message)),
                };
                match checked {
                    Ok(entry) => Slot {
                        served: Some(entry),
                        error: None,
                    },
                    Err(error) => {
                        applied.rejected.push((key.clone(), error.clone()));
                        Slot {
                            served: last_good,
                            error: Some(error),
                        }
                    }
                }
            }
        };
        applied.slots.insert(key, slot);
    }
    applied
}

/// A version that never had bytes to validate: its source said why there is no document.
fn refused(origin: String, message: String) -> Arc<LoadError> {
    Arc::new(LoadError {
        content: Some(refusal_hash(&message)),
        origin,
        message,
        findings: Vec::new(),
    })
}

/// Whether `document` is what the slot already stands for: its served version (with no error
/// since), or the bad version it last rejected.
fn unchanged(slot: &Slot, document: &Document) -> bool {
    match (&slot.error, document) {
        (None, Document::Bytes(bytes)) => slot
            .served
            .as_ref()
            .is_some_and(|e| e.content.bytes == bytes.as_slice()),
        (None, Document::Invalid(_)) => false,
        (Some(error), Document::Bytes(bytes)) => error.content == Some(content_hash_u64(bytes)),
        (Some(error), Document::Invalid(message)) => error.content == Some(refusal_hash(message)),
    }
}

/// The hash a refusal is remembered by: of its message, behind a prefix no document's bytes
/// start with (a document is a JSON object), so a refusal and bad bytes are never the same.
fn refusal_hash(message: &str) -> u64 {
    content_hash_u64(format!("\0refused: {message}").as_bytes())
}

/// Whether two optional `Arc`s point to the same value (or are both `None`).
pub(crate) fn same_arc<T>(a: &Option<Arc<T>>, b: &Option<Arc<T>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => Arc::ptr_eq(a, b),
        (None, None) => true,
        _ => false,
    }
}

/// A 64-bit FNV-1a hash of rejected bytes (see [`LoadError::content`]): cheap to keep per key.
pub(crate) fn content_hash_u64(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01B3;
    bytes
        .iter()
        .fold(OFFSET, |h, &b| (h ^ u64::from(b)).wrapping_mul(PRIME))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"repo":"r","server":"s","sync_status":"SYNCED","drift_count":0,"files":[],"last_check":"2026-04-21T12:30:00Z"}"#;

    fn docs(pairs: &[(&str, &str)]) -> Documents {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Document::Bytes(v.as_bytes().to_vec())))
            .collect()
    }

    fn refusal(key: &str, message: &str) -> Documents {
        [(key.to_owned(), Document::Invalid(message.to_owned()))].into()
    }

    fn origin(key: &str) -> String {
        format!("configmap/m/a key {key}")
    }

    #[test]
    fn same_bytes_keep_the_same_slot_and_bad_bytes_keep_the_last_good() {
        let first = apply_documents(&Slots::new(), docs(&[("status.json", DOC)]), &origin);
        assert!(first.rejected.is_empty());
        let good = first.slots["status.json"].clone();

        // The same bytes again (a relist): the very same slot.
        let again = apply_documents(&first.slots, docs(&[("status.json", DOC)]), &origin);
        assert!(again.slots["status.json"].same(&good));

        // Bad bytes: rejected once, the last good version stays.
        let bad = apply_documents(&again.slots, docs(&[("status.json", "{")]), &origin);
        assert_eq!(bad.rejected.len(), 1);
        assert_eq!(bad.rejected[0].1.origin, "configmap/m/a key status.json");
        let slot = &bad.slots["status.json"];
        assert!(same_arc(&slot.served, &good.served));
        assert!(slot.error.is_some());
        let still_bad = apply_documents(&bad.slots, docs(&[("status.json", "{")]), &origin);
        assert!(still_bad.rejected.is_empty(), "reported once");
        assert!(still_bad.slots["status.json"].same(slot));

        // Back to the good bytes: the same entry, without the error.
        let fixed = apply_documents(&still_bad.slots, docs(&[("status.json", DOC)]), &origin);
        let slot = &fixed.slots["status.json"];
        assert!(same_arc(&slot.served, &good.served));
        assert!(slot.error.is_none());

        // A key that is not delivered any more is gone.
        let gone = apply_documents(&fixed.slots, docs(&[]), &origin);
        assert!(gone.slots.is_empty());
    }

    #[test]
    fn a_refusal_is_a_rejected_version_reported_once() {
        // Never valid: nothing served, the refusal is the error.
        let first = apply_documents(
            &Slots::new(),
            refusal("app.json", "no destination"),
            &origin,
        );
        assert_eq!(first.rejected.len(), 1);
        let slot = &first.slots["app.json"];
        assert!(slot.served.is_none());
        let error = slot.error.as_ref().unwrap();
        assert_eq!(error.message, "no destination");
        assert!(error.findings.is_empty());
        // The same refusal again (a relist): the same slot, not reported again.
        let again = apply_documents(&first.slots, refusal("app.json", "no destination"), &origin);
        assert!(again.rejected.is_empty());
        assert!(again.slots["app.json"].same(slot));

        // Valid, then refused: the last good version stays served.
        let good = apply_documents(&again.slots, docs(&[("app.json", DOC)]), &origin);
        assert!(good.slots["app.json"].error.is_none());
        let refused = apply_documents(&good.slots, refusal("app.json", "other"), &origin);
        assert_eq!(refused.rejected.len(), 1);
        let slot = &refused.slots["app.json"];
        assert!(same_arc(&slot.served, &good.slots["app.json"].served));
        assert_eq!(slot.error.as_ref().unwrap().message, "other");
    }

    #[test]
    fn a_key_never_valid_has_no_served_version() {
        let applied = apply_documents(&Slots::new(), docs(&[("x.json", "[]")]), &origin);
        let slot = &applied.slots["x.json"];
        assert!(slot.served.is_none());
        assert!(!slot.error.as_ref().unwrap().message.is_empty());
    }
}
