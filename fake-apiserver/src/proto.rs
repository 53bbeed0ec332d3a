//! Just enough of Kubernetes' protobuf encoding to read a ConfigMap: kubectl's typed commands
//! (`kubectl create configmap NAME --from-literal=...` without `--dry-run`) send
//! `application/vnd.kubernetes.protobuf`. The body is the magic `k8s\0`, then a
//! `runtime.Unknown` whose `raw` field holds the `v1.ConfigMap` message. Responses are JSON,
//! which kubectl also accepts.

use serde_json::{Map, Value, json};

/// Decodes a protobuf-encoded ConfigMap into its JSON form.
pub(crate) fn configmap(body: &[u8]) -> Result<Value, String> {
    let rest = body
        .strip_prefix(b"k8s\0")
        .ok_or("not a Kubernetes protobuf message (no k8s\\0 prefix)")?;
    let mut raw = None;
    let mut kind = None;
    for field in Fields(rest) {
        match field? {
            (1, Wire::Bytes(type_meta)) => {
                for f in Fields(type_meta) {
                    if let (2, Wire::Bytes(k)) = f? {
                        kind = Some(String::from_utf8_lossy(k).into_owned());
                    }
                }
            }
            (2, Wire::Bytes(bytes)) => raw = Some(bytes),
            _ => {}
        }
    }
    if kind.as_deref().is_some_and(|k| k != "ConfigMap") {
        return Err(format!(
            "expected a ConfigMap, got {}",
            kind.unwrap_or_default()
        ));
    }
    let raw = raw.ok_or("the protobuf envelope has no object")?;
    let mut cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}});
    for field in Fields(raw) {
        match field? {
            (1, Wire::Bytes(meta)) => cm["metadata"] = object_meta(meta)?,
            (2, Wire::Bytes(entry)) => {
                let (k, v) = map_entry(entry)?;
                insert(
                    &mut cm,
                    "data",
                    k,
                    Value::String(String::from_utf8_lossy(&v).into_owned()),
                );
            }
            (3, Wire::Bytes(entry)) => {
                let (k, v) = map_entry(entry)?;
                insert(
                    &mut cm,
                    "binaryData",
                    k,
                    Value::String(crate::tls::base64(&v)),
                );
            }
            (4, Wire::Varint(b)) => cm["immutable"] = Value::Bool(b != 0),
            _ => {}
        }
    }
    Ok(cm)
}

fn insert(obj: &mut Value, section: &str, key: String, value: Value) {
    if !obj[section].is_object() {
        obj[section] = Value::Object(Map::new());
    }
    obj[section][key] = value;
}

fn object_meta(bytes: &[u8]) -> Result<Value, String> {
    let mut meta = json!({});
    for field in Fields(bytes) {
        let text = |b: &[u8]| Value::String(String::from_utf8_lossy(b).into_owned());
        match field? {
            (1, Wire::Bytes(b)) => meta["name"] = text(b),
            (2, Wire::Bytes(b)) => meta["generateName"] = text(b),
            (3, Wire::Bytes(b)) => meta["namespace"] = text(b),
            (6, Wire::Bytes(b)) => meta["resourceVersion"] = text(b),
            (11, Wire::Bytes(entry)) => {
                let (k, v) = map_entry(entry)?;
                insert(&mut meta, "labels", k, text(&v));
            }
            (12, Wire::Bytes(entry)) => {
                let (k, v) = map_entry(entry)?;
                insert(&mut meta, "annotations", k, text(&v));
            }
            _ => {}
        }
    }
    Ok(meta)
}

/// A map entry message: key (1) and value (2).
fn map_entry(bytes: &[u8]) -> Result<(String, Vec<u8>), String> {
    let (mut key, mut value) = (String::new(), Vec::new());
    for field in Fields(bytes) {
        match field? {
            (1, Wire::Bytes(k)) => key = String::from_utf8_lossy(k).into_owned(),
            (2, Wire::Bytes(v)) => value = v.to_vec(),
            _ => {}
        }
    }
    Ok((key, value))
}

/// One field's value, by wire type.
enum Wire<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

/// Iterates over the fields of a message: `(field number, value)`.
struct Fields<'a>(&'a [u8]);

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u64, Wire<'a>), String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.0.is_empty() {
            return None;
        }
        Some(self.field())
    }
}

impl<'a> Fields<'a> {
    fn varint(&mut self) -> Result<u64, String> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = self.0.split_first().ok_or("truncated varint")?;
            self.0 = rest;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("varint too long".to_owned())
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.0.len() < n {
            return Err("truncated field".to_owned());
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn field(&mut self) -> Result<(u64, Wire<'a>), String> {
        let key = self.varint()?;
        let value = match key & 7 {
            0 => Wire::Varint(self.varint()?),
            1 => {
                self.take(8)?;
                Wire::Fixed
            }
            2 => {
                let len = usize::try_from(self.varint()?).map_err(|_| "length too large")?;
                Wire::Bytes(self.take(len)?)
            }
            5 => {
                self.take(4)?;
                Wire::Fixed
            }
            other => return Err(format!("unsupported wire type {other}")),
        };
        Ok((key >> 3, value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(number: u64, bytes: &[u8]) -> Vec<u8> {
        let mut out = vec![
            u8::try_from((number << 3) | 2).unwrap(),
            u8::try_from(bytes.len()).unwrap(),
        ];
        out.extend_from_slice(bytes);
        out
    }

    #[test]
    fn decodes_a_configmap_in_its_envelope() {
        let meta = [field(1, b"live"), field(3, b"default")].concat();
        let entry = [field(1, b"status.json"), field(2, b"{}")].concat();
        let cm = [field(1, &meta), field(2, &entry), vec![0x20, 1]].concat();
        let type_meta = [field(1, b"v1"), field(2, b"ConfigMap")].concat();
        let body = [b"k8s\0".to_vec(), field(1, &type_meta), field(2, &cm)].concat();
        assert_eq!(
            configmap(&body).unwrap(),
            json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "live", "namespace": "default"},
                "data": {"status.json": "{}"}, "immutable": true})
        );
        assert!(configmap(b"{}").is_err());
        assert!(configmap(&body[..body.len() - 3]).is_err());
    }
}
