//! Where documents come from: each source runs on its own (the file source on a thread woken
//! by inotify, the watches on the Kubernetes thread) and tells the publisher what changed, as
//! [`Update`] messages on one channel. Sources never build snapshots and never touch HTTP.
//!
//! - `files.rs`: `--file` and `--dir`, read by `store.rs`, one layer.
//! - `kube.rs`: `--kube-configmap` and `--kube-selector`, one watch each through status-kube,
//!   one layer per ConfigMap; and `--argocd-namespace`, one watch of Argo CD Applications
//!   (status-kube's generic watch with its minimal Application type, each mapped to one
//!   document by status-core as it arrives), one layer of rank [`Rank::Derived`] per
//!   Application.

pub(crate) mod files;
pub(crate) mod kube;

use std::sync::Arc;
use std::sync::mpsc::Sender;
use std::time::SystemTime;

use status_kube::watch::Object;

use crate::layer::{LoadError, Slots};

/// The kinds of source, lowest precedence first: the merge (`merge.rs`) orders its layers by
/// this, so it is declared here, with the sources, and the merge imports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Rank {
    /// Documents derived from other objects (Argo CD Applications).
    Derived,
    /// `--file` and `--dir`.
    Files,
    /// Watched ConfigMaps.
    ConfigMaps,
}

/// A source, by its place in the publisher's list (the order of the flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct SourceId(pub(crate) usize);

/// What the publisher knows of a source before it says anything.
#[derive(Debug, Clone)]
pub(crate) struct SourceSpec {
    /// Its name in logs, `/readyz` and metrics: `files`, `configmap/NS/NAME`,
    /// `configmaps/NS?SELECTOR`.
    pub(crate) name: String,
    /// The kind of its layers.
    pub(crate) rank: Rank,
    /// How one of its objects is named (`configmap/NS/`, then the object's name).
    pub(crate) object_prefix: String,
    /// Whether it is a watch (it has restarts and events to report).
    pub(crate) watched: bool,
}

/// How a source is doing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Health {
    /// Whether it reads: the directories can be listed; the API server answers the watch.
    pub(crate) up: bool,
    /// Why not.
    pub(crate) error: Option<String>,
    /// For a watch: how often it was started again after the first.
    pub(crate) restarts: u64,
    /// For a watch: when the last change arrived.
    pub(crate) last_event: Option<SystemTime>,
}

/// What a source tells the publisher.
#[derive(Debug)]
pub(crate) enum Update {
    /// The file source scanned: its new documents when they changed, the versions it
    /// rejected, and its health.
    Files {
        /// The file source.
        source: SourceId,
        /// Every key of the file source, when anything changed.
        slots: Option<Slots>,
        /// Keys with a new bad version, to log and count once.
        rejected: Vec<(String, Arc<LoadError>)>,
        /// Whether every directory could be listed.
        health: Health,
    },
    /// A watch listed every object it selects; those it reported before and not now are gone.
    Listed {
        /// The watch.
        source: SourceId,
        /// The objects, as documents.
        objects: Vec<Object>,
    },
    /// A watched object was added or changed.
    Applied {
        /// The watch.
        source: SourceId,
        /// The object, as documents.
        object: Object,
    },
    /// A watched object was deleted (or left the selector).
    Deleted {
        /// The watch.
        source: SourceId,
        /// The object's name.
        name: String,
    },
    /// A watch's health changed.
    Health {
        /// The watch.
        source: SourceId,
        /// Its health now.
        health: Health,
    },
    /// Publish what has arrived so far now, then say so (startup waits for the first
    /// documents this way).
    Flush(Sender<()>),
    /// Stop publishing.
    Stop,
}

impl Update {
    /// The source an update is from, if it is from one.
    pub(crate) fn source(&self) -> Option<SourceId> {
        match self {
            Update::Files { source, .. }
            | Update::Listed { source, .. }
            | Update::Applied { source, .. }
            | Update::Deleted { source, .. }
            | Update::Health { source, .. } => Some(*source),
            Update::Flush(_) | Update::Stop => None,
        }
    }
}
