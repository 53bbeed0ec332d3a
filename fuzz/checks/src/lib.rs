//! The properties the fuzz targets check, one function per target, each taking the fuzzer's
//! bytes and panicking (with what broke) when a property does not hold.
//!
//! The cargo-fuzz crate (`fuzz/`, nightly) calls these from its targets; the corpus replay
//! (`tests/corpus.rs`, stable, part of `cargo xtask ci`) calls the same functions on every
//! committed input, so a property is written once and CI checks it without nightly. Inputs
//! that ever crashed a target are named tests in `tests/regressions.rs`.

mod credentials;
mod document;
mod http;
mod names;
mod rules;

pub use credentials::credentials;
pub use document::{argocd, document, validate};
pub use http::http_request;
pub use names::kube_names;
pub use rules::shared_rules;

/// A fuzz target: its name (its directory under `fuzz/corpus/`) and its check.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// The target's name, as `cargo fuzz run` and `cargo xtask fuzz` take it.
    pub name: &'static str,
    /// The check, on the fuzzer's bytes.
    pub check: fn(&[u8]),
    /// The longest input worth trying (libFuzzer's `-max_len`).
    pub max_len: usize,
}

/// Somewhat more than a document may be, so that the size limit itself is fuzzed.
const OVER_THE_LIMIT: usize = status_core::MAX_DOCUMENT_BYTES + 64;

/// Every target, in the order `cargo xtask fuzz` runs them.
pub const TARGETS: &[Target] = &[
    Target {
        name: "validate",
        check: validate,
        max_len: OVER_THE_LIMIT,
    },
    Target {
        name: "document",
        check: document,
        max_len: 4096,
    },
    Target {
        name: "argocd",
        check: argocd,
        max_len: 16 * 1024,
    },
    Target {
        name: "shared_rules",
        check: shared_rules,
        max_len: 512,
    },
    Target {
        name: "kube_names",
        check: kube_names,
        max_len: 512,
    },
    Target {
        name: "http_request",
        check: http_request,
        max_len: 2048,
    },
    Target {
        name: "credentials",
        check: credentials,
        max_len: 8192,
    },
];

/// The target named `name`.
pub fn target(name: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|t| t.name == name)
}
