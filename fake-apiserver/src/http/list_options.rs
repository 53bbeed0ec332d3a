//! The parameters of lists and watches (the real server's `ListOptions`): `labelSelector`,
//! `fieldSelector`, `resourceVersion`, `resourceVersionMatch`, `sendInitialEvents`,
//! `allowWatchBookmarks`, `timeoutSeconds`, `limit` and `continue`, with the real server's
//! validation of how they combine (422 `ListOptions.meta.k8s.io "" is invalid: ...`).
//!
//! `limit` is accepted and ignored, as the real server may: a list always has every selected
//! object and no `continue` token (kube-rs's watcher lists 500 at a time and follows tokens
//! only when there are some). A `continue` token is therefore never valid here.

use std::time::Duration;

use super::query::Query;
use crate::resources::Resource;
use crate::selector::Selector;
use crate::status::ApiError;

/// `resourceVersion` as a list or watch gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    /// Absent or empty: the most recent state.
    Latest,
    /// `0`: any state (the fake's is always the latest).
    Any,
    /// A revision.
    At(u64),
}

/// `resourceVersionMatch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Match {
    NotOlderThan,
    Exact,
}

/// The parsed and validated parameters of one list or watch.
#[derive(Debug)]
pub(crate) struct ListOptions {
    pub(crate) selector: Selector,
    pub(crate) version: Version,
    pub(crate) version_match: Option<Match>,
    /// `sendInitialEvents` (watches only).
    pub(crate) initial_events: Option<bool>,
    /// `allowWatchBookmarks`.
    pub(crate) bookmarks: bool,
    /// `timeoutSeconds` when positive.
    pub(crate) timeout: Option<Duration>,
}

const FORBIDDEN: &str = "FieldValueForbidden";

impl ListOptions {
    /// Parses the parameters of a list (`watch` false) or a watch of `resource`.
    pub(crate) fn parse(query: &Query, resource: &Resource, watch: bool) -> Result<Self, ApiError> {
        let selector = Selector::parse(
            query.get("labelSelector"),
            query.get("fieldSelector"),
            resource,
        )?;
        let raw_version = query.get("resourceVersion").unwrap_or_default();
        let version =
            match raw_version {
                "" => Version::Latest,
                "0" => Version::Any,
                rv => Version::At(rv.parse().map_err(|_| {
                    ApiError::bad_request(format!("invalid resource version {rv:?}"))
                })?),
            };
        let raw_match = query.get("resourceVersionMatch").unwrap_or_default();
        let version_match = match raw_match {
            "" => None,
            "NotOlderThan" => Some(Match::NotOlderThan),
            "Exact" => Some(Match::Exact),
            _ => None,
        };
        let initial_events = query.get("sendInitialEvents").map(parse_bool).transpose()?;
        let bookmarks = query
            .get("allowWatchBookmarks")
            .map(parse_bool)
            .transpose()?
            .unwrap_or(false);
        let timeout = match query.get("timeoutSeconds") {
            None | Some("") => None,
            Some(s) => {
                let seconds: i64 = s
                    .parse()
                    .map_err(|_| ApiError::bad_request(format!("invalid timeoutSeconds {s:?}")))?;
                u64::try_from(seconds)
                    .ok()
                    .filter(|s| *s > 0)
                    .map(Duration::from_secs)
            }
        };
        if let Some(limit) = query.get("limit").filter(|l| !l.is_empty()) {
            limit
                .parse::<i64>()
                .map_err(|_| ApiError::bad_request(format!("invalid limit {limit:?}")))?;
        }
        let continued = query.get("continue").filter(|c| !c.is_empty());
        let mut errors = Vec::new();
        if watch {
            // validateWatchOptions
            if initial_events.is_some() && version_match != Some(Match::NotOlderThan) {
                errors.push(forbidden(
                    "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
                ));
            }
            if !raw_match.is_empty() {
                if initial_events.is_none() {
                    errors.push(forbidden("resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"));
                }
                if continued.is_some() {
                    errors.push(forbidden(
                        "resourceVersionMatch is forbidden when continue is provided",
                    ));
                }
                if version_match != Some(Match::NotOlderThan) {
                    errors.push(not_supported(raw_match, "\"NotOlderThan\""));
                }
            }
        } else {
            // validateListOptions
            if !raw_match.is_empty() {
                if raw_version.is_empty() {
                    errors.push(forbidden(
                        "resourceVersionMatch is forbidden unless resourceVersion is provided",
                    ));
                }
                if continued.is_some() {
                    errors.push(forbidden(
                        "resourceVersionMatch is forbidden when continue is provided",
                    ));
                }
                if version_match.is_none() {
                    errors.push(not_supported(
                        raw_match,
                        "\"Exact\", \"NotOlderThan\", \"\"",
                    ));
                }
                if version_match == Some(Match::Exact) && version == Version::Any {
                    errors.push(forbidden(
                        "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"",
                    ));
                }
            }
            if initial_events.is_some() {
                errors.push((
                    "sendInitialEvents".to_owned(),
                    FORBIDDEN,
                    "Forbidden: sendInitialEvents is forbidden for list".to_owned(),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::invalid("ListOptions.meta.k8s.io", "", &errors));
        }
        if continued.is_some() {
            // The fake never hands out continue tokens (see the module documentation).
            return Err(ApiError::bad_request(
                "continue key is not valid: the fake API server never issues continue tokens",
            ));
        }
        Ok(Self {
            selector,
            version,
            version_match,
            initial_events,
            bookmarks,
            timeout,
        })
    }
}

fn forbidden(message: &str) -> (String, &'static str, String) {
    (
        "resourceVersionMatch".to_owned(),
        FORBIDDEN,
        format!("Forbidden: {message}"),
    )
}

fn not_supported(value: &str, supported: &str) -> (String, &'static str, String) {
    (
        "resourceVersionMatch".to_owned(),
        "FieldValueNotSupported",
        format!("Unsupported value: {value:?}: supported values: {supported}"),
    )
}

/// Go's `strconv.ParseBool`, which the real server's parameter decoding uses.
fn parse_bool(value: &str) -> Result<bool, ApiError> {
    match value {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        other => Err(ApiError::bad_request(format!(
            "invalid boolean value {other:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::CONFIGMAPS;

    fn parse(query: &str, watch: bool) -> Result<ListOptions, ApiError> {
        ListOptions::parse(&Query::parse(query), &CONFIGMAPS, watch)
    }

    #[test]
    fn what_kube_rs_and_kubectl_send_is_accepted() {
        // kube-rs's watcher: its list, its streaming list, its resumed watch.
        let list = parse("limit=500", false).unwrap();
        assert_eq!(list.version, Version::Latest);
        let list = parse("resourceVersion=0&resourceVersionMatch=NotOlderThan", false).unwrap();
        assert_eq!(
            (list.version, list.version_match),
            (Version::Any, Some(Match::NotOlderThan))
        );
        let streaming = parse("watch=true&timeoutSeconds=290&allowWatchBookmarks=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&resourceVersion=0", true).unwrap();
        assert_eq!(streaming.initial_events, Some(true));
        assert!(streaming.bookmarks);
        assert_eq!(streaming.timeout, Some(Duration::from_secs(290)));
        let resumed = parse(
            "watch=true&timeoutSeconds=290&allowWatchBookmarks=true&resourceVersion=123",
            true,
        )
        .unwrap();
        assert_eq!(
            (resumed.version, resumed.initial_events),
            (Version::At(123), None)
        );
        // kubectl get -w: the list's resourceVersion, a field selector for one object.
        let kubectl = parse(
            "fieldSelector=metadata.name%3Dlive&resourceVersion=7&watch=true",
            true,
        )
        .unwrap();
        assert!(kubectl.timeout.is_none() && !kubectl.bookmarks);
        assert_eq!(parse("timeoutSeconds=0", true).unwrap().timeout, None);
    }

    #[test]
    fn combinations_the_real_server_refuses_are_refused_in_its_words() {
        let message = |query: &str, watch: bool| parse(query, watch).unwrap_err().message;
        assert_eq!(
            message("sendInitialEvents=true", true),
            "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"
        );
        assert_eq!(
            message("resourceVersionMatch=NotOlderThan&resourceVersion=1", true),
            "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"
        );
        assert_eq!(
            message("resourceVersionMatch=Exact", false),
            "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided"
        );
        assert_eq!(
            message("sendInitialEvents=false", false),
            "ListOptions.meta.k8s.io \"\" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list"
        );
        assert_eq!(
            message("resourceVersion=1&resourceVersionMatch=Newest", false),
            "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Unsupported value: \"Newest\": supported values: \"Exact\", \"NotOlderThan\", \"\""
        );
        assert_eq!(
            parse("resourceVersion=0&resourceVersionMatch=Exact", false)
                .unwrap_err()
                .code,
            422
        );
        for bad in [
            "resourceVersion=x",
            "timeoutSeconds=soon",
            "allowWatchBookmarks=yes",
            "limit=many",
            "continue=abc",
        ] {
            assert_eq!(parse(bad, true).unwrap_err().code, 400, "{bad}");
        }
    }
}
