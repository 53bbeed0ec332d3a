//! Kubeconfigs and tokens as people write them: a token file ending in a newline, an inline
//! token written as a YAML block scalar, UTF-16 files (with or without a byte order mark, even
//! cut short), and values in the wrong place. Each works, as with kubectl, or exits 2 with a
//! message; none panics, and no message ever shows a value of the kubeconfig. (A credential
//! plugin's own standard error is passed through, as client-go passes it: that is how a plugin
//! asks to log in. What it prints there is its own.)

use fake_apiserver::ADMIN_TOKEN;

use crate::process::Run;
use crate::support::{Cluster, doc, run, settings};

/// A value that stands for a credential in a kubeconfig: it must appear in no output.
const SECRET: &str = "SECRETvalue-7f3a9c-must-not-show";

/// Pushes a document with the kubeconfig `contents` (bytes, written as they are).
fn push_with(cluster: &Cluster, name: &str, contents: &[u8]) -> Run {
    let kubeconfig = cluster.dir.path().join(name);
    std::fs::write(&kubeconfig, contents).unwrap();
    let file = cluster.file("doc.json", &doc("apps", "2026-04-21T12:00:00Z"));
    run(cluster
        .statusctl()
        .args(["push", "--timeout", "5s", "--kubeconfig"])
        .arg(&kubeconfig)
        .arg(&file))
}

/// The cluster's admin kubeconfig with its user's `token: admin-token` line replaced.
fn with_user(cluster: &Cluster, user: &str) -> String {
    let kubeconfig = cluster.server.kubeconfig(ADMIN_TOKEN, "monitoring");
    let line = format!("    token: {ADMIN_TOKEN}\n");
    assert!(kubeconfig.contains(&line), "{kubeconfig}");
    kubeconfig.replace(&line, user)
}

#[test]
fn a_token_file_ending_in_a_newline_is_trimmed_as_client_go_does() {
    let cluster = Cluster::start();
    std::fs::write(cluster.dir.path().join("token"), format!("{ADMIN_TOKEN}\n")).unwrap();
    let kubeconfig = with_user(&cluster, "    tokenFile: token\n");
    let r = push_with(&cluster, "kubeconfig-token-file", kubeconfig.as_bytes());
    assert_eq!(r.code, 0, "{}", r.transcript());
    // Surrounding whitespace of any kind, as client-go's strings.TrimSpace.
    std::fs::write(
        cluster.dir.path().join("token"),
        format!(" \t{ADMIN_TOKEN}\r\n\n"),
    )
    .unwrap();
    let r = push_with(&cluster, "kubeconfig-token-file", kubeconfig.as_bytes());
    assert_eq!(r.code, 0, "{}", r.transcript());
}

#[test]
fn an_inline_token_as_a_block_scalar_works() {
    let cluster = Cluster::start();
    // `token: |` keeps the line break: the value is "admin-token\n".
    let kubeconfig = with_user(&cluster, &format!("    token: |\n      {ADMIN_TOKEN}\n"));
    let r = push_with(&cluster, "kubeconfig-block", kubeconfig.as_bytes());
    assert_eq!(r.code, 0, "{}", r.transcript());
}

#[test]
fn a_token_with_a_line_break_inside_is_exit_2_without_the_token() {
    let cluster = Cluster::start();
    let kubeconfig = with_user(&cluster, &format!("    token: \"{SECRET}\\nmore\"\n"));
    let r = push_with(&cluster, "kubeconfig-broken-token", kubeconfig.as_bytes());
    assert_eq!(r.code, 2, "{}", r.transcript());
    assert!(!r.stderr.contains(SECRET), "{}", r.stderr);
    let mut settings = settings();
    settings.add_filter(r"kubeconfig-broken-token", "KUBECONFIG");
    settings.bind(|| insta::assert_snapshot!("kubeconfig_token_line_break", r.transcript()));
}

fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
    let mut bytes = Vec::new();
    let units = if bom { vec![0xfeff] } else { Vec::new() };
    for unit in units.into_iter().chain(text.encode_utf16()) {
        let pair = if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        };
        bytes.extend_from_slice(&pair);
    }
    bytes
}

#[test]
fn utf16_kubeconfigs_work_or_exit_2() {
    let cluster = Cluster::start();
    let text = cluster.server.kubeconfig(ADMIN_TOKEN, "monitoring");
    // What PowerShell's `>` writes (UTF-16 LE with a byte order mark), and its big-endian
    // sibling; a UTF-8 byte order mark (Notepad's "UTF-8 with BOM").
    let mut utf8_bom = b"\xef\xbb\xbf".to_vec();
    utf8_bom.extend_from_slice(text.as_bytes());
    for (name, bytes) in [
        ("utf16le", utf16(&text, false, true)),
        ("utf16be", utf16(&text, true, true)),
        ("utf8bom", utf8_bom),
    ] {
        let r = push_with(&cluster, name, &bytes);
        assert_eq!(r.code, 0, "{name}: {}", r.transcript());
    }
    let mut transcript = String::new();
    let mut odd = utf16(&text, false, true);
    odd.push(b'x');
    for (name, bytes) in [
        ("utf16le-odd-length", odd),
        ("utf16le-without-bom", utf16(&text, false, false)),
        ("utf16be-without-bom", utf16(&text, true, false)),
        (
            "latin1",
            b"apiVersion: v1\nkind: Config\n# caf\xe9\n".to_vec(),
        ),
    ] {
        let r = push_with(&cluster, name, &bytes);
        assert_eq!(r.code, 2, "{name}: {}", r.transcript());
        transcript.push_str(&format!("# {name}\n{}\n", r.transcript()));
    }
    let mut settings = settings();
    settings.add_filter(r"odd number of bytes \(\d+\)", "odd number of bytes ([N])");
    settings.bind(|| insta::assert_snapshot!("kubeconfig_encodings", transcript));
}

#[test]
fn no_message_shows_a_value_of_the_kubeconfig() {
    let cluster = Cluster::start();
    let server = cluster.server.url();
    let good = cluster.server.kubeconfig(ADMIN_TOKEN, "monitoring");
    let user = |text: &str| with_user(&cluster, text);
    let cases: Vec<(&str, String)> = vec![
        (
            "a string where the user map belongs",
            good.replace(
                "  user:\n    token: admin-token\n",
                &format!("  user: {SECRET}\n"),
            ),
        ),
        (
            "a string where the users list belongs",
            format!("apiVersion: v1\nkind: Config\nusers: {SECRET}\n"),
        ),
        (
            "a number where a string belongs",
            user(&format!(
                "    token: 12345{}\n    username: [{SECRET}]\n",
                "0"
            )),
        ),
        (
            "an unterminated quote",
            user(&format!("    token: \"{SECRET}\n")),
        ),
        (
            "an unterminated flow sequence",
            format!("apiVersion: v1\nclusters: [{SECRET}\n"),
        ),
        (
            "a tab for indentation",
            user(&format!("\ttoken: {SECRET}\n")),
        ),
        (
            "a duplicate key",
            user(&format!("    token: {SECRET}\n    token: {SECRET}2\n")),
        ),
        (
            "an unknown anchor",
            user(&format!("    token: *{SECRET}\n")),
        ),
        (
            "a bad certificate authority",
            good.replace(
                "certificate-authority-data: ",
                &format!("certificate-authority-data: {SECRET}$"),
            ),
        ),
        (
            "a bad client key",
            user(&format!(
                "    client-certificate-data: {SECRET}\n    client-key-data: {SECRET}$$\n"
            )),
        ),
        (
            "a server that is no URL",
            good.replace(&server, &format!("https://{SECRET} x")),
        ),
        (
            "a password in the server's URL",
            good.replace(&server, &format!("https://ci:{SECRET}@127.0.0.1:9")),
        ),
        (
            "a control character in the token",
            user(&format!("    token: \"{SECRET}\\u0007\"\n")),
        ),
        (
            "a failing credential plugin",
            user(&format!(
                "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: sh\n      args: [-c, 'echo {SECRET}; exit 3', {SECRET}]\n      interactiveMode: Never\n"
            )),
        ),
        (
            "a plugin printing no credential",
            user(&format!(
                "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: sh\n      args: [-c, 'echo {SECRET}']\n      interactiveMode: Never\n"
            )),
        ),
        (
            "a context that is not there",
            good.replace(
                "current-context: fake",
                &format!("current-context: [{SECRET}"),
            ),
        ),
    ];
    let mut transcript = String::new();
    for (what, kubeconfig) in cases {
        let r = push_with(&cluster, "kubeconfig-hostile", kubeconfig.as_bytes());
        assert_ne!(r.code, 0, "{what}: {}", r.transcript());
        assert!(
            !r.stdout.contains(SECRET) && !r.stderr.contains(SECRET),
            "{what}: a kubeconfig value was printed:\n{}",
            r.transcript()
        );
        // The first line says it; retries that follow (an unreachable server) vary in number.
        transcript.push_str(&format!(
            "# {what}\nexit {}: {}\n",
            r.code,
            r.stderr.lines().next().unwrap_or("")
        ));
    }
    settings().bind(|| insta::assert_snapshot!("kubeconfig_values_not_shown", transcript));
}
