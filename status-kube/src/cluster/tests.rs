//! Loading: which configuration wins, what each error names, and the namespace rule.

use std::path::Path;

use kube::config::KubeconfigError;

use super::*;
use crate::report;

const TOKEN: &str = "t0ken-that-must-not-show";

/// A kubeconfig with two contexts, `ops` (the current one, namespace `monitoring`) and `bare`
/// (no namespace), both for one server and one user with a token.
fn kubeconfig(server: &str) -> String {
    format!(
        r#"apiVersion: v1
kind: Config
current-context: ops
clusters:
- name: c
  cluster:
    server: {server}
    insecure-skip-tls-verify: true
users:
- name: u
  user:
    token: {TOKEN}
contexts:
- name: ops
  context: {{cluster: c, user: u, namespace: monitoring}}
- name: bare
  context: {{cluster: c, user: u}}
"#
    )
}

fn write(dir: &Path, name: &str, contents: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

/// A service account directory with a token, a CA (PEM-shaped: loading does not verify it)
/// and, when given, a namespace.
fn service_account(dir: &Path, namespace: Option<&str>) -> PathBuf {
    let sa = dir.join("serviceaccount");
    std::fs::create_dir(&sa).unwrap();
    write(&sa, "token", TOKEN);
    write(
        &sa,
        "ca.crt",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    );
    if let Some(namespace) = namespace {
        write(&sa, "namespace", &format!("{namespace}\n"));
    }
    sa
}

fn in_pod(host: &str) -> Environment {
    Environment {
        service_host: Some(host.to_owned()),
        service_port: Some("6443".to_owned()),
        ..Environment::default()
    }
}

#[tokio::test]
async fn an_explicit_kubeconfig_is_used_with_its_current_context() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "config", &kubeconfig("https://10.0.0.1:6443/"));
    let options = ClientOptions {
        kubeconfig: Some(path.clone()),
        ..ClientOptions::default()
    };
    let cluster = options.load_from(&Environment::default()).await.unwrap();
    assert_eq!(cluster.server(), "https://10.0.0.1:6443");
    assert_eq!(cluster.namespace(None), "monitoring");
    assert_eq!(cluster.namespace(Some("ci")), "ci");
    assert_eq!(
        cluster.origin(),
        &Origin::Kubeconfig(path.display().to_string())
    );
    // Without a timeout, kube's: a watch must not time out waiting for events.
    assert_eq!(cluster.config().read_timeout, None);
    // Retries are the caller's, never kube's silent ones.
    assert!(!cluster.config().default_retry);
}

#[tokio::test]
async fn a_context_without_a_namespace_means_default() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "config", &kubeconfig("https://10.0.0.1:6443"));
    let options = ClientOptions {
        kubeconfig: Some(path),
        context: Some("bare".to_owned()),
        ..ClientOptions::default()
    };
    let cluster = options.load_from(&Environment::default()).await.unwrap();
    assert_eq!(cluster.namespace(None), DEFAULT_NAMESPACE);
}

#[tokio::test]
async fn a_timeout_bounds_connect_send_and_answer() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "config", &kubeconfig("https://10.0.0.1:6443"));
    let options = ClientOptions {
        kubeconfig: Some(path),
        timeout: Some(Duration::from_secs(30)),
        ..ClientOptions::default()
    };
    let config = options
        .load_from(&Environment::default())
        .await
        .unwrap()
        .config;
    assert_eq!(config.connect_timeout, Some(Duration::from_secs(10)));
    assert_eq!(config.read_timeout, Some(Duration::from_secs(30)));
    assert_eq!(config.write_timeout, Some(Duration::from_secs(30)));
    assert!(config.reset_reader_on_write);
}

#[tokio::test]
async fn a_missing_context_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "config", &kubeconfig("https://10.0.0.1:6443"));
    let options = ClientOptions {
        kubeconfig: Some(path.clone()),
        context: Some("staging".to_owned()),
        ..ClientOptions::default()
    };
    let error = options
        .load_from(&Environment::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            &error,
            Error::KubeconfigUnusable { kubeconfig, source: KubeconfigError::LoadContext(context) }
                if *kubeconfig == path.display().to_string() && context == "staging"
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_unreadable_kubeconfig_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let options = ClientOptions {
        kubeconfig: Some(dir.path().join("nope")),
        ..ClientOptions::default()
    };
    let error = options.load_from(&in_pod("10.0.0.1")).await.unwrap_err();
    // An explicit kubeconfig is never silently replaced by the service account.
    assert!(
        matches!(&error, Error::KubeconfigUnreadable { kubeconfig, .. } if kubeconfig.ends_with("nope")),
        "{error:?}"
    );
    assert!(report(&error).starts_with("cannot read the kubeconfig "));
}

#[tokio::test]
async fn kubeconfig_lists_files_that_are_merged_first_one_winning() {
    let dir = tempfile::tempdir().unwrap();
    let first = write(dir.path(), "a", &kubeconfig("https://first:6443"));
    let second = write(dir.path(), "b", &kubeconfig("https://second:6443"));
    let list = std::env::join_paths([&first, &second]).unwrap();
    let env = Environment {
        kubeconfig: Some(list.clone()),
        ..in_pod("10.0.0.1")
    };
    let cluster = ClientOptions::default().load_from(&env).await.unwrap();
    assert_eq!(cluster.server(), "https://first:6443");
    assert_eq!(
        cluster.origin(),
        &Origin::Kubeconfig(format!("$KUBECONFIG ({})", list.to_string_lossy()))
    );
}

#[tokio::test]
async fn home_kube_config_is_used_when_it_exists() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join(".kube")).unwrap();
    write(
        &home.path().join(".kube"),
        "config",
        &kubeconfig("https://home:6443"),
    );
    let env = Environment {
        home: Some(home.path().to_owned()),
        ..Environment::default()
    };
    let cluster = ClientOptions::default().load_from(&env).await.unwrap();
    assert_eq!(cluster.server(), "https://home:6443");

    // A HOME without one is no configuration at all.
    let empty = tempfile::tempdir().unwrap();
    let env = Environment {
        home: Some(empty.path().to_owned()),
        kubeconfig: Some(OsString::new()),
        ..Environment::default()
    };
    let error = ClientOptions::default().load_from(&env).await.unwrap_err();
    assert!(matches!(error, Error::NoConfiguration), "{error:?}");
}

#[tokio::test]
async fn in_a_pod_the_service_account_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let sa = service_account(dir.path(), Some("gitops"));
    let options = ClientOptions {
        service_account_dir: Some(sa.clone()),
        ..ClientOptions::default()
    };
    let cluster = options.load_from(&in_pod("10.96.0.1")).await.unwrap();
    assert_eq!(cluster.server(), "https://10.96.0.1:6443");
    assert_eq!(cluster.namespace(None), "gitops");
    assert_eq!(cluster.namespace(Some("monitoring")), "monitoring");
    assert_eq!(cluster.origin(), &Origin::InCluster(sa.clone()));
    assert_eq!(
        cluster.origin().to_string(),
        format!("in-cluster service account {}", sa.display())
    );
    // The files are named, not read into the configuration: kube re-reads them as they rotate.
    assert_eq!(
        cluster.config().auth_info.token_file.as_deref(),
        Some(sa.join("token").to_str().unwrap())
    );
    assert_eq!(cluster.config().root_cert_file, Some(sa.join("ca.crt")));
}

#[tokio::test]
async fn in_a_pod_an_ipv6_host_is_bracketed_and_the_namespace_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let sa = service_account(dir.path(), None);
    let options = ClientOptions {
        service_account_dir: Some(sa),
        ..ClientOptions::default()
    };
    let cluster = options.load_from(&in_pod("fd00::1")).await.unwrap();
    assert_eq!(cluster.server(), "https://[fd00::1]:6443");
    assert_eq!(cluster.namespace(None), DEFAULT_NAMESPACE);
}

#[tokio::test]
async fn in_a_pod_a_missing_token_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let sa = service_account(dir.path(), Some("gitops"));
    std::fs::remove_file(sa.join("token")).unwrap();
    let options = ClientOptions {
        service_account_dir: Some(sa.clone()),
        ..ClientOptions::default()
    };
    let error = options.load_from(&in_pod("10.96.0.1")).await.unwrap_err();
    assert!(
        matches!(&error, Error::ServiceAccountFileMissing { path } if *path == sa.join("token")),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .ends_with("serviceaccount/token is missing (is a service account token mounted?)")
    );
}

#[tokio::test]
async fn in_a_pod_a_context_needs_a_kubeconfig() {
    let dir = tempfile::tempdir().unwrap();
    let options = ClientOptions {
        context: Some("ops".to_owned()),
        service_account_dir: Some(service_account(dir.path(), None)),
        ..ClientOptions::default()
    };
    let error = options.load_from(&in_pod("10.96.0.1")).await.unwrap_err();
    assert!(
        matches!(&error, Error::ContextWithoutKubeconfig { context } if context == "ops"),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_kubeconfig_wins_over_the_service_account() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "config", &kubeconfig("https://10.0.0.1:6443"));
    let options = ClientOptions {
        kubeconfig: Some(path),
        service_account_dir: Some(service_account(dir.path(), Some("gitops"))),
        ..ClientOptions::default()
    };
    let cluster = options.load_from(&in_pod("10.96.0.1")).await.unwrap();
    assert_eq!(cluster.server(), "https://10.0.0.1:6443");
    assert_eq!(cluster.namespace(None), "monitoring");
}

#[tokio::test]
async fn nothing_at_all_is_no_configuration() {
    let error = ClientOptions::default()
        .load_from(&Environment::default())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::NoConfiguration), "{error:?}");
}

#[tokio::test]
async fn the_token_is_never_formatted() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "config", &kubeconfig("https://10.0.0.1:6443"));
    let options = ClientOptions {
        kubeconfig: Some(path),
        ..ClientOptions::default()
    };
    let cluster = options.load_from(&Environment::default()).await.unwrap();
    assert!(!format!("{cluster:?}").contains(TOKEN));
    // And a client can be built from it (this kubeconfig needs no CA).
    assert!(cluster.client().is_ok());
}

#[tokio::test]
async fn the_proxy_is_kubectls_and_never_shows_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "config",
        &kubeconfig("https://api.example.com:6443"),
    );
    let options = ClientOptions {
        kubeconfig: Some(path),
        ..ClientOptions::default()
    };
    let env = |no_proxy: Option<&str>| Environment {
        proxies: crate::proxy::ProxyEnvironment {
            https: Some("http://ci:pr0xy-pass@proxy.corp:3128".to_owned()),
            no_proxy: no_proxy.map(str::to_owned),
            ..Default::default()
        },
        ..Environment::default()
    };
    let cluster = options.load_from(&env(None)).await.unwrap();
    assert_eq!(
        cluster.proxy().as_deref(),
        Some("http://ci:***@proxy.corp:3128")
    );
    // kube's own loader would have failed on `*.corp` and an empty entry, and matched
    // NO_PROXY against the proxy.
    let cluster = options
        .load_from(&env(Some("*.corp,,.example.com")))
        .await
        .unwrap();
    assert_eq!(cluster.proxy(), None);

    // A password in the server's URL is not shown either.
    let path = write(
        dir.path(),
        "config",
        &kubeconfig("https://u:s3rver-pass@10.0.0.1:6443"),
    );
    let options = ClientOptions {
        kubeconfig: Some(path),
        ..ClientOptions::default()
    };
    let cluster = options.load_from(&Environment::default()).await.unwrap();
    assert_eq!(cluster.server(), "https://u:***@10.0.0.1:6443");
}

#[tokio::test]
async fn files_are_read_bounded_and_pipes_like_files() {
    let dir = tempfile::tempdir().unwrap();
    // `--kubeconfig /dev/zero` (or a CA at a wrong path) fails instead of filling memory.
    let options = ClientOptions {
        kubeconfig: Some(PathBuf::from("/dev/zero")),
        ..ClientOptions::default()
    };
    let said = report(
        &options
            .load_from(&Environment::default())
            .await
            .unwrap_err(),
    );
    assert!(said.contains("larger than 16 MiB"), "{said}");
    let text = kubeconfig("https://10.0.0.1:6443").replace(
        "    insecure-skip-tls-verify: true\n",
        "    certificate-authority: /dev/zero\n",
    );
    let options = ClientOptions {
        kubeconfig: Some(write(dir.path(), "config", &text)),
        ..ClientOptions::default()
    };
    let said = report(
        &options
            .load_from(&Environment::default())
            .await
            .unwrap_err(),
    );
    assert!(
        said.contains("cannot read its certificate-authority /dev/zero: it is larger than 16 MiB"),
        "{said}"
    );

    // A pipe, as `--kubeconfig <(echo "$KUBECONFIG_DATA")` gives, is read to its end.
    let fifo = dir.path().join("fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, kubeconfig("https://10.0.0.1:6443")))
    };
    let options = ClientOptions {
        kubeconfig: Some(fifo),
        ..ClientOptions::default()
    };
    let cluster = options.load_from(&Environment::default()).await.unwrap();
    assert_eq!(cluster.server(), "https://10.0.0.1:6443");
    writer.join().unwrap().unwrap();
}
