//! `statusctl render`: build a status document (or a ConfigMap manifest holding one) from flags.
//!
//! The document is built, serialised, and the exact bytes that would be written are validated by
//! status-core before anything is printed: render never writes an invalid document. Warnings go
//! to stderr and do not stop it. [`build`] and [`output::configmap`] are pure, so the round-trip property
//! (anything render writes, validate accepts) is tested in-process as well as through the binary.

use std::io::Write;

use chrono::{DateTime, FixedOffset, Utc};
use status_core::{Finding, HealthStatus, StatusDocument, SyncStatus};
use status_kube::names;

use crate::exit::{Exit, Failure};
use crate::output::{self, Checked, OutputArgs};
use crate::{input, report};

/// Arguments of `statusctl render`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct Args {
    /// The Git repository the deployment is synced from (a name or a URL).
    #[arg(long)]
    pub(crate) repo: String,
    /// The cluster or server the repository is deployed to.
    #[arg(long)]
    pub(crate) server: String,
    /// SYNCED, OUT_OF_SYNC, UNKNOWN or ERROR; Argo CD's Synced, OutOfSync, Unknown and any case
    /// are accepted and written in the canonical spelling.
    #[arg(long, value_name = "STATUS", value_parser = parse_sync_status)]
    pub(crate) sync_status: SyncStatus,
    /// A drifted file; repeat for several. Listed before those of --files-from.
    #[arg(long = "file", value_name = "FILE")]
    pub(crate) files: Vec<String>,
    /// Read drifted files from FILE, one per line (`-` for standard input); blank lines are
    /// skipped, CRLF line ends are accepted.
    #[arg(long, value_name = "FILE|-")]
    pub(crate) files_from: Option<String>,
    /// How many resources or files drifted [default: the number of files]
    #[arg(long, value_name = "N", value_parser = parse_drift_count, allow_hyphen_values = true)]
    pub(crate) drift_count: Option<u64>,
    /// When the status was checked, RFC 3339 [default: now, UTC, whole seconds]
    #[arg(long, value_name = "TIMESTAMP", value_parser = parse_timestamp)]
    pub(crate) last_check: Option<DateTime<FixedOffset>>,
    /// The Argo CD Application, or any deployable unit's name, that the document describes.
    #[arg(long, value_name = "NAME")]
    pub(crate) app: Option<String>,
    /// The Git revision (commit SHA, tag or branch) that was checked.
    #[arg(long)]
    pub(crate) revision: Option<String>,
    /// Argo CD's health status: Healthy, Progressing, Degraded, Suspended, Missing or Unknown
    /// (any case).
    #[arg(long, value_name = "STATUS", value_parser = parse_health_status)]
    pub(crate) health_status: Option<HealthStatus>,
    /// A free-form message for people, such as the last sync result.
    #[arg(long)]
    pub(crate) message: Option<String>,
    /// The environment name (production, staging, ...).
    #[arg(long)]
    pub(crate) environment: Option<String>,
    /// The ConfigMap's namespace (-o configmap); omitted from the manifest when not given.
    #[arg(long, value_parser = names::parse_namespace)]
    pub(crate) namespace: Option<String>,
    #[command(flatten)]
    pub(crate) out: OutputArgs,
}

pub(crate) fn run(args: Args) -> Result<Exit, Failure> {
    args.out
        .check(&[("--namespace", args.namespace.is_some())])?;
    let listed = match &args.files_from {
        Some(arg) => {
            let input = input::read(arg).map_err(|e| e.context("--files-from"))?;
            parse_file_list(&input.name, &input.bytes)?
        }
        None => Vec::new(),
    };
    let rendered = match build(&args, listed, Utc::now()) {
        Ok(rendered) => rendered,
        Err(status_core::Error::Invalid { findings }) => {
            let mut err = std::io::stderr().lock();
            for finding in &findings {
                writeln!(err, "statusctl: {}", flag_finding(finding))?;
            }
            writeln!(
                err,
                "statusctl: error: the document built from the flags is invalid; nothing was written"
            )?;
            return Ok(Exit::Failed);
        }
        Err(other) => return Err(Failure::usage(other.to_string())),
    };
    {
        let mut err = std::io::stderr().lock();
        for finding in &rendered.warnings {
            writeln!(err, "statusctl: {}", flag_finding(finding))?;
        }
    }
    args.out.write(args.namespace.as_deref(), &rendered.json)?;
    Ok(Exit::Success)
}

/// Builds the document from `args` plus the files read from `--files-from`, at `now`.
///
/// Fails with status-core's [`status_core::Error::Invalid`], holding the failing findings, when
/// it rejects the result (an empty `--repo`, say).
pub(crate) fn build(
    args: &Args,
    listed: Vec<String>,
    now: DateTime<Utc>,
) -> Result<Checked, status_core::Error> {
    let last_check = args.last_check.unwrap_or_else(|| {
        // Whole seconds: sub-second digits are noise in a status page and in diffs.
        DateTime::from_timestamp(now.timestamp(), 0)
            .unwrap_or(now)
            .fixed_offset()
    });
    // drift_count defaults to the number of files, in the builder as here.
    let mut builder =
        StatusDocument::builder(&args.repo, &args.server, args.sync_status, last_check)
            .files(args.files.iter().cloned().chain(listed));
    if let Some(drift_count) = args.drift_count {
        builder = builder.drift_count(drift_count);
    }
    if let Some(app) = &args.app {
        builder = builder.app(app);
    }
    if let Some(revision) = &args.revision {
        builder = builder.revision(revision);
    }
    if let Some(health_status) = args.health_status {
        builder = builder.health_status(health_status);
    }
    if let Some(message) = &args.message {
        builder = builder.message(message);
    }
    if let Some(environment) = &args.environment {
        builder = builder.environment(environment);
    }
    // Check the very bytes that will be written, not the struct they came from; this also
    // yields the warnings, which the builder does not report.
    output::checked(&builder.build()?, now)
}

/// The file names in a `--files-from` input: one per line, blank lines skipped, `\r\n` accepted.
pub(crate) fn parse_file_list(name: &str, bytes: &[u8]) -> Result<Vec<String>, Failure> {
    let mut files = Vec::new();
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let line = std::str::from_utf8(line).map_err(|e| {
            Failure::usage(format!(
                "--files-from {name}: line {} is not UTF-8 (byte {} of the line); file names must be UTF-8",
                i + 1,
                e.valid_up_to() + 1
            ))
        })?;
        if !line.trim().is_empty() {
            files.push(line.to_owned());
        }
    }
    Ok(files)
}

/// A finding about a built document, naming the flag its field came from.
fn flag_finding(finding: &Finding) -> String {
    let field = finding
        .path()
        .strip_prefix("$.")
        .map(|p| p.split(['.', '[']).next().unwrap_or(p))
        .unwrap_or("");
    let flag = match field {
        "files" => "--file/--files-from".to_owned(),
        "" => String::new(),
        other => format!("--{}", other.replace('_', "-")),
    };
    let from = if flag.is_empty() {
        String::new()
    } else {
        format!(" (from {flag})")
    };
    format!(
        "{}[{}] {}{from}: {}",
        finding.severity(),
        finding.code().name(),
        report::printable(finding.path()),
        report::printable(finding.message())
    )
}

fn parse_sync_status(s: &str) -> Result<SyncStatus, String> {
    s.parse::<SyncStatus>().map_err(expected_values)
}

fn parse_health_status(s: &str) -> Result<HealthStatus, String> {
    s.parse::<HealthStatus>().map_err(expected_values)
}

/// "expected one of ...": the values as status-core lists them (clap names the flag and value).
fn expected_values(e: status_core::Error) -> String {
    match e {
        status_core::Error::UnknownValue { expected, .. } => format!("expected one of {expected}"),
        other => other.to_string(),
    }
}

fn parse_drift_count(s: &str) -> Result<u64, String> {
    s.parse::<u64>()
        .map_err(|_| "expected a whole number >= 0".to_owned())
}

fn parse_timestamp(s: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(s).map_err(|e| {
        format!("expected an RFC 3339 timestamp with an offset, such as 2026-04-21T10:00:00Z ({e})")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn args(repo: &str, server: &str) -> Args {
        Args {
            repo: repo.to_owned(),
            server: server.to_owned(),
            sync_status: SyncStatus::OutOfSync,
            files: Vec::new(),
            files_from: None,
            drift_count: None,
            last_check: None,
            app: None,
            revision: None,
            health_status: None,
            message: None,
            environment: None,
            namespace: None,
            out: OutputArgs {
                output: output::Output::Json,
                name: None,
                key: None,
                output_file: None,
            },
        }
    }

    #[test]
    fn the_help_names_every_value_of_status_cores_tables() {
        use clap::CommandFactory;
        let mut cli = crate::Cli::command();
        let render = cli.find_subcommand_mut("render").unwrap();
        let help = |flag: &str| {
            let arg = render
                .get_arguments()
                .find(|a| a.get_long() == Some(flag))
                .unwrap();
            arg.get_help().unwrap().to_string()
        };
        let sync = help("sync-status");
        for value in SyncStatus::ALL {
            assert!(
                sync.contains(value.as_str()),
                "--sync-status help lacks {value}: {sync}"
            );
        }
        let health = help("health-status");
        for value in HealthStatus::ALL {
            assert!(
                health.contains(value.as_str()),
                "--health-status help lacks {value}: {health}"
            );
        }
    }

    #[test]
    fn file_list_skips_blank_lines_and_accepts_crlf() {
        let files = parse_file_list("x", b"a.yaml\r\n\r\n  \nb c.yaml\nlast").unwrap();
        assert_eq!(files, ["a.yaml", "b c.yaml", "last"]);
        let err = parse_file_list("list.txt", b"ok\nbad\xff\n").unwrap_err();
        assert!(err.message.contains("line 2 is not UTF-8"), "{err:?}");
    }

    #[test]
    fn empty_repo_is_rejected_with_its_finding() {
        let Err(status_core::Error::Invalid { findings }) =
            build(&args(" ", "s"), Vec::new(), Utc::now())
        else {
            panic!("a blank --repo was rendered");
        };
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].path(), "$.repo");
        assert_eq!(
            flag_finding(&findings[0]),
            "error[empty-string] $.repo (from --repo): $.repo is empty; expected a non-empty string"
        );
    }

    fn text() -> impl Strategy<Value = String> {
        // Unicode, quotes, backslashes, control characters and YAML's own line breaks.
        prop_oneof![
            "[a-zA-Z0-9._/ -]{0,12}",
            any::<String>(),
            "[\"\\\\\n\r\t\u{85}\u{2028}\u{feff}:#ä😀 -]{0,8}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Anything `build` returns, status-core accepts; and `-o configmap` carries it intact.
        #[test]
        fn whatever_render_writes_validate_accepts(
            repo in text(),
            server in text(),
            status in 0usize..4,
            files in proptest::collection::vec(text(), 0..5),
            drift in proptest::option::of(0u64..10),
            message in proptest::option::of(text()),
            seconds in 0i64..4_102_444_800,
        ) {
            let mut a = args(&repo, &server);
            a.sync_status = SyncStatus::ALL[status];
            a.drift_count = drift;
            a.message = message;
            a.last_check = DateTime::from_timestamp(seconds, 0).map(|t| t.fixed_offset());
            let now = Utc::now();
            let blank = |s: &String| s.trim().is_empty();
            let refused = blank(&repo) || blank(&server) || files.iter().any(blank);
            let result = build(&a, files, now);
            prop_assert_eq!(result.is_err(), refused);
            match result {
                Ok(rendered) => {
                    let report = status_core::Validator::new().now(now).validate(rendered.json.as_bytes());
                    prop_assert!(report.is_valid(), "{:?}", report.findings());
                    let yaml = output::configmap("n", Some("ns"), "status.json", &rendered.json).unwrap();
                    let back: serde_yaml::Value = serde_yaml::from_str(&yaml).unwrap();
                    prop_assert_eq!(back["data"]["status.json"].as_str(), Some(rendered.json.as_str()));
                }
                Err(status_core::Error::Invalid { findings }) => {
                    prop_assert!(!findings.is_empty());
                    prop_assert!(findings.iter().all(|f| f.code().name() == "empty-string"), "{:?}", findings);
                }
                Err(other) => prop_assert!(false, "{other}"),
            }
        }
    }
}
