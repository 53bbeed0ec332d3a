//! Entry points for fuzzing: the kubeconfig reader, the proxy rule and the redaction of URLs in
//! messages, each as the code that runs calls it.

use crate::proxy::{self, ProxyEnvironment};

/// What reading a kubeconfig file of these bytes says: `None` for a kubeconfig, else the
/// error's message as [`crate::report`] prints it.
pub fn kubeconfig(bytes: &[u8]) -> Option<String> {
    crate::kubeconfig::parse(bytes)
        .err()
        .map(|problem| crate::report(&problem.into_error("fuzz/kubeconfig")))
}

/// The proxy for requests to `server` (`None` when `server` is not a URI): the chosen proxy's
/// URI, or the error's message.
pub fn proxy(
    kubeconfig: Option<&str>,
    server: &str,
    https: Option<&str>,
    no_proxy: Option<&str>,
) -> Option<Result<Option<String>, String>> {
    let server: http::Uri = server.parse().ok()?;
    let env = ProxyEnvironment {
        https: https.map(str::to_owned),
        http: https.map(str::to_owned),
        no_proxy: no_proxy.map(str::to_owned),
    };
    Some(
        proxy::choose(kubeconfig, &server, &env)
            .map(|uri| uri.map(|uri| uri.to_string()))
            .map_err(|e| crate::report(&e)),
    )
}

/// Whether the `NO_PROXY` list names `host`:`port`.
pub fn no_proxy_excludes(no_proxy: &str, host: &str, port: u16) -> bool {
    proxy::excludes(no_proxy, host, port)
}

/// A URL as messages show it (a proxy's, an API server's).
pub fn shown(url: &str) -> String {
    proxy::shown(url)
}
