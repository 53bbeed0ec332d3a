//! What both statusctl test binaries (`cli`, `kube`) need to run real programs: the official
//! kubectl, and a run's exit code and output as snapshot-friendly text. Included by each with
//! `#[path = "../common/process.rs"] mod process;`.

use std::path::{Path, PathBuf};
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
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("the command runs");
    let code = status.code().expect("exited, not killed by a signal");
    let stderr = String::from_utf8_lossy(&stderr).into_owned();
    assert_ne!(code, 101, "panicked:\n{stderr}");
    assert!(!stderr.contains("panicked"), "panicked:\n{stderr}");
    assert!(!stderr.contains("RUST_BACKTRACE"), "{stderr}");
    Run {
        code,
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr,
    }
}

/// The official kubectl that `cargo xtask tools` installs (never the `kubectl` on PATH, which
/// may be a wrapper). A missing tool fails the test: it must not pass without checking.
pub(crate) fn kubectl() -> PathBuf {
    let path = match std::env::var_os("GITOPS_STATUS_TOOLS") {
        Some(dir) => PathBuf::from(dir).join("kubectl"),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/tools/bin/kubectl"),
    };
    assert!(
        path.is_file(),
        "kubectl not found at {}: run `cargo xtask tools` (or set GITOPS_STATUS_TOOLS)",
        path.display()
    );
    path
}
