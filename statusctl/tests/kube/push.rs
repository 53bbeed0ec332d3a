//! `statusctl push` against the fake API server: create, update, dry run, out-of-order
//! refusal, `--force`, field ownership per key, retries.

use serde_json::json;

use crate::support::{Cluster, LIVE, NS, doc, run, settings};

#[test]
fn push_creates_the_configmap_then_updates_only_its_key() {
    let cluster = Cluster::start();
    let first = cluster.file("first.json", &doc("apps", "2026-04-21T12:00:00Z"));
    let created = run(cluster.statusctl().arg("push").arg(&first));
    settings().bind(|| insta::assert_snapshot!("push_created", created.transcript()));
    assert_eq!(created.code, 0);
    // Stored byte for byte, under the key alone.
    assert_eq!(
        cluster.live_data(),
        json!({"status.json": doc("apps", "2026-04-21T12:00:00Z")})
    );

    let second = cluster.file("second.json", &doc("apps", "2026-04-21T12:05:00Z"));
    let updated = run(cluster
        .statusctl()
        .args(["push", "--namespace", NS])
        .arg(&second));
    assert_eq!(updated.code, 0, "{}", updated.stderr);
    assert!(
        updated.stdout.contains("key status.json updated"),
        "{}",
        updated.stdout
    );
    assert_eq!(
        cluster.live_data()["status.json"],
        doc("apps", "2026-04-21T12:05:00Z")
    );
    // The only owner is this key's field manager, owning `data.status.json` and nothing else.
    assert_eq!(
        cluster.live_managers(),
        [r#"statusctl:status.json (Apply): {"f:data":{"f:status.json":{}}}"#]
    );

    // The same document again changes nothing, not even the resourceVersion.
    let rv = cluster.server.configmap(NS, LIVE).unwrap()["metadata"]["resourceVersion"].clone();
    let again = run(cluster.statusctl().arg("push").arg(&second));
    assert_eq!(again.code, 0);
    assert!(again.stdout.contains("unchanged"), "{}", again.stdout);
    assert_eq!(
        cluster.server.configmap(NS, LIVE).unwrap()["metadata"]["resourceVersion"],
        rv
    );
}

#[test]
fn push_reads_standard_input() {
    let cluster = Cluster::start();
    let out = run(cluster
        .statusctl()
        .args(["push", "-", "--key", "payments.json"])
        .write_stdin(doc("payments", "2026-04-21T12:00:00Z")));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        cluster.live_data()["payments.json"],
        doc("payments", "2026-04-21T12:00:00Z")
    );

    // Nothing at all on stdin (`render` failed before the pipe): exit 2, nothing sent.
    let requests = cluster.server.requests().len();
    let out = run(cluster
        .statusctl()
        .args(["push", "-", "--key", "other.json"])
        .write_stdin(""));
    assert_eq!(out.code, 2, "{}", out.transcript());
    assert!(
        out.stderr
            .starts_with("statusctl: error: cannot read standard input: it is empty"),
        "{}",
        out.stderr
    );
    assert_eq!(cluster.server.requests().len(), requests);
}

#[test]
fn pushes_to_different_keys_keep_each_other() {
    let cluster = Cluster::start();
    for (key, repo) in [
        ("status.json", "apps"),
        ("payments.json", "payments"),
        ("status.json", "apps"),
    ] {
        let file = cluster.file("doc.json", &doc(repo, "2026-04-21T12:00:00Z"));
        let out = run(cluster.statusctl().args(["push", "--key", key]).arg(&file));
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    let data = cluster.live_data();
    assert_eq!(data.as_object().unwrap().len(), 2, "{data}");
    assert_eq!(
        data["payments.json"],
        doc("payments", "2026-04-21T12:00:00Z")
    );
}

#[test]
fn one_field_manager_for_two_keys_loses_the_first_key() {
    // Why the default field manager is one per key: server-side apply removes what a manager
    // stops applying. Two keys pushed under one explicit manager name keep only the last.
    let cluster = Cluster::start();
    for key in ["a.json", "b.json"] {
        let file = cluster.file("doc.json", &doc("apps", "2026-04-21T12:00:00Z"));
        let out = run(cluster
            .statusctl()
            .args(["push", "--field-manager", "shared", "--key", key])
            .arg(&file));
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    let keys: Vec<String> = cluster
        .live_data()
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(keys, ["b.json"]);
}

#[test]
fn dry_run_prints_the_result_and_changes_nothing() {
    let cluster = Cluster::start();
    let file = cluster.file("doc.json", &doc("apps", "2026-04-21T12:00:00Z"));
    // Nothing there yet: a dry run creates nothing.
    let out = run(cluster.statusctl().args(["push", "--dry-run"]).arg(&file));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(cluster.server.configmap(NS, LIVE).is_none());

    run(cluster
        .statusctl()
        .args(["push", "--key", "other.json"])
        .arg(&file));
    let before = cluster.server.configmap(NS, LIVE).unwrap();
    let newer = cluster.file("newer.json", &doc("apps", "2026-04-21T13:00:00Z"));
    let out = run(cluster.statusctl().args(["push", "--dry-run"]).arg(&newer));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(cluster.server.configmap(NS, LIVE).unwrap(), before);
    let filtered = regex_free_yaml(&out.stdout);
    settings().bind(|| {
        insta::assert_snapshot!(
            "push_dry_run",
            format!(
                "exit: {}\n--- stdout\n{filtered}--- stderr\n{}",
                out.code, out.stderr
            )
        )
    });
    // The printed ConfigMap is the server's answer: both keys, the new document.
    let printed: serde_yaml::Value = serde_yaml::from_str(&out.stdout).unwrap();
    assert_eq!(
        printed["data"]["status.json"].as_str(),
        Some(doc("apps", "2026-04-21T13:00:00Z").as_str())
    );
    assert!(printed["data"]["other.json"].is_string());
    // The dry run went to the server as one.
    assert!(
        cluster
            .server
            .requests()
            .iter()
            .any(|r| r.method == "PATCH" && r.query.contains("dryRun=All"))
    );
}

/// The dry-run YAML with the server-generated uid and creation time replaced.
fn regex_free_yaml(yaml: &str) -> String {
    yaml.lines()
        .map(|line| {
            let trimmed = line.trim_start();
            if trimmed.starts_with("uid:")
                || trimmed.starts_with("creationTimestamp:")
                || trimmed.starts_with("resourceVersion:")
            {
                let indent = &line[..line.len() - trimmed.len()];
                format!(
                    "{indent}{}: [GENERATED]\n",
                    trimmed.split(':').next().unwrap_or_default()
                )
            } else {
                format!("{line}\n")
            }
        })
        .collect()
}

#[test]
fn an_older_document_is_refused_unless_forced() {
    let cluster = Cluster::start();
    let newer = cluster.file("newer.json", &doc("apps", "2026-04-21T12:00:00Z"));
    let older = cluster.file("older.json", &doc("apps", "2026-04-21T11:59:59Z"));
    assert_eq!(run(cluster.statusctl().arg("push").arg(&newer)).code, 0);

    let refused = run(cluster.statusctl().arg("push").arg(&older));
    settings().bind(|| insta::assert_snapshot!("push_refused_out_of_order", refused.transcript()));
    assert_eq!(refused.code, 3);
    assert_eq!(
        cluster.live_data()["status.json"],
        doc("apps", "2026-04-21T12:00:00Z")
    );

    let forced = run(cluster.statusctl().args(["push", "--force"]).arg(&older));
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert_eq!(
        cluster.live_data()["status.json"],
        doc("apps", "2026-04-21T11:59:59Z")
    );
}

#[test]
fn a_key_owned_by_another_manager_is_a_conflict_unless_forced() {
    let cluster = Cluster::start();
    cluster
        .server
        .create_configmap(
            NS,
            json!({"metadata": {"name": LIVE}, "data": {"status.json": doc("apps", "2026-04-21T10:00:00Z")}}),
            "kubectl-client-side-apply",
        )
        .unwrap();
    let file = cluster.file("doc.json", &doc("apps", "2026-04-21T12:00:00Z"));
    let conflict = run(cluster.statusctl().arg("push").arg(&file));
    settings().bind(|| insta::assert_snapshot!("push_conflict", conflict.transcript()));
    assert_eq!(conflict.code, 4);
    assert_eq!(
        cluster.live_data()["status.json"],
        doc("apps", "2026-04-21T10:00:00Z")
    );

    let forced = run(cluster.statusctl().args(["push", "--force"]).arg(&file));
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert_eq!(
        cluster.live_data()["status.json"],
        doc("apps", "2026-04-21T12:00:00Z")
    );
    assert_eq!(
        cluster.live_managers(),
        [r#"statusctl:status.json (Apply): {"f:data":{"f:status.json":{}}}"#]
    );
}

#[test]
fn an_invalid_document_is_never_sent() {
    let cluster = Cluster::start();
    let file = cluster.file("bad.json", r#"{"repo": "apps", "sync_status": "GREEN"}"#);
    let out = run(cluster.statusctl().arg("push").arg(&file));
    settings().bind(|| insta::assert_snapshot!("push_invalid_document", out.transcript()));
    assert_eq!(out.code, 1);
    assert!(
        cluster.server.requests().is_empty(),
        "{:?}",
        cluster.server.requests()
    );
}

#[test]
fn bad_flags_are_usage_errors_before_any_request() {
    let cluster = Cluster::start();
    let file = cluster.file("doc.json", &doc("apps", "2026-04-21T12:00:00Z"));
    let mut transcript = String::new();
    for flags in [
        &["--key", "status json"][..],
        &["--configmap", "Live_Status"],
        &["--configmap", "a..b"],
        &["--namespace", "no/slash"],
        &["--timeout", "soon"],
    ] {
        let out = run(cluster.statusctl().arg("push").args(flags).arg(&file));
        assert_eq!(out.code, 2, "{flags:?}: {}", out.stderr);
        transcript.push_str(&format!(
            "$ statusctl push {} doc.json\n{}\n",
            flags.join(" "),
            out.transcript()
        ));
    }
    let missing = run(cluster.statusctl().args(["push", "missing.json"]));
    assert_eq!(missing.code, 2);
    transcript.push_str(&format!(
        "$ statusctl push missing.json\n{}",
        missing.transcript()
    ));
    settings().bind(|| insta::assert_snapshot!("push_usage_errors", transcript));
    assert!(cluster.server.requests().is_empty());
}

/// The reason clap gives for a bad flag value: the text after `'<value>' for '<flag>': `.
fn reason(stderr: &str) -> &str {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("error: invalid value"))
        .unwrap_or_else(|| panic!("no invalid-value error in:\n{stderr}"));
    line.split_once(">': ").map_or(line, |(_, reason)| reason)
}

#[test]
fn push_and_render_refuse_the_same_names_with_the_same_message() {
    let cluster = Cluster::start();
    let file = cluster.file("doc.json", &doc("apps", "2026-04-21T12:00:00Z"));
    let render = [
        "render",
        "--repo",
        "r",
        "--server",
        "s",
        "--sync-status",
        "SYNCED",
    ];
    // (push flag, render flag, value): an empty label, a label starting or ending with `-`, a
    // namespace with a dot, a key `..`.
    for (push_flag, render_flag, value) in [
        ("--configmap", "--name", "a..b"),
        ("--configmap", "--name", "a.-b"),
        ("--configmap", "--name", "live."),
        ("--namespace", "--namespace", "a.b"),
        ("--key", "--key", ".."),
        ("--key", "--key", "a b.json"),
    ] {
        let pushed = run(cluster
            .statusctl()
            .arg("push")
            .arg(format!("{push_flag}={value}"))
            .arg(&file));
        let rendered = run(cluster
            .statusctl()
            .args(render)
            .args(["-o", "configmap"])
            .arg(format!("{render_flag}={value}")));
        assert_eq!(
            pushed.code, 2,
            "push {push_flag} {value}: {}",
            pushed.stderr
        );
        assert_eq!(
            rendered.code, 2,
            "render {render_flag} {value}: {}",
            rendered.stderr
        );
        assert_eq!(
            reason(&pushed.stderr),
            reason(&rendered.stderr),
            "{value:?}"
        );
    }
    assert!(
        cluster.server.requests().is_empty(),
        "{:?}",
        cluster.server.requests()
    );
}

#[test]
fn keys_status_server_does_not_serve_are_pushed_with_a_warning() {
    let cluster = Cluster::start();
    let file = cluster.file("doc.json", &doc("apps", "2026-04-21T12:00:00Z"));
    for (key, warned) in [
        ("status.yaml", true),
        (".hidden.json", true),
        (".json", true),
        ("payments.json", false),
        ("status.json", false),
    ] {
        let out = run(cluster.statusctl().args(["push", "--key", key]).arg(&file));
        assert_eq!(out.code, 0, "{key}: {}", out.stderr);
        let warning = format!(
            "statusctl: warning: --key {key:?} is not served: status-server serves only *.json keys that do not start with `.`"
        );
        assert_eq!(
            out.stderr.contains(&warning),
            warned,
            "{key}: {}",
            out.stderr
        );
        assert_eq!(
            cluster.live_data()[key],
            doc("apps", "2026-04-21T12:00:00Z"),
            "{key}"
        );
    }
}

#[test]
fn transient_errors_are_retried() {
    let cluster = Cluster::start();
    let file = cluster.file("doc.json", &doc("apps", "2026-04-21T12:00:00Z"));
    cluster.server.fail_next([503, 429, 500]);
    let out = run(cluster.statusctl().arg("push").arg(&file));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stderr.matches("retrying in").count(),
        3,
        "{}",
        out.stderr
    );
    assert_eq!(
        cluster.live_data()["status.json"],
        doc("apps", "2026-04-21T12:00:00Z")
    );
}

#[test]
fn retries_are_bounded() {
    let cluster = Cluster::start();
    let file = cluster.file("doc.json", &doc("apps", "2026-04-21T12:00:00Z"));
    cluster.server.fail_next([503; 20]);
    let out = run(cluster.statusctl().arg("push").arg(&file));
    settings().bind(|| insta::assert_snapshot!("push_retries_exhausted", out.transcript()));
    assert_eq!(out.code, 7);
    assert_eq!(cluster.server.requests().len(), 6);
}

#[test]
fn races_are_read_again_up_to_twenty_times() {
    // A 409 on the resourceVersion (someone wrote between our read and our apply) makes push
    // read again: twenty times and no more, then it stops without having written anything.
    // The ConfigMap exists first, so that its creation (which counts as a read again too)
    // does not take one of the twenty.
    let pushed_after = |races: usize| {
        let cluster = Cluster::start();
        let first = cluster.file("first.json", &doc("apps", "2026-04-21T11:00:00Z"));
        assert_eq!(run(cluster.statusctl().arg("push").arg(&first)).code, 0);
        let before = cluster.server.requests().len();
        let file = cluster.file("doc.json", &doc("apps", "2026-04-21T12:00:00Z"));
        cluster.server.fail_next(vec![409; races]);
        let start = std::time::Instant::now();
        let out = run(cluster.statusctl().arg("push").arg(&file));
        let took = start.elapsed();
        let reads = cluster.server.requests().len() - before;
        (out, reads, cluster.live_data()["status.json"].clone(), took)
    };
    let (out, _, stored, took) = pushed_after(20);
    assert_eq!(out.code, 0, "twenty races are survived: {}", out.stderr);
    // Racers back off 10 ms more per race (up to 110 ms, plus jitter): 1.75 s at least over
    // twenty, and far less than the 15 s a back-off ten times as steep would take.
    let (least, most) = (
        std::time::Duration::from_millis(1750),
        std::time::Duration::from_secs(12),
    );
    assert!(took >= least && took < most, "twenty races took {took:?}");
    assert_eq!(stored, doc("apps", "2026-04-21T12:00:00Z"));

    let (out, reads, stored, _) = pushed_after(21);
    assert_eq!(out.code, 7, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("kept changing under 20 attempts; nothing was pushed"),
        "{}",
        out.stderr
    );
    assert_eq!(reads, 21, "one read per race, and no write");
    assert_eq!(stored, doc("apps", "2026-04-21T11:00:00Z"));
}

#[test]
fn the_context_flag_picks_the_kubeconfig_context() {
    let cluster = Cluster::start();
    // A kubeconfig whose current context points nowhere, and a named context that works.
    let good = std::fs::read_to_string(&cluster.kubeconfig).unwrap();
    let two = good
        .replace("current-context: fake", "current-context: broken")
        .replace(
            "contexts:\n",
            "contexts:\n- name: broken\n  context:\n    cluster: nowhere\n    user: ci\n",
        );
    let path = cluster.file("two-contexts", &two);
    let file = cluster.file("doc.json", &doc("apps", "2026-04-21T12:00:00Z"));
    let out = run(cluster
        .statusctl()
        .arg("push")
        .arg("--kubeconfig")
        .arg(&path)
        .args(["--context", "fake"])
        .arg(&file));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let wrong = run(cluster
        .statusctl()
        .arg("push")
        .arg("--kubeconfig")
        .arg(&path)
        .arg(&file));
    assert_eq!(wrong.code, 2, "{}", wrong.stderr);
}

#[test]
fn an_invalid_stored_document_is_replaced_with_a_warning() {
    let cluster = Cluster::start();
    cluster
        .server
        .create_configmap(
            NS,
            json!({"metadata": {"name": LIVE}, "data": {"status.json": "{not json"}}),
            "kubectl-edit",
        )
        .unwrap();
    let file = cluster.file("doc.json", &doc("apps", "2026-04-21T12:00:00Z"));
    // kubectl-edit owns the key: the push is a conflict first; --force takes it over, and the
    // unparseable stored document does not count as newer.
    assert_eq!(run(cluster.statusctl().arg("push").arg(&file)).code, 4);
    let out = run(cluster.statusctl().args(["push", "--force"]).arg(&file));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("holds an invalid document; replacing it"),
        "{}",
        out.stderr
    );
    assert_eq!(
        cluster.live_data()["status.json"],
        doc("apps", "2026-04-21T12:00:00Z")
    );
}

#[test]
fn the_kubeconfig_is_found_where_kubectl_finds_it() {
    let cluster = Cluster::start();
    let file = cluster.file("doc.json", &doc("apps", "2026-04-21T12:00:00Z"));
    // ~/.kube/config, with no KUBECONFIG.
    let kube_dir = cluster.dir.path().join(".kube");
    std::fs::create_dir(&kube_dir).unwrap();
    std::fs::copy(&cluster.kubeconfig, kube_dir.join("config")).unwrap();
    let out = run(crate::support::statusctl_in(cluster.dir.path())
        .arg("push")
        .arg(&file));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains(&format!("configmap {NS}/{LIVE}")),
        "{}",
        out.stdout
    );
    // KUBECONFIG wins over ~/.kube/config, and one that cannot be read is a usage error.
    let out = run(crate::support::statusctl_in(cluster.dir.path())
        .env("KUBECONFIG", cluster.dir.path().join("missing-kubeconfig"))
        .arg("push")
        .arg(&file));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("cannot read the kubeconfig $KUBECONFIG"),
        "{}",
        out.stderr
    );
}
