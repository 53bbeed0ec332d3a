//! Where the real tools the tests drive are: the official kubectl, Helm 3 and Helm 4 (and
//! `kubernetes-validate`) that `cargo xtask tools` installs. Every test that runs one finds it
//! here, so they all agree: `$GITOPS_STATUS_TOOLS/<name>`, else `$CARGO_TARGET_DIR/tools/bin`
//! (where `cargo xtask tools` installs when it is set), else `<workspace>/target/tools/bin`.
//!
//! Never a tool from `PATH`, which may be another version or a wrapper. A missing tool fails
//! loudly: a test must never pass without the tool it checks against. No dependencies, so
//! `cargo xtask` can use this without building the server.

use std::fmt;
use std::path::{Path, PathBuf};

/// The environment variable naming the directory of the tools.
pub const TOOLS_ENV: &str = "GITOPS_STATUS_TOOLS";

/// A tool that is not where the tests look for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// Where it was looked for.
    pub path: PathBuf,
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} not found: run `cargo xtask tools` (or set {TOOLS_ENV})",
            self.path.display()
        )
    }
}

impl std::error::Error for Missing {}

/// The directory the tools are looked for in.
pub fn dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(TOOLS_ENV) {
        return PathBuf::from(dir);
    }
    // This crate sits at the top of the workspace.
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(|t| workspace.join(t))
        .unwrap_or_else(|| workspace.join("target"));
    target.join("tools").join("bin")
}

/// The tool `name` (`kubectl`, `helm3`, `helm4`, `kubernetes-validate`), or where it is missing.
pub fn find(name: &str) -> Result<PathBuf, Missing> {
    let path = dir().join(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(Missing { path })
    }
}

/// The tool `name`, for a test.
///
/// # Panics
///
/// When the tool is missing, with a message saying how to install it: the test fails rather
/// than passing unchecked.
pub fn tool(name: &str) -> PathBuf {
    find(name).unwrap_or_else(|missing| panic!("{missing}"))
}

/// The official kubectl (1.35), for a test. Panics when missing, as [`tool`] does.
pub fn kubectl() -> PathBuf {
    tool("kubectl")
}

/// The official Helm 3, for a test. Panics when missing, as [`tool`] does.
pub fn helm3() -> PathBuf {
    tool("helm3")
}

/// The official Helm 4, for a test. Panics when missing, as [`tool`] does.
pub fn helm4() -> PathBuf {
    tool("helm4")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_tool_says_how_to_install_it() {
        let missing = find("no-such-tool").unwrap_err();
        assert!(missing.path.ends_with("no-such-tool"));
        assert!(
            missing
                .to_string()
                .ends_with("not found: run `cargo xtask tools` (or set GITOPS_STATUS_TOOLS)"),
            "{missing}"
        );
        let panic = std::panic::catch_unwind(|| tool("no-such-tool")).unwrap_err();
        let message = panic.downcast_ref::<String>().unwrap();
        assert!(message.contains("run `cargo xtask tools`"), "{message}");
    }
}
