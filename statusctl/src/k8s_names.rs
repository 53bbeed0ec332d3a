//! Which ConfigMap keys status-server serves, for `push`'s warning about a key nobody would see.
//!
//! The API server's name and key rules live in `status_kube::names`.

/// Whether status-server serves a (valid) ConfigMap key: it serves `*.json` keys that are not
/// hidden (`.x.json` is not served: the kubelet's own `..data` entries live beside the keys).
pub(crate) fn is_served_key(key: &str) -> bool {
    key.ends_with(".json") && !key.starts_with('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_visible_json_keys_are_served() {
        assert!(is_served_key("status.json"));
        assert!(is_served_key("payments.json"));
        assert!(!is_served_key("status.yaml"));
        assert!(!is_served_key(".status.json"));
        assert!(!is_served_key(".json"));
    }
}
