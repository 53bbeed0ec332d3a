//! How a subcommand ends: its exit code ([`Exit`], a contract listed in docs/cli.md and
//! docs/ci.md and in each subcommand's `--help`), and the one error type every subcommand
//! returns ([`Failure`]: an exit code and the message `main_with` prints).

use std::process::ExitCode;

/// The exit codes of statusctl. 0, 1 and 2 mean the same for every subcommand; `push` adds
/// 3 to 8, and `collect` uses 5 to 7 in the same sense. The values never change: scripts and CI
/// steps match on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    /// 0: success (valid, rendered, pushed, printed, healthy).
    Success = 0,
    /// 1: the answer is no: a document is invalid (nothing was written or pushed; for
    /// `collect`, the Application cannot be mapped to a valid one), or the served status is
    /// unhealthy.
    Failed = 1,
    /// 2: bad usage, or something that cannot be read or used: a file, stdin, a server, a
    /// kubeconfig.
    Usage = 2,
    /// 3 (`push`): refused, the stored document is newer (`--force` overrides).
    Refused = 3,
    /// 4 (`push`): the key is owned by another field manager (`--force` takes it over).
    Conflict = 4,
    /// 5 (`push`, `collect`): authentication (401) or authorization (403) failed.
    Auth = 5,
    /// 6 (`push`): the API rejected the request: namespace not found, invalid (422: too large,
    /// bad key). (`collect`): the Application does not exist, or the cluster serves no Argo CD
    /// Applications.
    Rejected = 6,
    /// 7 (`push`, `collect`): the API server is unreachable, TLS verification failed, or
    /// retries and `--timeout` ran out.
    Unavailable = 7,
    /// 8 (`push --wait-url`): pushed, but the status-server did not serve the pushed document
    /// within `--wait-timeout`.
    NotServed = 8,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}

/// A failure that ends a subcommand: the exit code, and the message `main_with` prints as
/// `statusctl: error: <message>`.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) exit: Exit,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn new(exit: Exit, message: impl Into<String>) -> Self {
        Self {
            exit,
            message: message.into(),
        }
    }

    /// Exit 2: bad usage, or an input that cannot be read.
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self::new(Exit::Usage, message)
    }

    /// The same failure, its message prefixed with what was being done (`--files-from: ...`).
    pub(crate) fn context(self, what: &str) -> Self {
        Self {
            exit: self.exit,
            message: format!("{what}: {}", self.message),
        }
    }
}

/// An I/O error with nothing more to say (writing to stdout or stderr failed): exit 2, with
/// its own text.
impl From<std::io::Error> for Failure {
    fn from(error: std::io::Error) -> Self {
        Self::usage(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_documented_ones() {
        let codes = [
            Exit::Success,
            Exit::Failed,
            Exit::Usage,
            Exit::Refused,
            Exit::Conflict,
            Exit::Auth,
            Exit::Rejected,
            Exit::Unavailable,
            Exit::NotServed,
        ]
        .map(|exit| exit as u8);
        assert_eq!(codes, [0, 1, 2, 3, 4, 5, 6, 7, 8]);
    }

    #[test]
    fn context_prefixes_the_message_and_keeps_the_code() {
        let failure = Failure::new(Exit::Rejected, "cannot read x").context("--files-from");
        assert_eq!(failure.exit, Exit::Rejected);
        assert_eq!(failure.message, "--files-from: cannot read x");
    }
}
