//! From a parsed kubeconfig and a context to a `kube::Config`, as kube's
//! `Config::from_custom_kubeconfig` makes one, but without reading the environment.
//!
//! kube 5's loader reads `HTTPS_PROXY` and `NO_PROXY` itself: it matches `NO_PROXY` against the
//! proxy's address rather than the API server's, and fails to load at all on `NO_PROXY`
//! entries Go accepts (`*.corp`, an empty entry between two commas). Here the proxy is
//! `proxy.rs`'s, and the rest is kube's rule, field by field: the context (given, else the
//! current one), its cluster and user (a missing user is no user, as in client-go), the
//! namespace (the context's, else `default`), the CA (loaded by kube's own code, through
//! `ExecAuthCluster`), TLS settings, and the cluster given to a credential plugin that asks.

use kube::config::{AuthInfo, ExecAuthCluster, Kubeconfig, KubeconfigError};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::Error;
use crate::kubeconfig::unusable;
use crate::proxy::{self, ProxyEnvironment};

/// The client configuration of `context` (else the current context) in `file`; `kubeconfig`
/// names the file in messages.
pub(crate) fn config(
    file: Kubeconfig,
    context: Option<&str>,
    kubeconfig: &str,
    proxies: &ProxyEnvironment,
) -> Result<kube::Config, Error> {
    let fail = |source: KubeconfigError| unusable(source, kubeconfig);
    let context_name = context
        .map(str::to_owned)
        .or_else(|| file.current_context.clone())
        .ok_or_else(|| fail(KubeconfigError::CurrentContextNotSet))?;
    let context = file
        .contexts
        .iter()
        .find(|c| c.name == context_name)
        .and_then(|c| c.context.clone())
        .ok_or_else(|| fail(KubeconfigError::LoadContext(context_name.clone())))?;
    let cluster = file
        .clusters
        .iter()
        .find(|c| c.name == context.cluster)
        .and_then(|c| c.cluster.clone())
        .ok_or_else(|| {
            fail(KubeconfigError::LoadClusterOfContext(
                context.cluster.clone(),
            ))
        })?;
    let mut user: AuthInfo = context
        .user
        .as_ref()
        .and_then(|name| file.auth_infos.iter().find(|u| &u.name == name))
        .and_then(|u| u.auth_info.clone())
        .unwrap_or_default();

    // Files the kubeconfig names are read here, bounded, rather than by kube, which reads
    // any path whole: their contents become the `*-data` fields kube reads instead.
    let mut cluster = cluster;
    if cluster.certificate_authority_data.is_none()
        && let Some(path) = cluster.certificate_authority.take()
    {
        cluster.certificate_authority_data =
            Some(inline(&path, "certificate-authority", kubeconfig)?);
    }
    if user.client_certificate_data.is_none()
        && let Some(path) = user.client_certificate.take()
    {
        user.client_certificate_data = Some(inline(&path, "client-certificate", kubeconfig)?);
    }
    if user.client_key_data.is_none()
        && let Some(path) = user.client_key.take()
    {
        user.client_key_data = Some(inline(&path, "client-key", kubeconfig)?.into());
    }

    // What kube hands a plugin that asks for it: the cluster, its CA loaded. The same CA is
    // the client's roots below.
    let exec_cluster = ExecAuthCluster::try_from(&cluster).map_err(fail)?;
    if let Some(exec) = &mut user.exec
        && exec.provide_cluster_info
    {
        exec.cluster = Some(exec_cluster.clone());
    }

    let server = cluster
        .server
        .as_deref()
        .ok_or_else(|| fail(KubeconfigError::MissingClusterUrl))?;
    let url: http::Uri = server
        .parse()
        .map_err(|e| fail(KubeconfigError::ParseClusterUrl(e)))?;
    let mut config = kube::Config::new(url);
    config.default_namespace = context.namespace.unwrap_or_else(|| "default".to_owned());
    config.accept_invalid_certs = cluster.insecure_skip_tls_verify.unwrap_or(false);
    config.disable_compression = cluster.disable_compression.unwrap_or(false);
    config.tls_server_name = cluster.tls_server_name.clone();
    if let Some(pem) = &exec_cluster.certificate_authority_data {
        config.root_cert = Some(
            certificates(pem).map_err(|problem| Error::KubeconfigInvalid {
                kubeconfig: kubeconfig.to_owned(),
                problem,
            })?,
        );
    }
    config.proxy_url = proxy::choose(cluster.proxy_url.as_deref(), &config.cluster_url, proxies)?;
    config.auth_info = user;
    Ok(config)
}

/// The file at `path` that the kubeconfig's `field` names, in base64 (a `*-data` field).
fn inline(path: &str, field: &str, kubeconfig: &str) -> Result<String, Error> {
    let bytes = crate::kubeconfig::read_bounded(std::path::Path::new(path)).map_err(|e| {
        Error::KubeconfigInvalid {
            kubeconfig: kubeconfig.to_owned(),
            problem: format!("cannot read its {field} {path}: {e}"),
        }
    })?;
    Ok(crate::kubeconfig::base64(&bytes))
}

/// The DER certificates of a PEM bundle (other sections skipped, as kube skips them).
fn certificates(pem: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    CertificateDer::pem_slice_iter(pem)
        .map(|cert| cert.map(|der| der.to_vec()))
        .collect::<Result<_, _>>()
        .map_err(|_| "the cluster's certificate authority is not a PEM bundle".to_owned())
}
