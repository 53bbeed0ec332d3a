//! `fake-apiserver`: runs the fake Kubernetes API server until interrupted, for the push
//! benchmark and for trying kubectl or statusctl against it by hand.
//!
//! ```text
//! fake-apiserver [--port N] [--kubeconfig PATH] [--namespace NS]
//! ```
//! It writes a kubeconfig (admin token, the generated CA) to PATH (default
//! `./fake-apiserver.kubeconfig`) and prints the server's URL on standard output.

use std::process::ExitCode;

use fake_apiserver::{ADMIN_TOKEN, Config, FakeApiServer};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fake-apiserver: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> anyhow::Result<()> {
    let mut config = Config::default();
    let mut kubeconfig = std::path::PathBuf::from("fake-apiserver.kubeconfig");
    let mut namespace = "default".to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| anyhow::anyhow!("{arg} needs a value"))
        };
        match arg.as_str() {
            "--port" => config.port = value()?.parse()?,
            "--kubeconfig" => kubeconfig = value()?.into(),
            "--namespace" => namespace = value()?,
            "-h" | "--help" => {
                println!("usage: fake-apiserver [--port N] [--kubeconfig PATH] [--namespace NS]");
                return Ok(());
            }
            other => anyhow::bail!("unknown argument {other:?} (see --help)"),
        }
    }
    let server = FakeApiServer::start(config)?;
    server.write_kubeconfig(&kubeconfig, ADMIN_TOKEN, &namespace)?;
    println!("{}", server.url());
    eprintln!(
        "fake-apiserver: serving {} (kubeconfig {}); stop with Ctrl-C or SIGTERM",
        server.url(),
        kubeconfig.display()
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r,
            _ = term.recv() => Ok(()),
        }
    })?;
    drop(server);
    Ok(())
}
