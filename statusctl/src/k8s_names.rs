//! The Kubernetes rules for the names `render` writes into a manifest and `push` sends to the
//! API server: ConfigMap names, namespaces and ConfigMap keys. (Which keys status-server serves
//! is status-core's `is_document_key`.)
//!
//! One implementation for both commands, so that a name `render` refuses is refused by `push`
//! too, with the same message, before any request (exit 2 rather than a 422 from the API server,
//! exit 6). The rules are the API server's (`k8s.io/apimachinery` validation): a value accepted
//! here is accepted there.

/// The longest DNS-1123 subdomain (a ConfigMap name) and ConfigMap key.
const SUBDOMAIN_MAX: usize = 253;
/// The longest DNS-1123 label (a namespace).
const LABEL_MAX: usize = 63;

/// A DNS-1123 label without its length limit: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`.
fn is_label(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A ConfigMap name: a DNS-1123 subdomain, at most 253 characters, each `.`-separated label
/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?` (so no empty label: `a..b` and `.a` are refused).
pub(crate) fn parse_configmap_name(s: &str) -> Result<String, String> {
    if s.len() <= SUBDOMAIN_MAX && s.split('.').all(is_label) {
        Ok(s.to_owned())
    } else {
        Err("expected a ConfigMap name: lower-case letters, digits, `-` and `.`, at most 253 characters, each `.`-separated part non-empty and starting and ending with a letter or digit".to_owned())
    }
}

/// A namespace: a DNS-1123 label, at most 63 characters.
pub(crate) fn parse_namespace(s: &str) -> Result<String, String> {
    if s.len() <= LABEL_MAX && is_label(s) {
        Ok(s.to_owned())
    } else {
        Err("expected a namespace: lower-case letters, digits and `-`, starting and ending with a letter or digit, at most 63 characters".to_owned())
    }
}

/// A ConfigMap key: `[-._a-zA-Z0-9]+`, at most 253 characters, not `.` and not starting with
/// `..` (which covers `..`): the API server's `IsConfigMapKey`.
pub(crate) fn parse_key(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.len() <= SUBDOMAIN_MAX
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
        && s != "."
        && !s.starts_with("..");
    if ok {
        Ok(s.to_owned())
    } else {
        Err("expected a ConfigMap key: letters, digits, `-`, `_` and `.`, at most 253 characters, not `.` and not starting with `..`".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configmap_names_are_dns_subdomains() {
        for good in [
            "gitops-status-server-live",
            "a.b-c",
            "a",
            "0",
            "a.0.b",
            &"a".repeat(253),
        ] {
            assert!(parse_configmap_name(good).is_ok(), "{good:?}");
        }
        for bad in [
            "",
            "Foo",
            "a_b",
            "-a",
            "a-",
            "a..b",
            ".a",
            "a.",
            "a.-b",
            "a-.b",
            "a/b",
            &"a".repeat(254),
        ] {
            assert!(parse_configmap_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn namespaces_are_dns_labels() {
        assert!(parse_namespace("argocd").is_ok());
        assert!(parse_namespace(&"a".repeat(63)).is_ok());
        for bad in ["", "a.b", "-ns", "ns-", "no/slash", "Ns", &"a".repeat(64)] {
            assert!(parse_namespace(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn keys_follow_the_api_servers_rule() {
        for good in [
            "status.json",
            "a",
            ".hidden.json",
            "A_b-c.json",
            &"k".repeat(253),
        ] {
            assert!(parse_key(good).is_ok(), "{good:?}");
        }
        for bad in ["", ".", "..", "..a", "a/b", "a b", "ä", &"k".repeat(254)] {
            assert!(parse_key(bad).is_err(), "{bad:?}");
        }
    }
}
