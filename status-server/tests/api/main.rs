//! Integration tests: the real server on 127.0.0.1 port 0, real HTTP, real inotify, real
//! kubelet-style symlink swaps, and ConfigMaps watched over HTTPS from the fake API server.
//! One test binary; one module per area.

mod helpers;
mod kubelet;

mod browser;
mod cli;
mod connections;
mod documents;
mod live;
mod metrics;
mod pages;
mod reload;
mod shutdown;
