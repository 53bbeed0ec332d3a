//! Which endpoint a path names. Resource paths come from the registry: `/api/v1/...` for the
//! core group and `/apis/{group}/{version}/...` for the others, each with the namespaced forms
//! (`namespaces/{ns}/{plural}[/{name}]`) and the cluster-wide ones (`{plural}[/{name}]`; for a
//! namespaced resource only the list across all namespaces).

use crate::resources::{self, Resource};

/// What a request path names.
#[derive(Debug, PartialEq)]
pub(crate) enum Route<'a> {
    /// `/healthz`, `/livez`, `/readyz`: public.
    Health,
    /// `/version`: public.
    Version,
    /// `/api`: the core group's versions.
    Api,
    /// `/apis`: the other groups.
    Apis,
    /// `/apis/{group}`: one group's versions.
    Group(&'a str),
    /// `/api/v1` or `/apis/{group}/{version}`: the resources of a group-version.
    GroupVersion(&'a str, &'a str),
    /// `/openapi/v3`: where each group-version's OpenAPI document is.
    OpenApiIndex,
    /// `/openapi/v3/api/v1` or `/openapi/v3/apis/{group}/{version}`.
    OpenApi(&'a str, &'a str),
    /// A list of objects (and where new ones are POSTed): in one namespace, or cluster-wide.
    Collection {
        resource: &'static Resource,
        namespace: Option<&'a str>,
    },
    /// One object.
    Object {
        resource: &'static Resource,
        namespace: Option<&'a str>,
        name: &'a str,
    },
    /// Nothing served: 404.
    Unknown,
}

/// Parses a path (without its query; a trailing slash is ignored).
pub(crate) fn parse(path: &str) -> Route<'_> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        ["healthz" | "livez" | "readyz"] => Route::Health,
        ["version"] => Route::Version,
        ["api"] => Route::Api,
        ["apis"] => Route::Apis,
        ["openapi", "v3"] => Route::OpenApiIndex,
        ["openapi", "v3", "api", version] => openapi("", version),
        ["openapi", "v3", "apis", group, version] => openapi(group, version),
        ["apis", group] => served_group(group),
        ["api", version, rest @ ..] => in_group_version("", version, rest),
        ["apis", group, version, rest @ ..] => in_group_version(group, version, rest),
        _ => Route::Unknown,
    }
}

fn served_group(group: &str) -> Route<'_> {
    if resources::group_versions().iter().any(|(g, _)| *g == group) {
        Route::Group(group)
    } else {
        Route::Unknown
    }
}

fn openapi<'a>(group: &'a str, version: &'a str) -> Route<'a> {
    if resources::in_group_version(group, version).is_empty() {
        Route::Unknown
    } else {
        Route::OpenApi(group, version)
    }
}

/// The rest of a path under a group-version: `{plural}[/{name}]` or
/// `namespaces/{ns}/{plural}[/{name}]`.
fn in_group_version<'a>(group: &'a str, version: &'a str, rest: &[&'a str]) -> Route<'a> {
    if resources::in_group_version(group, version).is_empty() {
        return Route::Unknown;
    }
    let find = |plural: &str| resources::find(group, version, plural);
    // `namespaces/{name}` is the Namespace object; `namespaces/{ns}/{plural}...` goes into one.
    let namespaced = |plural: &str| find(plural).filter(|r| r.namespaced());
    let cluster_wide = |plural: &str| find(plural).filter(|r| !r.namespaced());
    match *rest {
        [] => Route::GroupVersion(group, version),
        ["namespaces", ns, plural] => match namespaced(plural) {
            Some(resource) => Route::Collection {
                resource,
                namespace: Some(ns),
            },
            None => Route::Unknown,
        },
        ["namespaces", ns, plural, name] => match namespaced(plural) {
            Some(resource) => Route::Object {
                resource,
                namespace: Some(ns),
                name,
            },
            None => Route::Unknown,
        },
        // A namespaced resource's list across all namespaces, or a cluster-wide collection.
        [plural] => match find(plural) {
            Some(resource) => Route::Collection {
                resource,
                namespace: None,
            },
            None => Route::Unknown,
        },
        [plural, name] => match cluster_wide(plural) {
            Some(resource) => Route::Object {
                resource,
                namespace: None,
                name,
            },
            None => Route::Unknown,
        },
        _ => Route::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::{CONFIGMAPS, NAMESPACES};

    fn names(route: Route<'_>) -> (String, Option<String>, Option<String>) {
        match route {
            Route::Collection {
                resource,
                namespace,
            } => (resource.plural.into(), namespace.map(Into::into), None),
            Route::Object {
                resource,
                namespace,
                name,
            } => (
                resource.plural.into(),
                namespace.map(Into::into),
                Some(name.into()),
            ),
            other => panic!("not a resource path: {other:?}"),
        }
    }

    #[test]
    fn resource_paths_come_from_the_registry() {
        let cm = CONFIGMAPS.plural;
        let ns = NAMESPACES.plural;
        let some = |s: &str| Some(s.to_owned());
        assert_eq!(
            names(parse(&format!("/api/v1/namespaces/default/{cm}"))),
            (cm.to_owned(), some("default"), None)
        );
        assert_eq!(
            names(parse(&format!("/api/v1/namespaces/default/{cm}/live/"))),
            (cm.to_owned(), some("default"), some("live"))
        );
        assert_eq!(
            names(parse(&format!("/api/v1/{cm}"))),
            (cm.to_owned(), None, None)
        );
        assert_eq!(
            names(parse("/api/v1/namespaces/default")),
            (ns.to_owned(), None, some("default"))
        );
        assert_eq!(
            names(parse("/api/v1/namespaces")),
            (ns.to_owned(), None, None)
        );
    }

    #[test]
    fn everything_else_is_discovery_or_unknown() {
        assert_eq!(parse("/api/v1/"), Route::GroupVersion("", "v1"));
        assert_eq!(parse("/openapi/v3/api/v1"), Route::OpenApi("", "v1"));
        assert_eq!(parse("/readyz"), Route::Health);
        for unknown in [
            "/",
            "/api/v2",
            "/apis/apps",
            "/apis/apps/v1",
            "/openapi/v3/apis/apps/v1",
            "/api/v1/secrets",
            "/api/v1/configmaps/cluster-wide-name",
            "/api/v1/namespaces/default/namespaces",
            "/api/v1/namespaces/default/configmaps/live/status",
        ] {
            assert_eq!(parse(unknown), Route::Unknown, "{unknown}");
        }
    }
}
