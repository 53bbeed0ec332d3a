//! `statusctl`: validate, render and push GitOps status documents from CI; check a running
//! status-server.
//!
//! Exit codes are part of the contract (see `docs/cli.md`): 0 success, 1 the document is invalid
//! or the server is unhealthy, 2 usage or I/O error; `push` and `collect` add their own (all in
//! `exit::Exit`).
//! Every subcommand returns its exit code or a `Failure`; [`main_with`] alone prints the
//! failure and exits.
//!
//! A library only so that two binaries run the same CLI: `statusctl` (`main.rs`) and the
//! image's multi-call binary (`gitops-status`, run as `/statusctl`). Its one public item is
//! [`main_with`]; the modules stay private, so nothing else becomes an API to keep (the hidden
//! `fuzzing` module is for the fuzz targets, not an API).

#![deny(clippy::unwrap_used, clippy::expect_used)]

mod check;
mod cluster;
mod collect;
mod console;
mod exit;
mod flags;
/// What statusctl parses by hand, as plain functions for the fuzz targets (`fuzz/`) and their
/// corpus replay (`fuzz-checks`). Not part of the API.
#[doc(hidden)]
pub mod fuzzing;
mod http;
mod input;
mod output;
mod output_file;
mod push;
mod render;
mod report;
mod validate;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use exit::{Exit, Failure};

/// Validate, render and push GitOps status documents; check a running status-server.
#[derive(Debug, Parser)]
#[command(name = "statusctl", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check status documents; exit 0 when all are valid, 1 when any is invalid, 2 on usage or I/O errors.
    Validate(validate::Args),
    /// Build a valid status document (or a ConfigMap manifest holding one) from flags.
    Render(Box<render::Args>), // boxed: its many flags would make every variant as large
    /// Print the JSON Schema of a status document.
    Schema,
    /// Write a document into one key of the live ConfigMap by server-side apply.
    Push(push::Args),
    /// Print the status document of what a source of truth observed (an Argo CD Application).
    Collect(collect::Args),
    /// Print a document served by a running status-server.
    Get(check::GetArgs),
    /// Exit non-zero when a running status-server reports a stale, out-of-sync or drifted document.
    Check(check::CheckArgs),
}

/// `statusctl schema`: the JSON Schema, indented (written, not `println!`ed: a closed pipe must
/// not panic).
fn schema() -> Result<Exit, Failure> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    report::quiet_broken_pipe(
        writeln!(out, "{:#}", status_core::json_schema()).and_then(|()| out.flush()),
    )?;
    Ok(Exit::Success)
}

/// clap's usage error as plain text, the value or argument it quotes made printable (a
/// value can come from a CI variable: a line break in it must not start a line of its own),
/// and any other control character escaped.
fn usage_error(error: &clap::Error, args: &[OsString]) -> String {
    use clap::CommandFactory;
    use clap::error::{ContextKind, ContextValue};
    // clap's plain text strips escape sequences from a value but keeps its line breaks; its
    // text without styles (parsed again, on this error path only) holds the value as given,
    // to be escaped here whole.
    let plain = Cli::command()
        .styles(clap::builder::Styles::plain())
        .try_get_matches_from(args)
        .err();
    let error = plain.as_ref().unwrap_or(error);
    let mut text = error.render().ansi().to_string();
    for kind in [ContextKind::InvalidValue, ContextKind::InvalidArg] {
        if let Some(ContextValue::String(value)) = error.get(kind) {
            text = text.replace(value.as_str(), &report::printable(value));
        }
    }
    console::printable_lines(&text)
}

/// Runs statusctl with these arguments (the first is the name it was called by, as in
/// `std::env::args_os()`) and returns its exit code: what the `statusctl` binary's `main` does.
pub fn main_with(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    // Kept: a usage error parses them once more (see `usage_error`).
    let args: Vec<OsString> = args.into_iter().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version: exit 0 with clap's text.
            let _ = e.print();
            return Exit::Success.into();
        }
        Err(e) => {
            console::stderr(usage_error(&e, &args).trim_end());
            return Exit::Usage.into();
        }
    };
    let result = match cli.command {
        Command::Validate(args) => validate::run(args),
        Command::Render(args) => render::run(*args),
        Command::Schema => schema(),
        Command::Push(args) => push::run(args),
        Command::Collect(args) => collect::run(args),
        Command::Get(args) => check::get(args),
        Command::Check(args) => check::check(args),
    };
    // The one place that prints a failure and exits.
    match result {
        Ok(exit) => exit.into(),
        Err(failure) => {
            // Escaped once more as a whole (but for statusctl's own line breaks): whatever a
            // message quotes never reaches the terminal as a control character.
            console::stderr(&format!(
                "statusctl: error: {}",
                console::printable_lines(&failure.message)
            ));
            failure.exit.into()
        }
    }
}
