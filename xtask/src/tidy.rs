//! Checks of the repository itself, in the style of rust-analyzer's `tidy.rs`: plain tests, so
//! `cargo test` enforces them, cheap enough to be always on.
//!
//! - Every Rust module under a crate's `src/` starts with a `//!` doc comment saying what it is
//!   for. Crates are found by walking the tree for `Cargo.toml` (not by reading the workspace's
//!   `members`), so a crate added later is checked without anyone remembering to list it.
//! - Tracked text files have no trailing whitespace and end with a newline.
//! - No debugging leftovers (`dbg!`, `todo!`, `unimplemented!`) in any crate's `src/`.
//! - No npm `node_modules/` content is tracked (the walk skips it too).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::project_root;

#[test]
fn every_module_starts_with_a_doc_comment() {
    let root = project_root();
    let mut missing = Vec::new();
    for file in crate_sources(&root) {
        let text = read_text(&file).unwrap_or_default();
        let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        if !first.starts_with("//!") {
            missing.push(relative(&root, &file));
        }
    }
    assert!(
        missing.is_empty(),
        "these modules do not start with a `//!` doc comment; add one at the top of each, \
         saying what the module is for (one line is enough to start):\n  {}",
        missing.join("\n  ")
    );
}

#[test]
fn no_debugging_leftovers_in_src() {
    // Spelled in pieces so this file does not match itself.
    let needles = [
        concat!("dbg", "!("),
        concat!("todo", "!("),
        concat!("unimplemented", "!("),
    ];
    let root = project_root();
    let mut found = Vec::new();
    for file in crate_sources(&root) {
        let text = read_text(&file).unwrap_or_default();
        for (number, line) in text.lines().enumerate() {
            for needle in needles {
                if line.contains(needle) {
                    found.push(format!(
                        "{}:{}: `{needle}...)`",
                        relative(&root, &file),
                        number + 1
                    ));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "debugging leftovers in src/; remove them (finish the code, or return an error):\n  {}",
        found.join("\n  ")
    );
}

#[test]
fn text_files_have_no_trailing_whitespace_and_end_with_a_newline() {
    let root = project_root();
    let mut problems = Vec::new();
    for file in tracked_files(&root) {
        // Snapshots hold program output verbatim, in insta's format: not ours to trim.
        if file.extension().is_some_and(|e| e == "snap") {
            continue;
        }
        // Fuzz inputs are bytes a fuzzer chose, text or not: kept exactly as they were.
        let name = relative(&root, &file);
        if name.starts_with("fuzz/corpus/")
            || (name.starts_with("fuzz/regressions/") && !name.ends_with(".md"))
        {
            continue;
        }
        // Binary files (and anything that is not UTF-8) are not text.
        let Some(text) = read_text(&file) else {
            continue;
        };
        for (number, line) in text.split('\n').enumerate() {
            if line.ends_with([' ', '\t', '\r']) {
                problems.push(format!(
                    "{name}:{}: trailing whitespace: remove it",
                    number + 1
                ));
            }
        }
        if !text.is_empty() && !text.ends_with('\n') {
            problems.push(format!("{name}: no newline at the end: add one"));
        }
    }
    assert!(
        problems.is_empty(),
        "text files that are not tidy:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn no_installed_npm_packages_are_committed() {
    let root = project_root();
    let committed: Vec<String> = tracked_files(&root)
        .iter()
        .map(|f| relative(&root, f))
        .filter(|name| name.split('/').any(|part| part == "node_modules"))
        .collect();
    assert!(
        committed.is_empty(),
        "npm's installed packages are committed; only package.json and package-lock.json \
         belong in the repository (`cargo xtask tools` installs the rest):\n  {}",
        committed.join("\n  ")
    );
}

/// Every `.rs` file under the `src/` of every crate in the tree (a directory with a
/// `Cargo.toml`), outside build output and hidden directories.
fn crate_sources(root: &Path) -> Vec<PathBuf> {
    let mut sources = Vec::new();
    for manifest in walk(root)
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n == "Cargo.toml"))
    {
        let Some(src) = manifest.parent().map(|dir| dir.join("src")) else {
            continue;
        };
        sources.extend(
            walk(&src)
                .into_iter()
                .filter(|p| p.extension().is_some_and(|e| e == "rs")),
        );
    }
    sources.sort();
    sources.dedup();
    assert!(
        sources.iter().any(|p| p.ends_with("xtask/src/tidy.rs")),
        "tidy found no crates under {}",
        root.display()
    );
    sources
}

/// The files git tracks; without git (a source archive), every file outside build output and
/// hidden directories.
fn tracked_files(root: &Path) -> Vec<PathBuf> {
    let listed = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(root)
        .output()
        .ok()
        .filter(|o| o.status.success());
    match listed {
        Some(out) => String::from_utf8_lossy(&out.stdout)
            .split('\0')
            .filter(|name| !name.is_empty())
            .map(|name| root.join(name))
            // Deleted in the work tree but not yet staged: nothing to check.
            .filter(|path| path.is_file())
            .collect(),
        None => walk(root),
    }
}

/// Every file under `dir`, skipping `target/`, hidden directories (`.git/`) and npm's
/// `node_modules/` (installed, never committed: only package.json and package-lock.json are).
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                if name != "target" && name != "node_modules" && !name.starts_with('.') {
                    pending.push(path);
                }
            } else if kind.is_file() {
                files.push(path);
            }
        }
    }
    files
}

/// The file's text, or `None` when it is not UTF-8 text (or cannot be read).
fn read_text(path: &Path) -> Option<String> {
    let text = String::from_utf8(std::fs::read(path).ok()?).ok()?;
    (!text.contains('\0')).then_some(text)
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}
