//! One room's history for one lifetime: the ordered log, its bounds, and the
//! reads over it. Not thread-safe by itself; the store wraps each room in its
//! own lock.
//!
//! Entries are only ever removed from the front (every bound evicts the
//! oldest first) and seqs are gap-free, so an entry's seq is never stored:
//! it is `head_seq + index`, and cursors become index arithmetic.

mod messages;
mod persist;

pub(crate) use persist::EntryParts;

use crate::config::RoomConfig;
use crate::delivery::Delivery;
use crate::epoch::Epoch;
use crate::message::state::{MessageState, Messages};
use crate::message::{Action, MessageId};
use crate::names::EventNames;
use crate::payload::Payload;
use crate::query::{EntryRef, HistoryEntry, Page, Query, View};
use crate::sequence::{Placement, Sequenced};
use crate::stats::{Counters, RoomStats};
use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::Arc;

/// One entry a read selected, borrowed from its room: a stored entry (with
/// its seq), or a live message in its latest state (the latest and replay
/// views).
enum Picked<'a> {
    Entry(u64, &'a Entry),
    Message(&'a MessageState),
}

#[derive(Debug)]
struct Entry {
    payload: Payload,
    event: u32,
    /// The event name's length (saturated), kept here for the budget's
    /// accounting so evicting needs no trip to the name table.
    event_len: u32,
    wall: f64,
    /// Monotonic record time in nanoseconds since the clock's origin.
    mono: u64,
}

/// Bytes an entry is charged against a store-wide budget: its payload, its
/// event name and a fixed allowance for its bookkeeping, so that even empty
/// payloads cannot grow memory without bound.
pub(crate) fn entry_cost(payload_size: usize, event_len: usize) -> usize {
    payload_size
        .saturating_add(event_len)
        .saturating_add(ENTRY_OVERHEAD)
}

/// The fixed part of [`entry_cost`]: the entry itself and its budget ledger
/// item.
const ENTRY_OVERHEAD: usize = std::mem::size_of::<Entry>() + 32;

/// What makes an entry an operation on a message: kept beside the entries
/// (like delivery metadata), so plain emits stay small.
#[derive(Debug)]
pub(crate) struct OpTag {
    pub id: MessageId,
    /// The message's room, in a namespace log (which holds every room's
    /// emits); `None` in the room itself.
    pub room: Option<Arc<str>>,
    pub action: Action,
    pub version: u64,
    /// The message was deleted since: the entry's data is gone.
    pub redacted: bool,
}

impl OpTag {
    fn cost(&self) -> usize {
        std::mem::size_of::<(u64, OpTag)>()
            + self.id.as_str().len()
            + self.room.as_deref().map_or(0, str::len)
    }

    fn is(&self, room: Option<&str>, id: &str) -> bool {
        self.id.as_str() == id && self.room.as_deref() == room
    }
}

/// What became of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordOutcome {
    /// Stored with this seq.
    Recorded(u64),
    /// History is not enabled for the room; nothing stored.
    NotEnabled,
    /// The payload alone exceeds `max_bytes` (or the store's budget); not
    /// stored, counted in `rejected_oversize`.
    RejectedOversize,
    /// A sequenced record of a position the room already holds (see
    /// [`Sequenced`](crate::Sequenced)): nothing stored.
    Duplicate,
}

#[derive(Debug)]
pub(crate) struct Room {
    config: RoomConfig,
    epoch: Epoch,
    entries: VecDeque<Entry>,
    /// Delivery metadata of the entries that have any, by seq (ascending).
    /// Kept beside the entries, not in them: most emits address a room as a
    /// whole, and an entry's size is what the store is judged by.
    deliveries: VecDeque<(u64, Box<Delivery>)>,
    /// The message operations among the entries, by seq (ascending).
    ops: VecDeque<(u64, OpTag)>,
    /// The live messages' latest states.
    messages: Messages,
    names: EventNames,
    last_seq: u64,
    bytes: usize,
    event_bytes: usize,
    delivery_bytes: usize,
    op_bytes: usize,
    /// Some entry's wall time is below an older one's (a wall-clock step,
    /// or `record_at`): time-range reads then check each entry instead of
    /// searching. Cleared when the room empties.
    unsorted_walls: bool,
    counters: Counters,
}

impl Room {
    pub fn new(config: RoomConfig) -> Self {
        Room {
            config,
            epoch: Epoch::generate(),
            entries: VecDeque::new(),
            deliveries: VecDeque::new(),
            ops: VecDeque::new(),
            messages: Messages::default(),
            names: EventNames::default(),
            last_seq: 0,
            bytes: 0,
            event_bytes: 0,
            delivery_bytes: 0,
            op_bytes: 0,
            unsorted_walls: false,
            counters: Counters::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Budget bytes held: the sum of [`entry_cost`] over the entries, their
    /// metadata and the live messages' states.
    pub fn cost(&self) -> usize {
        self.bytes
            + self.event_bytes
            + self.delivery_bytes
            + self.op_bytes
            + self.messages.cost()
            + self.entries.len() * ENTRY_OVERHEAD
    }

    /// Payload bytes held: the entries' and the live messages' data.
    fn held_bytes(&self) -> usize {
        self.bytes + self.messages.bytes()
    }

    /// The epoch of this lifetime.
    pub fn epoch(&self) -> Epoch {
        self.epoch
    }

    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// Seq of the oldest entry; `last_seq + 1` when empty.
    pub fn head_seq(&self) -> u64 {
        self.last_seq + 1 - self.entries.len() as u64
    }

    fn pop_front(&mut self) -> Option<Entry> {
        let e = self.entries.pop_front()?;
        self.bytes -= e.payload.size();
        self.event_bytes -= e.event_len as usize;
        let head = self.head_seq();
        while self.deliveries.front().is_some_and(|(seq, _)| *seq < head) {
            if let Some((_, d)) = self.deliveries.pop_front() {
                self.delivery_bytes -= d.cost();
            }
        }
        while self.ops.front().is_some_and(|(seq, _)| *seq < head) {
            if let Some((seq, tag)) = self.ops.pop_front() {
                self.op_bytes -= tag.cost();
                if tag.room.is_none() {
                    self.messages.evicted(tag.id.as_str(), seq);
                }
            }
        }
        if self.entries.is_empty() {
            // An emptied room (expired, or evicted by the store's budget) gives
            // its buffers back: with many rooms, kept capacity would add up
            // to more than the entries ever held. A full ring never gets here.
            self.entries = VecDeque::new();
            self.deliveries = VecDeque::new();
            self.ops = VecDeque::new();
            self.names.clear();
            self.unsorted_walls = false;
        }
        Some(e)
    }

    /// The delivery metadata of the entry `seq`, if it has any.
    fn delivery(&self, seq: u64) -> Option<&Delivery> {
        self.deliveries
            .binary_search_by_key(&seq, |(s, _)| *s)
            .ok()
            .map(|i| &*self.deliveries[i].1)
    }

    /// The operation tag of the entry `seq`, if it is one.
    fn tag(&self, seq: u64) -> Option<&OpTag> {
        if self.ops.is_empty() {
            return None;
        }
        self.ops
            .binary_search_by_key(&seq, |(s, _)| *s)
            .ok()
            .map(|i| &self.ops[i].1)
    }

    /// Drop entries whose age reached the retention.
    pub fn expire(&mut self, now: u64) {
        let Some(ttl) = self.config.ttl() else { return };
        let ttl = u64::try_from(ttl.as_nanos()).unwrap_or(u64::MAX);
        while self
            .entries
            .front()
            .is_some_and(|e| now.saturating_sub(e.mono) >= ttl)
        {
            self.pop_front();
            self.counters.evictions_time += 1;
        }
    }

    /// Evict the oldest entries until the count and byte bounds hold.
    fn enforce_bounds(&mut self) {
        while self.entries.len() > self.config.max_entries {
            self.pop_front();
            self.counters.evictions_size += 1;
        }
        if let Some(max) = self.config.max_bytes {
            while self.held_bytes() > max && self.pop_front().is_some() {
                self.counters.evictions_bytes += 1;
            }
        }
    }

    /// Apply a new (validated) configuration in place: entries and seq stay,
    /// tighter bounds evict at once.
    pub fn reconfigure(&mut self, config: RoomConfig, now: u64) {
        self.config = config;
        self.expire(now);
        self.enforce_bounds();
    }

    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &mut self,
        event: &str,
        payload: Payload,
        delivery: Option<Delivery>,
        tag: Option<OpTag>,
        wall: f64,
        now: u64,
        max_cost: Option<usize>,
    ) -> RecordOutcome {
        self.expire(now);
        let size = payload.size();
        let event_len = u32::try_from(event.len()).unwrap_or(u32::MAX);
        let cost = entry_cost(size, event_len as usize);
        if self.config.max_bytes.is_some_and(|m| size > m) || max_cost.is_some_and(|m| cost > m) {
            self.counters.rejected_oversize += 1;
            return RecordOutcome::RejectedOversize;
        }
        let seq = self.push(event, payload, delivery, tag, wall, now);
        self.enforce_bounds();
        RecordOutcome::Recorded(seq)
    }

    /// Append an entry (no bound checked); returns its seq.
    fn push(
        &mut self,
        event: &str,
        payload: Payload,
        delivery: Option<Delivery>,
        tag: Option<OpTag>,
        wall: f64,
        now: u64,
    ) -> u64 {
        if self.names.wants_rebuild(self.entries.len()) {
            self.names
                .rebuild(self.entries.iter_mut().map(|e| &mut e.event));
        }
        let event_len = u32::try_from(event.len()).unwrap_or(u32::MAX);
        if self.entries.back().is_some_and(|last| wall < last.wall) {
            self.unsorted_walls = true;
        }
        self.bytes += payload.size();
        self.entries.push_back(Entry {
            payload,
            event: self.names.intern(event),
            event_len,
            wall,
            mono: now,
        });
        self.last_seq += 1;
        self.event_bytes += event_len as usize;
        if let Some(d) = delivery.filter(|d| !d.is_everyone()) {
            self.delivery_bytes += d.cost();
            self.deliveries.push_back((self.last_seq, Box::new(d)));
        }
        if let Some(t) = tag {
            self.op_bytes += t.cost();
            self.ops.push_back((self.last_seq, t));
        }
        self.last_seq
    }

    /// Evict the oldest entry for the store's budget if it is still `seq`.
    pub fn evict_for_budget(&mut self, seq: u64) {
        if !self.entries.is_empty() && self.head_seq() == seq {
            self.pop_front();
            self.counters.evictions_bytes += 1;
        }
    }

    /// Meet a position assigned by a shared stream before recording at it
    /// (the rules are in `sequence.rs`).
    pub(crate) fn sequence(&mut self, at: Sequenced) -> Placement {
        if self.epoch != at.epoch() {
            self.clear();
            self.epoch = at.epoch();
        } else if at.seq() <= self.last_seq {
            return Placement::Duplicate;
        } else if at.seq() > self.last_seq + 1 {
            self.clear();
        }
        self.last_seq = at.seq() - 1;
        Placement::Next
    }

    /// Drop every entry; the lifetime (seq, epoch, counters) goes on.
    pub fn clear(&mut self) -> usize {
        let n = self.entries.len();
        self.entries = VecDeque::new();
        self.deliveries = VecDeque::new();
        self.ops = VecDeque::new();
        self.messages.clear();
        self.names.clear();
        self.bytes = 0;
        self.event_bytes = 0;
        self.delivery_bytes = 0;
        self.op_bytes = 0;
        self.unsorted_walls = false;
        n
    }

    pub fn note_record_error(&mut self) {
        self.counters.record_errors += 1;
    }

    /// The selected entries (oldest to newest) and whether older selected
    /// entries exist beyond the limit. Only returned entries are copied.
    fn select(&self, q: &Query) -> (Vec<HistoryEntry>, bool) {
        let mut out = Vec::new();
        let has_more = self.visit(q, |e| {
            out.push(e.to_entry());
            true
        });
        (out, has_more)
    }

    /// Hand each entry a read selects to `f`, oldest first, borrowed from
    /// the room (`f` returning `false` stops); returns whether older
    /// selected entries exist beyond the limit.
    pub fn visit(&self, q: &Query, mut f: impl FnMut(EntryRef<'_>) -> bool) -> bool {
        let (picked, has_more) = self.pick(q);
        let cap = q.payload_size_cap.resolve(self.config.payload_size_cap);
        for p in picked {
            let e = match p {
                Picked::Entry(seq, e) => self.entry_ref(seq, e, cap),
                Picked::Message(m) => messages::latest_entry(m, cap),
            };
            if !f(e) {
                break;
            }
        }
        has_more
    }

    /// What a read selects, oldest to newest, borrowed from the room, and
    /// whether older selected entries exist beyond the limit.
    fn pick(&self, q: &Query) -> (Vec<Picked<'_>>, bool) {
        if q.view != View::Log {
            return self.latest(q);
        }
        let (lo, hi) = self.seq_window(q);
        if lo >= hi {
            return (Vec::new(), false);
        }
        let head = self.head_seq();
        let window = self
            .entries
            .range((lo - head) as usize..(hi - head) as usize);
        let allowed = self.event_mask(q);
        let wanted = q.limit.unwrap_or(usize::MAX);
        let mut picked = Vec::with_capacity(wanted.min(window.len()));
        let mut has_more = false;
        for (i, e) in window.enumerate().rev() {
            if allowed.as_ref().is_some_and(|m| !m[e.event as usize]) || !in_time(q, e.wall) {
                continue;
            }
            if let Some(client) = &q.for_client {
                let seq = lo + i as u64;
                if self.delivery(seq).is_some_and(|d| !d.reaches(client)) {
                    continue;
                }
            }
            if picked.len() == wanted {
                has_more = true;
                break;
            }
            picked.push(Picked::Entry(lo + i as u64, e));
        }
        picked.reverse();
        (picked, has_more)
    }

    /// The seqs `[lo, hi)` a read's cursors and time range select: the
    /// cursors by arithmetic, the time range by binary search over the
    /// entries' wall times (which are in record order unless
    /// `unsorted_walls`; then [`in_time`] sorts it out per entry).
    fn seq_window(&self, q: &Query) -> (u64, u64) {
        let head = self.head_seq();
        let mut lo = q.since_seq.map_or(head, |s| s.saturating_add(1).max(head));
        let mut hi = q
            .before_seq
            .map_or(self.last_seq + 1, |b| b.min(self.last_seq + 1));
        if !self.unsorted_walls {
            let first_at = |t: f64| head + self.entries.partition_point(|e| e.wall < t) as u64;
            if let Some(t) = q.since_time {
                lo = lo.max(first_at(t));
            }
            if let Some(t) = q.until_time {
                hi = hi.min(first_at(t));
            }
        }
        (lo, hi)
    }

    /// The entry `seq` as a read returns it (a copy), payload cut to `cap`.
    fn entry_at(&self, seq: u64, e: &Entry, cap: Option<usize>) -> HistoryEntry {
        self.entry_ref(seq, e, cap).to_entry()
    }

    /// The entry `seq` as a read finds it, payload cut to `cap`.
    fn entry_ref<'a>(&'a self, seq: u64, e: &'a Entry, cap: Option<usize>) -> EntryRef<'a> {
        let cut = cap.and_then(|c| e.payload.truncated(c));
        let tag = self.tag(seq);
        EntryRef {
            event: self.names.get(e.event),
            truncated: cut.is_some(),
            payload: cut.map_or(Cow::Borrowed(&e.payload), Cow::Owned),
            timestamp: e.wall,
            seq,
            action: tag.map_or(Action::Create, |t| t.action),
            message_id: tag.map(|t| &t.id),
            version: tag.map(|t| t.version),
            redacted: tag.is_some_and(|t| t.redacted),
            deleted: false,
        }
    }

    /// Which interned event ids the query's filters let through, or `None`
    /// when there is no filter. Inclusion first, then exclusion.
    fn event_mask(&self, q: &Query) -> Option<Vec<bool>> {
        if q.include_events.is_none() && q.exclude_events.is_none() {
            return None;
        }
        let bound = self.names.id_bound();
        let mut mask = vec![q.include_events.is_none(); bound];
        let ids = |names: &Vec<String>| {
            names
                .iter()
                .filter_map(|n| self.names.lookup(n))
                .collect::<Vec<_>>()
        };
        if let Some(inc) = &q.include_events {
            ids(inc).into_iter().for_each(|id| mask[id as usize] = true);
        }
        if let Some(exc) = &q.exclude_events {
            ids(exc)
                .into_iter()
                .for_each(|id| mask[id as usize] = false);
        }
        Some(mask)
    }

    pub fn fetch(&self, q: &Query) -> Vec<HistoryEntry> {
        self.select(q).0
    }

    pub fn page(&self, q: &Query, epoch: Option<&str>) -> Page {
        let (entries, has_more) = self.select(q);
        Page {
            entries,
            ..self.page_signals(q, epoch, has_more)
        }
    }

    /// A page's signals, its entries left empty (see [`Room::visit`]).
    pub fn page_signals(&self, q: &Query, epoch: Option<&str>, has_more: bool) -> Page {
        let gap = epoch.is_some_and(|e| self.epoch != *e)
            || q.since_seq
                .is_some_and(|s| s.saturating_add(1) < self.head_seq() || s > self.last_seq);
        Page {
            entries: Vec::new(),
            epoch: Some(self.epoch),
            first_seq: self.first_seq(),
            last_seq: self.last_seq,
            has_more,
            gap,
        }
    }

    fn first_seq(&self) -> Option<u64> {
        (!self.entries.is_empty()).then(|| self.head_seq())
    }

    pub fn stats(&self) -> RoomStats {
        let c = self.counters;
        RoomStats {
            enabled: true,
            messages: self.messages.len(),
            entries_count: self.entries.len(),
            bytes: self.held_bytes(),
            evictions_size: c.evictions_size,
            evictions_time: c.evictions_time,
            evictions_bytes: c.evictions_bytes,
            rejected_oversize: c.rejected_oversize,
            record_errors: c.record_errors,
            recorded_total: self.last_seq,
            first_seq: self.first_seq(),
            last_seq: self.last_seq,
            epoch: Some(self.epoch),
            config: Some(self.config.clone()),
        }
    }
}

/// Whether a wall time is inside a read's time range (`since_time`
/// inclusive, `until_time` exclusive).
pub(crate) fn in_time(q: &Query, wall: f64) -> bool {
    q.since_time.is_none_or(|t| wall >= t) && q.until_time.is_none_or(|t| wall < t)
}

/// A page of a room that has no history: nothing, and a gap for any cursor
/// that claims to have seen something.
pub(crate) fn disabled_page(q: &Query, epoch: Option<&str>) -> Page {
    Page {
        entries: Vec::new(),
        epoch: None,
        first_seq: None,
        last_seq: 0,
        has_more: false,
        gap: epoch.is_some() || q.since_seq.is_some_and(|s| s > 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Memory per retained entry is a product goal (BENCHMARKS.md): an entry
    /// is a thin payload box, the interned event id and length, and two times.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn an_entry_is_40_bytes() {
        assert_eq!(std::mem::size_of::<Entry>(), 40);
        assert_eq!(std::mem::size_of::<Payload>(), 16);
    }
}
