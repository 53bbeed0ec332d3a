//! The store against real directories: precedence, fallbacks, unlistable directories,
//! dangling links, files that are not regular files, and kubelet generations.

use super::*;

const DOC: &str = r#"{"repo":"r","server":"s","sync_status":"SYNCED","drift_count":0,"files":[],"last_check":"2026-04-21T12:30:00Z"}"#;

#[test]
fn later_dirs_win_and_hidden_entries_are_skipped() {
    let low = tempfile::tempdir().unwrap();
    let high = tempfile::tempdir().unwrap();
    std::fs::write(low.path().join("status.json"), DOC).unwrap();
    std::fs::write(low.path().join("other.json"), DOC).unwrap();
    std::fs::write(low.path().join("..hidden.json"), DOC).unwrap();
    std::fs::write(low.path().join("notes.txt"), DOC).unwrap();
    // Not a ConfigMap key, so no route could serve it: not listed either.
    std::fs::write(low.path().join("my status.json"), DOC).unwrap();
    let newer = DOC.replace("\"r\"", "\"r2\"");
    std::fs::write(high.path().join("status.json"), &newer).unwrap();
    let store = DocumentStore::new(vec![
        Source::Dir(low.path().into()),
        Source::Dir(high.path().into()),
    ]);
    let (snapshot, _) = store.scan(&FileLayer::empty());
    let snapshot = snapshot.unwrap();
    assert_eq!(
        snapshot.slots.keys().collect::<Vec<_>>(),
        ["other.json", "status.json"]
    );
    let served = snapshot.slots["status.json"].served.as_ref().unwrap();
    assert_eq!(served.content.bytes, newer.as_bytes());
    assert!(snapshot.slots.values().all(|s| s.served.is_some()));
    // A second scan with nothing changed reports no change.
    assert!(store.scan(&snapshot).0.is_none());
}

#[test]
fn invalid_latest_falls_back_to_an_earlier_valid_dir() {
    let low = tempfile::tempdir().unwrap();
    let high = tempfile::tempdir().unwrap();
    std::fs::write(low.path().join("status.json"), DOC).unwrap();
    std::fs::write(high.path().join("status.json"), "{").unwrap();
    let store = DocumentStore::new(vec![
        Source::Dir(low.path().into()),
        Source::Dir(high.path().into()),
    ]);
    let (snapshot, report) = store.scan(&FileLayer::empty());
    let snapshot = snapshot.unwrap();
    let slot = &snapshot.slots["status.json"];
    assert_eq!(slot.served.as_ref().unwrap().content.bytes, DOC.as_bytes());
    assert!(slot.error.is_some());
    assert_eq!(report.rejected.len(), 1);
    // The same bad bytes are not reported again.
    let (again, report) = store.scan(&snapshot);
    assert!(again.is_none());
    assert!(report.rejected.is_empty());
}

/// Turns a directory into something that cannot be listed (a file: listing fails with
/// "not a directory", which works as root too, unlike permissions).
fn make_unlistable(dir: &Path) {
    std::fs::remove_dir_all(dir).unwrap();
    std::fs::write(dir, "not a directory").unwrap();
}

fn served(snapshot: &FileLayer, key: &str) -> Option<String> {
    let slot = snapshot.slots.get(key)?;
    let entry = slot.served.as_ref()?;
    Some(String::from_utf8(entry.content.bytes.to_vec()).unwrap())
}

#[test]
fn an_unlistable_dir_keeps_only_its_own_keys_at_its_precedence() {
    let root = tempfile::tempdir().unwrap();
    let low = root.path().join("low");
    let high = root.path().join("high");
    std::fs::create_dir(&low).unwrap();
    std::fs::create_dir(&high).unwrap();
    let doc = |repo: &str| DOC.replace("\"r\"", &format!("\"{repo}\""));
    std::fs::write(low.join("status.json"), doc("default")).unwrap();
    std::fs::write(low.join("other.json"), doc("other")).unwrap();
    std::fs::write(high.join("status.json"), doc("live")).unwrap();
    std::fs::write(high.join("live.json"), doc("live-only")).unwrap();
    let store = DocumentStore::new(vec![Source::Dir(low.clone()), Source::Dir(high.clone())]);
    let first = store.scan(&FileLayer::empty()).0.unwrap();
    assert_eq!(served(&first, "status.json"), Some(doc("live")));

    // The high directory cannot be listed; meanwhile a key is deleted from the low one.
    make_unlistable(&high);
    std::fs::remove_file(low.join("other.json")).unwrap();
    let second = store.scan(&first).0.unwrap();
    // The deletion in the readable directory is served...
    assert_eq!(served(&second, "other.json"), None);
    assert!(!second.slots.contains_key("other.json"));
    // ...the unlistable directory's keys stay, and still win over the low directory.
    assert_eq!(served(&second, "status.json"), Some(doc("live")));
    assert_eq!(served(&second, "live.json"), Some(doc("live-only")));
    // Still unlistable on the next scan: the same keys, nothing new.
    let third = store.scan(&second).0;
    let third = third.as_ref().unwrap_or(&second);
    assert_eq!(served(third, "status.json"), Some(doc("live")));
    assert_eq!(served(third, "live.json"), Some(doc("live-only")));
    assert!(!third.slots.contains_key("other.json"));

    // Listable again without live.json: it goes.
    std::fs::remove_file(&high).unwrap();
    std::fs::create_dir(&high).unwrap();
    std::fs::write(high.join("status.json"), doc("live")).unwrap();
    let fourth = store.scan(third).0.unwrap();
    assert_eq!(served(&fourth, "live.json"), None);
    assert_eq!(served(&fourth, "status.json"), Some(doc("live")));
    assert!(fourth.slots["status.json"].error.is_none());
}

#[test]
fn a_dangling_link_keeps_the_last_good_version_until_it_is_unlisted() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("status.json");
    std::fs::write(&key, DOC).unwrap();
    let store = DocumentStore::new(vec![Source::Dir(dir.path().into())]);
    let first = store.scan(&FileLayer::empty()).0.unwrap();
    assert!(first.is_ready());

    // The key becomes a link to nothing (a swap that never completes).
    std::fs::remove_file(&key).unwrap();
    std::os::unix::fs::symlink(dir.path().join("..data/status.json"), &key).unwrap();
    let (second, _) = store.scan(&first);
    let second = second.as_ref().unwrap_or(&first);
    assert!(second.is_ready(), "the last good version stays served");
    assert_eq!(served(second, "status.json").as_deref(), Some(DOC));
    // The link is remembered as dangling: later scans do not wait for it again.
    assert!(store.dangling().contains(&key));
    let (third, _) = store.scan(second);
    let third = third.as_ref().unwrap_or(second);
    assert!(third.is_ready());

    // Once the key is no longer listed, it goes.
    std::fs::remove_file(&key).unwrap();
    let fourth = store.scan(third).0.unwrap();
    assert!(!fourth.is_ready());
    assert!(!fourth.slots.contains_key("status.json"));
    assert!(store.dangling().is_empty());
}

/// Scans on another thread, so that a scan that blocks fails the test instead of hanging it.
fn scan_within(
    store: &Arc<DocumentStore>,
    previous: &FileLayer,
) -> (Option<FileLayer>, ScanReport) {
    let (tx, rx) = std::sync::mpsc::channel();
    let (store, previous) = (store.clone(), previous.clone());
    std::thread::spawn(move || drop(tx.send(store.scan(&previous))));
    rx.recv_timeout(Duration::from_secs(10))
        .expect("the scan returned (it must never block on what it reads)")
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

/// A FIFO (whose open would block until a writer came), a device (endless bytes), a symlink
/// loop: each is a version that cannot be read, refused without blocking, and the last good
/// version stays served, in a `--dir` as for `--file`.
#[test]
fn files_that_are_not_regular_files_are_refused_and_the_last_good_kept() {
    type Make = fn(&Path);
    let cases: [(&str, Make, &str); 3] = [
        ("a FIFO", mkfifo, "not a regular file (a FIFO)"),
        (
            "a device",
            |p| std::os::unix::fs::symlink("/dev/zero", p).unwrap(),
            "not a regular file (a character device)",
        ),
        (
            "a symlink loop",
            |p| std::os::unix::fs::symlink(p, p).unwrap(),
            "cannot read",
        ),
    ];
    for (what, make, message) in cases {
        for as_file in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let key = dir.path().join("status.json");
            std::fs::write(&key, DOC).unwrap();
            let source = if as_file {
                Source::File(key.clone())
            } else {
                Source::Dir(dir.path().into())
            };
            let store = Arc::new(DocumentStore::new(vec![source]));
            let first = scan_within(&store, &FileLayer::empty()).0.unwrap();
            assert!(first.is_ready());

            std::fs::remove_file(&key).unwrap();
            make(&key);
            let (second, report) = scan_within(&store, &first);
            let second = second.unwrap_or(first);
            let case = format!("{what} (--{})", if as_file { "file" } else { "dir" });
            assert_eq!(
                served(&second, "status.json").as_deref(),
                Some(DOC),
                "{case}"
            );
            let error = second.slots["status.json"].error.as_ref().expect(&case);
            assert!(error.message.contains(message), "{case}: {}", error.message);
            assert_eq!(report.rejected.len(), 1, "{case}: reported once");

            // A valid document in its place is served again.
            std::fs::remove_file(&key).unwrap();
            let newer = DOC.replace("\"r\"", "\"r2\"");
            std::fs::write(&key, &newer).unwrap();
            let third = scan_within(&store, &second).0.unwrap();
            assert_eq!(served(&third, "status.json"), Some(newer), "{case}");
        }
    }
}

#[test]
fn an_unreadable_key_is_reported_once_and_its_last_good_version_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("status.json");
    let now = SystemTime::now();
    // A key that vanished between listing and reading is gone, not an error.
    let candidate = Candidate {
        read: path.clone(),
        shown: path.clone(),
        generation: false,
    };
    assert!(matches!(load(&candidate, None), Loaded::Gone));
    // A directory where the file was cannot be read ("Is a directory", as root too).
    std::fs::create_dir(&path).unwrap();
    let Loaded::Invalid { error, fresh } = load(&candidate, None) else {
        panic!("an unreadable key is an error");
    };
    assert!(fresh, "a new error is logged and counted");
    assert!(
        error.message.starts_with("cannot read "),
        "{}",
        error.message
    );
    assert!(error.content.is_none() && error.findings.is_empty());
    let Loaded::Valid(good) = validate(&path, DOC.as_bytes().to_vec(), now) else {
        panic!("DOC is valid");
    };
    // Still unreadable at the next scan: the same error, not news.
    let slot = Slot {
        served: Some(good.clone()),
        error: Some(error.clone()),
    };
    let Loaded::Invalid {
        error: again,
        fresh,
    } = load(&candidate, Some(&slot))
    else {
        panic!("still unreadable");
    };
    assert!(!fresh, "an error already reported is not reported again");
    assert!(Arc::ptr_eq(&again, &error), "the first report is kept");
    // Unreadable after a rejected document (or after another read error): news.
    for earlier in [
        LoadError {
            content: Some(1),
            ..LoadError::clone_of(&error)
        },
        LoadError {
            message: "cannot read it: another reason".to_owned(),
            ..LoadError::clone_of(&error)
        },
    ] {
        let slot = Slot {
            served: Some(good.clone()),
            error: Some(Arc::new(earlier)),
        };
        let Loaded::Invalid {
            error: now_error,
            fresh,
        } = load(&candidate, Some(&slot))
        else {
            panic!("still unreadable");
        };
        assert!(fresh);
        assert!(now_error.content.is_none() && now_error.message == error.message);
    }
}

impl LoadError {
    fn clone_of(e: &LoadError) -> LoadError {
        LoadError {
            origin: e.origin.clone(),
            message: e.message.clone(),
            findings: e.findings.clone(),
            content: e.content,
        }
    }
}
