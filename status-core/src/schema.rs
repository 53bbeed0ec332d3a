//! The post-processing that turns schemars' output into the schema we publish: definitions
//! inlined, constant alternatives turned into plain `enum`s, non-standard formats dropped, and
//! the draft-07 `$schema` declared. Kept apart from the document types so the published schema's
//! shape has one place; the codegen freshness test pins its bytes.

use serde_json::Value;

/// The JSON Schema of a status document; see [`json_schema`](crate::json_schema).
pub(crate) fn document_schema() -> Value {
    let mut schema =
        serde_json::to_value(schemars::schema_for!(crate::StatusDocument)).unwrap_or_default();
    inline_definitions(&mut schema);
    simplify(&mut schema);
    if let Some(map) = schema.as_object_mut() {
        map.insert(
            "$schema".to_owned(),
            "http://json-schema.org/draft-07/schema#".into(),
        );
    }
    schema
}

/// Turns `oneOf`/`anyOf` lists of constants into a plain `enum` (validators then say "must be
/// one of ..." instead of "does not match any of oneOf"), and drops the non-standard `format`s
/// schemars adds for integer widths.
fn simplify(value: &mut Value) {
    let Value::Object(map) = value else {
        if let Value::Array(items) = value {
            items.iter_mut().for_each(simplify);
        }
        return;
    };
    for key in ["oneOf", "anyOf"] {
        let Some(Value::Array(alternatives)) = map.get(key) else {
            continue;
        };
        let mut flat = Vec::new();
        for alternative in alternatives {
            collect_constants(alternative, &mut flat);
        }
        if flat.iter().all(Option::is_some) {
            let values: Vec<Value> = flat.into_iter().flatten().collect();
            map.remove(key);
            let nullable = values.contains(&Value::Null);
            map.insert(
                "type".to_owned(),
                if nullable {
                    serde_json::json!(["string", "null"])
                } else {
                    "string".into()
                },
            );
            map.insert("enum".to_owned(), Value::Array(values));
        }
    }
    if map
        .get("format")
        .and_then(Value::as_str)
        .is_some_and(|f| f.starts_with("uint") || f.starts_with("int"))
    {
        map.remove("format");
    }
    map.values_mut().for_each(simplify);
}

/// The constant string values (and `null`) an alternative allows; `None` for anything else.
fn collect_constants(alternative: &Value, out: &mut Vec<Option<Value>>) {
    if let Some(c) = alternative.get("const") {
        out.push(Some(c.clone()));
    } else if alternative.get("type").and_then(Value::as_str) == Some("null") {
        out.push(Some(Value::Null));
    } else if let Some(Value::Array(inner)) = alternative
        .get("oneOf")
        .or_else(|| alternative.get("anyOf"))
    {
        inner.iter().for_each(|a| collect_constants(a, out));
    } else if let Some(Value::Array(values)) = alternative.get("enum") {
        out.extend(values.iter().cloned().map(Some));
    } else {
        out.push(None);
    }
}

/// Replaces `$ref`s into `$defs` by the definitions themselves: the schema is small, and an
/// inlined schema can be embedded under any key (Helm's `values.schema.json` embeds it twice).
fn inline_definitions(schema: &mut Value) {
    let defs = schema
        .as_object_mut()
        .and_then(|o| o.remove("$defs"))
        .unwrap_or(Value::Null);
    fn walk(value: &mut Value, defs: &Value) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(target)) = map.get("$ref")
                    && let Some(name) = target.strip_prefix("#/$defs/")
                    && let Some(def) = defs.get(name)
                {
                    let mut def = def.clone();
                    walk(&mut def, defs);
                    map.remove("$ref");
                    if let Value::Object(def) = def {
                        for (k, v) in def {
                            map.entry(k).or_insert(v);
                        }
                    }
                }
                map.values_mut().for_each(|v| walk(v, defs));
            }
            Value::Array(items) => items.iter_mut().for_each(|v| walk(v, defs)),
            _ => {}
        }
    }
    walk(schema, &defs);
}
