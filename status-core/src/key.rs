//! Which ConfigMap keys hold documents: the one rule by which status-server serves a key (as a
//! route and from a directory) and `statusctl push` warns about a key nobody would see.

/// The longest ConfigMap key the API server accepts.
const MAX_KEY_BYTES: usize = 253;

/// The suffix of every document key.
const SUFFIX: &str = ".json";

/// Whether `key` names a served document: a valid ConfigMap key (`[-._a-zA-Z0-9]+`, at most 253
/// bytes) that ends in `.json`, is longer than `.json`, and does not start with `.` (kubelet's
/// own entries in a ConfigMap mount, `..data` and `..2026_...`, start with dots).
///
/// ```
/// use status_core::is_document_key;
///
/// assert!(is_document_key("status.json"));
/// assert!(is_document_key("payments-prod.json"));
/// assert!(!is_document_key(".json"));
/// assert!(!is_document_key(".hidden.json"));
/// assert!(!is_document_key("status.yaml"));
/// assert!(!is_document_key("my status.json"), "not a ConfigMap key");
/// ```
pub fn is_document_key(key: &str) -> bool {
    key.len() > SUFFIX.len()
        && key.len() <= MAX_KEY_BYTES
        && key.ends_with(SUFFIX)
        && !key.starts_with('.')
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The document's name: its key without `.json` (`payments` for `payments.json`, served at
/// `/status/payments.json`); `None` when `key` is not a document key.
///
/// ```
/// assert_eq!(status_core::document_name("payments.json"), Some("payments"));
/// assert_eq!(status_core::document_name("a.json.json"), Some("a.json"));
/// assert_eq!(status_core::document_name("notes.txt"), None);
/// ```
pub fn document_name(key: &str) -> Option<&str> {
    if is_document_key(key) {
        key.strip_suffix(SUFFIX)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_keys() {
        for good in [
            "status.json",
            "a.json",
            "A_b-c.d.json",
            "..x.json".trim_start_matches('.'),
            &format!("{}.json", "k".repeat(248)),
        ] {
            assert!(is_document_key(good), "{good:?}");
        }
        for bad in [
            "",
            ".json",
            "json",
            "status.JSON",
            "status.json.bak",
            ".status.json",
            "..data",
            "..2026_04_21.json",
            "a/b.json",
            "a b.json",
            "ä.json",
            "a\n.json",
            &format!("{}.json", "k".repeat(249)),
        ] {
            assert!(!is_document_key(bad), "{bad:?}");
            assert_eq!(document_name(bad), None, "{bad:?}");
        }
    }
}
