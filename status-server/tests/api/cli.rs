//! The binary's exit codes and messages for bad invocations.

use std::process::Command;

fn status_server(args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_status-server"))
        .env_clear()
        .args(args)
        .output()
        .expect("run status-server");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn usage_errors_exit_2() {
    let (code, stderr) = status_server(&[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--file <PATH>|--dir <DIR>"), "{stderr}");

    let (code, stderr) = status_server(&["--file", "x.json", "--stale-after", "soon"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("`soon` is not a duration"), "{stderr}");
}

#[test]
fn a_missing_file_exits_1_naming_it() {
    let (code, stderr) = status_server(&[
        "--file",
        "/nonexistent/status.json",
        "--listen",
        "127.0.0.1:0",
        "--log-format",
        "json",
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("--file /nonexistent/status.json: no such file"),
        "{stderr}"
    );
}

#[test]
fn env_variables_configure_it() {
    // STATUS_SERVER_FILE alone is enough to satisfy "--file or --dir".
    let output = Command::new(env!("CARGO_BIN_EXE_status-server"))
        .env_clear()
        .env("STATUS_SERVER_FILE", "/nonexistent/from-env.json")
        .env("STATUS_SERVER_LISTEN", "127.0.0.1:0")
        .output()
        .expect("run status-server");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("--file /nonexistent/from-env.json: no such file"),
        "{stderr}"
    );
}
