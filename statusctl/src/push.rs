//! `statusctl push FILE|-`: write one status document into one key of the live ConfigMap by
//! server-side apply, safely when several pipelines push at once.
//!
//! - The document is validated first (status-core); an invalid one is never pushed.
//! - Only `data.<key>` is applied, under a field manager of this key (`statusctl:<key>` by
//!   default, `push/manager.rs`): server-side apply removes fields a manager stops applying,
//!   so one manager name shared by pipelines pushing different keys would delete each other's
//!   keys.
//! - Out-of-order pushes are refused: the stored document's `last_check` is read first, and the
//!   apply carries the `resourceVersion` of that read, so a concurrent write in between makes
//!   the API server answer 409 and the decision is taken again on fresh data. That is what makes
//!   "eight pushes at once to one key: the newest wins" hold.
//! - Errors are sorted by status-kube into classes, which `push/failure.rs` maps to exit codes
//!   a CI step can act on (see [`Exit`]) and to advice.
//! - With `--wait-url`, `push/wait.rs` then polls the status-server until it serves the
//!   pushed document (exit 8, [`Exit::NotServed`], when it does not in time).
//!
//! statusctl reaches Kubernetes here only, and only through status-kube.

mod failure;
mod manager;
mod wait;

use std::time::Duration;

use serde_json::json;
use status_core::{Severity, StatusDocument, duration};
use status_kube::k8s_openapi::api::core::v1::ConfigMap;
use status_kube::kube::api::{Api, Patch, PatchParams};
use status_kube::names::{self, DEFAULT_LIVE_CONFIGMAP};
use status_kube::{Request, Verb};

use crate::cluster::{self, KubeArgs};
use crate::exit::{Exit, Failure};
use crate::report::printable;
use crate::{console, input, report};
use failure::{Attempt, Target};

/// The field manager of the empty apply that creates a missing ConfigMap. It never owns a
/// field, so its applies never remove anything.
const CREATE_MANAGER: &str = "statusctl-create";

/// Arguments of `statusctl push`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit codes: 0 pushed (and served, with --wait-url), 1 invalid document (nothing sent), \
2 usage or I/O error, 3 refused (the stored document is newer), 4 the key is owned by another field manager, \
5 401/403, 6 rejected by the API (namespace not found, over 1 MiB, bad key), \
7 unreachable, TLS verification failed or timed out, \
8 pushed, but not served by --wait-url within --wait-timeout. See docs/ci.md."
)]
pub(crate) struct Args {
    /// The status document: a file, or `-` for standard input.
    #[arg(value_name = "FILE|-")]
    file: String,
    #[command(flatten)]
    kube: KubeArgs,
    /// The namespace (default: the context's, or the service account's).
    #[arg(long, short = 'n', value_name = "NAME", value_parser = names::parse_namespace)]
    namespace: Option<String>,
    /// The ConfigMap to write.
    #[arg(long, value_name = "NAME", default_value = DEFAULT_LIVE_CONFIGMAP, value_parser = names::parse_configmap_name)]
    configmap: String,
    /// The key of the ConfigMap to write; the server serves `status.json` at /status.json and
    /// any other `NAME.json` at /status/NAME.json (not keys starting with `.`).
    #[arg(long, value_name = "KEY", default_value = "status.json", value_parser = names::parse_key)]
    key: String,
    /// The server-side apply field manager, at most 128 characters (default: `statusctl:<key>`,
    /// one per key, so that pipelines pushing different keys never remove each other's; for
    /// keys over 118 characters, their first 101 and a hash of the whole key).
    #[arg(long, value_name = "NAME", value_parser = manager::parse)]
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
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = crate::flags::timeout)]
    timeout: Duration,
    /// After the push, wait until the status-server at this base URL (http://host:port) serves
    /// exactly the pushed document (/status.json for the key status.json, /status/NAME.json for
    /// NAME.json). Fast when the server watches the ConfigMap through the API (the chart's
    /// watch.enabled); through kubelet's ConfigMap volume it takes kubelet's sync, 60-120 s.
    /// Exit 8 when it is not served within --wait-timeout. Not with --dry-run.
    #[arg(long, value_name = "URL", conflicts_with = "dry_run")]
    wait_url: Option<String>,
    /// How long --wait-url waits after the push (e.g. 30s, 3m).
    #[arg(long, value_name = "DURATION", default_value = "2m", requires = "wait_url", value_parser = crate::flags::timeout)]
    wait_timeout: Duration,
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

pub(crate) fn run(args: Args) -> Result<Exit, Failure> {
    // Checked before anything is pushed: a URL or key that cannot be waited for is a usage error.
    let wait = args
        .wait_url
        .as_deref()
        .map(|url| wait::Target::new(url, &args.key, args.wait_timeout))
        .transpose()?;
    if !status_core::is_document_key(&args.key) {
        // Pushed all the same (the key is valid), but nobody would ever see it.
        console::stderr(&format!(
            "statusctl: warning: --key {:?} is not served: status-server serves only *.json keys that do not start with `.`",
            args.key
        ));
    }
    let input = input::read_document(&args.file)?;
    let checked = status_core::validate(&input.bytes);
    for finding in checked.findings() {
        console::stderr(&report::human_line(&input.name, finding));
    }
    let errors = checked.of(Severity::Error).count();
    let Some(document) = checked.into_document() else {
        console::stderr(&format!(
            "statusctl: {} is not a valid status document ({errors} error{}); nothing was pushed",
            printable(&input.name),
            if errors == 1 { "" } else { "s" }
        ));
        return Ok(Exit::Failed);
    };
    // The stored value is the document exactly as given: the server serves it byte for byte.
    let text = String::from_utf8(input.bytes)
        .map_err(|e| Failure::usage(format!("the document is not UTF-8: {e}")))?;

    // The API part runs on a runtime of its own, dropped before the wait: the wait uses
    // reqwest's blocking client, which runs its own.
    cluster::run(
        args.timeout,
        "nothing is known to have been pushed",
        push(&args, &text, &document),
    )?;
    if let Some(target) = wait {
        console::stderr(&format!(
            "statusctl: waiting up to {} for {} to serve the pushed document",
            status_core::duration::format(target.timeout()),
            target.shown()
        ));
        let served = wait::wait(&target, text.as_bytes(), &document)?;
        console::stdout(&format!(
            "served by {} after {} ({} request{})",
            target.shown(),
            status_core::duration::format(served.after),
            served.requests,
            if served.requests == 1 { "" } else { "s" }
        ))?;
    }
    Ok(Exit::Success)
}

/// Loads the configuration, then pushes with bounded retries, all within `--timeout`.
///
/// Loading runs a credential plugin, if the kubeconfig has one, once and within the timeout
/// (status-kube stops it and says so); what is left of the timeout then bounds the requests,
/// retries included. So each phase's message blames what ran out: the plugin or the API
/// server.
async fn push(args: &Args, text: &str, document: &StatusDocument) -> Result<(), Failure> {
    let deadline = tokio::time::Instant::now() + args.timeout;
    let cluster = args
        .kube
        .options(args.timeout)
        .load()
        .await
        .map_err(cluster::load_failure)?;
    let namespace = cluster.namespace(args.namespace.as_deref());
    let server = cluster.server();
    let proxy = cluster.proxy();
    let client = cluster.client().map_err(|e| {
        let target = Target {
            server,
            proxy: proxy.as_deref(),
            namespace: &namespace,
            configmap: &args.configmap,
            key: &args.key,
        };
        failure::attempt(e, &target).into_failure()
    })?;
    let api: Api<ConfigMap> = Api::namespaced(client, &namespace);
    let manager = args
        .field_manager
        .clone()
        .unwrap_or_else(|| manager::for_key(&args.key));
    let ctx = Pusher {
        args,
        api: &api,
        namespace: &namespace,
        manager: &manager,
        server,
        proxy: proxy.as_deref(),
        deadline,
        created: std::cell::Cell::new(false),
    };

    match tokio::time::timeout_at(deadline, ctx.push_with_retries(text, document)).await {
        Ok(result) => result,
        Err(_) => Err(Failure::new(
            Exit::Unavailable,
            format!(
                "gave up after --timeout {}: the API server did not answer in time; nothing is known to have been pushed",
                status_core::duration::format(args.timeout)
            ),
        )),
    }
}

impl Pusher<'_> {
    /// Read-decide-apply rounds until one succeeds, with bounded retries of what may pass.
    async fn push_with_retries(
        &self,
        text: &str,
        document: &StatusDocument,
    ) -> Result<(), Failure> {
        const MAX_TRANSIENT: u32 = 5;
        const MAX_RACES: u32 = 20;
        let (mut transient, mut races) = (0u32, 0u32);
        loop {
            match self.attempt(text, document).await {
                Ok(pushed) => return print_pushed(self, &pushed, document),
                Err(attempt @ (Attempt::Again | Attempt::Race)) => {
                    // Again: the ConfigMap was just created. Race: someone else wrote it between
                    // our read and our apply. Either way, read again (boundedly).
                    races += 1;
                    if races > MAX_RACES {
                        return Err(Failure::new(
                            Exit::Unavailable,
                            format!(
                                "the ConfigMap {}/{} kept changing under {MAX_RACES} attempts; nothing was pushed",
                                self.namespace, self.args.configmap
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
                Err(Attempt::Transient { why, retry_after }) => {
                    transient += 1;
                    if transient > MAX_TRANSIENT {
                        return Err(Failure::new(
                            Exit::Unavailable,
                            format!("{why}; gave up after {} attempts", MAX_TRANSIENT + 1),
                        ));
                    }
                    let backoff = jitter(
                        Duration::from_millis(200 * 2u64.pow(transient - 1))
                            .min(Duration::from_secs(3)),
                    );
                    // The API server's Retry-After is a floor: retrying sooner would be refused
                    // again (and add to its load). One that cannot be waited for within
                    // --timeout ends the push now, rather than at the timeout.
                    let (delay, asked) = match retry_after {
                        Some(asked) if asked > backoff => (asked, ", as the API server asked"),
                        _ => (backoff, ""),
                    };
                    let left = self
                        .deadline
                        .saturating_duration_since(tokio::time::Instant::now());
                    if retry_after.is_some_and(|asked| asked >= left) {
                        return Err(Failure::new(
                            Exit::Unavailable,
                            format!(
                                "{why}; it asked to retry after {}, and only {} of --timeout {} is left; nothing is known to have been pushed",
                                duration::format(delay),
                                duration::format(Duration::from_millis(left.as_millis() as u64)),
                                duration::format(self.args.timeout)
                            ),
                        ));
                    }
                    console::stderr(&format!(
                        "statusctl: {why}; retrying in {} ms{asked} ({transient}/{MAX_TRANSIENT})",
                        delay.as_millis()
                    ));
                    tokio::time::sleep(delay).await;
                }
                Err(Attempt::Fatal(failure)) => return Err(failure),
            }
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
    /// The proxy requests go through, if any.
    proxy: Option<&'a str>,
    /// When `--timeout` runs out.
    deadline: tokio::time::Instant,
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
            .map_err(|e| self.fail(e, Verb::Get))?;
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
                .map_err(|e| self.fail(e, Verb::Patch))?;
            self.created.set(true);
            return Err(Attempt::Again);
        };
        let stored = current.data.as_ref().and_then(|d| d.get(key.as_str()));
        if let Some(stored) = stored {
            match status_core::parse(stored.as_bytes()) {
                Ok(old) if old.last_check() > document.last_check() && !self.args.force => {
                    return Err(Attempt::Fatal(Failure::new(
                        Exit::Refused,
                        format!(
                            "refusing to push: configmap {}/{name} key {key} holds a document with last_check {}, newer than this document's last_check {} (an older pipeline finishing after a newer one?); nothing was pushed. Use --force to push anyway",
                            self.namespace,
                            status_core::format_timestamp(&old.last_check()),
                            status_core::format_timestamp(&document.last_check()),
                        ),
                    )));
                }
                Ok(_) => {}
                Err(_) => console::stderr(&format!(
                    "statusctl: warning: configmap {}/{name} key {key} holds an invalid document; replacing it",
                    self.namespace
                )),
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
            .map_err(|e| self.fail(e, Verb::Patch))
    }

    /// What to do about a failed `verb` on the ConfigMap (status-kube sorts the error; the
    /// policy of `push/failure.rs` decides).
    fn fail(&self, error: status_kube::kube::Error, verb: Verb) -> Attempt {
        let request = Request::of::<ConfigMap>(self.server, verb)
            .in_namespace(self.namespace)
            .named(&self.args.configmap);
        let target = Target {
            server: self.server,
            proxy: self.proxy,
            namespace: self.namespace,
            configmap: &self.args.configmap,
            key: &self.args.key,
        };
        failure::attempt(status_kube::Error::from_kube(error, &request), &target)
    }
}

/// Prints what a successful push did: the summary line on stdout; with `--dry-run`, the
/// ConfigMap the API server would store on stdout and the summary on stderr.
fn print_pushed(
    ctx: &Pusher<'_>,
    pushed: &Pushed,
    document: &StatusDocument,
) -> Result<(), Failure> {
    // The API server's word: escaped like anything else it says.
    let version = printable(
        pushed
            .configmap
            .metadata
            .resource_version
            .as_deref()
            .unwrap_or("-"),
    );
    let what = match (pushed.created, pushed.unchanged) {
        (true, _) => "created",
        (false, true) => "unchanged",
        (false, false) => "updated",
    };
    let last_check = status_core::format_timestamp(&document.last_check());
    if ctx.args.dry_run {
        let mut configmap = pushed.configmap.clone();
        configmap.metadata.managed_fields = None;
        // YAML, which quotes and escapes control characters by itself.
        match serde_yaml::to_string(&configmap) {
            Ok(yaml) => console::stdout(yaml.trim_end_matches('\n'))?,
            Err(e) => console::stderr(&format!(
                "statusctl: warning: cannot print the ConfigMap: {e}"
            )),
        }
        console::stderr(&format!(
            "statusctl: dry run: configmap {}/{} key {} would be {what} (last_check {last_check}); nothing was changed",
            ctx.namespace, ctx.args.configmap, ctx.args.key
        ));
    } else {
        console::stdout(&format!(
            "configmap {}/{} key {} {what} (last_check {last_check}, resourceVersion {version}, field manager {})",
            ctx.namespace,
            ctx.args.configmap,
            ctx.args.key,
            printable(ctx.manager)
        ))?;
    }
    Ok(())
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
    use std::time::Duration;

    use clap::Parser;

    #[test]
    fn jitter_adds_at_most_the_base_again() {
        // Racing pushers spread out over [base, 2 * base): never less than the base (that
        // would retry hot), never unbounded (that would outlast --timeout).
        for base in [1, 20, 3000].map(Duration::from_millis) {
            for _ in 0..64 {
                let delay = super::jitter(base);
                assert!(delay >= base && delay < base * 2, "{delay:?} for {base:?}");
            }
        }
        assert_eq!(super::jitter(Duration::ZERO), Duration::ZERO);
    }

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
