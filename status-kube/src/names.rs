//! The API server's rules for the names gitops-status sends it: ConfigMap names, Argo CD
//! Application names, namespaces and ConfigMap keys; and the name of the chart's live ConfigMap.
//!
//! One implementation for every caller (`statusctl render` writing a manifest, `statusctl push`
//! and status-server talking to the API), so that a name one refuses is refused by all, with the
//! same message, before any request is sent. The rules are the API server's
//! (`k8s.io/apimachinery` validation): a value accepted here is accepted there.
//!
//! Each `parse_*` function has the shape clap takes as a value parser
//! (`#[arg(value_parser = status_kube::names::parse_key)]`); its error says what is accepted,
//! and the caller names the value.

/// The ConfigMap the chart mounts as live status and `statusctl push` writes by default: the
/// chart's `<fullname>-live` for the release name `gitops-status-server`.
pub const DEFAULT_LIVE_CONFIGMAP: &str = "gitops-status-server-live";

/// The longest DNS-1123 subdomain (a ConfigMap name) and ConfigMap key.
const SUBDOMAIN_MAX: usize = 253;
/// The longest DNS-1123 label (a namespace).
const LABEL_MAX: usize = 63;

/// A name the API server would refuse. Its message says what is accepted; it does not repeat
/// the value (callers such as clap already name it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidName {
    /// Not a ConfigMap name (a DNS-1123 subdomain).
    #[error(
        "expected a ConfigMap name: lower-case letters, digits, `-` and `.`, at most 253 characters, each `.`-separated part non-empty and starting and ending with a letter or digit"
    )]
    ConfigMap,
    /// Not an Argo CD Application name (a DNS-1123 subdomain, as for every custom resource).
    #[error(
        "expected an Application name: lower-case letters, digits, `-` and `.`, at most 253 characters, each `.`-separated part non-empty and starting and ending with a letter or digit"
    )]
    Application,
    /// Not a namespace (a DNS-1123 label).
    #[error(
        "expected a namespace: lower-case letters, digits and `-`, starting and ending with a letter or digit, at most 63 characters"
    )]
    Namespace,
    /// Not a ConfigMap key.
    #[error(
        "expected a ConfigMap key: letters, digits, `-`, `_` and `.`, at most 253 characters, not `.` and not starting with `..`"
    )]
    Key,
}

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
///
/// ```
/// use status_kube::names::{parse_configmap_name, InvalidName};
/// assert_eq!(parse_configmap_name("gitops-status-server-live").as_deref(), Ok("gitops-status-server-live"));
/// assert_eq!(parse_configmap_name("Live_Status"), Err(InvalidName::ConfigMap));
/// ```
pub fn parse_configmap_name(s: &str) -> Result<String, InvalidName> {
    if s.len() <= SUBDOMAIN_MAX && s.split('.').all(is_label) {
        Ok(s.to_owned())
    } else {
        Err(InvalidName::ConfigMap)
    }
}

/// An Argo CD Application name: a DNS-1123 subdomain, the API server's rule for the names of
/// custom resources (the same as for ConfigMaps).
///
/// ```
/// use status_kube::names::{parse_application_name, InvalidName};
/// assert_eq!(parse_application_name("guestbook").as_deref(), Ok("guestbook"));
/// assert_eq!(parse_application_name("guest/book"), Err(InvalidName::Application));
/// ```
pub fn parse_application_name(s: &str) -> Result<String, InvalidName> {
    parse_configmap_name(s).map_err(|_| InvalidName::Application)
}

/// A namespace: a DNS-1123 label, at most 63 characters.
pub fn parse_namespace(s: &str) -> Result<String, InvalidName> {
    if s.len() <= LABEL_MAX && is_label(s) {
        Ok(s.to_owned())
    } else {
        Err(InvalidName::Namespace)
    }
}

/// A ConfigMap key: `[-._a-zA-Z0-9]+`, at most 253 characters, not `.` and not starting with
/// `..` (which covers `..`): the API server's `IsConfigMapKey`.
pub fn parse_key(s: &str) -> Result<String, InvalidName> {
    let ok = !s.is_empty()
        && s.len() <= SUBDOMAIN_MAX
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
        && s != "."
        && !s.starts_with("..");
    if ok {
        Ok(s.to_owned())
    } else {
        Err(InvalidName::Key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configmap_names_are_dns_subdomains() {
        for good in [
            DEFAULT_LIVE_CONFIGMAP,
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
            assert_eq!(
                parse_configmap_name(bad),
                Err(InvalidName::ConfigMap),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn namespaces_are_dns_labels() {
        assert!(parse_namespace("argocd").is_ok());
        assert!(parse_namespace(&"a".repeat(63)).is_ok());
        for bad in ["", "a.b", "-ns", "ns-", "no/slash", "Ns", &"a".repeat(64)] {
            assert_eq!(parse_namespace(bad), Err(InvalidName::Namespace), "{bad:?}");
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
            assert_eq!(parse_key(bad), Err(InvalidName::Key), "{bad:?}");
        }
    }

    #[test]
    fn a_parsed_name_is_the_name_given() {
        assert_eq!(parse_key("payments.json").as_deref(), Ok("payments.json"));
        assert_eq!(parse_namespace("monitoring").as_deref(), Ok("monitoring"));
    }
}
