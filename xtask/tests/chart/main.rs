//! Tests of the Helm chart `charts/gitops-status-server` with the real Helm 3 and Helm 4 binaries,
//! the real Kubernetes schemas (`kubernetes-validate`) and the real status-server.
//!
//! `cargo xtask chart` runs them; tools come from `cargo xtask tools` (`GITOPS_STATUS_TOOLS`).
//! One test binary, one module per concern (as zero2prod's `tests/api/main.rs`).

mod argocd;
mod cases;
mod checksum;
mod dashboard;
mod e2e;
mod package;
mod post_sync;
mod render;
mod security;
mod support;
mod values;
mod watch;
