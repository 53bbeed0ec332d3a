//! Entry points for fuzzing: how messages show a URL.

/// `url` as messages show it (its password hidden, control characters escaped).
pub fn shown(url: &str) -> String {
    crate::http::shown(url)
}
