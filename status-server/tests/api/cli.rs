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

/// A path given as a flag is printed escaped: it cannot start a line of its own.
#[test]
fn a_missing_file_is_named_escaped() {
    let (code, stderr) = status_server(&[
        "--file",
        "/nonexistent/x\nINJECTED.json",
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(r"--file /nonexistent/x\nINJECTED.json: no such file"),
        "{stderr}"
    );
    assert!(
        !stderr.lines().any(|l| l.starts_with("INJECTED")),
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

/// `STATUS_SERVER_DIR` takes several directories, comma-separated, later ones winning.
#[tokio::test]
async fn status_server_dir_is_comma_separated_and_later_wins() {
    use crate::helpers::{client, doc, write};

    let low = tempfile::tempdir().unwrap();
    let high = tempfile::tempdir().unwrap();
    write(&low.path().join("status.json"), &doc("low", 0));
    write(&low.path().join("only-low.json"), &doc("only-low", 0));
    write(&high.path().join("status.json"), &doc("high", 0));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_status-server"))
        .env_clear()
        .env(
            "STATUS_SERVER_DIR",
            format!("{},{}", low.path().display(), high.path().display()),
        )
        .env("STATUS_SERVER_LISTEN", format!("127.0.0.1:{port}"))
        .env("STATUS_SERVER_WORKERS", "1")
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start status-server");
    let client = client();
    let url = |path: &str| format!("http://127.0.0.1:{port}{path}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let body = loop {
        match client.get(url("/status.json")).send().await {
            Ok(response) => break response.text().await.unwrap(),
            Err(e) => {
                assert!(std::time::Instant::now() < deadline, "never served: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    };
    let only_low = client
        .get(url("/status/only-low.json"))
        .send()
        .await
        .unwrap();
    let only_low = (only_low.status().as_u16(), only_low.text().await.unwrap());
    drop(child.kill());
    drop(child.wait());
    assert_eq!(body, doc("high", 0));
    assert_eq!(only_low, (200, doc("only-low", 0)));
}

/// `--help` is for a terminal: no rustdoc code block, no Markdown fences.
#[test]
fn help_is_for_a_terminal() {
    let output = Command::new(env!("CARGO_BIN_EXE_status-server"))
        .env_clear()
        .arg("--help")
        .output()
        .expect("run status-server");
    assert_eq!(output.status.code(), Some(0));
    let help = String::from_utf8(output.stdout).unwrap();
    assert!(!help.contains("```"), "{help}");
    // clap indents the blank line between a flag's text and its variable.
    let help: Vec<&str> = help.lines().map(str::trim_end).collect();
    insta::assert_snapshot!(help.join("\n"));
}

/// Durations that make no sense for a flag are usage errors naming it.
#[test]
fn absurd_durations_exit_2_naming_the_flag() {
    for (flag, value) in [
        ("--rescan-interval", "0s"),
        ("--rescan-interval", "18446744073709551615s"),
        ("--stale-after", "0"),
        ("--stale-after", "18446744073709551615s"),
    ] {
        let (code, stderr) = status_server(&["--file", "x.json", flag, value]);
        assert_eq!(code, 2, "{flag} {value}: {stderr}");
        assert!(stderr.contains(flag), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}
