//! The parts of an Argo CD Application (`argoproj.io/v1alpha1`) the mapping reads, and nothing
//! else: field names and JSON spellings as in Argo CD's `pkg/apis/application/v1alpha1/types.go`.
//!
//! Every field is a [`Slot`], so reading never fails on a field's type; serde skips every field
//! not declared here (history, `operationState.syncResult`, `managedFields`, annotations...)
//! without building it.

use serde::Deserialize;

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
        resources: List<Resource>,
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
