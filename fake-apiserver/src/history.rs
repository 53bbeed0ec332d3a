//! The change history watches are served from: every stored change (an object's new state and
//! the state it replaced, at the revision it took), in revision order, bounded like the real
//! API server's watch cache.
//!
//! A watch resumes from a `resourceVersion` by replaying the changes after it. When the
//! history no longer holds all of them (it is full and dropped the oldest, or a test compacted
//! it), the resumption is impossible: the real server answers `410 Expired` ("too old resource
//! version"), and the client relists. [`History::since`] is that rule, with the real message.

use std::collections::VecDeque;
use std::sync::Arc;

use serde_json::Value;

use crate::status::ApiError;

/// One stored change: the object after it (`None` when it was deleted) and before it (`None`
/// when it was created), at `revision`. Which watch event it becomes depends on the watcher's
/// selectors (see [`Change::event_for`]).
#[derive(Debug)]
pub(crate) struct Change {
    /// The revision the change took (the resourceVersion of `object`).
    pub(crate) revision: u64,
    /// The resource, by `(group, plural)` as the store keys it.
    pub(crate) resource: (&'static str, &'static str),
    /// The namespace (empty for cluster-wide objects).
    pub(crate) namespace: String,
    /// The new state; `None` for a delete.
    pub(crate) object: Option<Value>,
    /// The replaced state; `None` for a create.
    pub(crate) previous: Option<Value>,
}

/// The kinds of watch events that carry objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventType {
    /// The object (now) matches and did not before: created, or moved into the selection.
    Added,
    /// The object matched before and still does.
    Modified,
    /// The object matched before and no longer does (deleted, or moved out of the selection):
    /// the event carries its last matching state with the change's resourceVersion.
    Deleted,
}

impl EventType {
    /// `ADDED`, `MODIFIED`, `DELETED`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

impl Change {
    /// The event a watcher sees for this change, given whether an object passes its selection
    /// (`None` when it sees nothing). This is the real watch cache's rule: the new state
    /// matching alone is ADDED, both is MODIFIED, the old state alone is DELETED with the old
    /// state at the new resourceVersion.
    pub(crate) fn event_for(&self, passes: impl Fn(&Value) -> bool) -> Option<(EventType, Value)> {
        let now = self.object.as_ref().filter(|o| passes(o));
        let before = self.previous.as_ref().filter(|o| passes(o));
        match (now, before) {
            (Some(now), None) => Some((EventType::Added, now.clone())),
            (Some(now), Some(_)) => Some((EventType::Modified, now.clone())),
            (None, Some(before)) => {
                let mut gone = before.clone();
                gone["metadata"]["resourceVersion"] = self.revision.to_string().into();
                Some((EventType::Deleted, gone))
            }
            (None, None) => None,
        }
    }
}

/// The last changes, at most `capacity` of them, and what was dropped.
#[derive(Debug)]
pub(crate) struct History {
    changes: VecDeque<Arc<Change>>,
    capacity: usize,
    /// The newest revision whose change is no longer kept: a watch that has not yet seen it
    /// cannot go on.
    dropped: u64,
    /// The oldest resourceVersion a new watch may start from (all changes after it are kept);
    /// at least `dropped`, and moved on by compaction.
    floor: u64,
}

impl History {
    /// An empty history keeping `capacity` changes; `revision` is the store's revision now
    /// (the oldest a watch may start from).
    pub(crate) fn new(capacity: usize, revision: u64) -> Self {
        Self {
            changes: VecDeque::with_capacity(capacity.min(1024)),
            capacity,
            dropped: revision,
            floor: revision,
        }
    }

    /// Records a change (revisions only grow), dropping the oldest beyond the capacity.
    pub(crate) fn record(&mut self, change: Change) {
        self.changes.push_back(Arc::new(change));
        while self.changes.len() > self.capacity {
            if let Some(oldest) = self.changes.pop_front() {
                self.dropped = oldest.revision;
                self.floor = self.floor.max(oldest.revision);
            }
        }
    }

    /// Forgets every change: no resourceVersion before `revision` can be watched from any
    /// more, and an open watch that has not seen every change yet ends with 410 too.
    pub(crate) fn compact(&mut self, revision: u64) {
        if let Some(newest) = self.changes.back() {
            self.dropped = newest.revision;
        }
        self.changes.clear();
        self.floor = self.floor.max(revision);
    }

    /// The oldest resourceVersion a new watch may start from.
    #[cfg(test)]
    pub(crate) fn floor(&self) -> u64 {
        self.floor
    }

    /// Where a new watch from `revision` starts: 410 Expired when changes after it were
    /// dropped, in the real server's words.
    pub(crate) fn check_start(&self, revision: u64) -> Result<(), ApiError> {
        if revision < self.floor {
            Err(ApiError::expired(format!(
                "too old resource version: {revision} ({})",
                self.floor
            )))
        } else {
            Ok(())
        }
    }

    /// The changes after `revision`, in order, for a watch that has seen everything up to it;
    /// 410 Expired when some of them were dropped.
    pub(crate) fn since(&self, revision: u64) -> Result<Vec<Arc<Change>>, ApiError> {
        if revision < self.dropped {
            return Err(ApiError::expired(format!(
                "too old resource version: {revision} ({})",
                self.floor
            )));
        }
        let first = self.changes.partition_point(|c| c.revision <= revision);
        Ok(self.changes.range(first..).cloned().collect())
    }

    /// How many changes are kept.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.changes.len()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn change(revision: u64) -> Change {
        Change {
            revision,
            resource: ("", "configmaps"),
            namespace: "default".into(),
            object: Some(
                json!({"metadata": {"name": "cm", "labels": {"n": revision.to_string()}}}),
            ),
            previous: None,
        }
    }

    fn revisions(changes: &[Arc<Change>]) -> Vec<u64> {
        changes.iter().map(|c| c.revision).collect()
    }

    #[test]
    fn keeps_the_last_changes_and_expires_what_it_dropped() {
        let mut history = History::new(3, 100);
        assert!(history.since(100).unwrap().is_empty());
        for revision in 101..=105 {
            history.record(change(revision));
        }
        assert_eq!(history.len(), 3);
        // 103, 104, 105 are kept: a watch that saw 102 misses nothing.
        assert_eq!(revisions(&history.since(102).unwrap()), [103, 104, 105]);
        assert_eq!(revisions(&history.since(104).unwrap()), [105]);
        assert!(history.since(105).unwrap().is_empty());
        history.check_start(102).unwrap();
        // A watch that saw 101 missed 102, which is gone.
        let err = history.since(101).unwrap_err();
        assert_eq!((err.code, err.reason), (410, "Expired"));
        assert_eq!(err.message, "too old resource version: 101 (102)");
        assert_eq!(history.check_start(101).unwrap_err().code, 410);
    }

    #[test]
    fn a_history_of_nothing_serves_only_the_present() {
        let mut history = History::new(0, 100);
        history.record(change(101));
        assert_eq!(history.len(), 0);
        assert!(history.since(101).unwrap().is_empty());
        assert_eq!(history.since(100).unwrap_err().code, 410);
    }

    #[test]
    fn compaction_expires_new_watches_before_it_but_not_open_watches_that_saw_everything() {
        let mut history = History::new(10, 100);
        history.record(change(101));
        history.record(change(102));
        history.compact(103);
        assert_eq!(history.floor(), 103);
        // A new watch from anything before 103 is too old...
        assert_eq!(
            history.check_start(102).unwrap_err().message,
            "too old resource version: 102 (103)"
        );
        history.check_start(103).unwrap();
        // ...an open watch that had seen 102 missed nothing and goes on...
        assert!(history.since(102).unwrap().is_empty());
        history.record(change(104));
        assert_eq!(revisions(&history.since(102).unwrap()), [104]);
        // ...but one that had not seen 102 lost it.
        assert_eq!(history.since(101).unwrap_err().code, 410);
    }

    #[test]
    fn selections_turn_changes_into_the_events_the_watch_cache_sends() {
        let labelled = |v: &str, rv: u64| json!({"metadata": {"name": "cm", "resourceVersion": rv.to_string(), "labels": {"team": v}}});
        let update = Change {
            revision: 7,
            resource: ("", "configmaps"),
            namespace: "default".into(),
            object: Some(labelled("b", 7)),
            previous: Some(labelled("a", 6)),
        };
        let team = |t: &'static str| move |o: &Value| o["metadata"]["labels"]["team"] == t;
        let (kind, obj) = update.event_for(|_| true).unwrap();
        assert_eq!(
            (kind, obj["metadata"]["labels"]["team"].as_str()),
            (EventType::Modified, Some("b"))
        );
        let (kind, obj) = update.event_for(team("b")).unwrap();
        assert_eq!(
            (kind, obj["metadata"]["resourceVersion"].as_str()),
            (EventType::Added, Some("7"))
        );
        // Out of the selection: DELETED with the old state at the new resourceVersion.
        let (kind, obj) = update.event_for(team("a")).unwrap();
        assert_eq!(kind, EventType::Deleted);
        assert_eq!(obj["metadata"]["labels"]["team"], "a");
        assert_eq!(obj["metadata"]["resourceVersion"], "7");
        assert!(update.event_for(team("c")).is_none());
        let delete = Change {
            object: None,
            previous: Some(labelled("a", 6)),
            ..update
        };
        let (kind, obj) = delete.event_for(|_| true).unwrap();
        assert_eq!(
            (kind, obj["metadata"]["resourceVersion"].as_str()),
            (EventType::Deleted, Some("7"))
        );
    }
}
