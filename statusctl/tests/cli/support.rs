//! Running the real `statusctl` binary and turning what it did into snapshot-friendly text.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The example documents the tests read, by relative name.
pub(crate) fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli/fixtures")
}

/// `statusctl` with an empty environment (no `KUBECONFIG`, no `RUST_BACKTRACE`, nothing the
/// developer's shell would leak in), run in `dir` so file names in its output are relative.
pub(crate) fn statusctl(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("statusctl").expect("the statusctl binary is built");
    cmd.env_clear().current_dir(dir);
    cmd
}

pub(crate) use crate::process::{Run, checked, run};

/// Snapshot settings shared by every test: temporary directories and timestamps are replaced
/// by placeholders so snapshots are the same on every machine and every day.
pub(crate) fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.add_filter(r"/tmp/\.tmp[A-Za-z0-9]+", "[TMP]");
    settings.add_filter(
        r"\(now is \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)",
        "(now is [NOW])",
    );
    settings
}
