//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/*`) through the checks the fuzz
//! targets run, on the stable toolchain: what fuzzing once proved keeps holding in CI without
//! nightly or cargo-fuzz.

use std::path::{Path, PathBuf};
use std::time::Instant;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus")
}

#[test]
fn every_corpus_input_passes_its_targets_checks() {
    let start = Instant::now();
    let mut replayed = 0;
    for target in fuzz_checks::TARGETS {
        let dir = corpus().join(target.name);
        let entries = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e} (every target has a corpus)", dir.display()));
        let mut inputs = 0;
        for entry in entries {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                bytes.len() <= target.max_len,
                "{} is longer than -max_len",
                path.display()
            );
            let outcome = std::panic::catch_unwind(|| (target.check)(&bytes));
            assert!(outcome.is_ok(), "{} fails {}", path.display(), target.name);
            inputs += 1;
        }
        assert!(inputs > 0, "{} has an empty corpus", dir.display());
        replayed += inputs;
    }
    eprintln!("replayed {replayed} inputs in {:?}", start.elapsed());
}

#[test]
fn every_corpus_directory_is_a_target() {
    for entry in std::fs::read_dir(corpus()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            fuzz_checks::target(&name).is_some(),
            "fuzz/corpus/{name} is no target's"
        );
    }
}
