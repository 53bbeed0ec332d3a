//! `statusctl get` and `statusctl check`: read a document from a running status-server.
//!
//! `get` prints the served document as served. `check` is a gate for pipelines and cron
//! alerts: exit 0 when healthy, 1 when stale (`--max-age`), not synced (`--require-synced`) or
//! drifted (`--max-drift`), 2 when the server cannot be read or serves an invalid document.
//! Bodies are read up to 1 MiB (`MAX_DOCUMENT_BYTES`, a ConfigMap's limit) and refused beyond.
//!
//! `--url` takes the server's base URL (`http://host:port`): `get`/`check` then read
//! `/status.json`, or `/status/NAME.json` with `--name NAME`. A URL with a path ending in
//! `.json` is used as it is.

use std::time::Duration;

use chrono::Utc;
use serde_json::json;
use status_core::{MAX_DOCUMENT_BYTES, StatusDocument, SyncStatus, duration};

use crate::exit::{Exit, Failure};

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
    /// Give up on the request after this long.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = duration::parse)]
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
        let base = self.url.trim_end_matches('/');
        let has_path = base
            .split_once("://")
            .map_or(base, |(_, rest)| rest)
            .contains('/');
        if has_path && base.ends_with(".json") {
            return base.to_owned();
        }
        match self
            .name
            .as_deref()
            .map(|n| n.strip_suffix(".json").unwrap_or(n))
        {
            None | Some("status") => format!("{base}/status.json"),
            Some(name) => format!("{base}/status/{name}.json"),
        }
    }

    /// GETs and validates the document; `Err` is the message for "cannot read" (exit 2).
    fn fetch(&self) -> Result<Fetched, String> {
        let url = self.document_url();
        let client = reqwest::blocking::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.timeout)
            .user_agent(concat!("statusctl/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot set up the HTTP client: {e}"))?;
        let response = client.get(&url).send().map_err(|e| {
            let why = if e.is_timeout() {
                format!("no answer within {}", duration::format(self.timeout))
            } else if e.is_connect() {
                "cannot connect".to_owned()
            } else {
                "request failed".to_owned()
            };
            format!("cannot read {url}: {why} ({})", error_chain(&e))
        })?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("cannot read {url}: the server answered {status}"));
        }
        let body = read_body(response, &url)?;
        match status_core::validate(&body).into_result(false) {
            Ok(document) => Ok(Fetched {
                url,
                body,
                document,
            }),
            Err(status_core::Error::Invalid { findings }) => {
                let findings: Vec<String> = findings.iter().map(|f| format!("  {f}")).collect();
                Err(format!(
                    "{url} serves an invalid status document:\n{}",
                    findings.join("\n")
                ))
            }
            Err(other) => Err(format!("{url} serves an invalid status document: {other}")),
        }
    }
}

/// Reads at most [`MAX_DOCUMENT_BYTES`] of a response body: a wrong `--url` (a download, a
/// server streaming forever) must fail, not fill memory. A declared `Content-Length` over the
/// limit is refused before reading anything; without one, one byte past the limit is read to
/// tell "exactly 1 MiB" from "more".
fn read_body(response: reqwest::blocking::Response, url: &str) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let too_large = |size: String| {
        format!(
            "cannot read {url}: the response is too large (over 1 MiB{size}); a status document holds at most {MAX_DOCUMENT_BYTES} bytes"
        )
    };
    if let Some(length) = response.content_length()
        && length > MAX_DOCUMENT_BYTES as u64
    {
        return Err(too_large(format!(": Content-Length {length}")));
    }
    let mut body = Vec::new();
    response
        .take(MAX_DOCUMENT_BYTES as u64 + 1)
        .read_to_end(&mut body)
        .map_err(|e| format!("cannot read {url}: {}", error_chain(&e)))?;
    if body.len() > MAX_DOCUMENT_BYTES {
        return Err(too_large(String::new()));
    }
    Ok(body)
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

pub(crate) fn get(args: GetArgs) -> Result<Exit, Failure> {
    use std::io::Write;
    let fetched = args.source.fetch().map_err(Failure::usage)?;
    let mut out = std::io::stdout().lock();
    crate::report::quiet_broken_pipe(out.write_all(&fetched.body).and_then(|()| {
        if fetched.body.ends_with(b"\n") {
            Ok(())
        } else {
            out.write_all(b"\n")
        }
    }))?;
    Ok(Exit::Success)
}

pub(crate) fn check(args: CheckArgs) -> Result<Exit, Failure> {
    let fetched = match args.source.fetch() {
        Ok(fetched) => fetched,
        Err(message) => {
            if args.format == CheckFormat::Json {
                println!(
                    "{}",
                    json!({"url": args.source.document_url(), "healthy": false, "readable": false, "error": message})
                );
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
        CheckFormat::Json => println!(
            "{}",
            json!({
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
        ),
        CheckFormat::Human => {
            let summary = format!(
                "{} on {}: {}, drift {}, last_check {} ({} ago)",
                doc.repo(),
                doc.server(),
                doc.sync_status().as_str(),
                doc.drift_count(),
                status_core::format_timestamp(&doc.last_check()),
                duration::format(Duration::from_secs(age_seconds.max(0).unsigned_abs())),
            );
            if healthy {
                println!("healthy: {summary}");
            } else {
                println!("unhealthy: {summary}");
                for problem in &problems {
                    println!("  - {problem}");
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

    #[test]
    fn urls_are_built_from_a_base() {
        let source = |url: &str, name: Option<&str>| Source {
            url: url.to_owned(),
            name: name.map(str::to_owned),
            timeout: Duration::from_secs(1),
        };
        assert_eq!(
            source("http://h:8080", None).document_url(),
            "http://h:8080/status.json"
        );
        assert_eq!(
            source("http://h:8080/", Some("payments.json")).document_url(),
            "http://h:8080/status/payments.json"
        );
        assert_eq!(
            source("http://h:8080", Some("status.json")).document_url(),
            "http://h:8080/status.json"
        );
        assert_eq!(
            source("http://h/x/status.json", None).document_url(),
            "http://h/x/status.json"
        );
    }
}
