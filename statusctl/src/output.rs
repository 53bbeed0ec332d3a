//! Where a document `render` or `collect` made goes, and in which form: the output flags they
//! share (`-o json|configmap`, `--name`, `--key`, `--output-file`), their rules, and the
//! writing. One copy, so that both commands print the same bytes for the same document.

use std::io::Write;
use std::path::PathBuf;

use serde_json::{Map, Value, json};
use status_core::{Finding, StatusDocument, Validator};
use status_kube::names::{self, DEFAULT_LIVE_CONFIGMAP};

use crate::exit::Failure;
use crate::{output_file, report};

/// The key `-o configmap` writes by default: the document the server serves at `/status.json`.
pub(crate) const DEFAULT_KEY: &str = "status.json";

/// The output flags.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct OutputArgs {
    /// What to write: the document as JSON, or a ConfigMap manifest (YAML) holding it.
    #[arg(short = 'o', long, value_enum, default_value_t = Output::Json)]
    pub(crate) output: Output,
    /// The ConfigMap's name (-o configmap) [default: gitops-status-server-live]
    #[arg(long, value_parser = names::parse_configmap_name)]
    pub(crate) name: Option<String>,
    /// The ConfigMap key holding the document (-o configmap) [default: status.json]
    #[arg(long, value_parser = names::parse_key)]
    pub(crate) key: Option<String>,
    /// Write the result to PATH and print nothing: a regular file is replaced atomically (a
    /// temporary file, then a rename; through a symlink, which stays a link), a device or FIFO
    /// is written to as it is.
    #[arg(long, value_name = "PATH")]
    pub(crate) output_file: Option<PathBuf>,
}

/// What is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Output {
    /// The document, indented JSON with a trailing newline.
    Json,
    /// A ConfigMap manifest, the same object `kubectl create configmap --dry-run=client -o yaml`
    /// makes.
    Configmap,
}

impl OutputArgs {
    /// Refuses the ConfigMap flags without `-o configmap` (exit 2). `manifest_flags` are the
    /// command's own ConfigMap flags (`render --namespace`) and whether each was given.
    pub(crate) fn check(&self, manifest_flags: &[(&str, bool)]) -> Result<(), Failure> {
        if self.output == Output::Configmap {
            return Ok(());
        }
        let flags = [("--name", self.name.is_some())]
            .into_iter()
            .chain(manifest_flags.iter().copied())
            .chain([("--key", self.key.is_some())]);
        for (flag, given) in flags {
            if given {
                return Err(Failure::usage(format!(
                    "{flag} applies to `-o configmap` only; add `-o configmap` or drop {flag}"
                )));
            }
        }
        Ok(())
    }

    /// Writes the document `json` (as [`checked`] made it) in the form asked for, to stdout or
    /// `--output-file`; `namespace` is the manifest's, if any.
    pub(crate) fn write(&self, namespace: Option<&str>, json: &str) -> Result<(), Failure> {
        let text = match self.output {
            Output::Json => json.to_owned(),
            Output::Configmap => configmap(
                self.name.as_deref().unwrap_or(DEFAULT_LIVE_CONFIGMAP),
                namespace,
                self.key.as_deref().unwrap_or(DEFAULT_KEY),
                json,
            )?,
        };
        match &self.output_file {
            Some(path) => output_file::write("--output-file", path, text.as_bytes()),
            None => {
                let mut out = std::io::stdout().lock();
                report::quiet_broken_pipe(out.write_all(text.as_bytes()).and_then(|()| out.flush()))
                    .map_err(|e| Failure::usage(format!("cannot write to standard output: {e}")))
            }
        }
    }
}

/// A document that passed validation: the exact text to write, and its warnings.
#[derive(Debug, Clone)]
pub(crate) struct Checked {
    /// The document as written: indented JSON with a trailing newline.
    pub(crate) json: String,
    /// Warnings status-core found in it (they stop nothing).
    pub(crate) warnings: Vec<Finding>,
}

/// The text of `doc` as it will be written, checked by status-core as those very bytes (at
/// `now`, for the future-timestamp warning): nothing status-core rejects is ever written.
pub(crate) fn checked(
    doc: &StatusDocument,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Checked, status_core::Error> {
    let json = doc.to_json_pretty();
    let report = Validator::new().now(now).validate(json.as_bytes());
    let warnings = report.findings().to_vec();
    report.into_result(false)?;
    Ok(Checked { json, warnings })
}

/// The ConfigMap manifest holding `json` under `key`: the same object (and, for the same input,
/// the same text) as `kubectl create configmap NAME --from-file=KEY=FILE --dry-run=client -o yaml`.
///
/// kubectl 1.35 omits `metadata.creationTimestamp`; so does this. Keys are in kubectl's
/// (alphabetical) order.
pub(crate) fn configmap(
    name: &str,
    namespace: Option<&str>,
    key: &str,
    json: &str,
) -> Result<String, Failure> {
    let mut metadata = Map::new();
    metadata.insert("name".to_owned(), Value::from(name));
    if let Some(namespace) = namespace {
        metadata.insert("namespace".to_owned(), Value::from(namespace));
    }
    let mut data = Map::new();
    data.insert(key.to_owned(), Value::from(json));
    let manifest = json!({
        "apiVersion": "v1",
        "data": data,
        "kind": "ConfigMap",
        "metadata": metadata,
    });
    serde_yaml::to_string(&manifest)
        .map_err(|e| Failure::usage(format!("cannot write the ConfigMap as YAML: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_help_shows_the_default_configmap() {
        // The help text cannot name the constant, so this keeps the two the same.
        let command = <OutputArgs as clap::Args>::augment_args(clap::Command::new("out"));
        let help = command
            .get_arguments()
            .find(|arg| arg.get_id() == "name")
            .and_then(|arg| arg.get_help())
            .map(ToString::to_string)
            .unwrap_or_default();
        assert!(
            help.ends_with(&format!("[default: {DEFAULT_LIVE_CONFIGMAP}]")),
            "{help}"
        );
    }

    #[test]
    fn configmap_flags_need_configmap_output() {
        let json = OutputArgs {
            output: Output::Json,
            name: None,
            key: Some("a.json".to_owned()),
            output_file: None,
        };
        let err = json.check(&[("--namespace", false)]).unwrap_err();
        assert_eq!(
            err.message,
            "--key applies to `-o configmap` only; add `-o configmap` or drop --key"
        );
        let err = OutputArgs {
            key: None,
            ..json.clone()
        }
        .check(&[("--namespace", true)])
        .unwrap_err();
        assert!(
            err.message.starts_with("--namespace applies"),
            "{}",
            err.message
        );
        let configmap = OutputArgs {
            output: Output::Configmap,
            ..json
        };
        assert!(configmap.check(&[("--namespace", true)]).is_ok());
    }
}
