//! [`Slot`]: one value of an Application object, read whatever JSON it turns out to hold.
//!
//! The mapping must name the JSON path of a field that is missing or of the wrong type, and
//! must never fail (or panic) on anything else. serde's derived structs fail on the first
//! wrong type, without a path. So every field the mapping reads is a `Slot`: it accepts any
//! JSON value and records whether it was absent (or `null`), of the kind expected, or of
//! another kind, and the mapping, which knows where the slot is, decides and names the path.
//! Fields the mapping never reads are skipped by serde without being built (`IgnoredAny`):
//! that is what makes this cheaper than parsing the whole object into a `serde_json::Value`.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// What one field of the object held.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) enum Slot<T> {
    /// Absent, or `null` (the API server's way of writing "not set" as often as leaving it out).
    #[default]
    Absent,
    /// A value of the expected kind.
    Found(T),
    /// A value of another kind, described for a message ("a number (3)").
    Wrong(String),
}

impl<T> Slot<T> {
    /// The value, when it is of the expected kind.
    pub(crate) fn found(&self) -> Option<&T> {
        match self {
            Slot::Found(value) => Some(value),
            _ => None,
        }
    }
}

/// The kind of JSON value a slot expects, and how it is read from it.
///
/// Only one of the `from_*` readers (or `FROM_MAP`/`FROM_SEQ`) applies to a type; any other
/// kind of value becomes [`Slot::Wrong`].
pub(crate) trait Expected: Sized {
    /// Read from a JSON object (the type's own `Deserialize` then reads the object).
    const FROM_MAP: bool = false;
    /// Read from a JSON array (the type's own `Deserialize` then reads the array).
    const FROM_SEQ: bool = false;

    /// Read from a JSON string.
    fn from_str(_: &str) -> Option<Self> {
        None
    }

    /// Read from a JSON boolean.
    fn from_bool(_: bool) -> Option<Self> {
        None
    }
}

impl Expected for String {
    fn from_str(s: &str) -> Option<Self> {
        Some(s.to_owned())
    }
}

impl Expected for bool {
    fn from_bool(b: bool) -> Option<Self> {
        Some(b)
    }
}

impl<T> Expected for Vec<T> {
    const FROM_SEQ: bool = true;
}

impl<'de, T: Expected + Deserialize<'de>> Deserialize<'de> for Slot<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SlotVisitor(PhantomData))
    }
}

struct SlotVisitor<T>(PhantomData<T>);

impl<T> SlotVisitor<T> {
    fn wrong<E>(what: String) -> Result<Slot<T>, E> {
        Ok(Slot::Wrong(what))
    }
}

impl<'de, T: Expected + Deserialize<'de>> Visitor<'de> for SlotVisitor<T> {
    type Value = Slot<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Slot::Absent)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Slot::Absent)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        match T::from_str(s) {
            Some(value) => Ok(Slot::Found(value)),
            None => Self::wrong(format!("a string ({:?})", clip(s))),
        }
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Self::Value, E> {
        match T::from_bool(b) {
            Some(value) => Ok(Slot::Found(value)),
            None => Self::wrong(format!("a boolean ({b})")),
        }
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Self::Value, E> {
        Self::wrong(format!("a number ({n})"))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Self::Value, E> {
        Self::wrong(format!("a number ({n})"))
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Self::Value, E> {
        // Debug: the shortest form that reads back (`1e300`, not 301 digits).
        Self::wrong(format!("a number ({n:?})"))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        if T::FROM_MAP {
            return T::deserialize(MapAccessDeserializer::new(map)).map(Slot::Found);
        }
        // The rest of the object must still be read past; nothing of it is kept.
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Self::wrong("an object".to_owned())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        if T::FROM_SEQ {
            return T::deserialize(SeqAccessDeserializer::new(seq)).map(Slot::Found);
        }
        let mut items = 0usize;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            items += 1;
        }
        Self::wrong(match items {
            1 => "an array of 1 item".to_owned(),
            n => format!("an array of {n} items"),
        })
    }
}

/// At most 40 characters of `s`, for a message.
fn clip(s: &str) -> String {
    match s.char_indices().nth(40) {
        Some((end, _)) => format!("{}...", &s[..end]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, PartialEq, serde::Deserialize)]
    #[serde(default)]
    struct Pair {
        a: Slot<String>,
        b: Slot<Vec<Slot<bool>>>,
    }

    impl Expected for Pair {
        const FROM_MAP: bool = true;
    }

    fn read(json: &str) -> Slot<Pair> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn every_kind_of_value_is_read_or_described() {
        assert_eq!(read("null"), Slot::Absent);
        assert_eq!(read("3"), Slot::Wrong("a number (3)".to_owned()));
        assert_eq!(
            read("[1, [2]]"),
            Slot::Wrong("an array of 2 items".to_owned())
        );
        let Slot::Found(pair) = read(r#"{"a": {"x": [1]}, "b": [true, "no", null], "c": 1}"#)
        else {
            panic!("an object is a Pair");
        };
        assert_eq!(pair.a, Slot::Wrong("an object".to_owned()));
        assert_eq!(
            pair.b,
            Slot::Found(vec![
                Slot::Found(true),
                Slot::Wrong("a string (\"no\")".to_owned()),
                Slot::Absent
            ])
        );
        let from_value = Slot::<Pair>::deserialize(&serde_json::json!({"a": "x"})).unwrap();
        assert_eq!(
            from_value.found().map(|p| &p.a),
            Some(&Slot::Found("x".to_owned()))
        );
    }

    #[test]
    fn long_strings_are_clipped_on_a_character_boundary() {
        let long = "é".repeat(50);
        let Slot::<bool>::Wrong(what) = serde_json::from_value(long.into()).unwrap() else {
            panic!("a string is no boolean");
        };
        assert_eq!(what, format!("a string (\"{}...\")", "é".repeat(40)));
    }
}
