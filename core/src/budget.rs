//! The store-wide byte budget (`max_total_bytes`).
//!
//! Every record appends a small ledger item (global stamp, room, seq) to its
//! shard's ledger, in stamp order. When the budget is exceeded, the evictor
//! takes the shard whose ledger front has the oldest stamp (one atomic read
//! per shard, not a scan of rooms) and evicts that entry if the room still
//! holds it. Items whose entry already left by other means are skipped when
//! they reach the front, and swept in bulk once a ledger holds more than
//! twice its live entries — so each record costs O(1) amortised and the
//! ledger's memory stays proportional to the entries held.

use crate::store::RoomSlot;
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

pub(crate) struct Budget {
    pub max: usize,
    pub used: AtomicUsize,
    stamp: AtomicU64,
    /// One evictor at a time; recorders never wait on it while holding locks.
    pub evicting: Mutex<()>,
}

impl Budget {
    pub fn new(max: usize) -> Self {
        Budget {
            max,
            used: AtomicUsize::new(0),
            stamp: AtomicU64::new(0),
            evicting: Mutex::new(()),
        }
    }

    pub fn over(&self) -> bool {
        self.used.load(Ordering::Acquire) > self.max
    }

    pub fn apply(&self, before: usize, after: usize) {
        if after >= before {
            self.used.fetch_add(after - before, Ordering::AcqRel);
        } else {
            self.used.fetch_sub(before - after, Ordering::AcqRel);
        }
    }
}

pub(crate) struct LedgerItem {
    pub slot: Arc<RoomSlot>,
    pub generation: u64,
    pub seq: u64,
    stamp: u64,
}

impl LedgerItem {
    /// Whether the entry may still be held. `false` is final: seqs never come
    /// back and generations are never reused.
    fn maybe_live(&self) -> bool {
        self.slot.generation.load(Ordering::Acquire) == self.generation
            && self.slot.head_seq.load(Ordering::Acquire) <= self.seq
    }
}

/// One shard's ledger, plus its front stamp mirrored for lock-free peeking.
pub(crate) struct Ledger {
    items: Mutex<VecDeque<LedgerItem>>,
    front: AtomicU64,
    /// Entries of this shard's rooms held now (maintained by the store).
    pub live: AtomicUsize,
}

impl Default for Ledger {
    fn default() -> Self {
        Ledger {
            items: Mutex::new(VecDeque::new()),
            front: AtomicU64::new(u64::MAX),
            live: AtomicUsize::new(0),
        }
    }
}

impl Ledger {
    /// Append an item for a freshly recorded entry. Called under the room's
    /// lock, so a room's items are in seq order.
    pub fn push(&self, budget: &Budget, slot: &Arc<RoomSlot>, generation: u64, seq: u64) {
        let mut items = self.items.lock();
        // The stamp is drawn under the ledger lock, so each ledger is sorted.
        let stamp = budget.stamp.fetch_add(1, Ordering::AcqRel);
        items.push_back(LedgerItem {
            slot: slot.clone(),
            generation,
            seq,
            stamp,
        });
        let live = self.live.load(Ordering::Acquire);
        if items.len() > 2 * live + 1024 {
            items.retain(LedgerItem::maybe_live);
        }
        self.sync_front(&items);
    }

    fn sync_front(&self, items: &VecDeque<LedgerItem>) {
        let front = items.front().map_or(u64::MAX, |i| i.stamp);
        self.front.store(front, Ordering::Release);
    }

    pub fn front_stamp(&self) -> u64 {
        self.front.load(Ordering::Acquire)
    }

    pub fn pop(&self) -> Option<LedgerItem> {
        let mut items = self.items.lock();
        let item = items.pop_front();
        self.sync_front(&items);
        item
    }
}
