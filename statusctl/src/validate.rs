//! `statusctl validate FILE...|-`: check status documents with status-core and report every file.
//!
//! Every input is read and reported, even after one fails, so a CI log shows all problems at
//! once. The exit code is the most serious outcome: 2 when any input could not be read (or the
//! usage is wrong), else 1 when any document fails, else 0.

use std::io::Write;

use crate::exit::{Exit, Failure};
use crate::input;
use crate::report::{self, Checked, Format, Tally};

/// Arguments of `statusctl validate`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The documents to check; `-` reads one from standard input.
    #[arg(value_name = "FILE", required = true)]
    files: Vec<String>,
    /// Fail on warnings too (unknown fields, drift_count below the number of files, ...).
    #[arg(long)]
    strict: bool,
    /// How to print the results.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

pub(crate) fn run(args: Args) -> Result<Exit, Failure> {
    if args.files.iter().filter(|f| *f == "-").count() > 1 {
        return Err(Failure::usage(
            "`-` (standard input) is given more than once; it can be read only once",
        ));
    }
    let checked: Vec<Checked> = args
        .files
        .iter()
        .map(|arg| match input::read_document(arg) {
            Ok(input) => Checked {
                name: input.name,
                outcome: Ok(status_core::validate(&input.bytes)),
            },
            Err(e) => Checked {
                name: if arg == "-" {
                    "<stdin>".to_owned()
                } else {
                    arg.clone()
                },
                outcome: Err(e.message),
            },
        })
        .collect();

    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let mut out = stdout.lock();
    report::quiet_broken_pipe(
        report::write(
            &mut out,
            &mut stderr.lock(),
            args.format,
            args.strict,
            &checked,
        )
        .and_then(|()| out.flush()),
    )?;

    let tally = Tally::of(&checked, args.strict);
    // Every input was reported above: an unreadable one is a verdict here, not a failure.
    Ok(if tally.unreadable > 0 {
        Exit::Usage
    } else if tally.invalid > 0 {
        Exit::Failed
    } else {
        Exit::Success
    })
}
