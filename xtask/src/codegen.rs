//! Generated files, written by `cargo xtask codegen` and checked fresh by a test and by CI.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use crate::project_root;

/// Whether to write the generated files or only check that they are up to date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Write,
    Check,
}

/// Every generated file: its path from the project root and its content.
fn generated_files() -> Result<Vec<(PathBuf, String)>> {
    let schema = status_core::json_schema();
    Ok(vec![
        (PathBuf::from("docs/status.schema.json"), pretty(&schema)?),
        (
            PathBuf::from("charts/gitops-status-server/values.schema.json"),
            pretty(&values_schema(&schema)?)?,
        ),
    ])
}

/// The chart's values schema as written by hand, beside the generated file (and left out of the
/// chart package by its `.helmignore`); [`values_schema`] fills in the document schema where it
/// says "generated".
const VALUES_SCHEMA_IN: &str =
    include_str!("../../charts/gitops-status-server/values.schema.in.json");

/// The chart's `values.schema.json`: the hand-written schema with what status-core defines
/// filled in where it says "generated": the document schema for `statusJson` and for every value
/// of `extraStatusFiles` (so that Helm itself refuses `sync_status: BOGUS` or `drift_count: -1`
/// and names the field), and the duration grammar's pattern (so that `server.staleAfter`
/// accepts exactly what status-server's `--stale-after` does).
fn values_schema(document: &serde_json::Value) -> Result<serde_json::Value> {
    let mut values: serde_json::Value = serde_json::from_str(VALUES_SCHEMA_IN)
        .context("parsing charts/gitops-status-server/values.schema.in.json")?;
    // A subschema carries no `$schema` of its own (draft-07 ignores it there; keep the file tidy).
    let mut embedded = document.clone();
    if let Some(object) = embedded.as_object_mut() {
        object.remove("$schema");
    }
    for (pointer, generated) in [
        ("/properties/statusJson", embedded.clone()),
        (
            "/properties/extraStatusFiles/additionalProperties",
            embedded,
        ),
        (
            "/definitions/duration/pattern",
            status_core::duration::DURATION_PATTERN.into(),
        ),
    ] {
        let slot = values
            .pointer_mut(pointer)
            .with_context(|| format!("values.schema.in.json has no {pointer}"))?;
        if !slot.as_str().is_some_and(|s| s.starts_with("generated")) {
            bail!("values.schema.in.json: {pointer} should be a \"generated: ...\" placeholder");
        }
        *slot = generated;
    }
    if let Some(left) = placeholder(&values) {
        bail!("values.schema.in.json: {left:?} is a placeholder nothing fills in");
    }
    Ok(values)
}

/// The first "generated: ..." string left in `value`, if any.
fn placeholder(value: &serde_json::Value) -> Option<&str> {
    match value {
        serde_json::Value::String(s) if s.starts_with("generated:") => Some(s),
        serde_json::Value::Array(items) => items.iter().find_map(placeholder),
        serde_json::Value::Object(map) => map.values().find_map(placeholder),
        _ => None,
    }
}

fn pretty(value: &serde_json::Value) -> Result<String> {
    let mut text = serde_json::to_string_pretty(value).context("serialising JSON")?;
    text.push('\n');
    Ok(text)
}

pub(crate) fn run(mode: Mode) -> Result<()> {
    let root = project_root();
    let mut stale = Vec::new();
    for (relative, content) in generated_files()? {
        let path = root.join(&relative);
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current == content {
            continue;
        }
        match mode {
            Mode::Write => {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                std::fs::write(&path, content)
                    .with_context(|| format!("writing {}", path.display()))?;
                eprintln!("wrote {}", relative.display());
            }
            Mode::Check => stale.push(relative.display().to_string()),
        }
    }
    if !stale.is_empty() {
        bail!(
            "{} was not up-to-date — run `cargo xtask codegen` and commit",
            stale
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn generated_files_are_fresh() {
        if let Err(e) = super::run(super::Mode::Check) {
            panic!("{e:#}");
        }
    }

    #[test]
    fn stale_after_takes_status_cores_duration_pattern() {
        let values = super::values_schema(&status_core::json_schema()).unwrap();
        assert_eq!(
            values["definitions"]["duration"]["pattern"],
            status_core::duration::DURATION_PATTERN
        );
        let stale_after = values["properties"]["server"]["properties"]["staleAfter"].to_string();
        assert!(
            stale_after.contains("#/definitions/duration"),
            "{stale_after}"
        );
        assert_eq!(super::placeholder(&values), None);
    }
}
