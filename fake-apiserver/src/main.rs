//! `fake-apiserver`: runs the fake Kubernetes API server until interrupted, for the
//! benchmarks and for trying kubectl or statusctl against it by hand.
//!
//! ```text
//! fake-apiserver [--port N] [--kubeconfig PATH] [--namespace NS] [--commands]
//! ```
//! It writes a kubeconfig (admin token, the generated CA) to PATH (default
//! `./fake-apiserver.kubeconfig`) and prints the server's URL on standard output.
//!
//! With `--commands` it also reads writes from standard input, one a line, and answers each
//! on standard output once it is stored (and so on its way to every open watch): the
//! controls a test has in-process ([`FakeApiServer::create`], `replace`, `delete`), for a
//! benchmark that drives the fake from another process without a Kubernetes client of its
//! own (`cargo xtask bench fleet` writes thousands of Argo CD Applications this way).
//!
//! ```text
//! create RESOURCE OBJECT-AS-ONE-LINE-OF-JSON   -> ok RESOURCE-VERSION | error MESSAGE
//! replace RESOURCE OBJECT-AS-ONE-LINE-OF-JSON  -> ok RESOURCE-VERSION | error MESSAGE
//! delete RESOURCE NAMESPACE NAME               -> ok RESOURCE-VERSION | error MESSAGE
//! ```
//! `RESOURCE` as the controls name it (`configmaps`, `applications.argoproj.io`). The end of
//! standard input stops the server, as SIGTERM does.

use std::io::{BufRead, Write};
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
    let mut commands = false;
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
            "--commands" => commands = true,
            "-h" | "--help" => {
                println!(
                    "usage: fake-apiserver [--port N] [--kubeconfig PATH] [--namespace NS] [--commands]"
                );
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
    std::io::stdout().flush()?;
    let server = std::sync::Arc::new(server);
    // The end of the commands is the end of the server: a driver that dies stops it too.
    let (ended, end) = tokio::sync::oneshot::channel::<()>();
    // Without commands the sender is kept, never used, until the end: only a signal stops
    // the server.
    let mut unused = Some(ended);
    if commands && let Some(ended) = unused.take() {
        let server = server.clone();
        std::thread::Builder::new()
            .name("commands".into())
            .spawn(move || {
                answer_commands(&server);
                let _ = ended.send(());
            })?;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r,
            _ = term.recv() => Ok(()),
            _ = end => Ok(()),
        }
    })?;
    drop(unused);
    drop(server);
    Ok(())
}

/// Answers the commands on standard input (see the module docs) until it ends.
fn answer_commands(server: &FakeApiServer) {
    let stdout = std::io::stdout();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { return };
        let answer = match command(server, &line) {
            Ok(version) => format!("ok {version}"),
            Err(message) => format!("error {}", message.replace('\n', " ")),
        };
        let mut out = stdout.lock();
        if writeln!(out, "{answer}")
            .and_then(|()| out.flush())
            .is_err()
        {
            return;
        }
    }
}

/// One command; the resourceVersion of what it stored.
fn command(server: &FakeApiServer, line: &str) -> Result<String, String> {
    let mut words = line.splitn(3, ' ');
    let (verb, resource, rest) = (
        words.next().unwrap_or_default(),
        words.next().unwrap_or_default(),
        words.next().unwrap_or_default(),
    );
    let object = || serde_json::from_str::<serde_json::Value>(rest).map_err(|e| e.to_string());
    let stored = match verb {
        "create" => server.create(resource, object()?, "fake-apiserver-commands"),
        "replace" => server.replace(resource, object()?, "fake-apiserver-commands"),
        "delete" => {
            let (namespace, name) = rest
                .split_once(' ')
                .ok_or("delete RESOURCE NAMESPACE NAME")?;
            server.delete(resource, Some(namespace), name)
        }
        other => {
            return Err(format!(
                "unknown command {other:?} (create, replace, delete)"
            ));
        }
    }
    .map_err(|e| e.message)?;
    Ok(stored["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}
