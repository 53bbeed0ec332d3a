//! Which proxy, if any, reaches the API server: the one kubectl would use.
//!
//! client-go takes the kubeconfig cluster's `proxy-url` for every request; without one, Go's
//! `http.ProxyFromEnvironment`: `HTTPS_PROXY` (or `https_proxy`) for an `https://` server,
//! `HTTP_PROXY` for an `http://` one, except for `localhost` and loopback addresses and for
//! the hosts `NO_PROXY` (or `no_proxy`) names. This module is that rule, with Go's `NO_PROXY`
//! syntax: `*`; IP addresses and CIDR ranges; host names, which match themselves and their
//! subdomains (`example.com`, `.example.com` and `*.example.com` all match `a.example.com`;
//! the first also `example.com`); each optionally with a `:port`.
//!
//! kube 5 has a proxy rule of its own in its kubeconfig loader, which matches `NO_PROXY`
//! against the proxy's address instead of the API server's, and fails to load on `NO_PROXY`
//! entries Go accepts (`*.corp`, an empty entry); `loader.rs` keeps it out of the way.
//!
//! A proxy URL may carry credentials (`http://user:pass@proxy:3128`): kube sends them as
//! `Proxy-Authorization`, and messages show the URL through [`shown`].

use std::net::IpAddr;

use crate::Error;

/// The proxy settings of the environment, read once so that tests can give their own.
#[derive(Debug, Clone, Default)]
pub(crate) struct ProxyEnvironment {
    /// `HTTPS_PROXY`, else `https_proxy`.
    pub(crate) https: Option<String>,
    /// `HTTP_PROXY`, else `http_proxy`.
    pub(crate) http: Option<String>,
    /// `NO_PROXY`, else `no_proxy`.
    pub(crate) no_proxy: Option<String>,
}

impl ProxyEnvironment {
    pub(crate) fn of_process() -> Self {
        let var = |upper: &str, lower: &str| {
            [upper, lower]
                .into_iter()
                .filter_map(std::env::var_os)
                .map(|v| v.to_string_lossy().into_owned())
                .find(|v| !v.trim().is_empty())
        };
        Self {
            https: var("HTTPS_PROXY", "https_proxy"),
            http: var("HTTP_PROXY", "http_proxy"),
            no_proxy: var("NO_PROXY", "no_proxy"),
        }
    }
}

/// The proxy for requests to `server`: the kubeconfig's `proxy-url`, else the environment's,
/// unless `server` is loopback or `NO_PROXY` names it.
pub(crate) fn choose(
    kubeconfig: Option<&str>,
    server: &http::Uri,
    env: &ProxyEnvironment,
) -> Result<Option<http::Uri>, Error> {
    let configured = kubeconfig.map(str::trim).filter(|p| !p.is_empty());
    let proxy = match configured {
        Some(proxy) => proxy,
        None => {
            let from_env = match server.scheme_str() {
                Some("http") => env.http.as_deref(),
                _ => env.https.as_deref(),
            };
            let Some(proxy) = from_env.map(str::trim) else {
                return Ok(None);
            };
            let host = host_of(server);
            let port = port_of(server);
            if is_loopback(&host)
                || env
                    .no_proxy
                    .as_deref()
                    .is_some_and(|n| excludes(n, &host, port))
            {
                return Ok(None);
            }
            proxy
        }
    };
    // Go takes `proxy:3128` as `http://proxy:3128`.
    let url = if proxy.contains("://") {
        proxy.to_owned()
    } else {
        format!("http://{proxy}")
    };
    let unusable = |reason: &str| Error::Proxy {
        proxy: shown(&url),
        reason: reason.to_owned(),
    };
    let uri: http::Uri = url.parse().map_err(|_| unusable("it is not a URL"))?;
    // `http::Uri` takes `proxy:x` and drops the port it cannot read.
    let authority = uri.authority().map_or("", |a| a.as_str());
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let after_host = host_port
        .rsplit_once(']')
        .map_or(host_port, |(_, rest)| rest);
    if after_host.contains(':') && uri.port_u16().is_none() {
        return Err(unusable("its port is not a number"));
    }
    match uri.scheme_str() {
        Some("http" | "https") if uri.host().is_some_and(|h| !h.is_empty()) => Ok(Some(uri)),
        Some("http" | "https") => Err(unusable("it has no host")),
        _ => Err(unusable(
            "the API server is reached through http:// and https:// proxies only (not SOCKS)",
        )),
    }
}

/// `url` as messages show it: a password in it becomes `***`. Works on any text, a URL or not.
///
/// The user information is looked for where URL parsers find it: after `scheme:` and any run of
/// slashes, backslashes, tabs and line breaks, which the WHATWG URL standard (and so reqwest)
/// skips (`http:///user:pass@host` is `http://user:pass@host` to it); without such a scheme, in
/// the text from its start. It ends at its last `@`, the authority at the first `/`, `?` or `#`.
pub(crate) fn shown(url: &str) -> String {
    const SKIPPED: [char; 5] = ['/', '\\', '\t', '\n', '\r'];
    let start = match url.split_once(':') {
        Some((scheme, rest)) if rest.starts_with(SKIPPED) => {
            scheme.len() + 1 + rest.len() - rest.trim_start_matches(SKIPPED).len()
        }
        _ => 0,
    };
    let (head, rest) = url.split_at(start);
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _password)) => format!("{head}{user}:***@{host}{path}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// The host of `uri`, lower case, without the brackets of an IPv6 address.
fn host_of(uri: &http::Uri) -> String {
    uri.host()
        .unwrap_or("")
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase()
}

fn port_of(uri: &http::Uri) -> u16 {
    uri.port_u16()
        .unwrap_or(if uri.scheme_str() == Some("http") {
            80
        } else {
            443
        })
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Whether the `NO_PROXY` list `no_proxy` names `host`:`port` (Go's rules, above).
pub(crate) fn excludes(no_proxy: &str, host: &str, port: u16) -> bool {
    let ip = host.parse::<IpAddr>().ok();
    no_proxy
        .split(',')
        .map(|entry| entry.trim().to_ascii_lowercase())
        .filter(|entry| !entry.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            if let Some((net, bits)) = entry.split_once('/') {
                return match (ip, net.parse::<IpAddr>(), bits.parse::<u32>()) {
                    (Some(ip), Ok(net), Ok(bits)) => in_network(ip, net, bits),
                    _ => false,
                };
            }
            if let Ok(entry_ip) = entry.parse::<IpAddr>() {
                return ip == Some(entry_ip);
            }
            let (name, entry_port) = split_port(&entry);
            if entry_port.is_some_and(|p| p != port) {
                return false;
            }
            if let Ok(entry_ip) = name
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
            {
                return ip == Some(entry_ip);
            }
            let name = name.strip_prefix('*').unwrap_or(name);
            match name.strip_prefix('.') {
                // `.example.com`: its subdomains.
                Some(domain) => host.ends_with(&format!(".{domain}")),
                // `example.com`: itself and its subdomains.
                None => host == name || host.ends_with(&format!(".{name}")),
            }
        })
}

/// `name:port` into its parts; a bare IPv6 address has colons and no port.
fn split_port(entry: &str) -> (&str, Option<u16>) {
    if entry.starts_with('[') {
        if let Some((name, port)) = entry.rsplit_once("]:") {
            return (&entry[..name.len() + 1], port.parse().ok());
        }
        return (entry, None);
    }
    match entry.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') => (name, port.parse().ok()),
        _ => (entry, None),
    }
}

fn in_network(ip: IpAddr, net: IpAddr, bits: u32) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) if bits <= 32 => {
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) if bits <= 128 => {
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests;
