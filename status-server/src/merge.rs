//! The merge: which source's version of each document is served.
//!
//! Sources hold their documents in layers ([`Layers`]): the file source is one layer (its
//! directories' precedence is its own, `store.rs`), each watched object (a ConfigMap, an Argo
//! CD Application) is one. Later wins per key, in this order: derived documents (Argo CD
//! Applications) < files < ConfigMaps, these in order of ConfigMap name ([`LayerId`]'s order
//! is that order).
//!
//! Each layer keeps its own last good version per key ([`crate::layer`]). The layer with the
//! highest precedence that holds a key has the say: its last good version is served, with its
//! latest error (the metrics say the document is invalid). Only a key that was *never* valid
//! there falls through to the best lower layer's valid version, as `--dir` precedence does.
//!
//! Two sources of the same kind holding one key (two ConfigMaps; or a derived document and an
//! explicit one) is a clash: legal (precedence decides), but reported, never silent
//! ([`Layers::clash`]). Files under ConfigMaps is not a clash: it is the chart's design (Helm's
//! defaults, overridden by pushed keys).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::layer::{Entry, LoadError, Slots};
use crate::snapshot::Shadowed;
use crate::source::{Rank, SourceId};

/// One layer, ordered by precedence: by kind, then by object name (ConfigMap name order), then
/// by source (two watches may see the same ConfigMap: the same content, so either will do).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct LayerId {
    /// The kind of source.
    pub(crate) rank: Rank,
    /// The watched object's name; empty for the file source.
    pub(crate) object: String,
    /// The source that delivered it.
    pub(crate) source: SourceId,
}

/// A layer's documents and its name for people (`files`, `configmap/NS/NAME`).
#[derive(Debug, Clone)]
pub(crate) struct Layer {
    /// The name in logs and metrics.
    pub(crate) name: String,
    /// The documents.
    pub(crate) slots: Slots,
}

/// Every layer, and which layers hold each key.
#[derive(Debug, Default)]
pub(crate) struct Layers {
    layers: BTreeMap<LayerId, Layer>,
    holders: BTreeMap<String, BTreeSet<LayerId>>,
}

/// What the merge serves for one key.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    /// The version served, if any layer has one.
    pub(crate) served: Option<Arc<Entry>>,
    /// The latest error of the layer that has the say.
    pub(crate) error: Option<Arc<LoadError>>,
    /// The layer whose version is served (the one with the say when none is).
    pub(crate) from: String,
    /// The kind of that layer.
    pub(crate) rank: Rank,
}

impl Layers {
    /// Sets a layer's documents. Returns the keys whose state in this layer changed (added,
    /// removed, a new version or error): the only keys whose merge can change.
    pub(crate) fn set(&mut self, id: LayerId, name: String, slots: Slots) -> Vec<String> {
        let old = self.layers.remove(&id);
        let old_slots = old.map(|l| l.slots).unwrap_or_default();
        let mut changed = Vec::new();
        for (key, slot) in &old_slots {
            match slots.get(key) {
                Some(new) if new.same(slot) => {}
                Some(_) => changed.push(key.clone()),
                None => {
                    changed.push(key.clone());
                    self.unhold(key, &id);
                }
            }
        }
        for key in slots.keys().filter(|k| !old_slots.contains_key(*k)) {
            changed.push(key.clone());
            self.holders
                .entry(key.clone())
                .or_default()
                .insert(id.clone());
        }
        self.layers.insert(id, Layer { name, slots });
        changed
    }

    /// Removes a layer (a deleted ConfigMap). Returns the keys it held.
    pub(crate) fn remove(&mut self, id: &LayerId) -> Vec<String> {
        let Some(layer) = self.layers.remove(id) else {
            return Vec::new();
        };
        for key in layer.slots.keys() {
            self.unhold(key, id);
        }
        layer.slots.into_keys().collect()
    }

    fn unhold(&mut self, key: &str, id: &LayerId) {
        if let Some(holders) = self.holders.get_mut(key) {
            holders.remove(id);
            if holders.is_empty() {
                self.holders.remove(key);
            }
        }
    }

    /// A layer's documents.
    pub(crate) fn slots(&self, id: &LayerId) -> Option<&Slots> {
        self.layers.get(id).map(|l| &l.slots)
    }

    /// The layers a source delivered.
    pub(crate) fn of_source(&self, source: SourceId) -> Vec<LayerId> {
        self.layers
            .keys()
            .filter(|id| id.source == source)
            .cloned()
            .collect()
    }

    /// How many documents each source holds.
    pub(crate) fn documents_by_source(&self) -> BTreeMap<SourceId, usize> {
        let mut counts = BTreeMap::new();
        for (id, layer) in &self.layers {
            *counts.entry(id.source).or_default() += layer.slots.len();
        }
        counts
    }

    /// What is served for `key`; `None` when no layer holds it (404).
    pub(crate) fn resolve(&self, key: &str) -> Option<Resolved> {
        let mut holders = self.holders.get(key)?.iter().rev();
        let top_id = holders.next()?;
        let top = self.layers.get(top_id)?;
        let slot = top.slots.get(key)?;
        if let Some(entry) = &slot.served {
            return Some(Resolved {
                served: Some(entry.clone()),
                error: slot.error.clone(),
                from: top.name.clone(),
                rank: top_id.rank,
            });
        }
        // Never valid where it has the say: the best lower layer's valid version, if any.
        let lower = holders.find_map(|id| {
            let layer = self.layers.get(id)?;
            let entry = layer.slots.get(key)?.served.clone()?;
            Some((entry, layer.name.clone(), id.rank))
        });
        let (served, from, rank) = match lower {
            Some((entry, name, rank)) => (Some(entry), name, rank),
            None => (None, top.name.clone(), top_id.rank),
        };
        Some(Resolved {
            served,
            error: slot.error.clone(),
            from,
            rank,
        })
    }

    /// The clash over `key`, if any: every layer that holds it, is of the same kind as the one
    /// served (another ConfigMap), or is derived while the served one is not, and is hidden.
    pub(crate) fn clash(&self, key: &str, resolved: &Resolved) -> Vec<Shadowed> {
        let Some(holders) = self.holders.get(key) else {
            return Vec::new();
        };
        let Some((winner, _)) = holders
            .iter()
            .filter_map(|id| Some((id, self.layers.get(id)?)))
            .find(|(_, l)| l.name == resolved.from)
        else {
            return Vec::new();
        };
        holders
            .iter()
            .filter(|id| {
                let same_kind = id.rank == winner.rank && id.object != winner.object;
                let derived_under_explicit =
                    id.rank == Rank::Derived && winner.rank != Rank::Derived;
                same_kind || derived_under_explicit
            })
            .filter_map(|id| self.layers.get(id))
            .map(|layer| Shadowed {
                document: key.to_owned(),
                source: layer.name.clone(),
                by: resolved.from.clone(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
