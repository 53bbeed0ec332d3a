//! Just enough of Kubernetes' protobuf encoding to read the objects kubectl's typed commands
//! send that way (`kubectl create configmap NAME --from-literal=...` without `--dry-run` sends
//! `application/vnd.kubernetes.protobuf`): the envelope, the wire format, `ObjectMeta` and map
//! entries. Each kind's own message is decoded by its registry entry. The body is the magic
//! `k8s\0`, then a `runtime.Unknown` whose `raw` field holds the object's message. Responses are
//! JSON, which kubectl also accepts.

use serde_json::{Map, Value, json};

/// The object message inside a protobuf body, checking that the envelope says it is a `kind`.
pub(crate) fn envelope<'a>(body: &'a [u8], kind: &str) -> Result<&'a [u8], String> {
    let rest = body
        .strip_prefix(b"k8s\0")
        .ok_or("not a Kubernetes protobuf message (no k8s\\0 prefix)")?;
    let mut raw = None;
    let mut sent = None;
    for field in Fields(rest) {
        match field? {
            (1, Wire::Bytes(type_meta)) => {
                for f in Fields(type_meta) {
                    if let (2, Wire::Bytes(k)) = f? {
                        sent = Some(String::from_utf8_lossy(k).into_owned());
                    }
                }
            }
            (2, Wire::Bytes(bytes)) => raw = Some(bytes),
            _ => {}
        }
    }
    if let Some(sent) = sent.filter(|k| k != kind) {
        return Err(format!("expected a {kind}, got {sent}"));
    }
    raw.ok_or_else(|| "the protobuf envelope has no object".to_owned())
}

/// Sets `obj[section][key]`, creating the map.
pub(crate) fn insert(obj: &mut Value, section: &str, key: String, value: Value) {
    if !obj[section].is_object() {
        obj[section] = Value::Object(Map::new());
    }
    obj[section][key] = value;
}

/// `metadata` (`ObjectMeta`): the fields a client sets.
pub(crate) fn object_meta(bytes: &[u8]) -> Result<Value, String> {
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
pub(crate) fn map_entry(bytes: &[u8]) -> Result<(String, Vec<u8>), String> {
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
pub(crate) enum Wire<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

/// Iterates over the fields of a message: `(field number, value)`.
pub(crate) struct Fields<'a>(pub(crate) &'a [u8]);

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
