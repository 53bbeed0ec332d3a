//! checkov (PyPI; the policy checker many of the chart's users run) over every manifest the
//! values matrix renders, with Helm 3 and with Helm 4: no check fails, checkov really looked at
//! every Pod, and every check it reports as skipped is one docs/chart.md lists, with the same
//! reason. The control test plants weaknesses in a rendered manifest and sees checkov fail each
//! one, so that its passing means something.
//!
//! checkov is slow to start (seconds of Python imports) and its graph checks join every file of
//! a scan, so `checkov_each.py` scans each manifest on its own within one process, once, and
//! every test reads that one verdict; one test checks that it agrees with the checkov command.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value as Json;

use crate::cases::matrix;
use crate::support::{HELMS, Helm, documents, root, template, tool};

/// Left out of every run, with the reason docs/chart.md gives: the namespace is the
/// installer's choice (`helm install --namespace`), and some cases render into `default`.
const NOT_THE_CHART_S_CHOICE: &str = "CKV_K8S_21";

/// Prefix of the manifests with a planted weakness (the rest are the matrix's renders).
const PLANTED: &str = "planted__";

/// One check's result on one resource, as checkov reports it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Finding {
    /// The manifest's file name.
    file: String,
    check: String,
    /// `Kind.namespace.name`.
    resource: String,
    /// The skip annotation's reason (skipped checks only).
    reason: String,
}

/// What checkov said of the directory.
struct Verdict {
    passed: Vec<Finding>,
    failed: Vec<Finding>,
    skipped: Vec<Finding>,
    /// The manifests it was given, by file name, with their text.
    files: BTreeMap<String, String>,
    /// What the checkov command says of `defaults__helm4.yaml`: passed, failed, skipped.
    command: [Vec<Finding>; 3],
}

impl Verdict {
    fn of_renders(findings: &[Finding]) -> impl Iterator<Item = &Finding> {
        findings.iter().filter(|f| !f.file.starts_with(PLANTED))
    }

    /// (check, resource) of every failed check in one file.
    fn failed_in(&self, file: &str) -> BTreeSet<(String, String)> {
        self.failed
            .iter()
            .filter(|f| f.file == file)
            .map(|f| (f.check.clone(), f.resource.clone()))
            .collect()
    }
}

fn findings(file: &str, results: &Json, key: &str) -> Vec<Finding> {
    results[key]
        .as_array()
        .unwrap_or_else(|| panic!("checkov's JSON has no results.{key}"))
        .iter()
        .map(|r| Finding {
            file: file.to_owned(),
            check: r["check_id"].as_str().expect("check_id").to_owned(),
            resource: r["resource"].as_str().expect("resource").to_owned(),
            reason: r["check_result"]["suppress_comment"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        })
        .collect()
}

/// The Python interpreter of checkov's virtual environment, from the shebang of its script.
fn checkov_python() -> PathBuf {
    let script = tool("checkov");
    let text = std::fs::read_to_string(&script).expect("read the checkov script");
    let shebang = text.lines().next().unwrap_or_default();
    PathBuf::from(
        shebang
            .strip_prefix("#!")
            .unwrap_or_else(|| panic!("{} has no shebang", script.display()))
            .trim(),
    )
}

/// The environment that keeps checkov offline: no update check, no platform mapping.
fn offline<'a>(cmd: &'a mut Command, home: &Path) -> &'a mut Command {
    cmd.env("CKV_SKIP_PACKAGE_UPDATE_CHECK", "true")
        .env("BC_SKIP_MAPPING", "true")
        .env("HOME", home)
}

/// Findings of one checkov JSON report (`results`), all attributed to `file`.
fn report_findings(file: &str, report: &Json) -> [Vec<Finding>; 3] {
    assert_eq!(report["check_type"], "kubernetes", "{file}: {report:#}");
    let results = &report["results"];
    assert_eq!(
        results["parsing_errors"].as_array().map(Vec::len),
        Some(0),
        "{file}: checkov could not parse: {}",
        results["parsing_errors"]
    );
    ["passed_checks", "failed_checks", "skipped_checks"].map(|key| findings(file, results, key))
}

/// Runs checkov once (`checkov_each.py`: one import, a scan of its own per manifest) over the
/// manifests in `dir`.
fn run_checkov(dir: &Path, names: &[&String]) -> [Vec<Finding>; 3] {
    let home = tempfile::tempdir().expect("tempdir");
    let mut cmd = Command::new(checkov_python());
    cmd.arg(root().join("xtask/tests/chart/checkov_each.py"))
        .arg(NOT_THE_CHART_S_CHOICE)
        .args(names.iter().map(|n| dir.join(n)));
    let out = offline(&mut cmd, home.path())
        .output()
        .expect("run checkov");
    assert!(
        out.status.success(),
        "checkov_each.py failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let mut all: [Vec<Finding>; 3] = Default::default();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.len(),
        names.len(),
        "one report per manifest:\n{stdout}"
    );
    for line in lines {
        let scan: Json = serde_json::from_str(line).expect("a JSON line");
        let path = PathBuf::from(scan["file"].as_str().expect("file"));
        let file = path
            .file_name()
            .and_then(|f| f.to_str())
            .expect("file name")
            .to_owned();
        for (into, from) in all.iter_mut().zip(report_findings(&file, &scan["report"])) {
            into.extend(from);
        }
    }
    all
}

/// The checkov command itself over one manifest, as a user runs it.
fn run_checkov_command(manifest: &Path) -> [Vec<Finding>; 3] {
    let home = tempfile::tempdir().expect("tempdir");
    let mut cmd = Command::new(tool("checkov"));
    cmd.arg("--file")
        .arg(manifest)
        .args(["--framework", "kubernetes", "--output", "json"])
        .args(["--skip-check", NOT_THE_CHART_S_CHOICE, "--skip-download"]);
    let out = offline(&mut cmd, home.path())
        .output()
        .expect("run checkov");
    let report: Json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "checkov printed no JSON report ({e}, {}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let file = manifest
        .file_name()
        .and_then(|f| f.to_str())
        .expect("file name");
    report_findings(file, &report)
}

/// A weakness planted in one render of the matrix (Helm 4), and the check checkov must then fail.
struct Plant {
    name: &'static str,
    /// The matrix case whose render it is planted in.
    case: &'static str,
    /// What is replaced, by what. An empty replacement removes the document holding the text.
    find: &'static str,
    replace: &'static str,
    check: &'static str,
    /// `Kind.namespace.name`; for a graph check on a Deployment's or Job's Pod, checkov's name
    /// of it begins so and goes on with its labels.
    resource: &'static str,
}

/// The weaknesses: in the defaults, and in the Argo CD render (the server reading the API, the
/// PostSync Job collecting and pushing), where the token and the NetworkPolicies matter most.
const PLANTS: [Plant; 7] = [
    Plant {
        name: "writable_root",
        case: "defaults",
        find: "readOnlyRootFilesystem: true",
        replace: "readOnlyRootFilesystem: false",
        check: "CKV_K8S_22",
        resource: "Deployment.default.gitops-status-server",
    },
    Plant {
        name: "privilege_escalation",
        case: "defaults",
        find: "allowPrivilegeEscalation: false",
        replace: "allowPrivilegeEscalation: true",
        check: "CKV_K8S_20",
        resource: "Pod.default.gitops-status-server-test",
    },
    Plant {
        name: "token_automounted",
        case: "defaults",
        find: "automountServiceAccountToken: false",
        replace: "automountServiceAccountToken: true",
        check: "CKV_K8S_38",
        resource: "Deployment.default.gitops-status-server",
    },
    Plant {
        name: "test_pod_without_network_policy",
        case: "defaults",
        find: "kind: NetworkPolicy\nmetadata:\n  name: gitops-status-server-test\n",
        replace: "",
        check: "CKV2_K8S_6",
        resource: "Pod.default.gitops-status-server-test",
    },
    Plant {
        name: "post_sync_job_token_automounted",
        case: "argocd",
        find: "not automounted into the pod.\n      automountServiceAccountToken: false",
        replace: "not automounted into the pod.\n      automountServiceAccountToken: true",
        check: "CKV_K8S_38",
        resource: "Job.monitoring.gitops-status-server-post-sync",
    },
    Plant {
        name: "post_sync_job_without_network_policy",
        case: "argocd",
        find: "kind: NetworkPolicy\nmetadata:\n  name: gitops-status-server-post-sync\n",
        replace: "",
        check: "CKV2_K8S_6",
        resource: "Pod.monitoring.gitops-status-server-post-sync",
    },
    Plant {
        name: "argocd_watching_server_without_network_policy",
        case: "argocd",
        find: "kind: NetworkPolicy\nmetadata:\n  name: gitops-status-server\n",
        replace: "",
        check: "CKV2_K8S_6",
        resource: "Pod.monitoring.gitops-status-server",
    },
];

/// A render with one weakness planted.
fn plant(good: &str, find: &str, replace: &str) -> String {
    let planted = if replace.is_empty() {
        // Drop the one document holding `find` (Helm starts each with a `---` line).
        let docs: Vec<&str> = good.split("---\n").collect();
        assert_eq!(
            docs.iter().filter(|d| d.contains(find)).count(),
            1,
            "`{find}` is not in exactly one document"
        );
        docs.into_iter()
            .filter(|d| !d.contains(find))
            .collect::<Vec<_>>()
            .join("---\n")
    } else {
        good.replace(find, replace)
    };
    assert_ne!(planted, good, "planting `{find}` changed nothing");
    planted
}

fn verdict() -> &'static Verdict {
    static VERDICT: OnceLock<Verdict> = OnceLock::new();
    VERDICT.get_or_init(|| {
        // Not tempfile's default `.tmpXXXX`: checkov skips hidden directories.
        let dir = tempfile::Builder::new()
            .prefix("checkov-")
            .tempdir()
            .expect("tempdir");
        let mut files = BTreeMap::new();
        for case in matrix() {
            for h in HELMS {
                let out = template(h, &case.install)
                    .unwrap_or_else(|e| panic!("{} template {}:\n{e}", h.name(), case.name));
                files.insert(format!("{}__{}.yaml", case.name, h.name()), out);
            }
        }
        for p in &PLANTS {
            let good = &files[&format!("{}__{}.yaml", p.case, Helm::V4.name())];
            let planted = plant(good, p.find, p.replace);
            files.insert(format!("{PLANTED}{}.yaml", p.name), planted);
        }
        for (name, text) in &files {
            std::fs::write(dir.path().join(name), text).expect("write manifest");
        }
        let names: Vec<&String> = files.keys().collect();
        let [passed, failed, skipped] = run_checkov(dir.path(), &names);
        let defaults = dir.path().join("defaults__helm4.yaml");
        let command = run_checkov_command(&defaults);
        Verdict {
            passed,
            failed,
            skipped,
            files,
            command,
        }
    })
}

/// The skips docs/chart.md lists: (check, reason), from the table between its markers.
fn documented_skips() -> BTreeSet<(String, String)> {
    let text = std::fs::read_to_string(root().join("docs/chart.md")).expect("read docs/chart.md");
    let (_, rest) = text
        .split_once("<!-- checkov-skips:start -->")
        .expect("docs/chart.md has the checkov-skips table");
    let (table, _) = rest.split_once("<!-- checkov-skips:end -->").expect("end");
    table
        .lines()
        .filter(|l| l.starts_with("| `CKV"))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split(" | ").map(str::trim).collect();
            assert_eq!(cells.len(), 4, "a row of check, on, when, reason: {l}");
            let check = cells[0]
                .trim_start_matches('`')
                .split('`')
                .next()
                .expect("check id")
                .to_owned();
            (check, cells[3].to_owned())
        })
        .collect()
}

/// Every resource that runs a Pod, as checkov names it: `Kind.namespace.name`.
fn pod_resources(manifest: &str) -> Vec<String> {
    documents(manifest)
        .iter()
        .filter(|d| matches!(d["kind"].as_str(), Some("Deployment" | "Job" | "Pod")))
        .map(|d| {
            format!(
                "{}.{}.{}",
                d["kind"].as_str().unwrap_or_default(),
                d["metadata"]["namespace"].as_str().unwrap_or_default(),
                d["metadata"]["name"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

#[test]
fn every_pod_of_every_render_passes_checkov() {
    let verdict = verdict();
    let failed: Vec<&Finding> = Verdict::of_renders(&verdict.failed).collect();
    assert!(failed.is_empty(), "checkov failed: {failed:#?}");

    // It did look at every Pod of every render (Helm 3 and 4): each has passed checks.
    let mut pods = 0;
    for (file, text) in verdict
        .files
        .iter()
        .filter(|(f, _)| !f.starts_with(PLANTED))
    {
        for resource in pod_resources(text) {
            let checked = verdict
                .passed
                .iter()
                .filter(|f| &f.file == file && f.resource == resource)
                .count();
            assert!(
                checked >= 20,
                "{file}: checkov checked {resource} {checked} times"
            );
            pods += 1;
        }
    }
    let renders = matrix().len() * HELMS.len();
    assert!(pods >= renders * 2, "only {pods} Pods in {renders} renders");

    // Every skip is documented, with its reason; every documented skip happens somewhere.
    let documented = documented_skips();
    let skipped: BTreeSet<(String, String)> = Verdict::of_renders(&verdict.skipped)
        .map(|f| (f.check.clone(), f.reason.clone()))
        .collect();
    let undocumented: Vec<_> = skipped.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "skips missing from docs/chart.md (or with another reason): {undocumented:#?}"
    );
    let unused: Vec<_> = documented.difference(&skipped).collect();
    assert!(
        unused.is_empty(),
        "docs/chart.md lists skips that never happen: {unused:#?}"
    );
}

/// The two checks the Pods that reach the API server could most easily lose, on every Pod of
/// every render (the server reading ConfigMaps or Argo CD's Applications, the PostSync Job
/// collecting and pushing, the helm test Pod): no automounted API token (CKV_K8S_38; the
/// token is projected into the containers that call the API instead), and a NetworkPolicy that
/// selects it (CKV2_K8S_6, checkov's graph check). Each is also seen to fail in
/// `checkov_fails_planted_weaknesses`.
#[test]
fn every_pod_of_every_render_has_a_network_policy_and_no_automounted_token() {
    let verdict = verdict();
    let mut jobs = 0;
    for (file, text) in verdict
        .files
        .iter()
        .filter(|(f, _)| !f.starts_with(PLANTED))
    {
        for resource in pod_resources(text) {
            assert!(
                verdict
                    .passed
                    .iter()
                    .any(|f| &f.file == file && f.resource == resource && f.check == "CKV_K8S_38"),
                "{file}: CKV_K8S_38 (token) did not pass on {resource}"
            );
            assert!(
                graph_pod_passed(verdict, file, &resource),
                "{file}: CKV2_K8S_6 (NetworkPolicy) did not pass on {resource}"
            );
            jobs += usize::from(resource.starts_with("Job."));
        }
    }
    // The PostSync Job is among them: in every render of the cases that enable it (every
    // feature on, with and without watching, and Argo CD's), under Helm 3 and Helm 4.
    assert!(jobs >= 3 * HELMS.len(), "only {jobs} Jobs checked");
}

/// The skips are exactly where docs/chart.md says: the image checks while `image.digest` is
/// empty (and then checkov runs them, and they pass), the probe checks on the test Pod only.
#[test]
fn skips_apply_where_documented_and_only_there() {
    let verdict = verdict();
    let skips_of = |file: &str| -> BTreeSet<(String, String)> {
        verdict
            .skipped
            .iter()
            .filter(|f| f.file == file)
            .map(|f| (f.check.clone(), f.resource.clone()))
            .collect()
    };
    let pair = |c: &str, r: &str| (c.to_owned(), r.to_owned());
    let expected_defaults: BTreeSet<_> = [
        pair("CKV_K8S_43", "Deployment.default.gitops-status-server"),
        pair("CKV_K8S_15", "Deployment.default.gitops-status-server"),
        pair("CKV_K8S_43", "Pod.default.gitops-status-server-test"),
        pair("CKV_K8S_15", "Pod.default.gitops-status-server-test"),
        pair("CKV_K8S_8", "Pod.default.gitops-status-server-test"),
        pair("CKV_K8S_9", "Pod.default.gitops-status-server-test"),
    ]
    .into();
    for h in HELMS {
        assert_eq!(
            skips_of(&format!("defaults__{}.yaml", h.name())),
            expected_defaults
        );
    }
    // Every feature on, with image.digest set: only the test Pod's probes are skipped, and
    // the image checks ran and passed on every Pod.
    let all = "all_features__helm4.yaml";
    assert_eq!(
        skips_of(all),
        [
            pair("CKV_K8S_8", "Pod.monitoring.gitops-status-server-test"),
            pair("CKV_K8S_9", "Pod.monitoring.gitops-status-server-test"),
        ]
        .into()
    );
    // Argo CD's render (the server watching Applications, the PostSync Job collecting, by
    // tag): the image checks on each of the three Pods, the probes on the test Pod, no more.
    let argocd = "argocd__helm4.yaml";
    let mut expected_argocd = BTreeSet::new();
    for resource in [
        "Deployment.monitoring.gitops-status-server",
        "Job.monitoring.gitops-status-server-post-sync",
        "Pod.monitoring.gitops-status-server-test",
    ] {
        expected_argocd.insert(pair("CKV_K8S_43", resource));
        expected_argocd.insert(pair("CKV_K8S_15", resource));
    }
    expected_argocd.insert(pair(
        "CKV_K8S_8",
        "Pod.monitoring.gitops-status-server-test",
    ));
    expected_argocd.insert(pair(
        "CKV_K8S_9",
        "Pod.monitoring.gitops-status-server-test",
    ));
    assert_eq!(skips_of(argocd), expected_argocd);
    for resource in pod_resources(&verdict.files[all]) {
        for check in ["CKV_K8S_43", "CKV_K8S_15", "CKV_K8S_38", "CKV2_K8S_6"] {
            assert!(
                verdict.passed.iter().any(|f| f.file == all
                    && f.resource.starts_with(&resource)
                    && f.check == check)
                    || (check == "CKV2_K8S_6" && graph_pod_passed(verdict, all, &resource)),
                "{all}: {check} did not pass on {resource}"
            );
        }
    }
}

/// checkov names the Pod of a Deployment's or Job's template after its labels, not after the
/// Deployment, for its graph checks (CKV2_K8S_6): find it by the owner's name instead.
fn graph_pod_passed(verdict: &Verdict, file: &str, owner: &str) -> bool {
    let name = owner.rsplit('.').next().unwrap_or_default();
    verdict.passed.iter().any(|f| {
        f.file == file
            && f.check == "CKV2_K8S_6"
            && f.resource.starts_with("Pod.")
            && f.resource.split('.').nth(2) == Some(name)
    })
}

/// The control: each planted weakness makes checkov fail the check that guards against it, on
/// the resource it was planted in, so the passing verdict above is not checkov missing things.
#[test]
fn checkov_fails_planted_weaknesses() {
    let verdict = verdict();
    for p in &PLANTS {
        let file = format!("{PLANTED}{}.yaml", p.name);
        let failed = verdict.failed_in(&file);
        assert!(
            failed.iter().any(|(check, resource)| check == p.check
                && (resource == p.resource || resource.starts_with(&format!("{}.", p.resource)))),
            "{}: checkov did not fail {} on {}; it failed {failed:#?}",
            p.name,
            p.check,
            p.resource
        );
    }
}

/// `checkov_each.py` says what the checkov command says (same checks, results and reasons), so
/// the tests above judge the chart as a user's checkov does.
#[test]
fn the_scan_of_each_manifest_agrees_with_the_checkov_command() {
    let verdict = verdict();
    let file = "defaults__helm4.yaml";
    let ours = [&verdict.passed, &verdict.failed, &verdict.skipped].map(|findings| {
        findings
            .iter()
            .filter(|f| f.file == file)
            .cloned()
            .collect::<BTreeSet<_>>()
    });
    let command = verdict
        .command
        .clone()
        .map(|findings| findings.into_iter().collect::<BTreeSet<_>>());
    assert!(ours[0].len() > 100, "only {} passed checks", ours[0].len());
    assert_eq!(ours, command);
}
