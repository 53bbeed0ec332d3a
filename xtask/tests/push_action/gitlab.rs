//! The GitLab CI template (`ci/gitlab/statusctl.yml`) run as GitLab runs a job: its variables
//! as the environment (the job's own values over the template's), its `script:` lines in one
//! POSIX shell (`sh`, dash here: no bashisms slip through), against the fake API server.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};

use fake_apiserver::{ADMIN_TOKEN, Config};
use serde_yaml::Value;

use crate::{Cluster, example, recording_statusctl, release, root, serve, statusctl_dir};

/// Runs the template's job with these variables over its defaults and `path` before the
/// system's.
fn run_job(variables: &[(&str, &str)], env: &[(&str, &str)], path: &[PathBuf]) -> Output {
    let template: Value = serde_yaml::from_str(
        &std::fs::read_to_string(root().join("ci/gitlab/statusctl.yml")).unwrap(),
    )
    .unwrap();
    let job = &template[".gitops-status-push"];
    let script: Vec<&str> = job["script"]
        .as_sequence()
        .expect("script")
        .iter()
        .map(|l| l.as_str().expect("a script line"))
        .collect();
    let mut all: BTreeMap<String, String> = job["variables"]
        .as_mapping()
        .expect("variables")
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().unwrap().to_owned(),
                v.as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for (k, v) in variables {
        assert!(all.contains_key(*k), "the template has no variable {k}");
        all.insert((*k).to_owned(), (*v).to_owned());
    }
    let temp = tempfile::tempdir().unwrap();
    let mut search: Vec<String> = path.iter().map(|p| p.display().to_string()).collect();
    search.extend(["/usr/bin".to_owned(), "/bin".to_owned()]);
    Command::new("sh")
        .arg("-c")
        .arg(script.join("\n"))
        .env_clear()
        .env("PATH", search.join(":"))
        .env("HOME", temp.path())
        .env("TMPDIR", temp.path())
        .envs(&all)
        .envs(env.iter().copied())
        .output()
        .expect("run sh")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn the_gitlab_job_pushes_with_the_statusctl_on_path() {
    let cluster = Cluster::start(Config::default());
    let document = example();
    let file = cluster.write_document("status.json", &document);
    let bin = statusctl_dir(cluster.dir.path());
    let kubeconfig = cluster.kubeconfig(ADMIN_TOKEN);
    let out = run_job(
        &[
            ("STATUS_FILE", &file),
            ("STATUS_NAMESPACE", "monitoring"),
            ("STATUS_KEY", "app.json"),
        ],
        &[("KUBECONFIG", &kubeconfig)],
        std::slice::from_ref(&bin),
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(cluster.stored("monitoring", "app.json"), Some(document));

    // An invalid document fails the job before anything is sent.
    let invalid = cluster.write_document("bad.json", "{}");
    let out = run_job(
        &[("STATUS_FILE", &invalid)],
        &[("KUBECONFIG", &kubeconfig)],
        &[bin],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("missing"), "{}", text(&out));
}

#[test]
fn the_gitlab_jobs_variables_reach_statusctl_as_flags() {
    let dir = tempfile::tempdir().unwrap();
    let (bin, log) = recording_statusctl(dir.path());
    let out = run_job(
        &[
            ("STATUS_FILE", "a b.json"),
            ("STATUS_STRICT", "true"),
            ("STATUS_NAMESPACE", "monitoring"),
            ("STATUS_WAIT_URL", "http://server:8080"),
        ],
        &[],
        std::slice::from_ref(&bin),
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        "--version\n\
         validate --strict -- a b.json\n\
         push a b.json --key status.json --configmap gitops-status-server-live --namespace monitoring --wait-url http://server:8080\n"
    );
    std::fs::remove_file(&log).unwrap();
    let out = run_job(&[("STATUS_KEY", ""), ("STATUS_CONFIGMAP", "")], &[], &[bin]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        "--version\nvalidate -- status.json\npush status.json\n"
    );
}

#[test]
fn the_gitlab_job_downloads_and_verifies_statusctl() {
    let cluster = Cluster::start(Config::default());
    let document = example();
    let file = cluster.write_document("status.json", &document);
    let kubeconfig = cluster.kubeconfig(ADMIN_TOKEN);
    let (_, files) = release(false);
    let releases = format!("http://127.0.0.1:{}", serve(files));
    let out = run_job(
        &[("STATUS_FILE", &file), ("STATUSCTL_RELEASES", &releases)],
        &[("KUBECONFIG", &kubeconfig)],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(cluster.stored("default", "status.json"), Some(document));

    let (_, tampered) = release(true);
    let releases = format!("http://127.0.0.1:{}", serve(tampered));
    let out = run_job(
        &[("STATUS_FILE", &file), ("STATUSCTL_RELEASES", &releases)],
        &[("KUBECONFIG", &kubeconfig)],
        &[],
    );
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("FAILED"), "{}", text(&out));
}
