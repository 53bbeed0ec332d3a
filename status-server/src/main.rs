//! The status-server binary: logging, configuration, then the server from the library.

#![deny(clippy::unwrap_used, clippy::expect_used)]

use std::io::IsTerminal;

use status_server::{Application, Config, LogFormat, Parser};
use tracing_subscriber::EnvFilter;

fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    init_tracing(config.log_format);
    // The HTTP workers run on their own threads; this runtime only drives the accept loop's
    // future and signals, so one thread is enough (and keeps the idle footprint small).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(async {
        let app = Application::build(config).await?;
        app.run_until_stopped().await
    });
    if let Err(e) = &result {
        tracing::error!(error = format!("{e:#}"), "exiting");
    }
    result
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
