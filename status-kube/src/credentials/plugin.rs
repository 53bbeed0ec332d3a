//! Running a kubeconfig's credential plugin (`exec:`) once, within a time limit, as client-go
//! runs one: its arguments and environment, `KUBERNETES_EXEC_INFO`, standard input when it may
//! be interactive, and an `ExecCredential` (JSON, or YAML as client-go also reads) on its
//! standard output. Its standard error is passed on to ours, as client-go passes it: that is
//! how a plugin asks to log in, or says why it failed.
//!
//! The plugin runs as a child of the async runtime (`tokio::process`), so a plugin that hangs
//! does not block the thread the caller's timeout runs on, and it is killed when the time is
//! up. Messages name the plugin's program only: its arguments and output can hold secrets.

use std::time::Duration;

use kube::config::{ExecConfig, ExecInteractiveMode};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::Error;

/// What a plugin gave.
pub(crate) enum Credential {
    /// A bearer token.
    Token(String),
    /// A client certificate and its key, PEM.
    Certificate {
        certificate: String,
        key: SecretString,
    },
}

/// The plugin's program, as messages name it: `` `aws` ``.
pub(crate) fn name(exec: &ExecConfig) -> String {
    format!("`{}`", exec.command.as_deref().unwrap_or(""))
}

/// Runs the plugin of `exec`, giving up (and killing it) after `within`.
pub(crate) async fn run(exec: &ExecConfig, within: Duration) -> Result<Credential, Error> {
    let fail = |reason: String| Error::Credentials {
        reason,
        source: None,
    };
    let Some(program) = exec.command.as_deref().filter(|c| !c.is_empty()) else {
        return Err(fail(
            "the kubeconfig user's credential plugin (exec) names no command".to_owned(),
        ));
    };
    let plugin = name(exec);
    let mut command = tokio::process::Command::new(program);
    command.args(exec.args.iter().flatten());
    for pair in exec.env.iter().flatten() {
        if let (Some(name), Some(value)) = (pair.get("name"), pair.get("value")) {
            command.env(name, value);
        }
    }
    let interactive = exec.interactive_mode != Some(ExecInteractiveMode::Never);
    let mut spec = json!({ "interactive": interactive });
    if exec.provide_cluster_info
        && let Some(cluster) = &exec.cluster
    {
        spec["cluster"] = serde_json::to_value(cluster).unwrap_or(Value::Null);
    }
    let mut info = json!({ "kind": "ExecCredential", "spec": spec });
    if let Some(api_version) = &exec.api_version {
        info["apiVersion"] = api_version.as_str().into();
    }
    command.env("KUBERNETES_EXEC_INFO", info.to_string());
    for name in exec.drop_env.iter().flatten() {
        command.env_remove(name);
    }
    command
        .stdin(if interactive {
            std::process::Stdio::inherit()
        } else {
            std::process::Stdio::null()
        })
        .stdout(std::process::Stdio::piped())
        // Passed on by `forward`, not inherited: a process the plugin leaves behind (a `sleep`
        // of a shell script that was killed) then holds a pipe of ours, not our caller's
        // standard error, which would keep a CI step or `$(...)` waiting for it.
        .stderr(std::process::Stdio::piped())
        // Dropped when the time is up: the plugin is killed, not left running.
        .kill_on_drop(true);
    let mut child = command.spawn().map_err(|e| {
        let hint = exec
            .install_hint
            .as_deref()
            .map(|h| format!(". {}", h.trim()))
            .unwrap_or_default();
        fail(format!(
            "cannot start the credential plugin {plugin}: {e}{hint}"
        ))
    })?;
    let forwarding = child.stderr.take().map(|from| tokio::spawn(forward(from)));
    let output = match tokio::time::timeout(within, child.wait_with_output()).await {
        Ok(output) => {
            // What the plugin said before it ended comes before what is said about it.
            if let Some(task) = forwarding {
                let _ = tokio::time::timeout(Duration::from_millis(200), task).await;
            }
            output.map_err(|e| fail(format!("the credential plugin {plugin} failed: {e}")))?
        }
        Err(_) => {
            return Err(fail(format!(
                "the credential plugin {plugin} did not finish within {}s; it was stopped, and nothing was sent to the API server (is it waiting for input, or for a network?)",
                within.as_secs_f64()
            )));
        }
    };
    if !output.status.success() {
        return Err(fail(format!(
            "the credential plugin {plugin} failed with {} (its own messages, if any, are above)",
            output.status
        )));
    }
    credential(&output.stdout).ok_or_else(|| {
        fail(format!(
            "the credential plugin {plugin} printed no credential: client-go expects an ExecCredential with status.token, or status.clientCertificateData and status.clientKeyData (its output is not shown: it can hold a token)"
        ))
    })
}

/// Copies a plugin's standard error to ours as it comes (a login prompt must be seen while the
/// plugin waits), until it ends.
async fn forward(mut from: tokio::process::ChildStderr) {
    use std::io::Write;
    use tokio::io::AsyncReadExt;
    let mut buffer = [0u8; 4096];
    while let Ok(n) = from.read(&mut buffer).await {
        if n == 0 {
            return;
        }
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(&buffer[..n]).and_then(|()| err.flush());
    }
}

/// The credential in a plugin's output, an `ExecCredential` in JSON or YAML.
fn credential(stdout: &[u8]) -> Option<Credential> {
    let text = std::str::from_utf8(stdout).ok()?;
    let parsed: Value = serde_json::from_str(text)
        .ok()
        .or_else(|| serde_saphyr::from_str(text).ok())?;
    let status = parsed.get("status")?;
    let field = |name: &str| status.get(name).and_then(Value::as_str).map(str::to_owned);
    if let (Some(certificate), Some(key)) = (field("clientCertificateData"), field("clientKeyData"))
    {
        return Some(Credential::Certificate {
            certificate,
            key: SecretString::from(key),
        });
    }
    field("token")
        .filter(|t| !t.trim().is_empty())
        .map(Credential::Token)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exec(script: &str) -> ExecConfig {
        ExecConfig {
            api_version: Some("client.authentication.k8s.io/v1".to_owned()),
            command: Some("sh".to_owned()),
            args: Some(vec!["-c".to_owned(), script.to_owned()]),
            interactive_mode: Some(ExecInteractiveMode::Never),
            ..ExecConfig::default()
        }
    }

    #[tokio::test]
    async fn a_token_in_json_or_yaml_is_taken() {
        let json = exec(r#"echo '{"kind":"ExecCredential","status":{"token":"t0ken"}}'"#);
        let Credential::Token(token) = run(&json, Duration::from_secs(10)).await.unwrap() else {
            panic!("no token");
        };
        assert_eq!(token, "t0ken");
        let yaml = exec("printf 'kind: ExecCredential\\nstatus:\\n  token: t0ken\\n'");
        assert!(matches!(
            run(&yaml, Duration::from_secs(10)).await.unwrap(),
            Credential::Token(t) if t == "t0ken"
        ));
    }

    #[tokio::test]
    async fn the_exec_info_is_given_and_its_interactive_flag_honoured() {
        let plugin = exec(
            r#"case "$KUBERNETES_EXEC_INFO" in *'"interactive":false'*) echo '{"status":{"token":"ok"}}';; *) exit 9;; esac"#,
        );
        assert!(run(&plugin, Duration::from_secs(10)).await.is_ok());
    }

    #[tokio::test]
    async fn a_plugin_that_hangs_is_stopped_in_time() {
        let start = std::time::Instant::now();
        let Err(error) = run(&exec("sleep 30"), Duration::from_millis(300)).await else {
            panic!("a hanging plugin gave a credential");
        };
        assert!(start.elapsed() < Duration::from_secs(5));
        let said = crate::report(&error);
        assert!(
            said.contains("the credential plugin `sh` did not finish within 0.3s"),
            "{said}"
        );
    }

    #[tokio::test]
    async fn failures_name_the_program_and_never_its_output_or_arguments() {
        for script in [
            "echo s3cret; exit 3",
            "echo s3cret",
            "echo '{\"status\":{}}' # s3cret",
        ] {
            let Err(error) = run(&exec(script), Duration::from_secs(10)).await else {
                panic!("{script}: a credential");
            };
            let said = crate::report(&error);
            assert!(said.contains("credential plugin `sh`"), "{said}");
            assert!(!said.contains("s3cret"), "{said}");
        }
        let mut missing = exec("");
        missing.command = Some("/nonexistent/plugin".to_owned());
        missing.install_hint = Some("Install it from example.com.".to_owned());
        let said = crate::report(&run(&missing, Duration::from_secs(10)).await.err().unwrap());
        assert!(
            said.contains("cannot start the credential plugin `/nonexistent/plugin`"),
            "{said}"
        );
        assert!(said.ends_with("Install it from example.com."), "{said}");
    }
}
