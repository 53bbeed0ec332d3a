//! What the status-server process does around the library: flags, logging, a runtime, then
//! the server until it stops. Both binaries that run the server call [`main_with`]: the
//! `status-server` binary (`main.rs`) and the image's multi-call binary (`gitops-status`, run
//! as `/status-server`), so the two cannot drift apart.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use crate::{Application, Config, LogFormat};

/// Runs the server with these arguments (the first is the name it was called by, as in
/// `std::env::args_os()`) until SIGTERM or SIGINT, and returns the process's exit code.
///
/// A usage error, `--help` and `--version` end the process inside (clap's exit codes: 2, 0);
/// a failure to start or to serve is logged and printed as `Error: ...` and gives 1, as a
/// `main` returning `anyhow::Result` does.
pub fn main_with(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let config = Config::parse_from(args);
    init_tracing(config.log_format);
    let result = serve(config);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "exiting");
            // What the standard library's `Termination` prints for `main`'s `Err` (the
            // binary's behaviour before it called this function).
            eprintln!("Error: {e:?}");
            ExitCode::FAILURE
        }
    }
}

fn serve(config: Config) -> anyhow::Result<()> {
    // The HTTP workers run on their own threads; this runtime only drives the accept loop's
    // future and signals, so one thread is enough (and keeps the idle footprint small).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let app = Application::build(config).await?;
        app.run_until_stopped().await
    })
}

fn init_tracing(format: LogFormat) {
    let filter = EnvFilter::try_from_env("STATUS_SERVER_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().with_current_span(false).init(),
        LogFormat::Text => builder.init(),
    }
}
