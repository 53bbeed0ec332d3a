//! The two enumerated fields, `sync_status` and `health_status`.
//!
//! Each value's spelling is written once, in the table that declares its enum
//! ([`spelled_enum!`]); serde, the JSON Schema, the parsers and every message that lists the
//! values ("expected one of ...") take it from there, so a value cannot be added in one place
//! and forgotten in another.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `"A, B, C"` from string literals, as one literal (usable inside `concat!` and `#[doc]`).
macro_rules! join {
    ($first:literal $(, $rest:literal)*) => {
        concat!($first $(, ", ", $rest)*)
    };
}
pub(crate) use join;

/// Declares an enum from a table of `Variant = "spelling"` rows: the serde and schema spellings,
/// `ALL`, `as_str`, `from_canonical`, `Display`, and a macro (`$list!()`) that expands to the
/// spellings joined by `, ` as one literal, for messages built at compile time.
macro_rules! spelled_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident, listed by $list:ident {
            $($(#[doc = $doc:literal])* $variant:ident = $spelling:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
        pub enum $name {
            $($(#[doc = $doc])* #[serde(rename = $spelling)] $variant,)+
        }

        macro_rules! $list {
            () => {
                crate::statuses::join!($($spelling),+)
            };
        }
        pub(crate) use $list;

        impl $name {
            /// Every value, in the order the schema lists them.
            pub const ALL: [$name; [$($spelling),+].len()] = [$($name::$variant),+];

            /// The spelling written in documents.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $spelling,)+
                }
            }

            /// The value for its exact spelling in documents, and nothing else.
            pub fn from_canonical(s: &str) -> Option<Self> {
                Self::ALL.into_iter().find(|v| v.as_str() == s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

spelled_enum! {
    /// Whether the live state matches the repository. Serialised in the seed's upper-case spelling.
    ///
    /// Parsing with [`str::parse`] also accepts Argo CD's spellings (`Synced`, `OutOfSync`,
    /// `Unknown`) and any case, which is what `statusctl render --sync-status` uses; a document
    /// itself must carry the canonical spelling.
    ///
    /// **Exhaustive by design.** Unlike [`HealthStatus`], this enum is not `#[non_exhaustive]`:
    /// the four values are the seed's contract, the set dashboards and alerts map one by one
    /// (a Grafana value mapping, a `gitops_status_sync{status=...}` series each). A fifth value
    /// would silently fall through every such mapping, so adding one is a breaking change on
    /// purpose, and a `match` over these four may rely on them.
    ///
    /// ```
    /// use status_core::SyncStatus;
    /// assert_eq!("OutOfSync".parse::<SyncStatus>()?, SyncStatus::OutOfSync);
    /// assert_eq!(SyncStatus::OutOfSync.as_str(), "OUT_OF_SYNC");
    /// assert_eq!(SyncStatus::from_canonical("OutOfSync"), None, "documents use one spelling");
    /// # Ok::<(), status_core::Error>(())
    /// ```
    pub enum SyncStatus, listed by sync_status_spellings {
        /// The live state matches the repository.
        Synced = "SYNCED",
        /// The live state differs from the repository.
        OutOfSync = "OUT_OF_SYNC",
        /// The state could not be determined.
        Unknown = "UNKNOWN",
        /// The check itself failed.
        Error = "ERROR",
    }
}

spelled_enum! {
    /// Argo CD's health status of the deployed resources.
    ///
    /// `#[non_exhaustive]`: Argo CD's set of health statuses is open (custom health checks can
    /// report their own), so a later version may accept more; match with a `_` arm.
    ///
    /// ```
    /// use status_core::HealthStatus;
    /// assert_eq!("healthy".parse::<HealthStatus>()?, HealthStatus::Healthy);
    /// assert_eq!(HealthStatus::Degraded.as_str(), "Degraded");
    /// # Ok::<(), status_core::Error>(())
    /// ```
    #[non_exhaustive]
    pub enum HealthStatus, listed by health_status_spellings {
        /// All resources are healthy.
        Healthy = "Healthy",
        /// Resources are still becoming healthy.
        Progressing = "Progressing",
        /// A resource failed or cannot become healthy.
        Degraded = "Degraded",
        /// A resource is paused or suspended.
        Suspended = "Suspended",
        /// A resource is missing from the cluster.
        Missing = "Missing",
        /// The health could not be determined.
        Unknown = "Unknown",
    }
}

/// Argo CD's own spellings of the sync statuses it has (it has no `ERROR`), for messages; each
/// folds (see [`fold`]) to one of [`SyncStatus::ALL`], which a test checks.
macro_rules! argocd_sync_spellings {
    () => {
        crate::statuses::join!("Synced", "OutOfSync", "Unknown")
    };
}

/// Lower case without `_`, `-` and spaces: `OUT_OF_SYNC`, `OutOfSync` and `out-of-sync` agree.
fn fold(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

impl FromStr for SyncStatus {
    type Err = crate::Error;

    /// Any spelling that folds to a canonical one: `SYNCED`, Argo CD's `OutOfSync`, `unknown`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let folded = fold(s);
        Self::ALL
            .into_iter()
            .find(|v| fold(v.as_str()) == folded)
            .ok_or_else(|| crate::Error::UnknownValue {
                field: "sync_status",
                value: s.to_owned(),
                expected: concat!(
                    sync_status_spellings!(),
                    " (Argo CD's ",
                    argocd_sync_spellings!(),
                    " and any case are accepted too)"
                ),
            })
    }
}

impl FromStr for HealthStatus {
    type Err = crate::Error;

    /// A canonical spelling in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| crate::Error::UnknownValue {
                field: "health_status",
                value: s.to_owned(),
                expected: concat!(health_status_spellings!(), " (any case)"),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lists_follow_the_tables() {
        assert_eq!(
            sync_status_spellings!(),
            SyncStatus::ALL.map(SyncStatus::as_str).join(", ")
        );
        assert_eq!(
            health_status_spellings!(),
            HealthStatus::ALL.map(HealthStatus::as_str).join(", ")
        );
    }

    #[test]
    fn argocd_spellings_parse_to_distinct_values() {
        let parsed: Vec<SyncStatus> = argocd_sync_spellings!()
            .split(", ")
            .map(|s| s.parse().unwrap())
            .collect();
        assert_eq!(
            parsed,
            [
                SyncStatus::Synced,
                SyncStatus::OutOfSync,
                SyncStatus::Unknown
            ]
        );
    }

    #[test]
    fn parsing_is_lenient_and_canonical_lookup_is_not() {
        for s in ["SYNCED", "Synced", "synced", "s-y_n c-e-d"] {
            assert_eq!(s.parse::<SyncStatus>().unwrap(), SyncStatus::Synced, "{s}");
        }
        assert_eq!(
            "out-of-sync".parse::<SyncStatus>().unwrap(),
            SyncStatus::OutOfSync
        );
        assert!("SYNC".parse::<SyncStatus>().is_err());
        assert_eq!(SyncStatus::from_canonical("Synced"), None);
        assert_eq!(HealthStatus::from_canonical("healthy"), None);
        assert_eq!(
            "MISSING".parse::<HealthStatus>().unwrap(),
            HealthStatus::Missing
        );
        let err = "Bogus".parse::<SyncStatus>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid sync_status \"Bogus\": expected one of SYNCED, OUT_OF_SYNC, UNKNOWN, ERROR (Argo CD's Synced, OutOfSync, Unknown and any case are accepted too)"
        );
    }

    #[test]
    fn serde_spellings_are_the_table_spellings() {
        for v in SyncStatus::ALL {
            assert_eq!(serde_json::to_value(v).unwrap(), v.as_str());
            let back: SyncStatus = serde_json::from_value(v.as_str().into()).unwrap();
            assert_eq!(back, v);
        }
        for v in HealthStatus::ALL {
            assert_eq!(serde_json::to_value(v).unwrap(), v.as_str());
        }
    }
}
