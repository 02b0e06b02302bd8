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
//!
//! The byte count and the live counts are kept by [`Accounts`], which every
//! change to a room settles into (see [`RoomSlot::change`]).

use crate::slot::{Mark, RoomSlot, Settle};
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

pub(crate) struct Budget {
    pub max: usize,
    used: AtomicUsize,
    stamp: AtomicU64,
    /// One evictor at a time; recorders never wait on it while holding locks.
    evicting: Mutex<()>,
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

    /// Bytes charged now.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Acquire)
    }

    fn over(&self) -> bool {
        self.used() > self.max
    }

    /// Evict the store's oldest entries until the budget holds. Called with
    /// no lock held; `ledgers` are every shard's.
    pub fn enforce<'a>(&self, ledgers: impl Iterator<Item = &'a Ledger> + Clone) {
        if !self.over() {
            return;
        }
        let _one_evictor = self.evicting.lock();
        while self.over() {
            let Some(ledger) = ledgers
                .clone()
                .filter(|l| l.front_stamp() != u64::MAX)
                .min_by_key(|l| l.front_stamp())
            else {
                return;
            };
            let Some(item) = ledger.pop() else { continue };
            let accounts = Accounts {
                budget: Some(self),
                ledger,
            };
            item.slot.change(&accounts, |room| {
                if let Some(r) = room.as_mut() {
                    if item.slot.generation() == item.generation {
                        r.evict_for_budget(item.seq);
                    }
                }
            });
        }
    }
}

/// Where one shard's changes settle: the store's budget (if any) and the
/// shard's ledger.
pub(crate) struct Accounts<'a> {
    pub budget: Option<&'a Budget>,
    pub ledger: &'a Ledger,
}

impl Settle for Accounts<'_> {
    fn settle(&self, slot: &Arc<RoomSlot>, generation: u64, before: Mark, after: Mark) {
        let Some(budget) = self.budget else { return };
        apply(&budget.used, before.cost, after.cost);
        apply(&self.ledger.live, before.len, after.len);
        // Only a room that lived through the change records into it.
        if slot.generation() == generation {
            for seq in before.last_seq + 1..=after.last_seq {
                self.ledger.push(budget, slot, generation, seq);
            }
        }
    }
}

fn apply(counter: &AtomicUsize, before: usize, after: usize) {
    if after >= before {
        counter.fetch_add(after - before, Ordering::AcqRel);
    } else {
        counter.fetch_sub(before - after, Ordering::AcqRel);
    }
}

pub(crate) struct LedgerItem {
    slot: Arc<RoomSlot>,
    generation: u64,
    seq: u64,
    stamp: u64,
}

impl LedgerItem {
    /// Whether the entry may still be held. `false` is final: seqs never come
    /// back and generations are never reused.
    fn maybe_live(&self) -> bool {
        self.slot.generation() == self.generation && self.slot.head_seq() <= self.seq
    }
}

/// One shard's ledger, plus its front stamp mirrored for lock-free peeking.
pub(crate) struct Ledger {
    items: Mutex<VecDeque<LedgerItem>>,
    front: AtomicU64,
    /// Entries of this shard's rooms held now.
    live: AtomicUsize,
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
    fn push(&self, budget: &Budget, slot: &Arc<RoomSlot>, generation: u64, seq: u64) {
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

    fn front_stamp(&self) -> u64 {
        self.front.load(Ordering::Acquire)
    }

    fn pop(&self) -> Option<LedgerItem> {
        let mut items = self.items.lock();
        let item = items.pop_front();
        self.sync_front(&items);
        item
    }
}
