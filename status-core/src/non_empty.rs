//! [`NonEmptyString`]: a string that is not blank, the type of each entry of `files`.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::locate::Path;
use crate::rules::{blank_finding, is_blank};

/// A string that is not empty or only white space: the type of each entry of `files`.
///
/// It can only be made through [`TryFrom`] (or deserialised, which goes through it), which
/// applies the rule validation applies to `repo`, `server` and every entry of `files`, with the
/// same finding (`empty-string`, E007).
///
/// ```
/// use status_core::{Error, NonEmptyString};
///
/// let name = NonEmptyString::try_from("deployment.yaml")?;
/// assert_eq!(name.as_str(), "deployment.yaml");
/// assert_eq!(name.to_string(), "deployment.yaml");
///
/// let Err(Error::Invalid { findings }) = NonEmptyString::try_from("  ") else { panic!() };
/// assert_eq!(findings[0].code().id(), "E007");
/// assert!(status_core::serde_json::from_str::<NonEmptyString>(r#""""#).is_err());
/// # Ok::<(), status_core::Error>(())
/// ```
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(try_from = "String")]
// The schema is the string's, not that of the type deserialisation goes through.
#[schemars(
    transparent,
    !try_from,
    description = "A string that is not empty: the type of each entry of `files`."
)]
pub struct NonEmptyString(#[schemars(length(min = 1), regex(pattern = r"\S"))] String);

impl NonEmptyString {
    /// Wraps a string without checking it, for this crate only: for an entry the rules have
    /// just accepted, or for a builder's draft, which is checked before any document leaves it.
    pub(crate) fn unchecked(s: String) -> Self {
        Self(s)
    }

    /// The string itself.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The string, by value.
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl TryFrom<String> for NonEmptyString {
    type Error = Error;

    /// Fails with [`Error::Invalid`] holding one `empty-string` finding at `$` when `s` is
    /// empty or only white space.
    fn try_from(s: String) -> Result<Self, Error> {
        if is_blank(&s) {
            Err(Error::Invalid {
                findings: vec![blank_finding(&Path::root(), "a non-empty string")],
            })
        } else {
            Ok(Self(s))
        }
    }
}

impl TryFrom<&str> for NonEmptyString {
    type Error = Error;

    /// As for `String`.
    fn try_from(s: &str) -> Result<Self, Error> {
        Self::try_from(s.to_owned())
    }
}

impl fmt::Display for NonEmptyString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for NonEmptyString {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<NonEmptyString> for String {
    fn from(s: NonEmptyString) -> Self {
        s.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_strings_are_refused_with_the_validation_finding() {
        for blank in ["", " ", "\t\n", "\u{3000}"] {
            let Err(Error::Invalid { findings }) = NonEmptyString::try_from(blank) else {
                panic!("{blank:?} was accepted");
            };
            assert_eq!(findings.len(), 1);
            assert_eq!(findings[0].code(), crate::Code::EmptyString);
            assert_eq!(findings[0].path(), "$");
        }
        assert_eq!(NonEmptyString::try_from(" a ").unwrap().as_str(), " a ");
    }

    #[test]
    fn deserialising_applies_the_rule() {
        let err = serde_json::from_str::<NonEmptyString>("\" \"").unwrap_err();
        assert!(err.to_string().contains("empty-string"), "{err}");
        let ok: NonEmptyString = serde_json::from_str("\"x\"").unwrap();
        assert_eq!(ok.into_inner(), "x");
    }
}
