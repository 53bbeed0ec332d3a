//! Encodings, relative paths, and errors that never quote the file.

use super::*;

const SECRET: &str = "SECRETvalue-7f3a9c";

const CONFIG: &str = "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n  cluster:\n    server: https://10.0.0.1:6443\n    certificate-authority: ca.crt\nusers:\n- name: u\n  user:\n    tokenFile: token\n    exec:\n      command: ./bin/plugin\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\n";

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    std::iter::once(0xfeff)
        .chain(text.encode_utf16())
        .flat_map(|u| {
            if big_endian {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            }
        })
        .collect()
}

#[test]
fn utf8_and_utf16_with_a_byte_order_mark_are_read() {
    assert_eq!(decode(CONFIG.as_bytes()).unwrap(), CONFIG);
    let mut bom = b"\xef\xbb\xbf".to_vec();
    bom.extend_from_slice(CONFIG.as_bytes());
    assert_eq!(decode(&bom).unwrap(), CONFIG);
    assert_eq!(decode(&utf16(CONFIG, false)).unwrap(), CONFIG);
    assert_eq!(decode(&utf16(CONFIG, true)).unwrap(), CONFIG);
}

#[test]
fn what_is_not_text_is_named() {
    let mut odd = utf16(CONFIG, false);
    odd.push(b'x');
    let odd = decode(&odd).unwrap_err();
    assert!(odd.contains("odd number of bytes"), "{odd}");
    // An odd byte count is what made kube's own reader panic: any length is safe here.
    for len in 0..8 {
        let _ = decode(&[0xff, 0xfe, 0x41, 0x00, 0x42, 0x00, 0x43][..len.min(7)]);
    }
    let without_bom: Vec<u8> = CONFIG.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let no_bom = decode(&without_bom).unwrap_err();
    assert!(
        no_bom.contains("UTF-16 without a byte order mark"),
        "{no_bom}"
    );
    let unpaired = decode(&[0xff, 0xfe, 0x00, 0xd8, 0x41, 0x00]).unwrap_err();
    assert!(unpaired.contains("not valid UTF-16 LE"), "{unpaired}");
    let latin1 = decode(b"kind: Config\n# caf\xe9\n").unwrap_err();
    assert!(latin1.contains("byte 19 is not valid UTF-8"), "{latin1}");
}

#[test]
fn parse_errors_say_where_and_never_what() {
    let broken = [
        format!("users:\n- name: u\n  user: {SECRET}\n"),
        format!("users: {SECRET}\n"),
        format!("clusters: [{SECRET}\n"),
        format!("users:\n- name: u\n  user:\n    token: \"{SECRET}\n"),
        format!("users:\n- name: u\n  user:\n\ttoken: {SECRET}\n"),
        format!("users:\n- name: u\n  user:\n    token: *{SECRET}\n"),
        format!("users:\n- name: u\n  user:\n    token: [{SECRET}]\n"),
        format!("contexts:\n- {SECRET}\n"),
        format!("current-context: {{{SECRET}: 1}}\n"),
        format!("{SECRET}\n"),
        format!("users:\n- name: u\n  user:\n    token: a\n    token: {SECRET}\n"),
        format!("preferences: {SECRET}\n"),
        format!("- {SECRET}\n"),
        format!("apiVersion: v1\n---\nkind: {SECRET}\n---\nusers: [{SECRET}]\n"),
    ];
    for text in &broken {
        let Err(KubeconfigError::Parse(e)) = Kubeconfig::from_yaml(text) else {
            continue;
        };
        let said = describe(&e, text);
        assert!(!said.contains(SECRET), "{text:?}: {said}");
        assert!(said.contains("not shown"), "{said}");
    }
    let Err(KubeconfigError::Parse(e)) = Kubeconfig::from_yaml(&broken[0]) else {
        panic!("a string where the user map belongs parsed");
    };
    assert_eq!(
        describe(&e, &broken[0]),
        "line 3, column 9: expected mapping start (the file's content is not shown: a kubeconfig holds credentials)"
    );
    // A parser message is kept when it quotes nothing of the file...
    let Err(KubeconfigError::Parse(e)) = Kubeconfig::from_yaml(&broken[3]) else {
        panic!("an unterminated quote parsed");
    };
    assert!(describe(&e, &broken[3]).starts_with("line 4, column 12: unclosed quote ("));
    // ...and dropped when a word of it is in the file, as if it quoted the file.
    let quoting = "users:\n- name: quote\n  user:\n    token: \"unclosed\n";
    let Err(KubeconfigError::Parse(e)) = Kubeconfig::from_yaml(quoting) else {
        panic!("an unterminated quote parsed");
    };
    assert!(
        describe(&e, quoting).starts_with("line 4, column 12: not valid YAML, or a value"),
        "{}",
        describe(&e, quoting)
    );
}

#[test]
fn relative_paths_are_relative_to_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    std::fs::write(&path, utf16(CONFIG, false)).unwrap();
    let config = read(&path, "config").unwrap();
    let cluster = config.clusters[0].cluster.as_ref().unwrap();
    assert_eq!(
        cluster.certificate_authority.as_deref(),
        dir.path().join("ca.crt").to_str()
    );
    let user = config.auth_infos[0].auth_info.as_ref().unwrap();
    assert_eq!(
        user.token_file.as_deref(),
        dir.path().join("token").to_str()
    );
    assert_eq!(
        user.exec.as_ref().unwrap().command.as_deref(),
        dir.path().join("./bin/plugin").to_str()
    );
}
