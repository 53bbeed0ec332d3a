//! The fake API server's own tests, one binary: `http` talks HTTPS to it and checks what the
//! real API server answers (codes, `Status` bodies, authorization, preconditions, content
//! types), `watch` reads its watches as a client does; `kubectl` and `kubectl_watch` drive it
//! with the official kubectl and nothing of ours, and `watcher` with kube-rs's watcher (the
//! client status-server uses), which is how we know the fake is honest. `commands` drives the
//! binary through its standard input, as the fleet benchmark does.

mod commands;
mod http;
mod kubectl;
mod kubectl_watch;
mod support;
mod watch;
mod watcher;
