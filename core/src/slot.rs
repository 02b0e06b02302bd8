//! A room's place in a shard, and the one way to change the room behind it.
//!
//! The store keeps two kinds of state outside each room: the store-wide byte
//! count and its ledger (the budget), and the slot's own mirrors of the room
//! (its head seq, read by the ledger without the room's lock). Every
//! operation that touches a room — record, read (reads expire), reconfigure,
//! clear, disable, a budget eviction — goes through [`RoomSlot::change`],
//! which measures the room before and after and hands the difference to a
//! [`Settle`]. The room itself is private to this module, so no caller can
//! change it and forget the bookkeeping.

use crate::room::Room;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// What the bookkeeping needs to know of a room: its budget cost, how many
/// entries it holds and its last assigned seq. `None` room: all zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Mark {
    pub cost: usize,
    pub len: usize,
    pub last_seq: u64,
}

impl Mark {
    fn of(room: Option<&Room>) -> Self {
        room.map_or_else(Mark::default, |r| Mark {
            cost: r.cost(),
            len: r.len(),
            last_seq: r.last_seq(),
        })
    }
}

/// Receives the difference a change made to one slot's room. Called with the
/// room's lock still held, so a room's changes settle in the order they
/// happened.
pub(crate) trait Settle {
    /// `before` and `after` measure the room around the change; seqs in
    /// `before.last_seq + 1 ..= after.last_seq` were recorded by it (only
    /// when the room lived through the change).
    fn settle(&self, slot: &Arc<RoomSlot>, generation: u64, before: Mark, after: Mark);
}

/// What a slot holds: a room's history, or a namespace's log (every emit to
/// the namespace with its delivery metadata: the connection state recovery
/// buffer). The log is not a room: no room name can reach it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key<'a> {
    Room(&'a str),
    Log,
}

/// A room's place in a shard. Outlives its room's lifetime when the budget
/// ledger still points at it; its atomics let the ledger tell stale items.
pub(crate) struct RoomSlot {
    namespace: Box<str>,
    /// The room's name; `None` for the namespace log.
    name: Option<Box<str>>,
    room: Mutex<Option<Room>>,
    /// The lifetime this slot holds (0 once disabled). Never reused.
    generation: AtomicU64,
    /// Mirror of the room's head seq.
    head_seq: AtomicU64,
}

impl RoomSlot {
    pub fn new(namespace: &str, key: Key<'_>, room: Room, generation: u64) -> Self {
        RoomSlot {
            namespace: namespace.into(),
            name: match key {
                Key::Room(name) => Some(name.into()),
                Key::Log => None,
            },
            head_seq: AtomicU64::new(room.head_seq()),
            room: Mutex::new(Some(room)),
            generation: AtomicU64::new(generation),
        }
    }

    pub fn is(&self, namespace: &str, key: Key<'_>) -> bool {
        &*self.namespace == namespace
            && match key {
                Key::Room(name) => self.name.as_deref() == Some(name),
                Key::Log => self.name.is_none(),
            }
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The room's name (`None` for a namespace log).
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The lifetime held now (0 once disabled).
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The oldest seq the room may still hold (lock-free; may lag a change
    /// in progress, never runs ahead of it).
    pub fn head_seq(&self) -> u64 {
        self.head_seq.load(Ordering::Acquire)
    }

    /// Look at the room (`None` once disabled) under its lock, changing
    /// nothing (a compaction copying it).
    pub fn peek<R>(&self, f: impl FnOnce(Option<&Room>) -> R) -> R {
        f(self.room.lock().as_ref())
    }

    /// Run `f` on the room (`None` once disabled) under its lock, then
    /// update the slot's mirrors and settle the difference. Taking the room
    /// out (`Option::take`) ends the slot's lifetime.
    pub fn change<S: Settle, R>(
        self: &Arc<Self>,
        settle: &S,
        f: impl FnOnce(&mut Option<Room>) -> R,
    ) -> R {
        let mut guard = self.room.lock();
        let generation = self.generation();
        let before = Mark::of(guard.as_ref());
        let out = f(&mut guard);
        let after = Mark::of(guard.as_ref());
        match guard.as_ref() {
            Some(r) => self.head_seq.store(r.head_seq(), Ordering::Release),
            None => self.generation.store(0, Ordering::Release),
        }
        settle.settle(self, generation, before, after);
        out
    }
}
