//! Entry points for fuzzing: how messages show a URL, and the URL of a document.

/// `url` as messages show it (its password hidden, control characters escaped).
pub fn shown(url: &str) -> String {
    crate::http::shown(url)
}

/// The URL `get` and `check` read a document from: the server's `base` URL and a document name.
pub fn document_url(base: &str, name: Option<&str>) -> String {
    crate::http::document_url(base, name)
}
