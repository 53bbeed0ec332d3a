//! The multi-call binary run through symbolic links, as the image runs it: each name prints
//! its own `--version` and `--help`, and runs its own program; any other name is a usage
//! error.

#![cfg(unix)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// A symbolic link named `name` to the multi-call binary, in `dir`.
fn link(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_gitops-status"), &path).unwrap();
    path
}

fn run(path: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(path).env_clear().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn each_name_prints_its_own_version_and_help() {
    let dir = tempfile::tempdir().unwrap();
    let version = env!("CARGO_PKG_VERSION");
    for name in ["status-server", "statusctl"] {
        let path = link(dir.path(), name);
        let (code, stdout, _) = run(&path, &["--version"]);
        assert_eq!(code, 0, "{name} --version");
        assert_eq!(stdout, format!("{name} {version}\n"));

        let (code, stdout, _) = run(&path, &["--help"]);
        assert_eq!(code, 0, "{name} --help");
        assert!(stdout.contains(&format!("Usage: {name} ")), "{stdout}");
        assert!(!stdout.contains("Usage: gitops-status"), "{stdout}");
    }
}

#[test]
fn each_name_runs_its_own_program() {
    let dir = tempfile::tempdir().unwrap();
    // statusctl: a subcommand only it has, with its own exit code for an invalid document.
    let statusctl = link(dir.path(), "statusctl");
    let (code, stdout, _) = run(&statusctl, &["schema"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("\"$schema\""), "{stdout}");
    let invalid = dir.path().join("invalid.json");
    std::fs::write(&invalid, "{}").unwrap();
    let (code, _, _) = run(&statusctl, &["validate", invalid.to_str().unwrap()]);
    assert_eq!(code, 1, "statusctl validate of an invalid document");

    // status-server: its own usage error (nothing to serve) and its own start-up failure.
    let server = link(dir.path(), "status-server");
    let (code, _, stderr) = run(&server, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("Usage: status-server"), "{stderr}");
    let missing = dir.path().join("missing.json");
    let (code, _, stderr) = run(&server, &["--file", missing.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("Error: --file"), "{stderr}");
}

#[test]
fn any_other_name_prints_the_names_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    for path in [
        PathBuf::from(env!("CARGO_BIN_EXE_gitops-status")),
        link(dir.path(), "kubectl"),
    ] {
        for args in [&[][..], &["--help"], &["statusctl", "--version"]] {
            let (code, stdout, stderr) = run(&path, args);
            assert_eq!(code, 2, "{} {args:?}", path.display());
            assert_eq!(stdout, "");
            assert!(stderr.contains("a multi-call binary"), "{stderr}");
            assert!(stderr.contains("  status-server "), "{stderr}");
            assert!(stderr.contains("  statusctl "), "{stderr}");
        }
    }
}
