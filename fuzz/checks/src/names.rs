//! status-kube's name rules against the API server's own regular expressions
//! (`k8s.io/apimachinery/pkg/util/validation`): a name refused here and accepted there, or the
//! other way round, is a push that fails late or a value refused for nothing.

use std::sync::LazyLock;

use regex::Regex;
use status_kube::names;

const LABEL: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";

static SUBDOMAIN: LazyLock<Regex> = LazyLock::new(|| compile(&format!("^{LABEL}(\\.{LABEL})*$")));
static DNS_LABEL: LazyLock<Regex> = LazyLock::new(|| compile(&format!("^{LABEL}$")));
static KEY: LazyLock<Regex> = LazyLock::new(|| compile("^[-._a-zA-Z0-9]+$"));

fn compile(pattern: &str) -> Regex {
    match Regex::new(pattern) {
        Ok(re) => re,
        Err(e) => panic!("{pattern} does not compile: {e}"),
    }
}

/// Each rule accepts exactly what the API server's does, and a parsed name is the name given.
pub fn kube_names(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let s = text.as_ref();
    let subdomain = s.len() <= 253 && SUBDOMAIN.is_match(s);
    let label = s.len() <= 63 && DNS_LABEL.is_match(s);
    // IsConfigMapKey: the key characters, at most 253, and not `.`, `..` or `..`-prefixed.
    let key = s.len() <= 253 && KEY.is_match(s) && s != "." && !s.starts_with("..");
    for (rule, parsed, expected) in [
        ("configmap", names::parse_configmap_name(s), subdomain),
        ("application", names::parse_application_name(s), subdomain),
        ("namespace", names::parse_namespace(s), label),
        ("key", names::parse_key(s), key),
    ] {
        assert_eq!(parsed.is_ok(), expected, "{rule} {s:?}: {parsed:?}");
        if let Ok(name) = parsed {
            assert_eq!(name, s);
        }
    }
}
