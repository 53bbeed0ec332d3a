//! The parts of an Argo CD Application (`argoproj.io/v1alpha1`) the mapping reads, and nothing
//! else: field names and JSON spellings as in Argo CD's `pkg/apis/application/v1alpha1/types.go`.
//!
//! Every field is a [`Slot`], so reading never fails on a field's type; serde skips every field
//! not declared here (history, `operationState.syncResult`, `managedFields`, annotations...)
//! without building it. `status.resources` is reduced as it is read ([`Resources`]): the
//! entries the mapping passes over are not kept.

use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, SeqAccess, Visitor};

use super::slot::{Expected, Slot};

/// Declares structs read from JSON objects: every field a defaulted [`Slot`].
macro_rules! objects {
    ($($(#[doc = $doc:literal])* struct $name:ident { $($(#[$attr:meta])* $field:ident: $ty:ty,)* })*) => {
        $(
            $(#[doc = $doc])*
            #[derive(Debug, Clone, Default, PartialEq, Deserialize)]
            #[serde(default, rename_all = "camelCase")]
            pub(crate) struct $name {
                $($(#[$attr])* pub(crate) $field: $ty,)*
            }

            impl Expected for $name {
                const FROM_MAP: bool = true;
            }
        )*
    };
}

type Text = Slot<String>;
type List<T> = Slot<Vec<Slot<T>>>;

objects! {
    /// The whole Application.
    struct Root {
        metadata: Slot<Metadata>,
        spec: Slot<Spec>,
        status: Slot<Status>,
    }

    /// `metadata`: who the Application is, and (for a watch) which version of it this is and
    /// when it was created.
    struct Metadata {
        name: Text,
        namespace: Text,
        resource_version: Text,
        creation_timestamp: Text,
    }

    /// `spec`: where the Application comes from and goes to.
    struct Spec {
        source: Slot<Source>,
        sources: List<Source>,
        source_hydrator: Slot<Hydrator>,
        destination: Slot<Destination>,
    }

    /// An `ApplicationSource` (or a hydrator's `drySource`/`syncSource`).
    struct Source {
        #[serde(rename = "repoURL")]
        repo_url: Text,
    }

    /// `spec.sourceHydrator`.
    struct Hydrator {
        dry_source: Slot<Source>,
        sync_source: Slot<Source>,
    }

    /// `spec.destination`.
    struct Destination {
        server: Text,
        name: Text,
    }

    /// `status`: what Argo CD observed.
    struct Status {
        resources: Slot<Resources>,
        sync: Slot<Sync>,
        health: Slot<Health>,
        conditions: List<Condition>,
        reconciled_at: Text,
        operation_state: Slot<OperationState>,
    }

    /// An entry of `status.resources` (a `ResourceStatus`).
    struct Resource {
        group: Text,
        kind: Text,
        namespace: Text,
        name: Text,
        status: Text,
        hook: Slot<bool>,
    }

    /// `status.sync`.
    struct Sync {
        status: Text,
        revision: Text,
        revisions: List<String>,
    }

    /// `status.health`.
    struct Health {
        status: Text,
    }

    /// An entry of `status.conditions`.
    struct Condition {
        #[serde(rename = "type")]
        kind: Text,
        message: Text,
    }

    /// `status.operationState`: the last (or current) sync operation.
    struct OperationState {
        phase: Text,
        message: Text,
        finished_at: Text,
    }
}

/// `status.resources`, as read: the entries the mapping may use, each with its index in the
/// array (for the JSON paths of errors). An entry the mapping passes over whatever else it
/// holds ([`Resource::passed_over`]: a hook, or a resource that is not `OutOfSync`), or a
/// `null` one, is read past and not kept: an Application lists every resource it manages,
/// nearly all of them in sync, and a watch over a fleet reads thousands of Applications at
/// once in a list.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Resources(pub(crate) Vec<(usize, Slot<Resource>)>);

impl Expected for Resources {
    const FROM_SEQ: bool = true;
}

impl<'de> Deserialize<'de> for Resources {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(ResourcesVisitor)
    }
}

struct ResourcesVisitor;

impl<'de> Visitor<'de> for ResourcesVisitor {
    type Value = Resources;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Resources, A::Error> {
        let mut kept = Vec::new();
        let mut index = 0;
        while let Some(entry) = seq.next_element::<Slot<Resource>>()? {
            let passed_over = match &entry {
                Slot::Absent => true,
                Slot::Found(resource) => resource.passed_over(),
                Slot::Wrong(_) => false,
            };
            if !passed_over {
                kept.push((index, entry));
            }
            index += 1;
        }
        kept.shrink_to_fit();
        Ok(Resources(kept))
    }
}

impl Resource {
    /// Whether the mapping passes over this entry whatever its other fields hold: a hook
    /// (`hook: true`), or a resource whose `status` is not `OutOfSync` (absent, or another
    /// string). A `hook` or `status` of the wrong type is an error the mapping reports, so
    /// such an entry is not passed over. The mapping (`drifted`) applies the same rule.
    pub(crate) fn passed_over(&self) -> bool {
        match (&self.hook, &self.status) {
            (Slot::Wrong(_), _) => false,
            (Slot::Found(true), _) => true,
            (_, Slot::Wrong(_)) => false,
            (_, status) => status.found().map(String::as_str) != Some("OutOfSync"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_resources_the_mapping_may_use_are_kept_with_their_indices() {
        let resources: Slot<Resources> = serde_json::from_value(serde_json::json!([
            {"kind": "Service", "name": "a", "status": "Synced"},
            null,
            {"kind": "Deployment", "name": "b", "status": "OutOfSync"},
            {"kind": "Job", "name": "c", "status": "OutOfSync", "hook": true},
            {"kind": "Job", "name": "d", "status": 3, "hook": true},
            {"kind": "ConfigMap", "name": "e"},
            {"kind": "Secret", "name": "f", "status": 3},
            {"kind": "Secret", "name": "g", "status": "Synced", "hook": "yes"},
            7,
        ]))
        .unwrap();
        let Slot::Found(Resources(kept)) = resources else {
            panic!("an array is read");
        };
        let indices: Vec<usize> = kept.iter().map(|(i, _)| *i).collect();
        // The drifted one, and the ones whose fields the mapping must report.
        assert_eq!(indices, [2, 6, 7, 8]);
    }
}
