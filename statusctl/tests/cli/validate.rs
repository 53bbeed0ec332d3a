//! `statusctl validate`: output in each format, exit codes, and bad input of every kind.

use std::fs;

use proptest::prelude::Strategy;
use serde_json::Value;

use crate::support::{checked, fixtures, run, settings, statusctl};

const FORMATS: [&str; 3] = ["human", "json", "github"];

#[test]
fn several_files_are_each_reported_in_every_format() {
    for format in FORMATS {
        let r = run(statusctl(&fixtures()).args([
            "validate",
            "--format",
            format,
            "valid.json",
            "warnings.json",
            "invalid.json",
            "syntax.json",
        ]));
        assert_eq!(r.code, 1, "{}", r.transcript());
        settings()
            .bind(|| insta::assert_snapshot!(format!("validate_several_{format}"), r.transcript()));
    }
}

#[test]
fn one_valid_file_is_reported_valid_and_exits_0() {
    let r = run(statusctl(&fixtures()).args(["validate", "valid.json"]));
    assert_eq!(r.code, 0);
    assert_eq!(r.stdout, "valid.json: valid\n");
    assert_eq!(r.stderr, "");
    // Quiet on success in the github format: no annotation without a finding.
    let r = run(statusctl(&fixtures()).args(["validate", "--format", "github", "valid.json"]));
    assert_eq!((r.code, r.stdout.as_str(), r.stderr.as_str()), (0, "", ""));
}

#[test]
fn warnings_pass_unless_strict() {
    let r = run(statusctl(&fixtures()).args(["validate", "warnings.json"]));
    assert_eq!(r.code, 0, "{}", r.transcript());
    assert!(
        r.stdout.ends_with("warnings.json: valid (4 warnings)\n"),
        "{}",
        r.stdout
    );

    for format in FORMATS {
        let r = run(statusctl(&fixtures()).args([
            "validate",
            "--strict",
            "--format",
            format,
            "valid.json",
            "warnings.json",
        ]));
        assert_eq!(r.code, 1, "{}", r.transcript());
        settings()
            .bind(|| insta::assert_snapshot!(format!("validate_strict_{format}"), r.transcript()));
    }
}

#[test]
fn json_format_is_one_stable_object() {
    let r = run(statusctl(&fixtures()).args([
        "validate",
        "--format",
        "json",
        "warnings.json",
        "invalid.json",
        "missing.json",
    ]));
    assert_eq!(r.code, 2);
    let v: Value = serde_json::from_str(&r.stdout).expect("stdout is one JSON document");
    assert_eq!(v["valid"], false);
    assert_eq!(v["summary"]["files"], 3);
    assert_eq!(v["summary"]["unreadable"], 1);
    let files = v["files"].as_array().unwrap();
    assert_eq!(files[0]["valid"], true);
    assert_eq!(files[1]["valid"], false);
    assert!(files[2]["error"].as_str().unwrap().contains("missing.json"));
    for finding in files.iter().flat_map(|f| f["findings"].as_array().unwrap()) {
        let keys: Vec<&str> = finding
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "code", "name", "severity", "fails", "path", "message", "line", "column"
            ]
        );
    }
}

/// A missing file beats an invalid one: every file is still reported, and the exit code is 2.
#[test]
fn unreadable_files_exit_2_after_reporting_the_others() {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(
        fixtures().join("invalid.json"),
        dir.path().join("invalid.json"),
    )
    .unwrap();
    fs::create_dir(dir.path().join("statuses")).unwrap();
    for format in FORMATS {
        let r = run(statusctl(dir.path()).args([
            "validate",
            "--format",
            format,
            "missing.json",
            "invalid.json",
            "statuses",
        ]));
        assert_eq!(r.code, 2, "{}", r.transcript());
        settings().bind(|| {
            insta::assert_snapshot!(format!("validate_unreadable_{format}"), r.transcript())
        });
    }
}

/// Every kind of bad input: a clear message, the documented exit code, and no panic.
#[test]
fn bad_inputs_get_clear_messages_and_documented_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("empty.json"), "").unwrap();
    fs::write(d.join("blank.json"), " \n\t\n").unwrap();
    fs::write(d.join("latin1.json"), b"{\"repo\": \"M\xfcnchen\"}").unwrap();
    fs::write(d.join("bom.json"), b"\xef\xbb\xbf{}").unwrap();
    fs::write(d.join("array.json"), "[1, 2]").unwrap();
    fs::write(
        d.join("deep.json"),
        "[".repeat(10_000) + &"]".repeat(10_000),
    )
    .unwrap();
    let deep_object = "{\"a\":".repeat(10_000) + "1" + &"}".repeat(10_000);
    fs::write(d.join("deep-object.json"), deep_object).unwrap();
    // 10 MiB: read whole, reported too large with its true size (a finding, exit 1).
    let big = format!("{{\"repo\": \"{}\"}}", "x".repeat(10 * 1024 * 1024));
    fs::write(d.join("10mib.json"), big).unwrap();
    // Larger than what statusctl reads at all (16 MiB): an input error, exit 2, with its true
    // size (a sparse 200 MB file: refused before any of it is read).
    fs::write(d.join("20mib.json"), vec![b' '; 20 * 1024 * 1024]).unwrap();
    fs::File::create(d.join("200mb.json"))
        .unwrap()
        .set_len(200_000_000)
        .unwrap();

    let mut transcript = String::new();
    for (file, expected) in [
        ("empty.json", 1),
        ("blank.json", 1),
        ("latin1.json", 1),
        ("bom.json", 1),
        ("array.json", 1),
        ("deep.json", 1),
        ("deep-object.json", 1),
        ("10mib.json", 1),
        ("20mib.json", 2),
        ("200mb.json", 2),
        ("no-such-file.json", 2),
        (".", 2),
    ] {
        let r = run(statusctl(d).args(["validate", file]));
        assert_eq!(r.code, expected, "{file}: {}", r.transcript());
        transcript.push_str(&format!(
            "$ statusctl validate {file}\n{}\n",
            r.transcript()
        ));
    }
    settings().bind(|| insta::assert_snapshot!("validate_bad_inputs", transcript));
}

#[test]
fn stdin_is_read_with_dash() {
    let valid = fs::read(fixtures().join("valid.json")).unwrap();
    let r = run(statusctl(&fixtures())
        .args(["validate", "-"])
        .write_stdin(valid));
    assert_eq!((r.code, r.stdout.as_str()), (0, "<stdin>: valid\n"));

    let r = run(statusctl(&fixtures())
        .args(["validate", "--format", "github", "-"])
        .write_stdin("{}"));
    assert_eq!(r.code, 1);
    assert!(
        r.stdout
            .starts_with("::error file=<stdin>,line=1,col=1,title=E005 missing-field at $.repo::"),
        "{}",
        r.stdout
    );

    // Blank stdin (something was written, and it is no document) is an empty document.
    let r = run(statusctl(&fixtures())
        .args(["validate", "-"])
        .write_stdin(" \n"));
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains("<stdin>: error[empty-document]"),
        "{}",
        r.stdout
    );
}

/// Not one byte on standard input, whatever it is (an empty pipe, `</dev/null`, a closed
/// descriptor, which the Rust runtime reopens on /dev/null before statusctl runs), is an I/O
/// problem, exit 2: `-` promised a document, and nothing was written (the command before the
/// pipe failed, or nothing was connected). Not a hang, not exit 1 `empty-document`.
#[test]
fn nothing_at_all_on_stdin_is_exit_2() {
    let bin = assert_cmd::cargo::cargo_bin("statusctl");
    let empty_pipe = run(statusctl(&fixtures())
        .args(["validate", "-"])
        .write_stdin(""));
    let dev_null = checked(
        std::process::Command::new(&bin)
            .env_clear()
            .args(["validate", "-"])
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap(),
    );
    let closed = checked(
        std::process::Command::new("sh")
            .env_clear()
            .args(["-c", r#"exec "$0" validate - <&-"#])
            .arg(&bin)
            .output()
            .unwrap(),
    );
    let github = run(statusctl(&fixtures())
        .args(["validate", "--format", "github", "-"])
        .write_stdin(""));
    for (what, r) in [
        ("an empty pipe", &empty_pipe),
        ("/dev/null", &dev_null),
        ("a closed stdin", &closed),
    ] {
        assert_eq!(r.code, 2, "{what}: {}", r.transcript());
        assert_eq!(r.stdout, "", "{what}");
        assert_eq!(
            r.stderr,
            "statusctl: error: cannot read standard input: it is empty: nothing was written to it (closed, /dev/null, or the command before the pipe wrote nothing)\n",
            "{what}"
        );
    }
    assert_eq!(github.code, 2);
    assert!(
        github
            .stdout
            .starts_with("::error file=<stdin>,title=statusctl%3A cannot read file::"),
        "{}",
        github.stdout
    );
}

#[test]
fn unreadable_stdin_exits_2() {
    // Reading a directory fails with EISDIR: a real, unreadable standard input.
    let dir = fs::File::open(fixtures()).unwrap();
    let out = checked(
        std::process::Command::new(assert_cmd::cargo::cargo_bin("statusctl"))
            .env_clear()
            .args(["validate", "-"])
            .stdin(dir)
            .output()
            .unwrap(),
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "statusctl: error: cannot read standard input: Is a directory (os error 21)\n"
    );
}

#[test]
fn usage_errors_exit_2() {
    let mut transcript = String::new();
    for args in [
        &["validate"][..],
        &["validate", "-", "-"],
        &["validate", "--format", "xml", "valid.json"],
    ] {
        let r = run(statusctl(&fixtures()).args(args));
        assert_eq!(r.code, 2, "{args:?}: {}", r.transcript());
        assert_eq!(r.stdout, "");
        transcript.push_str(&format!(
            "$ statusctl {}\n{}\n",
            args.join(" "),
            r.transcript()
        ));
    }
    settings().bind(|| insta::assert_snapshot!("validate_usage_errors", transcript));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

    /// Random bytes and mangled documents on stdin: never a panic, always exit 0 or 1 with a
    /// verdict line, and every other stdout line a finding about `<stdin>`.
    #[test]
    fn random_input_never_panics(
        bytes in proptest::prop_oneof![
            proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512),
            // A valid document with a few bytes overwritten: closer to real mistakes.
            (proptest::collection::vec((0usize..300, proptest::prelude::any::<u8>()), 1..4)).prop_map(|edits| {
                let mut doc = fs::read(fixtures().join("valid.json")).unwrap();
                for (at, byte) in edits {
                    let at = at % doc.len();
                    doc[at] = byte;
                }
                doc
            }),
        ],
        format in proptest::sample::select(&FORMATS[..]),
    ) {
        let r = run(statusctl(&fixtures()).args(["validate", "--format", format, "-"]).write_stdin(bytes));
        proptest::prop_assert!(r.code == 0 || r.code == 1, "{}", r.transcript());
        proptest::prop_assert_eq!(&r.stderr, "");
        match format {
            "human" => {
                let last = r.stdout.lines().last().unwrap_or_default();
                proptest::prop_assert!(last.starts_with("<stdin>: valid") || last.starts_with("<stdin>: invalid"), "{}", r.stdout);
                proptest::prop_assert!(r.stdout.lines().all(|l| l.starts_with("<stdin>")), "{}", r.stdout);
            }
            "json" => {
                let v: Value = serde_json::from_str(&r.stdout).unwrap();
                proptest::prop_assert_eq!(v["valid"] == true, r.code == 0);
            }
            _ => proptest::prop_assert!(r.stdout.lines().all(|l| l.starts_with("::error file=<stdin>") || l.starts_with("::warning file=<stdin>")), "{}", r.stdout),
        }
    }
}

/// A reader that stops early (`| head -1`) is no error: no message, and the exit code still says
/// the document is invalid.
#[test]
fn a_closed_stdout_keeps_the_exit_code() {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("statusctl"))
        .env_clear()
        .current_dir(fixtures())
        .args(["validate", "invalid.json", "warnings.json", "valid.json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Close the read end before statusctl (most likely) writes: its writes then fail with EPIPE.
    drop(child.stdout.take());
    let out = checked(child.wait_with_output().unwrap());
    assert_eq!(out.code, 1);
    assert_eq!(out.stderr, "");
}

/// A closed standard error (`2>&1 | head -0`, a log collector gone) is no panic either: the
/// error cannot be told, and the exit code still says what happened.
#[test]
fn a_closed_stderr_keeps_the_exit_code() {
    for args in [
        &["validate", "missing.json"][..],
        &[
            "render",
            "--repo",
            "",
            "--server",
            "s",
            "--sync-status",
            "Synced",
        ],
        &["check", "--url", "http://127.0.0.1:9/", "--timeout", "1s"],
    ] {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("statusctl"))
            .env_clear()
            .current_dir(fixtures())
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stderr.take());
        let status = child.wait().unwrap();
        let code = status.code().expect("exited, not killed by a signal");
        assert_ne!(code, 101, "{args:?} panicked");
        assert!(code == 1 || code == 2, "{args:?}: exit {code}");
    }
}
