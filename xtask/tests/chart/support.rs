//! Shared helpers: finding the real tools, running Helm, splitting and querying rendered manifests.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_yaml::Value;

/// The workspace root.
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// The chart under test.
pub(crate) fn chart_dir() -> PathBuf {
    root().join("charts/gitops-status-server")
}

/// A test tool (`kubernetes-validate`), found where every test finds it; missing tools fail the
/// test (never a silent pass).
pub(crate) use fake_apiserver::tools::tool;

/// The two Helm major versions the chart supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Helm {
    V3,
    V4,
}

pub(crate) const HELMS: [Helm; 2] = [Helm::V3, Helm::V4];

impl Helm {
    pub(crate) fn bin(self) -> PathBuf {
        match self {
            Helm::V3 => fake_apiserver::tools::helm3(),
            Helm::V4 => fake_apiserver::tools::helm4(),
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Helm::V3 => "helm3",
            Helm::V4 => "helm4",
        }
    }
}

/// One way to install the chart: a release name, a namespace and a values file.
#[derive(Debug, Clone)]
pub(crate) struct Install<'a> {
    pub(crate) release: &'a str,
    pub(crate) namespace: &'a str,
    pub(crate) values: &'a str,
}

impl Default for Install<'_> {
    fn default() -> Self {
        Install {
            release: "gitops-status",
            namespace: "default",
            values: "",
        }
    }
}

/// Runs `helm <args> -f <values>` in a clean Helm environment; Ok(stdout) or Err(stderr).
fn helm(helm: Helm, args: &[&str], values: &str) -> Result<String, String> {
    let home = tempfile::tempdir().expect("tempdir");
    let values_file = home.path().join("values.yaml");
    std::fs::write(&values_file, values).expect("write values");
    let output = Command::new(helm.bin())
        .args(args)
        .arg("-f")
        .arg(&values_file)
        // Keep Helm away from the user's config, cache and kube context.
        .env("HELM_CONFIG_HOME", home.path().join("config"))
        .env("HELM_CACHE_HOME", home.path().join("cache"))
        .env("HELM_DATA_HOME", home.path().join("data"))
        .env("KUBECONFIG", home.path().join("no-kubeconfig"))
        .output()
        .expect("run helm");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if output.status.success() {
        Ok(stdout)
    } else {
        Err(format!("{stdout}{stderr}"))
    }
}

/// `helm template` of the chart.
pub(crate) fn template(h: Helm, install: &Install<'_>) -> Result<String, String> {
    let chart = chart_dir();
    helm(
        h,
        &[
            "template",
            install.release,
            chart.to_str().expect("utf-8 path"),
            "--namespace",
            install.namespace,
        ],
        install.values,
    )
}

/// `helm lint --strict` of the chart.
pub(crate) fn lint(h: Helm, install: &Install<'_>) -> Result<String, String> {
    let chart = chart_dir();
    helm(
        h,
        &[
            "lint",
            "--strict",
            chart.to_str().expect("utf-8 path"),
            "--namespace",
            install.namespace,
        ],
        install.values,
    )
}

/// `helm template` that must succeed, parsed into documents.
pub(crate) fn render(install: &Install<'_>) -> Vec<Value> {
    let out = template(Helm::V4, install).unwrap_or_else(|e| panic!("helm template failed:\n{e}"));
    documents(&out)
}

/// Every non-empty YAML document of a multi-document stream.
pub(crate) fn documents(yaml: &str) -> Vec<Value> {
    // Helm separates documents with a `---` line (and never emits one inside a block scalar,
    // where it would be indented).
    let mut docs = Vec::new();
    let mut current = String::new();
    for line in yaml.lines().chain(std::iter::once("---")) {
        if line == "---" {
            let doc: Value = serde_yaml::from_str(&current)
                .unwrap_or_else(|e| panic!("invalid YAML from helm: {e}\n{current}"));
            if !doc.is_null() {
                docs.push(doc);
            }
            current.clear();
        } else {
            current.push_str(line);
            current.push('\n');
        }
    }
    docs
}

/// The one document of this kind and name.
pub(crate) fn find<'a>(docs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    let found: Vec<&Value> = docs
        .iter()
        .filter(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one {kind} {name}, found {}",
        found.len()
    );
    found[0]
}

/// Every document of this kind.
pub(crate) fn of_kind<'a>(docs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    docs.iter().filter(|d| d["kind"] == kind).collect()
}

/// The string at `value`, or a panic naming what was expected.
pub(crate) fn str_of<'a>(value: &'a Value, what: &str) -> &'a str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{what} is not a string: {value:?}"))
}

/// `checksum/config` of the Deployment's pod template.
pub(crate) fn checksum(docs: &[Value]) -> String {
    let deployment = of_kind(docs, "Deployment");
    assert_eq!(deployment.len(), 1);
    str_of(
        &deployment[0]["spec"]["template"]["metadata"]["annotations"]["checksum/config"],
        "checksum/config",
    )
    .to_owned()
}

/// Every pod spec the chart renders (Deployment, Job, bare Pod), with a label for messages.
pub(crate) fn pod_specs(docs: &[Value]) -> Vec<(String, &Value)> {
    let mut specs = Vec::new();
    for doc in docs {
        let kind = doc["kind"].as_str().unwrap_or_default();
        let name = doc["metadata"]["name"].as_str().unwrap_or_default();
        let spec = match kind {
            "Deployment" | "Job" => &doc["spec"]["template"]["spec"],
            "Pod" => &doc["spec"],
            _ => continue,
        };
        specs.push((format!("{kind}/{name}"), spec));
    }
    specs
}

/// The containers and init containers of a pod spec.
pub(crate) fn containers(spec: &Value) -> Vec<&Value> {
    ["initContainers", "containers"]
        .iter()
        .filter_map(|k| spec[*k].as_sequence())
        .flatten()
        .collect()
}

/// Builds a binary of the workspace (a no-op when it is fresh) and returns the executable cargo
/// reports. Nested cargo is fine here: `cargo test` does not hold the build lock while tests run.
pub(crate) fn workspace_binary(package: &str) -> PathBuf {
    let out = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "-p", package, "--bin", package])
        .args(["--message-format", "json"])
        .current_dir(root())
        .output()
        .expect("run cargo build");
    assert!(
        out.status.success(),
        "cargo build -p {package} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == package)
        .filter_map(|m| m["executable"].as_str().map(PathBuf::from))
        .next_back()
        .unwrap_or_else(|| panic!("cargo reported no {package} executable"))
}

/// The command and args of a container, as one argv.
pub(crate) fn argv(container: &Value) -> Vec<String> {
    container["command"]
        .as_sequence()
        .into_iter()
        .chain(container["args"].as_sequence())
        .flatten()
        .map(|a| str_of(a, "arg").to_owned())
        .collect()
}

/// NOTES.txt as `helm install gitops-status ... --namespace monitoring` prints it with `values`.
/// Helm 4 renders it with `--dry-run=client` and no cluster; Helm 3's install dry run needs a
/// reachable cluster, so Helm 4 only.
pub(crate) fn install_notes(values: &str) -> String {
    let home = tempfile::tempdir().expect("tempdir");
    let values_file = home.path().join("values.yaml");
    std::fs::write(&values_file, values).expect("write values");
    let out = Command::new(Helm::V4.bin())
        .args(["install", "gitops-status"])
        .arg(chart_dir())
        .args(["--dry-run=client", "--namespace", "monitoring", "-f"])
        .arg(&values_file)
        .env("HELM_CONFIG_HOME", home.path().join("config"))
        .env("HELM_CACHE_HOME", home.path().join("cache"))
        .env("HELM_DATA_HOME", home.path().join("data"))
        .env("KUBECONFIG", home.path().join("no-kubeconfig"))
        .output()
        .expect("run helm");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .split_once("NOTES:\n")
        .map(|(_, notes)| notes.to_owned())
        .expect("helm printed NOTES")
}
