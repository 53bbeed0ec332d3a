//! Query parameters: parsing (percent-decoding) and what the write parameters mean — `dryRun`,
//! `fieldManager`, `force`, `fieldValidation` — and `watch`. Those of lists and watches are
//! [`super::list_options`].

use std::collections::HashMap;

use crate::status::ApiError;
use crate::store::Persist;

/// A request's query parameters, decoded.
#[derive(Debug, Default)]
pub(crate) struct Query(HashMap<String, String>);

impl Query {
    /// Splits and percent-decodes a query string.
    pub(crate) fn parse(query: &str) -> Self {
        Self(
            query
                .split('&')
                .filter(|p| !p.is_empty())
                .map(|pair| {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    (percent_decode(k), percent_decode(v))
                })
                .collect(),
        )
    }

    /// One parameter, decoded.
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// `watch=true` (or `1`).
    pub(crate) fn watch(&self) -> bool {
        matches!(self.get("watch"), Some("true" | "1"))
    }

    /// `dryRun`: absent, or `All`.
    pub(crate) fn persist(&self) -> Result<Persist, ApiError> {
        match self.get("dryRun") {
            None | Some("") => Ok(Persist::Yes),
            Some("All") => Ok(Persist::DryRun),
            Some(other) => Err(ApiError::bad_request(format!(
                "Invalid dry run value: unsupported dry run value {other:?}, valid values are \"All\""
            ))),
        }
    }

    /// `force`: only `true` or `false`.
    pub(crate) fn force(&self) -> Result<bool, ApiError> {
        match self.get("force") {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(other) => Err(ApiError::bad_request(format!(
                "invalid force value {other:?}"
            ))),
        }
    }

    /// `fieldValidation=Strict`: unknown fields are an error, as on a real server.
    pub(crate) fn strict(&self) -> bool {
        self.get("fieldValidation") == Some("Strict")
    }

    /// The field manager of a write: the `fieldManager` parameter, else (for updates) the
    /// User-Agent's program name, as the real server derives it. Apply must name one.
    pub(crate) fn field_manager(
        &self,
        user_agent: Option<&str>,
        apply: bool,
    ) -> Result<String, ApiError> {
        let manager = match self.get("fieldManager") {
            Some(m) if !m.is_empty() => m.to_owned(),
            _ if apply => {
                return Err(ApiError::invalid_options(
                    "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
                ));
            }
            _ => user_agent
                .and_then(|ua| ua.split('/').next())
                .unwrap_or("unknown")
                .to_owned(),
        };
        if manager.chars().count() > 128 || manager.chars().any(char::is_control) {
            return Err(ApiError::invalid_options(
                "fieldManager: Invalid value: must be at most 128 printable characters",
            ));
        }
        Ok(manager)
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let decoded = (bytes[i] == b'%' && i + 2 < bytes.len())
            .then(|| Some(hex(bytes[i + 1])? * 16 + hex(bytes[i + 2])?))
            .flatten();
        match (decoded, bytes[i]) {
            (Some(b), _) => {
                out.push(b as u8);
                i += 3;
            }
            (None, b'+') => {
                out.push(b' ');
                i += 1;
            }
            (None, b) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_decoded_and_checked() {
        let q = Query::parse("fieldManager=statusctl%3Astatus.json&dryRun=All&force=true&watch=1");
        assert_eq!(
            q.field_manager(None, true).unwrap(),
            "statusctl:status.json"
        );
        assert_eq!(q.persist().unwrap(), Persist::DryRun);
        assert!(q.force().unwrap() && q.watch() && !q.strict());
        let q = Query::parse("dryRun=Some&force=yes");
        assert_eq!(q.persist().unwrap_err().code, 400);
        assert_eq!(q.force().unwrap_err().code, 400);
        assert_eq!(q.field_manager(None, true).unwrap_err().code, 422);
        assert_eq!(
            q.field_manager(Some("kubectl/v1.35.2 (linux/amd64)"), false)
                .unwrap(),
            "kubectl"
        );
    }
}
