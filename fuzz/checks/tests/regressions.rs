//! Every input that ever failed a fuzz target, as a named test: the input is kept under
//! `fuzz/regressions/<target>/<name>` (and in the corpus), and the test runs the target's
//! check on it, so the failure it once caused stays fixed, on stable, in CI.

use std::path::Path;

/// Runs `target`'s check on the kept input `name`.
fn replay(target: &str, name: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../regressions")
        .join(target)
        .join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let target = fuzz_checks::target(target).unwrap();
    (target.check)(&bytes);
}

/// `53620d026-04`: the duration parser said "longer than 10 years" on reaching the bound with
/// `53620d`, before it met the `-` that makes the text no duration at all (its pattern does
/// not match). The bound is now judged after the grammar, so the message names the sign.
#[test]
fn duration_over_ten_years_then_a_sign() {
    replay("shared_rules", "duration-over-ten-years-then-a-sign");
}

/// `9; write `: a flaw in the check, not in status-core. The check read a timestamp's
/// suggested fix out of the error message, which quotes the input, and the input itself read
/// like a fix. The checks now read the error's structured reason (and the same for durations,
/// whose message also quotes the input).
#[test]
fn timestamp_input_that_reads_like_a_fix() {
    replay("shared_rules", "timestamp-input-that-reads-like-a-fix");
}

/// `htwps://ci:p@,,,,,,,,s://ci:p@,,,...` as `HTTPS_PROXY`: a flaw in the check, not in
/// status-kube. The check looked for `:p@` (the password the url crate reads) in the error,
/// and found it later in the URL, in its path, where it is no password; the error showed the
/// URL as `shown` writes it, password hidden. The check now asks that the error show the URL
/// as `shown` writes it.
#[test]
fn proxy_password_recurring_in_its_path() {
    replay("credentials", "proxy-password-recurring-in-its-path");
}

/// `htwps://ci:***@,,,,,,,,` as a proxy URL: a flaw in the check again. Its
/// password is `***` itself, so the URL as `shown` writes it is the URL whole, which the check
/// said an error must never show. It now asks only that the error show the URL as `shown`
/// writes it (and `shown` has its own property).
#[test]
fn proxy_password_that_is_three_stars() {
    replay("credentials", "proxy-password-that-is-three-stars");
}

#[test]
fn every_kept_input_has_its_test() {
    // A file under fuzz/regressions/ without a test here would replay nowhere.
    let this = include_str!("regressions.rs");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../regressions");
    for target in std::fs::read_dir(&root).unwrap() {
        let target = target.unwrap();
        if !target.file_type().unwrap().is_dir() {
            continue;
        }
        for input in std::fs::read_dir(target.path()).unwrap() {
            let name = input.unwrap().file_name().into_string().unwrap();
            let call = format!(
                "replay(\"{}\", \"{name}\")",
                target.file_name().to_string_lossy()
            );
            assert!(this.contains(&call), "no test calls {call}");
        }
    }
}
