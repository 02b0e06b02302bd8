//! Per-room interning of event names: a room holding thousands of `"chat"`
//! entries stores the name once and a 4-byte id per entry. Names are
//! reference counted, so names of evicted entries are freed and a stream of
//! unique, client-chosen names cannot grow memory past the live entries.

use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, Default)]
pub(crate) struct EventNames {
    slots: Vec<Slot>,
    index: HashMap<Arc<str>, u32>,
    free: Vec<u32>,
    /// The last interned id: emits to a room mostly repeat one event name,
    /// and a string compare is cheaper than hashing.
    last: Option<u32>,
}

#[derive(Debug)]
struct Slot {
    name: Arc<str>,
    refs: usize,
}

impl EventNames {
    /// The id for `name`, taking one reference.
    pub fn acquire(&mut self, name: &str) -> u32 {
        if let Some(id) = self.last {
            let slot = &mut self.slots[id as usize];
            if slot.refs > 0 && &*slot.name == name {
                slot.refs += 1;
                return id;
            }
        }
        let id = match self.index.get(name) {
            Some(&id) => {
                self.slots[id as usize].refs += 1;
                id
            }
            None => {
                let name: Arc<str> = name.into();
                let slot = Slot {
                    name: name.clone(),
                    refs: 1,
                };
                let id = match self.free.pop() {
                    Some(id) => {
                        self.slots[id as usize] = slot;
                        id
                    }
                    None => {
                        // A room never holds u32::MAX distinct live names: it
                        // would need more entries than memory allows.
                        let id = u32::try_from(self.slots.len()).unwrap_or(u32::MAX);
                        self.slots.push(slot);
                        id
                    }
                };
                self.index.insert(name, id);
                id
            }
        };
        self.last = Some(id);
        id
    }

    /// Drop one reference to `id`; the name is freed with its last one.
    pub fn release(&mut self, id: u32) {
        let slot = &mut self.slots[id as usize];
        slot.refs -= 1;
        if slot.refs == 0 {
            self.index.remove(&slot.name);
            slot.name = Arc::from("");
            self.free.push(id);
        }
    }

    /// The name behind a live id.
    pub fn get(&self, id: u32) -> &Arc<str> {
        &self.slots[id as usize].name
    }

    /// The id of a live name, if any entry uses it.
    pub fn lookup(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }

    /// One past the largest id in use: the size of an id-indexed mask.
    pub fn id_bound(&self) -> usize {
        self.slots.len()
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
    fn names_are_shared_and_freed_with_their_last_reference() {
        let mut n = EventNames::default();
        let a = n.acquire("chat");
        assert_eq!(n.acquire("chat"), a);
        let b = n.acquire("join");
        assert_ne!(a, b);
        n.release(a);
        assert_eq!(n.lookup("chat"), Some(a));
        n.release(a);
        assert_eq!(n.lookup("chat"), None);
        // The freed id is reused, and the cached id is not trusted blindly.
        let c = n.acquire("leave");
        assert_eq!(c, a);
        assert_eq!(&**n.get(c), "leave");
        assert_eq!(&**n.get(b), "join");
    }
}
