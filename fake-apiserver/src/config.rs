//! How a fake API server starts: the namespaces that exist, the users, each with a bearer
//! token and RBAC-like rules (verbs on resources of API groups, optionally limited to
//! namespaces and to object names, as Roles and `resourceNames` limit them), and how watches
//! are served (the history kept, the bookmark interval).

use std::time::Duration;

use crate::resources::{APPLICATIONS, CONFIGMAPS, Resource};

/// The token of the user [`Config::default`] allows everything.
pub const ADMIN_TOKEN: &str = "admin-token";

/// One RBAC-like rule: these verbs on these resources of these API groups, optionally only in
/// some namespaces and only for some object names (`resourceNames`).
#[derive(Debug, Clone)]
pub struct Rule {
    /// API groups: `""` for the core group (ConfigMaps, Namespaces), `argoproj.io`
    /// (Applications), or `*`.
    pub api_groups: Vec<String>,
    /// Resources by plural (`configmaps`, `applications`), or `*`.
    pub resources: Vec<String>,
    /// Verbs (`get`, `list`, `watch`, `create`, `update`, `patch`, `delete`), or `*`.
    pub verbs: Vec<String>,
    /// Object names the rule is limited to; empty for all. As in RBAC, a POST (create with
    /// no name in the URL) never matches a limited rule.
    pub resource_names: Vec<String>,
    /// Namespaces the rule applies in; empty for all (like a ClusterRole binding).
    pub namespaces: Vec<String>,
}

impl Rule {
    /// Everything on every resource of every group.
    pub fn all() -> Self {
        Self {
            api_groups: vec!["*".into()],
            resources: vec!["*".into()],
            verbs: vec!["*".into()],
            resource_names: Vec::new(),
            namespaces: Vec::new(),
        }
    }

    /// `verbs` on `resource` in every namespace: a plural of the core group (`configmaps`), a
    /// plural and its group as messages name them (`applications.argoproj.io`), or `*` for
    /// every resource of every group.
    pub fn on<'a>(resource: &str, verbs: impl IntoIterator<Item = &'a str>) -> Self {
        let (plural, group) = match resource {
            "*" => ("*", "*"),
            _ => resource.split_once('.').unwrap_or((resource, "")),
        };
        Self {
            api_groups: vec![group.to_owned()],
            resources: vec![plural.to_owned()],
            verbs: verbs.into_iter().map(str::to_owned).collect(),
            resource_names: Vec::new(),
            namespaces: Vec::new(),
        }
    }

    /// `verbs` on ConfigMaps in every namespace.
    pub fn configmaps<'a>(verbs: impl IntoIterator<Item = &'a str>) -> Self {
        Self::on(&CONFIGMAPS.group_resource(), verbs)
    }

    /// `verbs` on Argo CD Applications (`applications.argoproj.io`) in every namespace.
    pub fn applications<'a>(verbs: impl IntoIterator<Item = &'a str>) -> Self {
        Self::on(&APPLICATIONS.group_resource(), verbs)
    }

    /// The same rule limited to some object names.
    pub fn names<'a>(mut self, names: impl IntoIterator<Item = &'a str>) -> Self {
        self.resource_names = names.into_iter().map(str::to_owned).collect();
        self
    }

    /// The same rule limited to some namespaces (a RoleBinding's namespace).
    pub fn in_namespaces<'a>(mut self, namespaces: impl IntoIterator<Item = &'a str>) -> Self {
        self.namespaces = namespaces.into_iter().map(str::to_owned).collect();
        self
    }

    pub(crate) fn allows(
        &self,
        verb: &str,
        resource: &Resource,
        namespace: Option<&str>,
        name: Option<&str>,
    ) -> bool {
        let any = |list: &[String], value: &str| list.iter().any(|v| v == "*" || v == value);
        any(&self.verbs, verb)
            && any(&self.api_groups, resource.group)
            && any(&self.resources, resource.plural)
            && (self.namespaces.is_empty()
                || namespace.is_some_and(|ns| self.namespaces.iter().any(|n| n == ns)))
            && (self.resource_names.is_empty()
                || name.is_some_and(|n| self.resource_names.iter().any(|r| r == n)))
    }
}

/// A user: a bearer token, the user name in messages, and what the user may do (changed at
/// run time with [`FakeApiServer::set_rules`] and [`FakeApiServer::remove_user`]).
///
/// [`FakeApiServer::set_rules`]: crate::FakeApiServer::set_rules
/// [`FakeApiServer::remove_user`]: crate::FakeApiServer::remove_user
#[derive(Debug, Clone)]
pub struct User {
    /// The name the API reports (`system:serviceaccount:ns:name`).
    pub name: String,
    /// The bearer token.
    pub token: String,
    /// What the user may do.
    pub rules: Vec<Rule>,
}

/// How to start a server.
#[derive(Debug, Clone)]
pub struct Config {
    /// The namespaces that exist; writes elsewhere are 404 `namespaces "x" not found`.
    pub namespaces: Vec<String>,
    /// The users with tokens.
    pub users: Vec<User>,
    /// The port on 127.0.0.1; 0 for any free one.
    pub port: u16,
    /// How many changes (of every resource) are kept for watches to resume from: a watch from
    /// a resourceVersion whose changes were dropped gets 410 Expired, as from the real
    /// server's watch cache. An open watch reads its events from the same history, so one
    /// that falls further behind than this (a client not reading, or a burst of more direct
    /// writes than this while it waits) ends with 410 too, as a real server ends a watcher
    /// that cannot keep up; its client relists.
    pub watch_history: usize,
    /// How often a watch that allows bookmarks gets one (the real server: every minute).
    pub bookmark_interval: Duration,
}

impl Default for Config {
    /// Namespaces `default`, `monitoring`, `kube-system` and `argocd`; one user, `admin`, with
    /// [`ADMIN_TOKEN`] and every permission; 1000 changes kept for watches; a bookmark a
    /// minute.
    fn default() -> Self {
        Self {
            namespaces: vec![
                "default".into(),
                "monitoring".into(),
                "kube-system".into(),
                "argocd".into(),
            ],
            users: vec![User {
                name: "admin".into(),
                token: ADMIN_TOKEN.into(),
                rules: vec![Rule::all()],
            }],
            port: 0,
            watch_history: 1000,
            bookmark_interval: Duration::from_secs(60),
        }
    }
}

impl Config {
    /// Adds a user.
    pub fn user(mut self, name: &str, token: &str, rules: Vec<Rule>) -> Self {
        self.users.push(User {
            name: name.into(),
            token: token.into(),
            rules,
        });
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::NAMESPACES;

    #[test]
    fn rules_name_resources_with_their_group() {
        let cm = Rule::configmaps(["get"]);
        assert!(cm.allows("get", &CONFIGMAPS, Some("x"), Some("y")));
        assert!(!cm.allows("get", &APPLICATIONS, Some("x"), Some("y")));
        assert!(!cm.allows("list", &CONFIGMAPS, Some("x"), None));
        let apps = Rule::applications(["get", "list", "watch"]).in_namespaces(["argocd"]);
        assert_eq!(apps.api_groups, ["argoproj.io"]);
        assert!(apps.allows("watch", &APPLICATIONS, Some("argocd"), None));
        assert!(!apps.allows("watch", &APPLICATIONS, Some("default"), None));
        // A plural alone is of the core group, as in a Role with `apiGroups: [""]`.
        let core_only = Rule::on("applications", ["get"]);
        assert!(!core_only.allows("get", &APPLICATIONS, Some("argocd"), Some("a")));
        let everything = Rule::on("*", ["get"]);
        assert!(everything.allows("get", &APPLICATIONS, Some("argocd"), Some("a")));
        assert!(everything.allows("get", &NAMESPACES, None, Some("a")));
        assert!(Rule::all().allows("watch", &CONFIGMAPS, None, None));
    }
}
