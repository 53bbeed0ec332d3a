//! How a fake API server starts: the namespaces that exist and the users, each with a bearer
//! token and RBAC-like rules (verbs on resources, optionally limited to namespaces and to object
//! names, as Roles and `resourceNames` limit them).

use crate::resources::CONFIGMAPS;

/// The token of the user [`Config::default`] allows everything.
pub const ADMIN_TOKEN: &str = "admin-token";

/// One RBAC-like rule: these verbs on these resources, optionally only in some namespaces and
/// only for some object names (`resourceNames`).
#[derive(Debug, Clone)]
pub struct Rule {
    /// Resources (`configmaps`, `namespaces`), or `*`.
    pub resources: Vec<String>,
    /// Verbs (`get`, `list`, `create`, `update`, `patch`, `delete`), or `*`.
    pub verbs: Vec<String>,
    /// Object names the rule is limited to; empty for all. As in RBAC, a POST (create with
    /// no name in the URL) never matches a limited rule.
    pub resource_names: Vec<String>,
    /// Namespaces the rule applies in; empty for all (like a ClusterRole binding).
    pub namespaces: Vec<String>,
}

impl Rule {
    /// Everything on every resource.
    pub fn all() -> Self {
        Self {
            resources: vec!["*".into()],
            verbs: vec!["*".into()],
            resource_names: Vec::new(),
            namespaces: Vec::new(),
        }
    }

    /// `verbs` on `resource` (a plural such as `configmaps`) in every namespace.
    pub fn on<'a>(resource: &str, verbs: impl IntoIterator<Item = &'a str>) -> Self {
        Self {
            resources: vec![resource.to_owned()],
            verbs: verbs.into_iter().map(str::to_owned).collect(),
            resource_names: Vec::new(),
            namespaces: Vec::new(),
        }
    }

    /// `verbs` on ConfigMaps in every namespace.
    pub fn configmaps<'a>(verbs: impl IntoIterator<Item = &'a str>) -> Self {
        Self::on(CONFIGMAPS.plural, verbs)
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
        resource: &str,
        namespace: Option<&str>,
        name: Option<&str>,
    ) -> bool {
        let any = |list: &[String], value: &str| list.iter().any(|v| v == "*" || v == value);
        any(&self.verbs, verb)
            && any(&self.resources, resource)
            && (self.namespaces.is_empty()
                || namespace.is_some_and(|ns| self.namespaces.iter().any(|n| n == ns)))
            && (self.resource_names.is_empty()
                || name.is_some_and(|n| self.resource_names.iter().any(|r| r == n)))
    }
}

/// A user: a bearer token, the user name in messages, and what the user may do.
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
}

impl Default for Config {
    /// Namespaces `default`, `monitoring` and `kube-system`; one user, `admin`, with
    /// [`ADMIN_TOKEN`] and every permission.
    fn default() -> Self {
        Self {
            namespaces: vec!["default".into(), "monitoring".into(), "kube-system".into()],
            users: vec![User {
                name: "admin".into(),
                token: ADMIN_TOKEN.into(),
                rules: vec![Rule::all()],
            }],
            port: 0,
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
