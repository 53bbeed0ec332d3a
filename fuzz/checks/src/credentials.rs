//! What status-kube and statusctl read by hand where credentials live: a kubeconfig's bytes
//! (its errors never quote a value), proxy settings (the proxy rule and Go's `NO_PROXY`
//! syntax), and the URLs messages show (a password is never shown, by the rule URL parsers
//! read them with).

use arbitrary::{Arbitrary, Unstructured};

/// Planted for every `$` of a kubeconfig input: a value no message may quote.
const SECRET: &str = "s3cr3tQz";

/// Proxy settings and a host to try against `NO_PROXY`.
#[derive(Debug, Arbitrary)]
struct Proxy<'a> {
    kubeconfig: Option<&'a str>,
    server: &'a str,
    https: Option<&'a str>,
    no_proxy: &'a str,
    host: &'a str,
    port: u16,
    extra: &'a str,
}

/// The first byte picks the part: a kubeconfig (the rest as its bytes), a URL (the rest as
/// text), or proxy settings (structured).
pub fn credentials(bytes: &[u8]) {
    let Some((pick, rest)) = bytes.split_first() else {
        return;
    };
    match pick % 3 {
        0 => kubeconfig(rest),
        1 => shown(&String::from_utf8_lossy(rest)),
        _ => {
            if let Ok(proxy) = Proxy::arbitrary(&mut Unstructured::new(rest)) {
                proxy_rule(&proxy);
            }
        }
    }
}

/// Reading a kubeconfig never panics, and what it says is wrong never holds a value of it.
fn kubeconfig(bytes: &[u8]) {
    let mut planted = Vec::with_capacity(bytes.len());
    for &b in bytes {
        if b == b'$' {
            planted.extend_from_slice(SECRET.as_bytes());
        } else {
            planted.push(b);
        }
    }
    if let Some(message) = status_kube::fuzzing::kubeconfig(&planted) {
        assert!(!message.contains(SECRET), "{message}");
    }
}

/// A URL as status-kube and statusctl show it has no password but `***` to a URL parser
/// (reqwest's), and one that had a password shows `***`; on printable ASCII, the two agree.
fn shown(text: &str) {
    let kube = status_kube::fuzzing::shown(text);
    let ctl = statusctl::fuzzing::shown(text);
    for out in [&kube, &ctl] {
        if let Ok(url) = url::Url::parse(out) {
            assert!(
                matches!(url.password(), None | Some("***")),
                "{text:?} shown as {out:?}"
            );
        }
    }
    if url::Url::parse(text).is_ok_and(|url| url.password().is_some_and(|p| !p.is_empty())) {
        assert!(kube.contains("***"), "{text:?} shown as {kube:?}");
        assert!(ctl.contains("***"), "{text:?} shown as {ctl:?}");
    }
    if text.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        assert_eq!(kube, ctl, "{text:?}");
    }
}

/// The proxy rule never panics; a proxy it chooses is an `http` or `https` URI with a host;
/// an error shows a proxy with a password as `shown` writes it. `NO_PROXY`: `*` names every host, a host name
/// names itself and its subdomains, and another entry never takes a host out.
fn proxy_rule(p: &Proxy<'_>) {
    if let Some(chosen) =
        status_kube::fuzzing::proxy(p.kubeconfig, p.server, p.https, Some(p.no_proxy))
    {
        match chosen {
            Ok(Some(uri)) => {
                let uri: http::Uri = uri.parse().unwrap_or_else(|e| panic!("{uri}: {e}"));
                assert!(matches!(uri.scheme_str(), Some("http" | "https")), "{uri}");
                assert!(uri.host().is_some_and(|h| !h.is_empty()), "{uri}");
            }
            Ok(None) => {}
            Err(message) => {
                let configured = p.kubeconfig.map(str::trim).filter(|k| !k.is_empty());
                if let Some(proxy) = configured.or(p.https.map(str::trim)) {
                    let url = if proxy.contains("://") {
                        proxy.to_owned()
                    } else {
                        format!("http://{proxy}")
                    };
                    // Shown as `shown` writes it, whose own property (no password but `***`)
                    // is checked above. (Not "the password is nowhere": the same text can
                    // recur later in the URL, where it is no password; nor "never whole": a
                    // password may be `***` itself.)
                    let has_password = url::Url::parse(&url)
                        .is_ok_and(|u| u.password().is_some_and(|p| !p.is_empty()));
                    if has_password {
                        assert!(
                            message.contains(&status_kube::fuzzing::shown(&url)),
                            "{message}"
                        );
                    }
                }
            }
        }
    }
    let excludes =
        |list: &str, host: &str| status_kube::fuzzing::no_proxy_excludes(list, host, p.port);
    let host = p.host.to_ascii_lowercase();
    assert!(excludes(&format!("{},*", p.no_proxy), &host));
    if excludes(p.no_proxy, &host) {
        assert!(
            excludes(&format!("{},{}", p.no_proxy, p.extra), &host),
            "{p:?}"
        );
    }
    let name = !host.is_empty()
        && host.split('.').all(|label| !label.is_empty())
        && host
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    if name {
        assert!(excludes(&host, &host), "{host:?}");
        assert!(excludes(&host, &format!("a.{host}")), "{host:?}");
        assert!(
            excludes(&format!(".{host}"), &format!("a.{host}")),
            "{host:?}"
        );
        assert!(!excludes(&format!(".{host}"), &host), "{host:?}");
    }
}
