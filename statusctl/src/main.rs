//! `statusctl`: validate, render and push GitOps status documents from CI; check a running
//! status-server.
//!
//! Exit codes are part of the contract (see `docs/cli.md`): 0 success, 1 the document is invalid
//! or the server is unhealthy, 2 usage or I/O error; `push` adds its own (all in [`exit::Exit`]).
//! Every subcommand returns its exit code or a [`Failure`]; `main` alone prints the failure and
//! exits.

#![deny(clippy::unwrap_used, clippy::expect_used)]

mod check;
mod console;
mod exit;
mod flags;
mod http;
mod input;
mod output_file;
mod push;
mod render;
mod report;
mod validate;

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

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap exits 2 on usage errors and 0 for --help/--version; keep that, print its text.
            let _ = e.print();
            return if e.use_stderr() {
                Exit::Usage
            } else {
                Exit::Success
            }
            .into();
        }
    };
    let result = match cli.command {
        Command::Validate(args) => validate::run(args),
        Command::Render(args) => render::run(*args),
        Command::Schema => schema(),
        Command::Push(args) => push::run(args),
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
