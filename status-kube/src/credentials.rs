//! Credentials as people write them, made safe to hand to kube.
//!
//! - A token is trimmed of surrounding whitespace, as client-go trims a token file: a token
//!   file ending in a newline, or an inline token written as a YAML block scalar (`token: |`,
//!   which keeps the line break), is the token without it. kube would otherwise build an
//!   `Authorization` header from it: a request error for a token file, and a panic (in
//!   tower-http, while building the client) for an inline token. A token with a control
//!   character left inside it cannot be sent at all: that is an error here, naming the field,
//!   never the token.
//! - With [`ClientOptions::credentials_once`](crate::ClientOptions::credentials_once), the
//!   credentials are read once, now: a token file is read and trimmed, and a credential plugin
//!   (`exec:`) is run once, within that time ([`plugin`]). kube is handed the result as a fixed
//!   credential. kube itself would run a plugin three times while building one client
//!   (`Auth::try_from` for the auth layer, and twice for a client certificate), each time
//!   blocking the thread the caller's timeout runs on; and it re-reads a token file untrimmed.
//!   Without it, both are left to kube, which refreshes them: what a long-running client needs.

mod plugin;

use std::path::Path;
use std::time::Duration;

use kube::config::{AuthInfo, AuthProviderConfig};
use secrecy::{ExposeSecret, SecretString};

use crate::{Error, kubeconfig};

/// Makes the credentials of `config` safe to hand to kube, reading them once when `once`
/// gives the time a credential plugin may take.
pub(crate) async fn prepare(
    config: &mut kube::Config,
    once: Option<Duration>,
) -> Result<(), Error> {
    let user = &mut config.auth_info;
    if let Some(token) = &user.token {
        user.token = Some(checked_token(
            token.expose_secret(),
            "the kubeconfig user's token",
        )?);
    }
    if let Some(provider) = &mut user.auth_provider {
        check_provider_tokens(provider)?;
    }
    let Some(within) = once else {
        return Ok(());
    };
    // An inline token wins over the other sources, as in kube and client-go.
    if user.token.is_some() {
        return Ok(());
    }
    if let Some(path) = user.token_file.take() {
        let text = kubeconfig::read_bounded(Path::new(&path))
            .and_then(|bytes| String::from_utf8(bytes).map_err(std::io::Error::other))
            .map_err(|e| Error::Credentials {
                reason: format!("cannot read the token file {path}: {e}"),
                source: None,
            })?;
        if text.trim().is_empty() {
            return Err(Error::Credentials {
                reason: format!("the token file {path} is empty"),
                source: None,
            });
        }
        user.token = Some(checked_token(&text, &format!("the token in {path}"))?);
        return Ok(());
    }
    if let Some(exec) = user.exec.take() {
        match plugin::run(&exec, within).await? {
            plugin::Credential::Token(token) => {
                user.token = Some(checked_token(
                    &token,
                    &format!("the token of the credential plugin {}", plugin::name(&exec)),
                )?);
            }
            plugin::Credential::Certificate { certificate, key } => {
                set_certificate(user, &certificate, key);
            }
        }
    }
    Ok(())
}

/// `token` without surrounding whitespace, when what is left can be sent in a header; `what`
/// names where it came from, for the message (which never holds the token).
fn checked_token(token: &str, what: &str) -> Result<SecretString, Error> {
    let token = token.trim();
    let sendable = http::HeaderValue::from_str(&format!("Bearer {token}")).is_ok()
        && !token.chars().any(char::is_control);
    if !sendable {
        return Err(Error::Credentials {
            reason: format!(
                "{what} holds a line break or another control character inside it: a token is one line of printable characters (the token is not shown)"
            ),
            source: None,
        });
    }
    Ok(SecretString::from(token.to_owned()))
}

/// The tokens an `auth-provider` (OIDC's `id-token`, GCP's `access-token`) hands kube as they
/// are written, trimmed and checked like any other.
fn check_provider_tokens(provider: &mut AuthProviderConfig) -> Result<(), Error> {
    for key in ["id-token", "access-token"] {
        if let Some(token) = provider.config.get_mut(key) {
            let checked = checked_token(token, &format!("the auth-provider's {key}"))?;
            *token = checked.expose_secret().to_owned();
        }
    }
    Ok(())
}

/// A client certificate and key from a plugin (PEM text), in the form a kubeconfig holds them
/// (base64 of the PEM), which is what kube reads.
fn set_certificate(user: &mut AuthInfo, certificate: &str, key: SecretString) {
    user.client_certificate_data = Some(kubeconfig::base64(certificate.as_bytes()));
    user.client_key_data = Some(SecretString::from(kubeconfig::base64(
        key.expose_secret().as_bytes(),
    )));
    user.client_certificate = None;
    user.client_key = None;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_trimmed_and_control_characters_refused_without_the_token() {
        for written in ["t0ken", "t0ken\n", " \tt0ken\r\n\n"] {
            assert_eq!(
                checked_token(written, "x").unwrap().expose_secret(),
                "t0ken"
            );
        }
        for broken in ["t0k\nen", "t0k\u{7}en", "t0ken\u{0}x", "t\u{85}x"] {
            let error = checked_token(broken, "the kubeconfig user's token").unwrap_err();
            let said = crate::report(&error);
            assert!(!said.contains("t0k"), "{said}");
            assert!(
                said.contains("the kubeconfig user's token holds a line break"),
                "{said}"
            );
        }
    }
}
