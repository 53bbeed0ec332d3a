//! `cargo xtask chart-package`, run as the release runs it: the package carries the released
//! version, pins the released image by digest in every container it renders, and ships its
//! README and values schema; a malformed digest packages nothing.

use std::path::Path;
use std::process::Command;

use crate::support::{Helm, documents, str_of};

fn chart_package(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("chart-package")
        .args(args)
        .output()
        .expect("run cargo xtask chart-package")
}

fn read_from_package(package: &Path, name: &str) -> String {
    let file = std::fs::File::open(package).expect("open the package");
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    for entry in tar.entries().expect("a tar.gz") {
        let mut entry = entry.expect("an entry");
        if entry.path().expect("a path") == Path::new("gitops-status-server").join(name) {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut entry, &mut text).expect("text");
            return text;
        }
    }
    panic!("{} holds no {name}", package.display());
}

#[test]
fn the_package_pins_the_released_image_by_digest() {
    let out = tempfile::tempdir().expect("tempdir");
    let digest = format!("sha256:{}", "0123456789abcdef".repeat(4));
    let run = chart_package(&[
        "--version",
        "9.8.7",
        "--app-version",
        "9.8.6",
        "--image-digest",
        &digest,
        "--out",
        out.path().to_str().expect("utf-8"),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let package = out.path().join("gitops-status-server-9.8.7.tgz");
    let chart: serde_yaml::Value =
        serde_yaml::from_str(&read_from_package(&package, "Chart.yaml")).expect("Chart.yaml");
    assert_eq!(chart["version"].as_str(), Some("9.8.7"));
    assert_eq!(chart["appVersion"].as_str(), Some("9.8.6"));
    assert!(read_from_package(&package, "README.md").contains("helm install"));
    assert!(read_from_package(&package, "values.schema.json").contains("\"digest\""));

    let rendered = Command::new(Helm::V4.bin())
        .args(["template", "gitops-status"])
        .arg(&package)
        .args(["--set", "postSyncJob.enabled=true"])
        .output()
        .expect("helm template");
    assert!(
        rendered.status.success(),
        "{}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    let docs = documents(&String::from_utf8_lossy(&rendered.stdout));
    let expected = format!("ghcr.io/gitops-status/gitops-status:9.8.6@{digest}");
    let mut containers = 0;
    for doc in &docs {
        let spec = match str_of(&doc["kind"], "kind") {
            "Deployment" | "Job" => &doc["spec"]["template"]["spec"],
            "Pod" => &doc["spec"],
            _ => continue,
        };
        for list in ["initContainers", "containers"] {
            for container in spec[list].as_sequence().into_iter().flatten() {
                assert_eq!(str_of(&container["image"], "image"), expected);
                containers += 1;
            }
        }
    }
    // The server, the helm test pod, and the PostSync Job's two containers.
    assert_eq!(containers, 4);
}

#[test]
fn a_malformed_digest_packages_nothing() {
    let out = tempfile::tempdir().expect("tempdir");
    let run = chart_package(&[
        "--image-digest",
        "sha256:1234",
        "--out",
        out.path().to_str().expect("utf-8"),
    ]);
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("not sha256:<64 lowercase hex digits>"));
    assert_eq!(std::fs::read_dir(out.path()).expect("list").count(), 0);
}
