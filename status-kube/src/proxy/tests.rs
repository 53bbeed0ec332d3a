//! The proxy rule: the kubeconfig's first, then the environment's, minus loopback and
//! `NO_PROXY`, with Go's `NO_PROXY` syntax.

use super::*;

fn env(https: Option<&str>, no_proxy: Option<&str>) -> ProxyEnvironment {
    ProxyEnvironment {
        https: https.map(str::to_owned),
        http: Some("http://plain-proxy:3128".to_owned()),
        no_proxy: no_proxy.map(str::to_owned),
    }
}

fn chosen(kubeconfig: Option<&str>, server: &str, env: &ProxyEnvironment) -> Option<String> {
    choose(kubeconfig, &server.parse().unwrap(), env)
        .unwrap()
        .map(|uri| uri.to_string())
}

#[test]
fn the_kubeconfig_wins_and_applies_to_every_host() {
    let e = env(Some("http://env-proxy:3128"), Some("*"));
    assert_eq!(
        chosen(Some("http://kc-proxy:8080"), "https://127.0.0.1:6443", &e).as_deref(),
        Some("http://kc-proxy:8080/")
    );
}

#[test]
fn the_environment_by_the_servers_scheme() {
    let e = env(Some("http://env-proxy:3128"), None);
    assert_eq!(
        chosen(None, "https://api.example.com", &e).as_deref(),
        Some("http://env-proxy:3128/")
    );
    assert_eq!(
        chosen(None, "http://api.example.com", &e).as_deref(),
        Some("http://plain-proxy:3128/")
    );
    // Go's default scheme.
    let e = env(Some("proxy.corp:3128"), None);
    assert_eq!(
        chosen(None, "https://api.example.com", &e).as_deref(),
        Some("http://proxy.corp:3128/")
    );
    assert_eq!(
        chosen(None, "https://api.example.com", &env(None, None)),
        None
    );
}

#[test]
fn loopback_is_never_proxied() {
    let e = env(Some("http://env-proxy:3128"), None);
    for server in [
        "https://127.0.0.1:6443",
        "https://localhost:6443",
        "https://[::1]:6443",
        "https://127.3.2.1",
    ] {
        assert_eq!(chosen(None, server, &e), None, "{server}");
    }
}

#[test]
fn no_proxy_follows_gos_rules() {
    let cases = [
        ("*", "https://api.example.com", true),
        ("example.com", "https://api.example.com", true),
        ("example.com", "https://example.com", true),
        (".example.com", "https://api.example.com", true),
        (".example.com", "https://example.com", false),
        ("*.example.com", "https://api.example.com", true),
        ("ample.com", "https://api.example.com", false),
        ("example.com:6443", "https://api.example.com:6443", true),
        ("example.com:443", "https://api.example.com:6443", false),
        ("example.com:443", "https://api.example.com", true),
        ("10.0.0.0/8", "https://10.96.0.1", true),
        ("10.0.0.0/8", "https://11.0.0.1", false),
        ("10.96.0.1", "https://10.96.0.1:443", true),
        ("fd00::/8", "https://[fd00::1]:6443", true),
        ("[fd00::1]:6443", "https://[fd00::1]:6443", true),
        (
            "  , ,*.corp,  EXAMPLE.com ",
            "https://api.example.com",
            true,
        ),
        ("*.corp,.svc", "https://kubernetes.default.svc", true),
        ("nonsense[/", "https://api.example.com", false),
    ];
    for (no_proxy, server, excluded) in cases {
        let e = env(Some("http://env-proxy:3128"), Some(no_proxy));
        assert_eq!(
            chosen(None, server, &e).is_none(),
            excluded,
            "NO_PROXY={no_proxy:?} {server}"
        );
    }
}

#[test]
fn an_unusable_proxy_is_named_without_its_password() {
    for proxy in [
        "socks5://u:s3cret@p:1080",
        "ftp://u:s3cret@p",
        "http://u:s3cret@",
        "http://u:s3cret@p:x",
    ] {
        let e = env(Some(proxy), None);
        let Err(error) = choose(None, &"https://api.example.com".parse().unwrap(), &e) else {
            panic!("{proxy} was taken");
        };
        let said = crate::report(&error);
        assert!(!said.contains("s3cret"), "{said}");
        assert!(said.starts_with("cannot use the proxy "), "{said}");
    }
    assert_eq!(shown("http://u:p@h:1/x"), "http://u:***@h:1/x");
    assert_eq!(shown("u:p@h"), "u:***@h");
    // URL parsers skip slashes (and backslashes, tabs, line breaks) after the scheme.
    assert_eq!(shown("http:///u:p@h/x"), "http:///u:***@h/x");
    assert_eq!(shown("http:/\\u:p@h"), "http:/\\u:***@h");
}
