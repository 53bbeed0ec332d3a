//! `render --output-file` against what may already be at the path: a regular file is replaced
//! atomically (through a symlink, which stays a link), a device or a FIFO is written to as it
//! is, and nothing at the path is ever replaced by something of another type. Write errors
//! (ENOSPC from a full device) name the path and exit 2.
//!
//! Devices are made with `mknod` in a temporary directory where the tests may (as root): a test
//! must never risk the machine's own `/dev/null`. Elsewhere the real `/dev/null` and `/dev/full`
//! are used, which a user who is not root cannot replace.

use std::fs;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::support::{Run, run, settings, statusctl};

const RENDER: [&str; 8] = [
    "render",
    "--repo",
    "production-apps",
    "--server",
    "prod-cluster-01",
    "--sync-status",
    "Synced",
    "--last-check=2026-04-21T12:30:00Z",
];

/// The document the flags above render.
fn rendered() -> String {
    let dir = tempfile::tempdir().unwrap();
    let r = run(statusctl(dir.path()).args(RENDER));
    assert_eq!(r.code, 0, "{}", r.transcript());
    r.stdout
}

fn render_to(dir: &Path, path: &Path) -> Run {
    run(statusctl(dir).args(RENDER).arg("--output-file").arg(path))
}

/// The names in `dir`, sorted: nothing but what the test made may be left behind.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A character device `major:minor` named `name` in `dir`, or the machine's own `fallback` when
/// this user cannot make device nodes and cannot replace the machine's either. `None` when
/// neither is safe (root without `mknod`).
fn device(dir: &Path, name: &str, (major, minor): (u32, u32), fallback: &str) -> Option<PathBuf> {
    let path = dir.join(name);
    let made = std::process::Command::new("mknod")
        .args(["-m", "666"])
        .arg(&path)
        .args(["c", &major.to_string(), &minor.to_string()])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if made {
        return Some(path);
    }
    let probe = dir.join(".uid-probe");
    fs::write(&probe, "").unwrap();
    let root = std::os::unix::fs::MetadataExt::uid(&fs::metadata(&probe).unwrap()) == 0;
    fs::remove_file(&probe).unwrap();
    (!root).then(|| PathBuf::from(fallback))
}

fn is_char_device(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_char_device())
}

#[test]
fn a_symlink_stays_a_link_to_the_rewritten_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::create_dir(d.join("shared")).unwrap();
    fs::write(d.join("shared/status.json"), "old").unwrap();
    std::os::unix::fs::symlink("shared/status.json", d.join("link.json")).unwrap();

    let r = render_to(d, Path::new("link.json"));
    assert_eq!((r.code, r.stdout.as_str(), r.stderr.as_str()), (0, "", ""));
    assert!(
        fs::symlink_metadata(d.join("link.json"))
            .unwrap()
            .is_symlink()
    );
    assert_eq!(
        fs::read_link(d.join("link.json")).unwrap(),
        Path::new("shared/status.json")
    );
    assert_eq!(
        fs::read_to_string(d.join("shared/status.json")).unwrap(),
        rendered()
    );
    assert_eq!(names(d), ["link.json", "shared"]);
    assert_eq!(names(&d.join("shared")), ["status.json"]);

    // A link to a file that does not exist yet: the file is created, the link kept.
    std::os::unix::fs::symlink("shared/new.json", d.join("dangling.json")).unwrap();
    let r = render_to(d, Path::new("dangling.json"));
    assert_eq!(r.code, 0, "{}", r.transcript());
    assert!(
        fs::symlink_metadata(d.join("dangling.json"))
            .unwrap()
            .is_symlink()
    );
    assert_eq!(
        fs::read_to_string(d.join("shared/new.json")).unwrap(),
        rendered()
    );
}

#[test]
fn a_replaced_file_keeps_its_permissions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("status.json");
    fs::write(&path, "old").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    let r = render_to(dir.path(), &path);
    assert_eq!(r.code, 0, "{}", r.transcript());
    assert_eq!(fs::read_to_string(&path).unwrap(), rendered());
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn a_fifo_is_written_to_and_stays_a_fifo() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("status.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    // The reader, as a shell's `>(cat)` or a log pipe would be: a process, so that it can be
    // stopped when nothing ever writes to the FIFO (when it was replaced by a file instead).
    let mut reader = std::process::Command::new("cat")
        .arg(&fifo)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let r = render_to(dir.path(), &fifo);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while reader.try_wait().unwrap().is_none() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _ = reader.kill();
    let read = reader.wait_with_output().unwrap();
    assert_eq!((r.code, r.stdout.as_str(), r.stderr.as_str()), (0, "", ""));
    assert_eq!(String::from_utf8_lossy(&read.stdout), rendered());
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    assert_eq!(names(dir.path()), ["status.fifo"]);
}

#[test]
fn a_null_device_stays_a_device() {
    let dir = tempfile::tempdir().unwrap();
    let Some(null) = device(dir.path(), "null", (1, 3), "/dev/null") else {
        eprintln!("skipped: root without mknod, and the machine's /dev/null must not be risked");
        return;
    };
    let r = render_to(dir.path(), &null);
    assert_eq!((r.code, r.stdout.as_str(), r.stderr.as_str()), (0, "", ""));
    assert!(
        is_char_device(&null),
        "{} is no longer a device",
        null.display()
    );
    // Through a symlink too.
    let link = dir.path().join("null.json");
    std::os::unix::fs::symlink(&null, &link).unwrap();
    let r = render_to(dir.path(), &link);
    assert_eq!(r.code, 0, "{}", r.transcript());
    assert!(is_char_device(&null));
    assert!(fs::symlink_metadata(&link).unwrap().is_symlink());
}

#[test]
fn a_full_device_is_an_error_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let Some(full) = device(dir.path(), "full", (1, 7), "/dev/full") else {
        eprintln!("skipped: root without mknod, and the machine's /dev/full must not be risked");
        return;
    };
    let r = render_to(dir.path(), Path::new(full.file_name().unwrap()));
    assert_eq!(r.code, 2, "{}", r.transcript());
    assert!(
        is_char_device(&full),
        "{} is no longer a device",
        full.display()
    );
    let mut settings = settings();
    settings.add_filter("/dev/full", "full");
    settings.bind(|| insta::assert_snapshot!("render_output_file_full_device", r.transcript()));
}

#[test]
fn what_cannot_hold_a_document_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::create_dir(d.join("status.json")).unwrap();
    let socket = std::os::unix::net::UnixListener::bind(d.join("status.sock")).unwrap();
    let mut transcript = String::new();
    for name in ["status.json", "status.sock"] {
        let r = render_to(d, Path::new(name));
        assert_eq!(r.code, 2, "{}", r.transcript());
        transcript.push_str(&format!(
            "$ render --output-file {name}\n{}\n",
            r.transcript()
        ));
    }
    assert!(fs::metadata(d.join("status.json")).unwrap().is_dir());
    assert!(
        fs::symlink_metadata(d.join("status.sock"))
            .unwrap()
            .file_type()
            .is_socket()
    );
    assert_eq!(names(d), ["status.json", "status.sock"]);
    drop(socket);
    settings().bind(|| insta::assert_snapshot!("render_output_file_refused", transcript));
}
