//! Per-room interning of event names: a room holding thousands of `"chat"`
//! entries stores the name once and a 4-byte id per entry.
//!
//! Ids are not reference counted (that cost a fifth of a record). Instead,
//! once the table holds more than twice as many names as the room holds
//! entries (plus slack), the room rebuilds it from its live entries. A
//! rebuild costs O(entries) and happens at most once per `entries + SLACK`
//! new names, so interning stays O(1) amortised, and a stream of unique,
//! client-chosen names cannot grow the table past `2 × entries + SLACK`.

use std::collections::HashMap;
use std::sync::Arc;

/// Names the table may hold beyond twice the live entries before a rebuild.
const SLACK: usize = 64;

#[derive(Debug, Default)]
pub(crate) struct EventNames {
    names: Vec<Arc<str>>,
    index: HashMap<Arc<str>, u32>,
    /// The last interned id: emits to a room mostly repeat one event name,
    /// and a string compare is cheaper than hashing.
    last: u32,
}

impl EventNames {
    /// The id for `name`, adding it if new.
    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(n) = self.names.get(self.last as usize) {
            if &**n == name {
                return self.last;
            }
        }
        let id = match self.index.get(name) {
            Some(&id) => id,
            None => {
                // Fewer than u32::MAX names: the table is rebuilt long before.
                let id = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
                let name: Arc<str> = name.into();
                self.names.push(name.clone());
                self.index.insert(name, id);
                id
            }
        };
        self.last = id;
        id
    }

    /// The name behind an id.
    pub fn get(&self, id: u32) -> &Arc<str> {
        &self.names[id as usize]
    }

    /// The id of a name, if the table has it.
    pub fn lookup(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }

    /// One past the largest id: the size of an id-indexed mask.
    pub fn id_bound(&self) -> usize {
        self.names.len()
    }

    /// Whether the table has grown enough past `live_entries` to rebuild.
    pub fn wants_rebuild(&self, live_entries: usize) -> bool {
        self.names.len() > 2 * live_entries + SLACK
    }

    /// Rebuild from the ids still in use: `ids` yields each live entry's id
    /// and is rewritten in place to the new ids.
    pub fn rebuild<'a>(&mut self, ids: impl Iterator<Item = &'a mut u32>) {
        let mut remap = vec![u32::MAX; self.names.len()];
        let mut fresh = EventNames::default();
        for id in ids {
            let slot = &mut remap[*id as usize];
            if *slot == u32::MAX {
                *slot = fresh.intern(&self.names[*id as usize]);
            }
            *id = *slot;
        }
        *self = fresh;
    }

    /// Forget everything (all entries are gone).
    pub fn clear(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_shared() {
        let mut n = EventNames::default();
        let a = n.intern("chat");
        assert_eq!(n.intern("chat"), a);
        let b = n.intern("join");
        assert_ne!(a, b);
        assert_eq!(
            n.intern("chat"),
            a,
            "found through the index, not the cache"
        );
        assert_eq!(&**n.get(b), "join");
        assert_eq!(n.lookup("join"), Some(b));
        assert_eq!(n.lookup("nope"), None);
    }

    #[test]
    fn rebuild_keeps_only_live_names_and_remaps_ids() {
        let mut n = EventNames::default();
        let mut live: Vec<u32> = Vec::new();
        for i in 0..200 {
            let id = n.intern(&format!("e{i}"));
            if i % 50 == 0 {
                live.push(id);
            }
        }
        assert!(n.wants_rebuild(live.len()));
        n.rebuild(live.iter_mut());
        assert_eq!(n.id_bound(), 4);
        let names: Vec<&str> = live.iter().map(|&id| &**n.get(id)).collect();
        assert_eq!(names, ["e0", "e50", "e100", "e150"]);
        assert_eq!(n.lookup("e1"), None);
        assert!(!n.wants_rebuild(live.len()));
    }
}
