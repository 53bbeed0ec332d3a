//! `statusctl get` and `statusctl check`: read a document from a running status-server.
//!
//! `get` prints the served document as served. `check` is a gate for pipelines and cron
//! alerts: exit 0 when healthy, 1 when stale (`--max-age`), not synced (`--require-synced`) or
//! drifted (`--max-drift`), 2 when the server cannot be read or serves an invalid document.
//! The HTTP side (the client, the bounded body read, URLs in messages) is `http.rs`.
//!
//! `--url` takes the server's base URL (`http://host:port`): `get`/`check` then read
//! `/status.json`, or `/status/NAME.json` with `--name NAME`. A URL with a path ending in
//! `.json` is used as it is.

use std::time::Duration;

use chrono::Utc;
use serde_json::json;
use status_core::{StatusDocument, SyncStatus, duration};

use crate::console;
use crate::exit::{Exit, Failure};
use crate::report::{self, printable};
use crate::{flags, http};

/// Arguments of `statusctl get`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit codes: 0 printed a valid document, 2 cannot read (unreachable, timeout, non-200, over 1 MiB, invalid document)."
)]
pub(crate) struct GetArgs {
    #[command(flatten)]
    source: Source,
}

/// Arguments of `statusctl check`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit codes: 0 healthy, 1 stale, out of sync or drifted, 2 cannot read (unreachable, timeout, non-200, over 1 MiB, invalid document)."
)]
pub(crate) struct CheckArgs {
    #[command(flatten)]
    source: Source,
    /// Unhealthy when `last_check` is older than this (e.g. 10m, 1h30m, or 90 for seconds).
    #[arg(long, value_name = "DURATION", value_parser = duration::parse)]
    max_age: Option<Duration>,
    /// Unhealthy unless `sync_status` is SYNCED.
    #[arg(long)]
    require_synced: bool,
    /// Unhealthy when `drift_count` is above this.
    #[arg(long, value_name = "N")]
    max_drift: Option<u64>,
    /// Output: `human` (one line) or `json` (one object, for scripts).
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    format: CheckFormat,
}

/// Where the document is.
#[derive(Debug, clap::Args)]
struct Source {
    /// The status-server's base URL (http://host:port), or a document's full URL.
    #[arg(long, value_name = "URL")]
    url: String,
    /// The document's name: its ConfigMap key (`payments.json`) or that without `.json`.
    #[arg(long, value_name = "KEY")]
    name: Option<String>,
    /// Give up after this long: connecting, the answer and its whole body.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = flags::timeout)]
    timeout: Duration,
}

/// Output formats of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum CheckFormat {
    Human,
    Json,
}

/// A document read from a server.
struct Fetched {
    url: String,
    body: Vec<u8>,
    document: StatusDocument,
}

impl Source {
    /// The document's URL.
    fn document_url(&self) -> String {
        http::document_url(&self.url, self.name.as_deref())
    }

    /// GETs and validates the document, all of it within `--timeout`; `Err` is the message
    /// for "cannot read" (exit 2).
    fn fetch(&self) -> Result<Fetched, String> {
        let url = self.document_url();
        let shown = http::shown(&url);
        let answer = http::Http::new()?
            .get(&url, None, self.timeout)
            .map_err(|why| format!("cannot read {shown}: {why}"))?;
        if !answer.status.is_success() {
            return Err(format!(
                "cannot read {shown}: the server answered {}",
                answer.status
            ));
        }
        let body = answer.body;
        match status_core::validate(&body).into_result(false) {
            Ok(document) => Ok(Fetched {
                url: shown,
                body,
                document,
            }),
            Err(status_core::Error::Invalid { findings }) => {
                let findings: Vec<String> = findings
                    .iter()
                    .map(|f| format!("  {}", printable(&f.to_string())))
                    .collect();
                Err(format!(
                    "{shown} serves an invalid status document:\n{}",
                    findings.join("\n")
                ))
            }
            Err(other) => Err(format!(
                "{shown} serves an invalid status document: {other}"
            )),
        }
    }
}

pub(crate) fn get(args: GetArgs) -> Result<Exit, Failure> {
    use std::io::Write;
    let fetched = args.source.fetch().map_err(Failure::usage)?;
    let mut out = std::io::stdout().lock();
    report::quiet_broken_pipe(out.write_all(&fetched.body).and_then(|()| {
        if fetched.body.ends_with(b"\n") {
            Ok(())
        } else {
            out.write_all(b"\n")
        }
    }))
    .and_then(|()| out.flush())
    .map_err(|e| Failure::usage(format!("cannot write to standard output: {e}")))?;
    Ok(Exit::Success)
}

pub(crate) fn check(args: CheckArgs) -> Result<Exit, Failure> {
    let fetched = match args.source.fetch() {
        Ok(fetched) => fetched,
        Err(message) => {
            if args.format == CheckFormat::Json {
                console::stdout(
                    &json!({"url": http::shown(&args.source.document_url()), "healthy": false, "readable": false, "error": message})
                        .to_string(),
                )?;
            }
            return Err(Failure::usage(message));
        }
    };
    let doc = &fetched.document;
    let age = Utc::now().signed_duration_since(doc.last_check());
    let age_seconds = age.num_seconds();
    let mut problems = Vec::new();
    if let Some(max_age) = args.max_age
        && age.to_std().is_ok_and(|age| age > max_age)
    {
        problems.push(format!(
            "stale: last_check {} is {} old, more than --max-age {}",
            status_core::format_timestamp(&doc.last_check()),
            duration::format(Duration::from_secs(age_seconds.max(0).unsigned_abs())),
            duration::format(max_age)
        ));
    }
    if args.require_synced && doc.sync_status() != SyncStatus::Synced {
        problems.push(format!(
            "not synced: sync_status is {}",
            doc.sync_status().as_str()
        ));
    }
    if let Some(max) = args.max_drift
        && doc.drift_count() > max
    {
        problems.push(format!(
            "drifted: drift_count {} is above --max-drift {max}",
            doc.drift_count()
        ));
    }
    let healthy = problems.is_empty();
    match args.format {
        CheckFormat::Json => console::stdout(
            &json!({
                "url": fetched.url,
                "healthy": healthy,
                "readable": true,
                "problems": problems,
                "repo": doc.repo(),
                "server": doc.server(),
                "sync_status": doc.sync_status().as_str(),
                "drift_count": doc.drift_count(),
                "last_check": status_core::format_timestamp(&doc.last_check()),
                "age_seconds": age_seconds,
            })
            .to_string(),
        )?,
        CheckFormat::Human => {
            // The document is anyone's text: escaped, so that it stays on this line.
            let summary = format!(
                "{} on {}: {}, drift {}, last_check {} ({} ago)",
                printable(doc.repo()),
                printable(doc.server()),
                doc.sync_status().as_str(),
                doc.drift_count(),
                status_core::format_timestamp(&doc.last_check()),
                duration::format(Duration::from_secs(age_seconds.max(0).unsigned_abs())),
            );
            if healthy {
                console::stdout(&format!("healthy: {summary}"))?;
            } else {
                console::stdout(&format!("unhealthy: {summary}"))?;
                for problem in &problems {
                    console::stdout(&format!("  - {problem}"))?;
                }
            }
        }
    }
    Ok(if healthy { Exit::Success } else { Exit::Failed })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use clap::Parser;

    /// What `statusctl` and status-server each accepted before they shared one grammar.
    pub(crate) const ACCEPTED_BEFORE: [(&str, Duration); 6] = [
        ("90", Duration::from_secs(90)),
        ("90s", Duration::from_secs(90)),
        ("10m", Duration::from_secs(600)),
        ("1h30m", Duration::from_secs(5400)),
        ("250ms", Duration::from_millis(250)),
        ("1d", Duration::from_secs(86_400)),
    ];

    #[test]
    fn duration_flags_take_status_cores_grammar() {
        // `--flag=value`, so that clap takes `-1s` as a value, not as a flag.
        let check = |text: &str| {
            crate::Cli::try_parse_from([
                "statusctl",
                "check",
                "--url",
                "http://h",
                &format!("--max-age={text}"),
                &format!("--timeout={text}"),
            ])
        };
        for (text, expected) in ACCEPTED_BEFORE {
            let crate::Command::Check(args) = check(text).unwrap().command else {
                panic!("not check");
            };
            assert_eq!(args.max_age, Some(expected), "{text}");
            assert_eq!(args.source.timeout, expected, "{text}");
        }
        for bad in ["", "soon", "10 minutes", "-1s", "1.5h", "1h30", "3651d"] {
            let err = check(bad).unwrap_err().to_string();
            assert!(
                err.contains(&format!("`{bad}` is not a duration")),
                "{bad:?}: {err}"
            );
        }
    }
}
