//! `statusctl push FILE|-`: write one status document into one key of the live ConfigMap by
//! server-side apply, safely when several pipelines push at once.
//!
//! - The document is validated first (status-core); an invalid one is never pushed.
//! - Only `data.<key>` is applied, under a field manager of this key (`statusctl:<key>` by
//!   default): server-side apply removes fields a manager stops applying, so one manager name
//!   shared by pipelines pushing different keys would delete each other's keys.
//! - Out-of-order pushes are refused: the stored document's `last_check` is read first, and the
//!   apply carries the `resourceVersion` of that read, so a concurrent write in between makes
//!   the API server answer 409 and the decision is taken again on fresh data. That is what makes
//!   "eight pushes at once to one key: the newest wins" hold.
//! - Errors are classified into exit codes a CI step can act on (see [`exit`]).
//!
//! Kubernetes lives here and in `push/`, nowhere else in statusctl.

mod cluster;
mod failure;

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;
use status_core::{Severity, StatusDocument};

use crate::{exit as common, input, k8s_names, report};
use failure::{Attempt, Failure};

/// Exit codes of `statusctl push` (documented in docs/ci.md).
pub(crate) mod exit {
    /// Pushed (or, with `--dry-run`, the server accepted the dry run).
    pub(crate) const PUSHED: u8 = 0;
    /// The document is invalid: nothing was pushed.
    pub(crate) const INVALID: u8 = 1;
    /// Usage, configuration or I/O error (bad flags, unreadable file, no kubeconfig).
    pub(crate) const USAGE: u8 = 2;
    /// Refused: the stored document under the key is newer (`--force` overrides).
    pub(crate) const REFUSED: u8 = 3;
    /// The key is owned by another field manager (`--force` takes it over).
    pub(crate) const CONFLICT: u8 = 4;
    /// Authentication (401) or authorization (403) failed.
    pub(crate) const AUTH: u8 = 5;
    /// The API rejected the request: namespace not found, invalid (422: too large, bad key).
    pub(crate) const REJECTED: u8 = 6;
    /// The API server is unreachable, TLS verification failed, or retries/timeout ran out.
    pub(crate) const UNAVAILABLE: u8 = 7;
}

/// The field manager of the empty apply that creates a missing ConfigMap. It never owns a
/// field, so its applies never remove anything.
const CREATE_MANAGER: &str = "statusctl-create";

/// The ConfigMap the chart mounts as live status (`<fullname>-live` for the release name
/// `gitops-status-server`).
const DEFAULT_CONFIGMAP: &str = "gitops-status-server-live";

/// Arguments of `statusctl push`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit codes: 0 pushed, 1 invalid document (nothing sent), 2 usage or I/O error, \
3 refused (the stored document is newer), 4 the key is owned by another field manager, \
5 401/403, 6 rejected by the API (namespace not found, over 1 MiB, bad key), \
7 unreachable, TLS verification failed or timed out. See docs/ci.md."
)]
pub(crate) struct Args {
    /// The status document: a file, or `-` for standard input.
    #[arg(value_name = "FILE|-")]
    file: String,
    /// The kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then the in-cluster
    /// service account).
    #[arg(long, value_name = "PATH")]
    kubeconfig: Option<std::path::PathBuf>,
    /// The kubeconfig context (default: its current context).
    #[arg(long, value_name = "NAME")]
    context: Option<String>,
    /// The namespace (default: the context's, or the service account's).
    #[arg(long, short = 'n', value_name = "NAME", value_parser = k8s_names::parse_namespace)]
    namespace: Option<String>,
    /// The ConfigMap to write.
    #[arg(long, value_name = "NAME", default_value = DEFAULT_CONFIGMAP, value_parser = k8s_names::parse_configmap_name)]
    configmap: String,
    /// The key of the ConfigMap to write; the server serves `status.json` at /status.json and
    /// any other `NAME.json` at /status/NAME.json (not keys starting with `.`).
    #[arg(long, value_name = "KEY", default_value = "status.json", value_parser = k8s_names::parse_key)]
    key: String,
    /// The server-side apply field manager (default: `statusctl:<key>`, one per key, so that
    /// pipelines pushing different keys never remove each other's).
    #[arg(long, value_name = "NAME")]
    field_manager: Option<String>,
    /// Push even when the stored document is newer, and take the key over from another field
    /// manager.
    #[arg(long)]
    force: bool,
    /// Ask the API server for a dry run (dryRun=All) and print the resulting ConfigMap;
    /// nothing changes.
    #[arg(long)]
    dry_run: bool,
    /// Give up after this long, retries included (e.g. 30s, 2m).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = status_core::duration::parse)]
    timeout: Duration,
}

/// What a successful push did.
#[derive(Debug)]
struct Pushed {
    /// The ConfigMap as the API server returned it.
    configmap: ConfigMap,
    /// Whether the ConfigMap did not exist before.
    created: bool,
    /// Whether the key already held exactly this document.
    unchanged: bool,
}

pub(crate) fn run(args: Args) -> Result<ExitCode> {
    if !status_core::is_document_key(&args.key) {
        // Pushed all the same (the key is valid), but nobody would ever see it.
        eprintln!(
            "statusctl: warning: --key {:?} is not served: status-server serves only *.json keys that do not start with `.`",
            args.key
        );
    }
    let input = input::read(&args.file)?;
    let checked = status_core::validate(&input.bytes);
    for finding in checked.findings() {
        eprintln!("{}", report::human_line(&input.name, finding));
    }
    let errors = checked.of(Severity::Error).count();
    let Some(document) = checked.into_document() else {
        eprintln!(
            "statusctl: {} is not a valid status document ({errors} error{}); nothing was pushed",
            input.name,
            if errors == 1 { "" } else { "s" }
        );
        return Ok(common::code(exit::INVALID));
    };
    // The stored value is the document exactly as given: the server serves it byte for byte.
    let text = String::from_utf8(input.bytes).context("the document is not UTF-8")?;

    // The default process-wide TLS provider of rustls, for kube's client.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let timeout = args.timeout;
    let outcome = runtime.block_on(async {
        match tokio::time::timeout(timeout, push(&args, &text, &document)).await {
            Ok(result) => result,
            Err(_) => Err(Failure::new(
                exit::UNAVAILABLE,
                format!(
                    "gave up after --timeout {}: the API server did not answer in time; nothing is known to have been pushed",
                    crate::check::format_duration(timeout)
                ),
            )),
        }
    });
    match outcome {
        Ok(()) => Ok(common::code(exit::PUSHED)),
        Err(failure) => {
            eprintln!("statusctl: error: {}", failure.message);
            Ok(common::code(failure.code))
        }
    }
}

/// Loads the configuration, then pushes with bounded retries.
async fn push(args: &Args, text: &str, document: &StatusDocument) -> Result<(), Failure> {
    let target = cluster::load(
        args.kubeconfig.as_deref(),
        args.context.as_deref(),
        args.timeout,
    )
    .await?;
    let namespace = args
        .namespace
        .clone()
        .unwrap_or_else(|| target.config.default_namespace.clone());
    let server = target
        .config
        .cluster_url
        .to_string()
        .trim_end_matches('/')
        .to_owned();
    let client = kube::Client::try_from(target.config)
        .map_err(|e| failure::classify(&e, &server).into_failure())?;
    let api: Api<ConfigMap> = Api::namespaced(client, &namespace);
    let manager = args
        .field_manager
        .clone()
        .unwrap_or_else(|| format!("statusctl:{}", args.key));
    let ctx = Pusher {
        args,
        api: &api,
        namespace: &namespace,
        manager: &manager,
        server: &server,
        created: std::cell::Cell::new(false),
    };

    const MAX_TRANSIENT: u32 = 5;
    const MAX_RACES: u32 = 20;
    let (mut transient, mut races) = (0u32, 0u32);
    loop {
        match ctx.attempt(text, document).await {
            Ok(pushed) => {
                checkedpushed(&ctx, &pushed, document);
                return Ok(());
            }
            Err(attempt @ (Attempt::Again | Attempt::Race)) => {
                // Again: the ConfigMap was just created. Race: someone else wrote it between
                // our read and our apply. Either way, read again (boundedly).
                races += 1;
                if races > MAX_RACES {
                    return Err(Failure::new(
                        exit::UNAVAILABLE,
                        format!(
                            "the ConfigMap {namespace}/{} kept changing under {MAX_RACES} attempts; nothing was pushed",
                            args.configmap
                        ),
                    ));
                }
                if matches!(attempt, Attempt::Race) {
                    tokio::time::sleep(jitter(Duration::from_millis(
                        10 + 10 * u64::from(races.min(10)),
                    )))
                    .await;
                }
            }
            Err(Attempt::Transient(why)) => {
                transient += 1;
                if transient > MAX_TRANSIENT {
                    return Err(Failure::new(
                        exit::UNAVAILABLE,
                        format!("{why}; gave up after {} attempts", MAX_TRANSIENT + 1),
                    ));
                }
                let delay = jitter(
                    Duration::from_millis(200 * 2u64.pow(transient - 1))
                        .min(Duration::from_secs(3)),
                );
                eprintln!(
                    "statusctl: {why}; retrying in {} ms ({transient}/{MAX_TRANSIENT})",
                    delay.as_millis()
                );
                tokio::time::sleep(delay).await;
            }
            Err(Attempt::Fatal(failure)) => return Err(failure),
        }
    }
}

/// What one attempt works with.
struct Pusher<'a> {
    args: &'a Args,
    api: &'a Api<ConfigMap>,
    namespace: &'a str,
    manager: &'a str,
    server: &'a str,
    /// Whether this push created the ConfigMap (in an earlier round).
    created: std::cell::Cell<bool>,
}

impl Pusher<'_> {
    /// One read-decide-apply round.
    async fn attempt(&self, text: &str, document: &StatusDocument) -> Result<Pushed, Attempt> {
        let name = &self.args.configmap;
        let key = &self.args.key;
        let current = self
            .api
            .get_opt(name)
            .await
            .map_err(|e| self.explain(failure::classify(&e, self.server)))?;
        let Some(current) = current else {
            if self.args.dry_run {
                let configmap = self.apply(text, None).await?;
                return Ok(Pushed {
                    configmap,
                    created: true,
                    unchanged: false,
                });
            }
            // Create the ConfigMap empty first (by apply, the one create a `resourceNames`
            // Role allows), under a manager that owns nothing, then go around: the push itself
            // is then always guarded by a resourceVersion.
            let empty = json!({
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": name, "namespace": self.namespace},
            });
            self.api
                .patch(
                    name,
                    &PatchParams::apply(CREATE_MANAGER),
                    &Patch::Apply(&empty),
                )
                .await
                .map_err(|e| self.explain(failure::classify(&e, self.server)))?;
            self.created.set(true);
            return Err(Attempt::Again);
        };
        let stored = current.data.as_ref().and_then(|d| d.get(key.as_str()));
        if let Some(stored) = stored {
            match status_core::parse(stored.as_bytes()) {
                Ok(old) if old.last_check() > document.last_check() && !self.args.force => {
                    return Err(Attempt::Fatal(Failure::new(
                        exit::REFUSED,
                        format!(
                            "refusing to push: configmap {}/{name} key {key} holds a document with last_check {}, newer than this document's last_check {} (an older pipeline finishing after a newer one?); nothing was pushed. Use --force to push anyway",
                            self.namespace,
                            status_core::format_timestamp(&old.last_check()),
                            status_core::format_timestamp(&document.last_check()),
                        ),
                    )));
                }
                Ok(_) => {}
                Err(_) => eprintln!(
                    "statusctl: warning: configmap {}/{name} key {key} holds an invalid document; replacing it",
                    self.namespace
                ),
            }
        }
        let unchanged = stored.is_some_and(|s| s == text);
        let version = current.metadata.resource_version.clone();
        let configmap = self.apply(text, version).await?;
        Ok(Pushed {
            configmap,
            created: self.created.get(),
            unchanged,
        })
    }

    /// The server-side apply of `data.<key>` alone.
    async fn apply(
        &self,
        text: &str,
        resource_version: Option<String>,
    ) -> Result<ConfigMap, Attempt> {
        let mut metadata = json!({"name": self.args.configmap, "namespace": self.namespace});
        if let Some(rv) = resource_version {
            metadata["resourceVersion"] = rv.into();
        }
        let body = json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": metadata,
            "data": {self.args.key.as_str(): text},
        });
        let mut params = PatchParams::apply(self.manager);
        params.force = self.args.force;
        params.dry_run = self.args.dry_run;
        self.api
            .patch(&self.args.configmap, &params, &Patch::Apply(&body))
            .await
            .map_err(|e| self.explain(failure::classify(&e, self.server)))
    }

    /// Adds what a CI log reader needs to act on a fatal failure.
    fn explain(&self, attempt: Attempt) -> Attempt {
        match attempt {
            Attempt::Fatal(f) => Attempt::Fatal(failure::explain(
                f,
                &failure::Target {
                    server: self.server,
                    namespace: self.namespace,
                    configmap: &self.args.configmap,
                    key: &self.args.key,
                },
            )),
            other => other,
        }
    }
}

fn checkedpushed(ctx: &Pusher<'_>, pushed: &Pushed, document: &StatusDocument) {
    let version = pushed
        .configmap
        .metadata
        .resource_version
        .as_deref()
        .unwrap_or("-");
    let what = match (pushed.created, pushed.unchanged) {
        (true, _) => "created",
        (false, true) => "unchanged",
        (false, false) => "updated",
    };
    let last_check = status_core::format_timestamp(&document.last_check());
    if ctx.args.dry_run {
        let mut configmap = pushed.configmap.clone();
        configmap.metadata.managed_fields = None;
        match serde_yaml::to_string(&configmap) {
            Ok(yaml) => print!("{yaml}"),
            Err(e) => eprintln!("statusctl: warning: cannot print the ConfigMap: {e}"),
        }
        eprintln!(
            "statusctl: dry run: configmap {}/{} key {} would be {what} (last_check {last_check}); nothing was changed",
            ctx.namespace, ctx.args.configmap, ctx.args.key
        );
    } else {
        println!(
            "configmap {}/{} key {} {what} (last_check {last_check}, resourceVersion {version}, field manager {})",
            ctx.namespace, ctx.args.configmap, ctx.args.key, ctx.manager
        );
    }
}

/// `base` plus up to 100% random jitter, so that racing pushers spread out.
fn jitter(base: Duration) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    base + Duration::from_nanos(random % (base.as_nanos().max(1) as u64))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    #[test]
    fn timeout_takes_status_cores_duration_grammar() {
        for (text, expected) in crate::check::tests::ACCEPTED_BEFORE {
            let cli = crate::Cli::try_parse_from([
                "statusctl",
                "push",
                "doc.json",
                &format!("--timeout={text}"),
            ])
            .unwrap();
            let crate::Command::Push(args) = cli.command else {
                panic!("not push");
            };
            assert_eq!(args.timeout, expected, "{text}");
        }
    }
}
