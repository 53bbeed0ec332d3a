//! The fake API server as another process, driven through its standard input
//! (`fake-apiserver --commands`): xtask has no Kubernetes client, and the fake's own CPU time
//! is then its own process's, measured apart from the server's.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{ChildStdin, ChildStdout, Command, Stdio};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::host::ChildProcess;

/// The running fake, its URL, and the pipes its commands go through.
pub(super) struct Fake {
    pub(super) process: ChildProcess,
    commands: ChildStdin,
    answers: BufReader<ChildStdout>,
}

impl Fake {
    /// Starts `binary`, writing a kubeconfig for it (admin token, namespace `namespace`) to
    /// `kubeconfig`.
    pub(super) fn start(binary: &Path, kubeconfig: &Path, namespace: &str) -> Result<Self> {
        let mut child = Command::new(binary)
            .arg("--commands")
            .arg("--kubeconfig")
            .arg(kubeconfig)
            .args(["--namespace", namespace])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start fake-apiserver")?;
        let commands = child.stdin.take().context("no stdin")?;
        let mut answers = BufReader::new(child.stdout.take().context("no stdout")?);
        let process = ChildProcess::new(child);
        let mut url = String::new();
        answers.read_line(&mut url)?;
        if !url.starts_with("https://") {
            bail!("fake-apiserver did not print its URL (got {url:?})");
        }
        Ok(Self {
            process,
            commands,
            answers,
        })
    }

    /// Creates `object` (of `resource`, such as `applications.argoproj.io`).
    pub(super) fn create(&mut self, resource: &str, object: &Value) -> Result<()> {
        self.command("create", resource, object)
    }

    /// Replaces `object`; returns once the fake has stored it (and woken its watches).
    pub(super) fn replace(&mut self, resource: &str, object: &Value) -> Result<()> {
        self.command("replace", resource, object)
    }

    fn command(&mut self, verb: &str, resource: &str, object: &Value) -> Result<()> {
        // serde_json writes no newline inside a value: one command, one line.
        writeln!(self.commands, "{verb} {resource} {object}")?;
        self.commands.flush()?;
        let mut answer = String::new();
        self.answers.read_line(&mut answer)?;
        match answer.trim_end().strip_prefix("ok") {
            Some(_) => Ok(()),
            None => bail!("fake-apiserver: {verb} {resource}: {}", answer.trim_end()),
        }
    }
}
