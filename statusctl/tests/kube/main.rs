//! Tests of `statusctl push`, `get` and `check` against real servers over loopback: the fake
//! Kubernetes API server (TLS, tokens, server-side apply) driven by the real `statusctl` binary
//! and by the official kubectl, and a real status-server for `get`, `check` and
//! `push --wait-url`.

mod collect;
mod concurrency;
mod errors;
mod escaping;
mod field_manager;
mod get_check;
mod in_cluster;
mod kubeconfigs;
mod kubectl;
mod plugins;
#[path = "../common/process.rs"]
mod process;
mod proxy;
mod push;
mod raw_http;
mod retry_after;
mod support;
mod timeouts;
mod wait;
