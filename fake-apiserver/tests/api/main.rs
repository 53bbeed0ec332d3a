//! The fake API server's own tests, one binary: `http` talks HTTPS to it and checks what the
//! real API server answers (codes, `Status` bodies, authorization, preconditions, content
//! types); `kubectl` drives it with the official kubectl and nothing of ours, which is how we
//! know the fake is honest.

mod http;
mod kubectl;
mod support;
