//! Label and field selectors (`labelSelector`, `fieldSelector`), parsed and matched as the real
//! API server does for lists and watches.
//!
//! Labels: requirements joined by commas, each `key`, `!key`, `key=value`, `key==value`,
//! `key!=value`, `key in (a,b)`, `key notin (a,b)`, `key>N` or `key<N`; `!=` and `notin` also
//! match objects without the label. Fields: `metadata.name`, and `metadata.namespace` for
//! namespaced resources (what the real server supports for ConfigMaps and custom resources),
//! with `=`, `==` or `!=`; any other field is the real 400 `field label not supported`.

use serde_json::Value;

use crate::resources::Resource;
use crate::status::ApiError;

/// What a list or watch selects: every label requirement and every field requirement.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Selector {
    labels: Vec<LabelRequirement>,
    fields: Vec<FieldRequirement>,
}

#[derive(Debug, Clone, PartialEq)]
enum LabelOp {
    Exists,
    NotExists,
    Equals(String),
    NotEquals(String),
    In(Vec<String>),
    NotIn(Vec<String>),
    GreaterThan(i64),
    LessThan(i64),
}

#[derive(Debug, Clone, PartialEq)]
struct LabelRequirement {
    key: String,
    op: LabelOp,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Field {
    Name,
    Namespace,
}

#[derive(Debug, Clone, PartialEq)]
struct FieldRequirement {
    field: Field,
    value: String,
    equal: bool,
}

impl Selector {
    /// Parses the `labelSelector` and `fieldSelector` parameters (absent or empty: everything)
    /// for a list or watch of `resource`: 400 for a selector that does not parse or a field the
    /// resource cannot be selected by.
    pub(crate) fn parse(
        labels: Option<&str>,
        fields: Option<&str>,
        resource: &Resource,
    ) -> Result<Self, ApiError> {
        let labels = match labels.map(str::trim) {
            None | Some("") => Vec::new(),
            Some(selector) => split_top_level(selector)
                .into_iter()
                .map(|term| parse_label_requirement(term.trim()))
                .collect::<Result<_, String>>()
                .map_err(|e| ApiError::bad_request(format!("unable to parse requirement: {e}")))?,
        };
        let fields = match fields.map(str::trim) {
            None | Some("") => Vec::new(),
            Some(selector) => parse_fields(selector, resource)?,
        };
        Ok(Self { labels, fields })
    }

    /// The one object name the field selector pins (`metadata.name=X` or `==`), as the real
    /// server's request info reads it: RBAC then authorizes the list or watch as a request
    /// for that name, so a `resourceNames` rule can allow it.
    pub(crate) fn exact_name(&self) -> Option<&str> {
        self.fields
            .iter()
            .find(|r| r.field == Field::Name && r.equal)
            .map(|r| r.value.as_str())
    }

    /// Whether `obj` is selected.
    pub(crate) fn matches(&self, obj: &Value) -> bool {
        let meta = &obj["metadata"];
        let label = |key: &str| meta["labels"].get(key).and_then(Value::as_str);
        self.labels.iter().all(|r| match &r.op {
            LabelOp::Exists => label(&r.key).is_some(),
            LabelOp::NotExists => label(&r.key).is_none(),
            LabelOp::Equals(v) => label(&r.key) == Some(v.as_str()),
            LabelOp::NotEquals(v) => label(&r.key) != Some(v.as_str()),
            LabelOp::In(set) => label(&r.key).is_some_and(|l| set.iter().any(|v| v == l)),
            LabelOp::NotIn(set) => label(&r.key).is_none_or(|l| !set.iter().any(|v| v == l)),
            LabelOp::GreaterThan(n) => number(label(&r.key)).is_some_and(|l| l > *n),
            LabelOp::LessThan(n) => number(label(&r.key)).is_some_and(|l| l < *n),
        }) && self.fields.iter().all(|r| {
            let actual = match r.field {
                Field::Name => meta["name"].as_str(),
                Field::Namespace => meta["namespace"].as_str(),
            };
            (actual.unwrap_or_default() == r.value) == r.equal
        })
    }
}

fn number(label: Option<&str>) -> Option<i64> {
    label.and_then(|l| l.parse().ok())
}

/// Splits at the commas outside parentheses (those inside belong to `in (a,b)` sets).
fn split_top_level(selector: &str) -> Vec<&str> {
    let mut terms = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in selector.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                terms.push(&selector[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    terms.push(&selector[start..]);
    terms
}

fn parse_label_requirement(term: &str) -> Result<LabelRequirement, String> {
    if let Some(key) = term.strip_prefix('!') {
        let key = key.trim();
        check_key(key)?;
        return Ok(LabelRequirement {
            key: key.to_owned(),
            op: LabelOp::NotExists,
        });
    }
    let end = term
        .find(|c: char| c.is_whitespace() || "!=<>(),".contains(c))
        .unwrap_or(term.len());
    let (key, rest) = term.split_at(end);
    check_key(key)?;
    let rest = rest.trim_start();
    let value = |v: &str| -> Result<String, String> {
        let v = v.trim();
        check_value(v)?;
        Ok(v.to_owned())
    };
    let op = if rest.is_empty() {
        LabelOp::Exists
    } else if let Some(v) = rest.strip_prefix("==") {
        LabelOp::Equals(value(v)?)
    } else if let Some(v) = rest.strip_prefix("!=") {
        LabelOp::NotEquals(value(v)?)
    } else if let Some(v) = rest.strip_prefix('=') {
        LabelOp::Equals(value(v)?)
    } else if let Some(v) = rest.strip_prefix('>') {
        LabelOp::GreaterThan(integer(v)?)
    } else if let Some(v) = rest.strip_prefix('<') {
        LabelOp::LessThan(integer(v)?)
    } else if let Some(set) = keyword(rest, "notin") {
        LabelOp::NotIn(values(set)?)
    } else if let Some(set) = keyword(rest, "in") {
        LabelOp::In(values(set)?)
    } else {
        return Err(format!(
            "found '{rest}', expected: in, notin, =, ==, !=, gt, lt"
        ));
    };
    Ok(LabelRequirement {
        key: key.to_owned(),
        op,
    })
}

/// `rest` after the word `word` (which must be followed by a space or the set's parenthesis).
fn keyword<'a>(rest: &'a str, word: &str) -> Option<&'a str> {
    let after = rest.strip_prefix(word)?;
    (after.starts_with(char::is_whitespace) || after.starts_with('(')).then_some(after.trim())
}

fn integer(v: &str) -> Result<i64, String> {
    let v = v.trim();
    v.parse()
        .map_err(|_| format!("for 'Gt', 'Lt' operators, the value must be an integer: {v:?}"))
}

/// `(a, b)`: the set of an `in` or `notin` requirement, never empty.
fn values(set: &str) -> Result<Vec<String>, String> {
    let inner = set
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .ok_or_else(|| format!("found '{set}', expected: '(' and ')' around the values"))?;
    let values: Vec<String> = inner.split(',').map(|v| v.trim().to_owned()).collect();
    if values.iter().all(String::is_empty) {
        return Err("for 'in', 'notin' operators, values set can't be empty".to_owned());
    }
    for v in &values {
        check_value(v)?;
    }
    Ok(values)
}

/// A label key: an optional DNS subdomain prefix and `/`, then a name of at most 63
/// alphanumerics, `-`, `_` and `.`, beginning and ending with an alphanumeric.
fn check_key(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    let prefix_ok = prefix.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 253
            && p.split('.').all(|part| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && !part.starts_with('-')
                    && !part.ends_with('-')
            })
    });
    if !name.is_empty() && prefix_ok && label_text(name) {
        Ok(())
    } else {
        Err(format!(
            "key: Invalid value: {key:?}: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
        ))
    }
}

/// A label value: empty, or what a key's name part may be.
fn check_value(value: &str) -> Result<(), String> {
    if value.is_empty() || label_text(value) {
        Ok(())
    } else {
        Err(format!(
            "values[0]: Invalid value: {value:?}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
        ))
    }
}

fn label_text(s: &str) -> bool {
    s.len() <= 63
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.ends_with(|c: char| c.is_ascii_alphanumeric())
}

/// Field requirements: `field=value`, `field==value`, `field!=value`, joined by commas (a
/// backslash escapes a comma, `=`, `!` or itself in a value).
fn parse_fields(selector: &str, resource: &Resource) -> Result<Vec<FieldRequirement>, ApiError> {
    let mut requirements = Vec::new();
    for term in split_escaped(selector) {
        let invalid = || {
            ApiError::bad_request(format!(
                "invalid selector: '{selector}'; can't understand '{term}'"
            ))
        };
        let (label, value, equal) = if let Some((l, v)) = term.split_once("!=") {
            (l, v, false)
        } else if let Some((l, v)) = term.split_once("==") {
            (l, v, true)
        } else if let Some((l, v)) = term.split_once('=') {
            (l, v, true)
        } else {
            return Err(invalid());
        };
        let label = label.trim();
        let field = match label {
            "metadata.name" => Field::Name,
            "metadata.namespace" if resource.namespaced() => Field::Namespace,
            _ => {
                return Err(ApiError::bad_request(format!(
                    "field label not supported: {label}"
                )));
            }
        };
        requirements.push(FieldRequirement {
            field,
            value: unescape(value),
            equal,
        });
    }
    Ok(requirements)
}

/// Splits at the commas not escaped by a backslash.
fn split_escaped(selector: &str) -> Vec<String> {
    let mut terms = vec![String::new()];
    let mut chars = selector.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                terms.last_mut().into_iter().for_each(|t| t.push('\\'));
                if let Some(next) = chars.next() {
                    terms.last_mut().into_iter().for_each(|t| t.push(next));
                }
            }
            ',' => terms.push(String::new()),
            c => terms.last_mut().into_iter().for_each(|t| t.push(c)),
        }
    }
    terms
}

fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::resources::{CONFIGMAPS, NAMESPACES};

    fn obj(name: &str, labels: Value) -> Value {
        json!({"metadata": {"name": name, "namespace": "default", "labels": labels}})
    }

    fn selects(labels: &str, obj: &Value) -> bool {
        Selector::parse(Some(labels), None, &CONFIGMAPS)
            .unwrap()
            .matches(obj)
    }

    #[test]
    fn label_requirements_match_as_the_real_server_matches_them() {
        let web = obj("a", json!({"app": "web", "tier": "front", "rank": "3"}));
        let bare = obj("b", json!({}));
        let both = |s: &str| (selects(s, &web), selects(s, &bare));
        assert_eq!(both(""), (true, true));
        assert_eq!(both("app"), (true, false));
        assert_eq!(both("!app"), (false, true));
        assert_eq!(both("app=web"), (true, false));
        assert_eq!(both("app == web"), (true, false));
        // `!=` and `notin` also select objects without the label.
        assert_eq!(both("app!=web"), (false, true));
        assert_eq!(both("app!=db"), (true, true));
        assert_eq!(both("app in (db, web)"), (true, false));
        assert_eq!(both("app notin (db,web)"), (false, true));
        assert_eq!(both("app notin (db)"), (true, true));
        assert_eq!(both("app=web,tier=front"), (true, false));
        assert_eq!(both("app=web,tier=back"), (false, false));
        assert_eq!(both("app in (web),!missing"), (true, false));
        assert_eq!(both("rank>2,rank<4"), (true, false));
        assert_eq!(both("rank>3"), (false, false));
        assert_eq!(both("gitops-status.io/documents"), (false, false));
        assert_eq!(both("app="), (false, false));
        assert!(selects("app=", &obj("c", json!({"app": ""}))));
    }

    #[test]
    fn malformed_label_selectors_are_400s() {
        for bad in [
            "app=web,",
            ",app",
            "app=a b",
            "app in ()",
            "app in web",
            "a/b/",
            "-app",
            "app ~ web",
            "rank>x",
            "app in (a,b",
        ] {
            let err = Selector::parse(Some(bad), None, &CONFIGMAPS).unwrap_err();
            assert_eq!((err.code, err.reason), (400, "BadRequest"), "{bad:?}");
            assert!(
                err.message.starts_with("unable to parse requirement: "),
                "{bad:?}: {}",
                err.message
            );
        }
    }

    #[test]
    fn field_selectors_know_name_and_namespace_only() {
        let cm = obj("live", json!({}));
        let fields = |s: &str| Selector::parse(None, Some(s), &CONFIGMAPS);
        assert!(fields("metadata.name=live").unwrap().matches(&cm));
        assert!(
            fields("metadata.name==live,metadata.namespace=default")
                .unwrap()
                .matches(&cm)
        );
        assert!(!fields("metadata.name!=live").unwrap().matches(&cm));
        assert!(!fields("metadata.namespace=other").unwrap().matches(&cm));
        let err = fields("data.x=1").unwrap_err();
        assert_eq!(
            (err.code, err.message.as_str()),
            (400, "field label not supported: data.x")
        );
        let err = fields("metadata.name").unwrap_err();
        assert_eq!(
            err.message,
            "invalid selector: 'metadata.name'; can't understand 'metadata.name'"
        );
        // Cluster-wide objects have no namespace to select by.
        let err = Selector::parse(None, Some("metadata.namespace=x"), &NAMESPACES).unwrap_err();
        assert_eq!(err.message, "field label not supported: metadata.namespace");
        let escaped = obj("a,b", json!({}));
        assert!(fields(r"metadata.name=a\,b").unwrap().matches(&escaped));
    }
}
