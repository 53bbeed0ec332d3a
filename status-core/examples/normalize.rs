//! A downstream tool in miniature: read status documents (files, or `-` for stdin), validate
//! each, print its findings, and write the valid ones back normalised (fields in document
//! order, the timestamp as documents carry it, unknown fields kept).
//!
//! ```text
//! cargo run -p status-core --example normalize -- [--strict] [--out DIR] FILE... | -
//! ```
//!
//! Findings go to stderr as `FILE:LINE:COLUMN: severity[code] PATH: message`; each valid
//! document goes to stdout (or to `DIR/<its file name>` with `--out`). Exit 0 when every
//! document passes, 1 when one does not, 2 on a usage or I/O error. `--strict` fails on
//! warnings too. Its tests run in `cargo test` (the example is built with `test = true`).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use status_core::{MAX_DOCUMENT_BYTES, Report, StatusDocument, Validator};

/// What the command line asked for.
struct Options {
    strict: bool,
    out: Option<PathBuf>,
    inputs: Vec<String>,
}

fn main() -> ExitCode {
    let options = match options(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(usage) => {
            eprintln!("normalize: {usage}\nusage: normalize [--strict] [--out DIR] FILE... | -");
            return ExitCode::from(2);
        }
    };
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    let mut all_pass = true;
    for input in &options.inputs {
        let bytes = match read(input) {
            Ok(bytes) => bytes,
            Err(e) => {
                eprintln!("normalize: {input}: {e}");
                return ExitCode::from(2);
            }
        };
        let (passes, normalized) = check(input, &bytes, options.strict, &mut stderr);
        all_pass &= passes;
        let Some(doc) = normalized else { continue };
        let written = match &options.out {
            Some(dir) => write_into(dir, input, &doc),
            None => stdout.write_all(doc.to_json_pretty().as_bytes()),
        };
        if let Err(e) = written {
            eprintln!("normalize: writing {input}: {e}");
            return ExitCode::from(2);
        }
    }
    ExitCode::from(if all_pass { 0 } else { 1 })
}

fn options(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        strict: false,
        out: None,
        inputs: Vec::new(),
    };
    let mut args = args;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--strict" => options.strict = true,
            "--out" => options.out = Some(args.next().ok_or("--out needs a directory")?.into()),
            flag if flag.starts_with("--") => return Err(format!("unknown flag {flag}")),
            _ => options.inputs.push(arg),
        }
    }
    if options.inputs.is_empty() {
        return Err("no documents given".to_owned());
    }
    Ok(options)
}

/// The bytes of a file or of stdin, read up to one byte past the limit: enough for
/// validation to say "too large" without reading a huge file whole.
fn read(input: &str) -> std::io::Result<Vec<u8>> {
    let limit = MAX_DOCUMENT_BYTES as u64 + 1;
    let mut bytes = Vec::new();
    if input == "-" {
        std::io::stdin()
            .lock()
            .take(limit)
            .read_to_end(&mut bytes)?;
    } else {
        std::fs::File::open(input)?
            .take(limit)
            .read_to_end(&mut bytes)?;
    }
    Ok(bytes)
}

/// Validates one document and prints its findings; whether it passes, and the document when
/// it does.
fn check(
    name: &str,
    bytes: &[u8],
    strict: bool,
    findings_to: &mut impl Write,
) -> (bool, Option<StatusDocument>) {
    let report: Report = Validator::new().validate(bytes);
    for f in report.findings() {
        let at = match (f.line(), f.column()) {
            (Some(line), Some(column)) => format!("{name}:{line}:{column}"),
            _ => name.to_owned(),
        };
        // A finding's message may quote the document: print it escaped, never raw.
        let message = f.message().escape_debug();
        let _ = writeln!(
            findings_to,
            "{at}: {}[{}] {}: {message}",
            f.severity(),
            f.code(),
            f.path()
        );
    }
    let passes = report.passes(strict);
    (passes, report.into_result(strict).ok())
}

/// Writes the document into `dir` under the input's file name (`stdin.json` for `-`).
fn write_into(dir: &Path, input: &str, doc: &StatusDocument) -> std::io::Result<()> {
    let file_name = match input {
        "-" => "stdin.json".into(),
        path => Path::new(path)
            .file_name()
            .map_or_else(|| "document.json".into(), |n| n.to_os_string()),
    };
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join(file_name), doc.to_json_pretty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MESSY: &str = r#"{"last_check": "2026-04-21T12:30:00+00:00", "team": "platform",
        "files": ["a.yaml"], "drift_count": 1, "sync_status": "SYNCED", "server": "prod",
        "repo": "apps"}"#;

    #[test]
    fn a_valid_document_is_written_normalised_with_its_warnings_printed() {
        let mut findings = Vec::new();
        let (passes, doc) = check("messy.json", MESSY.as_bytes(), false, &mut findings);
        assert!(passes);
        let findings = String::from_utf8(findings).unwrap();
        assert!(
            findings.contains("messy.json:1:53: warning[unknown-field] $.team"),
            "{findings}"
        );
        assert!(findings.contains("warning[synced-with-drift] $.sync_status"));
        let written = doc.unwrap().to_json_pretty();
        let order: Vec<usize> = [
            "repo",
            "server",
            "sync_status",
            "drift_count",
            "files",
            "last_check",
            "team",
        ]
        .iter()
        .map(|k| written.find(&format!("\"{k}\"")).unwrap())
        .collect();
        assert!(order.is_sorted(), "fields in document order: {written}");
        assert!(
            written.contains(r#""last_check": "2026-04-21T12:30:00Z""#),
            "{written}"
        );
    }

    #[test]
    fn strict_refuses_warnings_and_nothing_is_written() {
        let (passes, doc) = check("messy.json", MESSY.as_bytes(), true, &mut Vec::new());
        assert!(!passes && doc.is_none());
    }

    #[test]
    fn an_invalid_document_is_reported_with_positions_and_escaped() {
        let mut findings = Vec::new();
        let bad = "{\"repo\": \"\\u001b[31m\",\n \"last_check\": \"2026-04-21 12:30:00Z\"}";
        let (passes, doc) = check("bad.json", bad.as_bytes(), false, &mut findings);
        assert!(!passes && doc.is_none());
        let findings = String::from_utf8(findings).unwrap();
        assert!(
            findings.contains("bad.json:2:16: error[invalid-timestamp] $.last_check"),
            "{findings}"
        );
        assert!(
            findings.contains("write \\\"2026-04-21T12:30:00Z\\\""),
            "{findings}"
        );
        assert!(
            !findings.contains('\u{1b}'),
            "no raw escape reaches a terminal"
        );
    }

    #[test]
    fn files_are_read_and_written_under_their_names() {
        let dir = std::env::temp_dir().join(format!("normalize-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let input = dir.join("in.json");
        std::fs::write(&input, MESSY).unwrap();
        let bytes = read(input.to_str().unwrap()).unwrap();
        let (_, doc) = check("in.json", &bytes, false, &mut Vec::new());
        write_into(&dir.join("out"), input.to_str().unwrap(), &doc.unwrap()).unwrap();
        let written = std::fs::read_to_string(dir.join("out/in.json")).unwrap();
        assert!(status_core::validate(written.as_bytes()).is_valid());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_command_line_is_read() {
        let args = |a: &[&str]| options(a.iter().map(|s| s.to_string()));
        let o = args(&["--strict", "--out", "d", "a.json", "-"]).unwrap();
        assert!(o.strict);
        assert_eq!(o.out, Some(PathBuf::from("d")));
        assert_eq!(o.inputs, ["a.json", "-"]);
        assert!(args(&[]).is_err());
        assert!(args(&["--out"]).is_err());
        assert!(args(&["--bogus", "a"]).is_err());
    }
}
