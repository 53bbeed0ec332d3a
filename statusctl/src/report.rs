//! Printing validation results in the three output formats (`human`, `json`, `github`).
//!
//! `validate` prints every file it checked through [`write`]; `push` prints a rejected
//! document's findings the same way, so a CI log reads alike whichever command failed.
//! The rules themselves live in status-core; this module only formats its [`Report`]s.

use std::io::{self, Write};

use std::borrow::Cow;

use serde_json::{Value, json};
use status_core::{Finding, Report, Severity};

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub(crate) enum Format {
    /// `FILE:LINE:COL: error[code] $.path: message` lines, one verdict line per file, a summary.
    #[default]
    Human,
    /// One JSON object on stdout, stable for scripts (see docs/cli.md).
    Json,
    /// GitHub Actions workflow commands (`::error file=..,line=..,col=..::message`).
    Github,
}

/// What happened to one input: it was checked, or it could not be read.
#[derive(Debug)]
pub(crate) struct Checked {
    /// The file as given on the command line, or `<stdin>`.
    pub(crate) name: String,
    /// The validation report, or why the input could not be read (an I/O or usage problem).
    pub(crate) outcome: Result<Report, String>,
}

impl Checked {
    /// Whether this input passes: read, and no failing finding.
    pub(crate) fn passes(&self, strict: bool) -> bool {
        matches!(&self.outcome, Ok(report) if report.passes(strict))
    }
}

/// Counts over a set of checked inputs, for the summary and the exit code.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tally {
    /// Inputs that pass.
    pub(crate) valid: usize,
    /// Inputs that were read but fail.
    pub(crate) invalid: usize,
    /// Inputs that could not be read.
    pub(crate) unreadable: usize,
}

impl Tally {
    /// Counts `checked` under `strict`.
    pub(crate) fn of(checked: &[Checked], strict: bool) -> Self {
        let mut tally = Self::default();
        for c in checked {
            match &c.outcome {
                Err(_) => tally.unreadable += 1,
                Ok(_) if c.passes(strict) => tally.valid += 1,
                Ok(_) => tally.invalid += 1,
            }
        }
        tally
    }
}

/// Writes the results of `checked` in `format`: findings and verdicts to `out`, the reasons an
/// input could not be read to `err` (as `statusctl: error: ...`; `json` carries them in `out`).
///
/// Under `strict`, warnings fail: `human` still labels them `warning`, `json` marks them
/// `"fails": true`, and `github` prints them as `::error` so the check turns red where it fails.
pub(crate) fn write(
    out: &mut dyn Write,
    err: &mut dyn Write,
    format: Format,
    strict: bool,
    checked: &[Checked],
) -> io::Result<()> {
    match format {
        Format::Human => write_human(out, err, strict, checked),
        Format::Json => write_json(out, strict, checked),
        Format::Github => write_github(out, err, strict, checked),
    }
}

fn write_human(
    out: &mut dyn Write,
    err: &mut dyn Write,
    strict: bool,
    checked: &[Checked],
) -> io::Result<()> {
    for c in checked {
        let report = match &c.outcome {
            Ok(report) => report,
            Err(reason) => {
                writeln!(err, "statusctl: error: {}", printable(reason))?;
                continue;
            }
        };
        let name = printable(&c.name);
        for finding in report.findings() {
            writeln!(out, "{}", human_line(&c.name, finding))?;
        }
        let errors = report.of(Severity::Error).count();
        let warnings = report.of(Severity::Warning).count();
        if c.passes(strict) {
            match warnings {
                0 => writeln!(out, "{name}: valid")?,
                n => writeln!(out, "{name}: valid ({})", plural(n, "warning"))?,
            }
        } else {
            let mut counts = Vec::new();
            if errors > 0 {
                counts.push(plural(errors, "error"));
            }
            if warnings > 0 {
                counts.push(plural(warnings, "warning"));
            }
            let strict_note = if strict && errors == 0 {
                "; --strict fails on warnings"
            } else {
                ""
            };
            writeln!(out, "{name}: invalid ({}{strict_note})", counts.join(", "))?;
        }
    }
    if checked.len() > 1 {
        let tally = Tally::of(checked, strict);
        let mut parts = vec![format!("{} valid", tally.valid)];
        if tally.invalid > 0 {
            parts.push(format!("{} invalid", tally.invalid));
        }
        if tally.unreadable > 0 {
            parts.push(format!("{} unreadable", tally.unreadable));
        }
        writeln!(
            out,
            "{} checked: {}",
            plural(checked.len(), "file"),
            parts.join(", ")
        )?;
    }
    Ok(())
}

/// `FILE:LINE:COL: error[code] $.path: message`, or `FILE: ...` when the position is unknown;
/// the name, path and message [`printable`].
pub(crate) fn human_line(name: &str, finding: &Finding) -> String {
    let name = printable(name);
    let place = match (finding.line(), finding.column()) {
        (Some(line), Some(column)) => format!("{name}:{line}:{column}"),
        _ => name.into_owned(),
    };
    format!(
        "{place}: {}[{}] {}: {}",
        finding.severity(),
        finding.code().name(),
        printable(finding.path()),
        printable(finding.message())
    )
}

fn write_json(out: &mut dyn Write, strict: bool, checked: &[Checked]) -> io::Result<()> {
    let tally = Tally::of(checked, strict);
    let files: Vec<Value> = checked
        .iter()
        .map(|c| match &c.outcome {
            Ok(report) => json!({
                "file": c.name,
                "valid": c.passes(strict),
                "error": null,
                "errors": report.of(Severity::Error).count(),
                "warnings": report.of(Severity::Warning).count(),
                "findings": report.findings().iter().map(|f| finding_json(f, strict)).collect::<Vec<_>>(),
            }),
            Err(reason) => json!({
                "file": c.name,
                "valid": false,
                "error": reason,
                "errors": 0,
                "warnings": 0,
                "findings": [],
            }),
        })
        .collect();
    let doc = json!({
        "valid": tally.invalid == 0 && tally.unreadable == 0,
        "strict": strict,
        "summary": {
            "files": checked.len(),
            "valid": tally.valid,
            "invalid": tally.invalid,
            "unreadable": tally.unreadable,
        },
        "files": files,
    });
    let text = serde_json::to_string_pretty(&doc).map_err(io::Error::other)?;
    writeln!(out, "{text}")
}

/// Treats a reader that went away (`statusctl validate *.json | head -1`) as the end of output
/// rather than an error: the exit code still says how it went.
pub(crate) fn quiet_broken_pipe(result: io::Result<()>) -> io::Result<()> {
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// One finding as JSON: status-core's one shape of a finding (every key always present, `null`
/// when unknown, the same as status-server's 503 body) plus `fails`, whether it fails under
/// this run's `--strict`, placed after `severity` as docs/cli.md shows it.
pub(crate) fn finding_json(finding: &Finding, strict: bool) -> Value {
    let mut value = serde_json::to_value(finding).unwrap_or_default();
    if let Value::Object(fields) = &mut value {
        let at = fields
            .keys()
            .position(|k| k == "severity")
            .map_or(fields.len(), |i| i + 1);
        fields.shift_insert(at, "fails".to_owned(), finding.fails(strict).into());
    }
    value
}

fn write_github(
    out: &mut dyn Write,
    err: &mut dyn Write,
    strict: bool,
    checked: &[Checked],
) -> io::Result<()> {
    for c in checked {
        match &c.outcome {
            Ok(report) => {
                for finding in report.findings() {
                    writeln!(out, "{}", github_line(&c.name, finding, strict))?;
                }
            }
            Err(reason) => {
                writeln!(
                    out,
                    "::error file={},title={}::{}",
                    escape_property(&c.name),
                    escape_property("statusctl: cannot read file"),
                    escape_data(reason)
                )?;
                writeln!(err, "statusctl: error: {}", printable(reason))?;
            }
        }
    }
    Ok(())
}

/// One GitHub Actions workflow command for a finding: `::error` when it fails, else `::warning`.
pub(crate) fn github_line(name: &str, finding: &Finding, strict: bool) -> String {
    let command = if finding.fails(strict) {
        "error"
    } else {
        "warning"
    };
    let mut properties = format!("file={}", escape_property(name));
    if let (Some(line), Some(column)) = (finding.line(), finding.column()) {
        properties.push_str(&format!(",line={line},col={column}"));
    }
    let title = format!(
        "{} {} at {}",
        finding.code().id(),
        finding.code().name(),
        finding.path()
    );
    properties.push_str(&format!(",title={}", escape_property(&title)));
    format!(
        "::{command} {properties}::{}",
        escape_data(finding.message())
    )
}

/// Escapes a workflow command's message as the Actions toolkit does (`%`, `\r`, `\n`: a line
/// break stays inside the annotation), then every other control character as [`printable`]
/// does, so that no terminal escape reaches the log.
fn escape_data(s: &str) -> String {
    let toolkit = s
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    printable(&toolkit).into_owned()
}

/// Escapes a workflow command's property value: the data escapes plus `:` and `,`.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// The one escaping function for everything statusctl prints for people (findings, `check`'s
/// summary, every message quoting a file, a server, the API or a flag): a status document is
/// anyone's text, and a pipeline that can push can put `\n::error::` (a GitHub workflow
/// command) or an ANSI escape into it. Escaped, such text stays inside its own line and no
/// control byte reaches a terminal or a CI log.
///
/// `s` with every character that could break a line or drive a terminal escaped: control
/// characters (C0, DEL, C1: `\n` becomes `\n`, ESC becomes `\u{1b}`, as Rust writes them), the
/// Unicode line and paragraph separators, and the bidirectional controls that reorder what is
/// shown. Everything else, non-ASCII text included, is kept.
pub(crate) fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut text = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if needs_escape(c) {
            text.extend(c.escape_default());
        } else {
            text.push(c);
        }
    }
    Cow::Owned(text)
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c,
            // Line and paragraph separators: line breaks to some viewers.
            '\u{2028}' | '\u{2029}'
            // Bidirectional embeddings, overrides and isolates.
            | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_text_kept() {
        assert_eq!(printable("ü a\nb\t"), "ü a\\nb\\t");
        assert_eq!(printable("s\n::error::x"), "s\\n::error::x");
        assert_eq!(printable("\u{1b}[31mred\u{7}"), "\\u{1b}[31mred\\u{7}");
        // C1 (CSI) and DEL are control characters too.
        assert_eq!(printable("\u{9b}2J\u{7f}"), "\\u{9b}2J\\u{7f}");
        assert_eq!(printable("a\u{2028}b\u{202e}c"), "a\\u{2028}b\\u{202e}c");
        assert!(matches!(printable("plain ✓"), Cow::Borrowed(_)));
    }

    #[test]
    fn github_escapes_follow_the_toolkit() {
        assert_eq!(escape_data("50% a\r\nb"), "50%25 a%0D%0Ab");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
        // Other control characters never reach the log.
        assert_eq!(escape_data("\u{1b}[31m\t"), "\\u{1b}[31m\\t");
        assert_eq!(escape_property("\u{1b}:"), "\\u{1b}%3A");
    }
}
