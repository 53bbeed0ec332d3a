//! What both statusctl test binaries (`cli`, `kube`) need to run real programs: a run's exit
//! code and output as snapshot-friendly text. Included by each with
//! `#[path = "../common/process.rs"] mod process;`. (The official kubectl is found by
//! `fake_apiserver::tools`, as for every test of the workspace.)
//!
//! statusctl promises no panic and no backtrace, whatever it is given: every run of it in the
//! tests goes through [`run`] or [`checked`], which fail the test when it broke that promise.

use std::process::Output;

use assert_cmd::Command;

/// What a run did: the exit code and both streams.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    /// The run as text for a snapshot: exit code, then stdout, then stderr.
    pub(crate) fn transcript(&self) -> String {
        format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs `cmd` to completion; a signal or a panic fails the test (a panic exits 101).
pub(crate) fn run(cmd: &mut Command) -> Run {
    checked(cmd.output().expect("the command runs"))
}

/// What a statusctl process that was started some other way (`std::process::Command`, a
/// spawned child) did, checked like [`run`]: it exited by itself, did not panic, and printed no
/// backtrace hint.
pub(crate) fn checked(output: Output) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = output;
    let code = status.code().expect("exited, not killed by a signal");
    let stderr = String::from_utf8_lossy(&stderr).into_owned();
    assert_ne!(code, 101, "panicked:\n{stderr}");
    assert!(!stderr.contains("panicked"), "panicked:\n{stderr}");
    assert!(!stderr.contains("RUST_BACKTRACE"), "{stderr}");
    assert!(!stderr.contains("stack backtrace"), "{stderr}");
    Run {
        code,
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr,
    }
}
