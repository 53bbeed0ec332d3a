//! The `fake-apiserver` binary's `--commands`: writes from standard input, each answered once
//! stored (what `cargo xtask bench fleet` drives it with), and the end of the input stops it.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn commands_on_standard_input_write_objects_and_its_end_stops_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_fake-apiserver"))
        .arg("--commands")
        .arg("--kubeconfig")
        .arg(dir.path().join("kubeconfig"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let mut output = BufReader::new(child.stdout.take().unwrap());
    // Its URL first, as without --commands.
    let mut line = String::new();
    output.read_line(&mut line).unwrap();
    assert!(line.starts_with("https://127.0.0.1:"), "{line}");
    let mut answer = |input: &mut std::process::ChildStdin, command: &str| {
        writeln!(input, "{command}").unwrap();
        line.clear();
        output.read_line(&mut line).unwrap();
        line.trim_end().to_owned()
    };
    let app = |server: &str| {
        serde_json::json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": "guestbook", "namespace": "argocd"},
            "spec": {"project": "default", "destination": {"server": server},
                     "source": {"repoURL": "https://example.com/repo.git"}},
        })
    };
    let resource = "applications.argoproj.io";
    let created = answer(&mut input, &format!("create {resource} {}", app("a")));
    let replaced = answer(&mut input, &format!("replace {resource} {}", app("b")));
    let version = |answer: &str| -> u64 {
        answer
            .strip_prefix("ok ")
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("not stored: {answer}"))
    };
    assert!(version(&replaced) > version(&created));
    // The fake's own refusals come back as errors, one line each.
    let again = answer(&mut input, &format!("create {resource} {}", app("a")));
    assert!(
        again.starts_with("error ") && again.contains("already exists"),
        "{again}"
    );
    let unknown = answer(&mut input, "patch x y");
    assert_eq!(
        unknown,
        "error unknown command \"patch\" (create, replace, delete)"
    );
    let deleted = answer(&mut input, &format!("delete {resource} argocd guestbook"));
    assert!(deleted.starts_with("ok "), "{deleted}");
    let gone = answer(&mut input, &format!("delete {resource} argocd guestbook"));
    assert!(gone.contains("not found"), "{gone}");

    drop(input);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{status}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still running after its input ended"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
