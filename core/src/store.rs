//! The store: every room's history, shared between threads.
//!
//! Rooms live in a fixed number of shards, picked by a hash of
//! `(namespace, room)`. A shard's map is behind a read-write lock that is
//! written only to enable or disable a room; each room has its own mutex. So
//! records to different rooms never serialise on a common lock.
//!
//! Lock order: shard map → room → ledger. The budget evictor takes a room
//! lock with nothing else held, after the recorder has released all of its.
//! Every change to a room settles its bookkeeping through
//! [`RoomSlot::change`] (see `slot.rs`).

use crate::budget::{Accounts, Budget, Ledger};
use crate::clock::{Clock, SystemClock};
use crate::config::RoomConfig;
use crate::delivery::Delivery;
use crate::durable::Durability;
use crate::epoch::Epoch;
use crate::error::{HistoryError, Result};
use crate::payload::Payload;
use crate::persist::record;
use crate::persist::{Dir, Journal, OpenReport, SyncPolicy};
use crate::query::{EntryRef, HistoryEntry, Page, Query};
use crate::room::{disabled_page, OpTag, RecordOutcome, Room};
use crate::sequence::{Placement, Sequenced};
use crate::slot::{Key, RoomSlot};
use crate::stats::RoomStats;
use parking_lot::RwLock;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

const SHARDS: usize = 32;
/// `hash >> SHARD_SHIFT` is below `SHARDS`.
const SHARD_SHIFT: u32 = u64::BITS - SHARDS.trailing_zeros();

/// The namespace used when none is given.
pub const DEFAULT_NAMESPACE: &str = "/";

/// Identity hasher: shard maps are keyed by a hash computed once per call.
#[derive(Default)]
struct PreHashed(u64);

impl Hasher for PreHashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, _: &[u8]) {
        unreachable!("only u64 keys are hashed")
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

type RoomMap = HashMap<u64, Vec<Arc<RoomSlot>>, BuildHasherDefault<PreHashed>>;

#[derive(Default)]
pub(crate) struct Shard {
    rooms: RwLock<RoomMap>,
    ledger: Ledger,
}

impl Shard {
    /// Every slot of this shard now (the map's lock is released on return).
    pub(crate) fn slots(&self) -> Vec<Arc<RoomSlot>> {
        self.rooms.read().values().flatten().cloned().collect()
    }

    /// The slot of `(namespace, room)` in a bucket of this shard's map.
    fn find<'m>(
        map: &'m RoomMap,
        hash: u64,
        namespace: &str,
        key: Key<'_>,
    ) -> Option<&'m Arc<RoomSlot>> {
        map.get(&hash)?.iter().find(|s| s.is(namespace, key))
    }
}

/// Options for [`HistoryStore::builder`].
#[derive(Debug)]
pub struct StoreBuilder {
    max_total_bytes: Option<usize>,
    clock: Arc<dyn Clock>,
    path: Option<PathBuf>,
    sync: SyncPolicy,
    sync_interval: Duration,
    segment_bytes: u64,
}

impl StoreBuilder {
    /// A store-wide budget in bytes (payload + event name + a fixed
    /// per-entry allowance); when exceeded, the oldest entries of the whole
    /// store are evicted. `None` (the default) for no budget.
    pub fn max_total_bytes(mut self, max: Option<usize>) -> Self {
        self.max_total_bytes = max;
        self
    }

    /// The time source (default: [`SystemClock`]).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Keep the store under the directory `path` (created if missing):
    /// what it holds survives the process (docs/DURABILITY.md). A new
    /// store opening the same directory starts with what the last one had.
    /// `None` (the default) keeps it in memory only.
    pub fn path(mut self, path: Option<impl Into<PathBuf>>) -> Self {
        self.path = path.map(Into::into);
        self
    }

    /// What a change that returned may lose (default
    /// [`SyncPolicy::Interval`]); durable stores only.
    pub fn sync(mut self, sync: SyncPolicy) -> Self {
        self.sync = sync;
        self
    }

    /// How often [`SyncPolicy::Interval`] syncs (default 1 s; more than 0
    /// and at most a day).
    pub fn sync_interval(mut self, interval: Duration) -> Self {
        self.sync_interval = interval;
        self
    }

    /// How large a journal segment grows before the next begins (default
    /// 64 MiB, at least 4 KiB): files hold at most about twice the retained
    /// bytes plus one segment.
    pub fn segment_bytes(mut self, bytes: u64) -> Self {
        self.segment_bytes = bytes;
        self
    }

    /// Build the store; `max_total_bytes` must be at least 1. With a path,
    /// open it: an error if it cannot be created, read or written, is open
    /// in another process, or holds a journal of another format.
    pub fn build(self) -> Result<HistoryStore> {
        if self.max_total_bytes == Some(0) {
            return Err(HistoryError::invalid(
                "max_total_bytes",
                "must be at least 1 (or None for no budget)",
            ));
        }
        if self.sync_interval.is_zero() || self.sync_interval > Duration::from_secs(86_400) {
            return Err(HistoryError::invalid(
                "sync_interval",
                format!(
                    "must be more than 0 and at most a day, got {:?}",
                    self.sync_interval
                ),
            ));
        }
        if self.segment_bytes < 4096 {
            return Err(HistoryError::invalid(
                "segment_bytes",
                format!("must be at least 4096, got {}", self.segment_bytes),
            ));
        }
        let mut store = HistoryStore {
            shards: (0..SHARDS).map(|_| Shard::default()).collect(),
            hasher: foldhash::fast::RandomState::default(),
            clock: self.clock,
            budget: self.max_total_bytes.map(Budget::new),
            generations: AtomicU64::new(1),
            durable: None,
        };
        if let Some(path) = self.path {
            store.attach_journal(&Durability {
                path,
                sync: self.sync,
                sync_interval: self.sync_interval,
                segment_bytes: self.segment_bytes,
            })?;
        }
        Ok(store)
    }
}

/// A durable store's journal and its background thread.
pub(crate) struct Durable {
    pub journal: Arc<Journal>,
    pub thread: parking_lot::Mutex<Option<std::thread::JoinHandle<()>>>,
    pub report: OpenReport,
    pub path: PathBuf,
    /// Held for its lock; released by `close` (or when the store is dropped).
    pub dir: parking_lot::Mutex<Option<Dir>>,
    /// Connection state recovery's sessions (see `sessions.rs`).
    pub sessions: Arc<parking_lot::Mutex<crate::durable::SessionTable>>,
}

/// In-memory history of Socket.IO rooms, keyed by `(namespace, room)`.
///
/// Every method takes `&self` and may be called from any thread.
pub struct HistoryStore {
    pub(crate) shards: Arc<[Shard]>,
    hasher: foldhash::fast::RandomState,
    clock: Arc<dyn Clock>,
    budget: Option<Budget>,
    generations: AtomicU64,
    pub(crate) durable: Option<Durable>,
}

impl Drop for HistoryStore {
    fn drop(&mut self) {
        self.close();
    }
}

impl std::fmt::Debug for HistoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HistoryStore")
            .field("max_total_bytes", &self.max_total_bytes())
            .field("total_bytes", &self.total_bytes())
            .field("path", &self.path())
            .finish_non_exhaustive()
    }
}

impl Default for HistoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl HistoryStore {
    /// A store with no global budget and the system clock.
    pub fn new() -> Self {
        Self::builder()
            .build()
            .expect("the default options are valid")
    }

    /// Start configuring a store.
    pub fn builder() -> StoreBuilder {
        StoreBuilder {
            max_total_bytes: None,
            clock: Arc::new(SystemClock::new()),
            path: None,
            sync: SyncPolicy::default(),
            sync_interval: Duration::from_secs(1),
            segment_bytes: crate::persist::DEFAULT_SEGMENT_BYTES,
        }
    }

    /// The store-wide budget, if any.
    pub fn max_total_bytes(&self) -> Option<usize> {
        self.budget.as_ref().map(|b| b.max)
    }

    /// What one entry is charged against `max_total_bytes`: its payload
    /// size, its event name and a fixed allowance for bookkeeping.
    pub fn budget_cost(payload_size: usize, event: &str) -> usize {
        crate::room::entry_cost(payload_size, event.len())
    }

    /// Bytes charged against the budget now (0 without a budget).
    pub fn total_bytes(&self) -> usize {
        self.budget.as_ref().map_or(0, Budget::used)
    }

    fn locate(&self, namespace: &str, key: Key<'_>) -> (u64, &Shard) {
        let mut h = self.hasher.build_hasher();
        h.write(namespace.as_bytes());
        match key {
            // Neither byte is valid UTF-8: keeps ("a","bc") apart from
            // ("ab","c"), and every room apart from the log.
            Key::Room(room) => {
                h.write_u8(0xff);
                h.write(room.as_bytes());
            }
            Key::Log => h.write_u8(0xfe),
        }
        let hash = h.finish();
        // The shard comes from the hash's top bits: the shard's map places
        // keys by the low bits, which would otherwise be the same for every
        // key of one shard.
        (hash, &self.shards[(hash >> SHARD_SHIFT) as usize])
    }

    pub(crate) fn accounts<'a>(&'a self, shard: &'a Shard) -> Accounts<'a> {
        Accounts {
            budget: self.budget.as_ref(),
            ledger: &shard.ledger,
        }
    }

    pub(crate) fn now_nanos(&self) -> u64 {
        mono_nanos(self.clock.monotonic())
    }

    /// Wall-clock seconds and monotonic nanoseconds, read together.
    pub(crate) fn now_both(&self) -> (f64, u64) {
        let (mono, wall) = self.clock.now();
        (wall, mono_nanos(mono))
    }

    /// Run `f` on an enabled room (or log) under its lock (its bookkeeping
    /// settled after). `None` if not enabled.
    pub(crate) fn with_room<R>(
        &self,
        namespace: &str,
        key: Key<'_>,
        f: impl FnOnce(&mut Room) -> R,
    ) -> Option<R> {
        let (hash, shard) = self.locate(namespace, key);
        let map = shard.rooms.read();
        let slot = Shard::find(&map, hash, namespace, key)?;
        slot.change(&self.accounts(shard), |r| r.as_mut().map(f))
    }

    /// Enable history for a room, or reconfigure it in place if enabled:
    /// entries and seq stay, tighter bounds evict the oldest at once, a new
    /// retention applies to the entries already held.
    pub fn enable(&self, namespace: &str, room: &str, config: RoomConfig) -> Result<()> {
        self.enable_key(namespace, Key::Room(room), config)
    }

    pub(crate) fn enable_key(
        &self,
        namespace: &str,
        key: Key<'_>,
        config: RoomConfig,
    ) -> Result<()> {
        let config = config.normalized()?;
        let now = self.now_nanos();
        let reconfigure = |r: &mut Room| {
            r.reconfigure(config.clone(), now);
            self.journal_enable(namespace, key, r);
        };
        if self.with_room(namespace, key, reconfigure).is_none() {
            #[cfg(test)]
            tests::between_looks();
            let (hash, shard) = self.locate(namespace, key);
            let mut map = shard.rooms.write();
            match Shard::find(&map, hash, namespace, key) {
                // Enabled by another thread between our two looks.
                Some(slot) => {
                    slot.change(&self.accounts(shard), |r| r.as_mut().map(reconfigure));
                }
                None => {
                    let room = Room::new(config);
                    self.journal_enable(namespace, key, &room);
                    let generation = self.generations.fetch_add(1, Ordering::AcqRel);
                    let slot = RoomSlot::new(namespace, key, room, generation);
                    map.entry(hash).or_default().push(Arc::new(slot));
                }
            }
        }
        self.enforce_budget();
        Ok(())
    }

    /// A replayed `Enable`: the room (or log) in lifetime `epoch` with
    /// `config`, created or reconfigured (or started anew for another
    /// epoch).
    pub(crate) fn replay_enable(
        &self,
        namespace: &str,
        key: Key<'_>,
        epoch: Epoch,
        config: RoomConfig,
    ) {
        let now = self.now_nanos();
        let found = self.with_room(namespace, key, |r| {
            if r.epoch() == epoch {
                r.reconfigure(config.clone(), now);
                true
            } else {
                false
            }
        });
        match found {
            Some(true) => {}
            Some(false) => {
                self.disable_key(namespace, key);
                self.insert_room(namespace, key, Room::with_epoch(config, epoch));
            }
            None => self.insert_room(namespace, key, Room::with_epoch(config, epoch)),
        }
        self.enforce_budget();
    }

    fn insert_room(&self, namespace: &str, key: Key<'_>, room: Room) {
        let (hash, shard) = self.locate(namespace, key);
        let mut map = shard.rooms.write();
        let generation = self.generations.fetch_add(1, Ordering::AcqRel);
        let slot = RoomSlot::new(namespace, key, room, generation);
        map.entry(hash).or_default().push(Arc::new(slot));
    }

    /// Disable history for a room: its entries are dropped and their memory
    /// freed. Returns whether it was enabled. Enabling again starts a new
    /// lifetime (seq from 1, counters at zero, a new epoch).
    pub fn disable(&self, namespace: &str, room: &str) -> bool {
        self.disable_key(namespace, Key::Room(room))
    }

    pub(crate) fn disable_key(&self, namespace: &str, key: Key<'_>) -> bool {
        let (hash, shard) = self.locate(namespace, key);
        let mut map = shard.rooms.write();
        let Some(bucket) = map.get_mut(&hash) else {
            return false;
        };
        let Some(i) = bucket.iter().position(|s| s.is(namespace, key)) else {
            return false;
        };
        let slot = bucket.swap_remove(i);
        if bucket.is_empty() {
            map.remove(&hash);
        }
        slot.change(&self.accounts(shard), |r| {
            let room = r.take();
            if let Some(room) = &room {
                self.journal(|e| record::disable(e, namespace, key, room.epoch()));
            }
            room
        })
        .is_some()
    }

    /// Whether history is enabled for a room.
    pub fn is_enabled(&self, namespace: &str, room: &str) -> bool {
        let key = Key::Room(room);
        let (hash, shard) = self.locate(namespace, key);
        // A slot in the map always holds its room: disabling removes the
        // slot under the same write lock that empties it.
        Shard::find(&shard.rooms.read(), hash, namespace, key).is_some()
    }

    /// The room's last assigned seq (0 when none), or `None` without history.
    pub fn last_seq(&self, namespace: &str, room: &str) -> Option<u64> {
        self.with_room(namespace, Key::Room(room), |r| r.last_seq())
    }

    /// Record one emit at the current wall-clock time. Recording into a room
    /// without history is not an error: the outcome says what happened.
    pub fn record(
        &self,
        namespace: &str,
        room: &str,
        event: &str,
        payload: Payload,
    ) -> RecordOutcome {
        self.record_key(
            namespace,
            Key::Room(room),
            event,
            payload,
            None,
            None,
            None,
            None,
            |_| {},
        )
    }

    /// Record one emit with who it was addressed to (see [`Delivery`]):
    /// reads with [`Query::for_client`] re-apply it.
    pub fn record_delivery(
        &self,
        namespace: &str,
        room: &str,
        event: &str,
        payload: Payload,
        delivery: Delivery,
    ) -> RecordOutcome {
        self.record_key(
            namespace,
            Key::Room(room),
            event,
            payload,
            Some(delivery),
            None,
            None,
            None,
            |_| {},
        )
    }

    /// Record one emit with an explicit wall-clock timestamp (Unix seconds),
    /// e.g. when replaying a log. Age-based retention still counts from now.
    pub fn record_at(
        &self,
        namespace: &str,
        room: &str,
        event: &str,
        payload: Payload,
        timestamp: f64,
    ) -> Result<RecordOutcome> {
        if !timestamp.is_finite() {
            return Err(HistoryError::invalid(
                "timestamp",
                format!("must be a finite number of Unix seconds, got {timestamp}"),
            ));
        }
        Ok(self.record_key(
            namespace,
            Key::Room(room),
            event,
            payload,
            None,
            None,
            Some(timestamp),
            None,
            |_| {},
        ))
    }

    /// Record one emit at a position a shared stream assigned (see
    /// [`Sequenced`]): the room takes the seq and epoch from `at` instead of
    /// counting its own. A position the room already holds is
    /// [`RecordOutcome::Duplicate`]; a later one than the next drops what the
    /// room holds first, so an older cursor reads as a gap. `timestamp`
    /// (Unix seconds, e.g. the stream entry's time, so that every node holds
    /// the same) replaces the wall clock if given; age-based retention still
    /// counts from now.
    #[allow(clippy::too_many_arguments)]
    pub fn record_sequenced(
        &self,
        namespace: &str,
        room: &str,
        event: &str,
        payload: Payload,
        delivery: Option<Delivery>,
        at: Sequenced,
        timestamp: Option<f64>,
    ) -> RecordOutcome {
        self.record_key(
            namespace,
            Key::Room(room),
            event,
            payload,
            delivery,
            None,
            timestamp.filter(|t| t.is_finite()),
            Some(at),
            |_| {},
        )
    }

    /// Place a room at a shared stream's position before an operation that
    /// records its own entry there (a message operation): `Some(true)` when
    /// the room's next entry takes `at`, `Some(false)` when it already holds
    /// it, `None` without history.
    pub fn sequence(&self, namespace: &str, room: &str, at: Sequenced) -> Option<bool> {
        self.with_room(namespace, Key::Room(room), |r| {
            r.sequence(at) == Placement::Next
        })
    }

    /// Record into a room or log; `inspect` sees the room under the same
    /// lock, after the record.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn record_key(
        &self,
        namespace: &str,
        key: Key<'_>,
        event: &str,
        payload: Payload,
        delivery: Option<Delivery>,
        tag: Option<OpTag>,
        timestamp: Option<f64>,
        at: Option<Sequenced>,
        inspect: impl FnOnce(&Room),
    ) -> RecordOutcome {
        let max_cost = self.max_total_bytes();
        let outcome = self
            .with_room(namespace, key, |r| {
                if at.is_some_and(|at| r.sequence(at) == Placement::Duplicate) {
                    return RecordOutcome::Duplicate;
                }
                // Read the clocks under the room lock so that seq order is
                // also time order (expiry walks from the front).
                let (mono, wall) = self.clock.now();
                let outcome = r.record(
                    event,
                    payload,
                    delivery,
                    tag,
                    timestamp.unwrap_or(wall),
                    mono_nanos(mono),
                    max_cost,
                );
                if matches!(outcome, RecordOutcome::Recorded(_)) {
                    self.journal_last_entry(namespace, key, r);
                }
                inspect(r);
                outcome
            })
            .unwrap_or(RecordOutcome::NotEnabled);
        self.enforce_budget();
        outcome
    }

    /// Count an emit that a binding failed to turn into a payload, in the
    /// room's `record_errors` (if its history is enabled).
    pub fn note_record_error(&self, namespace: &str, room: &str) {
        self.with_room(namespace, Key::Room(room), Room::note_record_error);
    }

    /// Drop a room's entries; it stays enabled, its seq goes on. Returns how
    /// many were dropped (0 if not enabled).
    pub fn clear(&self, namespace: &str, room: &str) -> usize {
        let key = Key::Room(room);
        self.with_room(namespace, key, |r| {
            let n = r.clear();
            self.journal(|e| record::clear(e, namespace, key, r.epoch(), r.last_seq()));
            n
        })
        .unwrap_or(0)
    }

    /// Read a room's history (see [`Query`] for the order of operations).
    /// Empty when history is disabled.
    pub fn fetch(&self, namespace: &str, room: &str, query: &Query) -> Vec<HistoryEntry> {
        let now = self.now_nanos();
        self.with_room(namespace, Key::Room(room), |r| {
            r.expire(now);
            r.fetch(query)
        })
        .unwrap_or_default()
    }

    /// Read a room's history like [`fetch`](Self::fetch), handing each
    /// selected entry to `f` borrowed, under the room's lock, instead of
    /// copying it (`f` returning `false` stops the read). Returns whether
    /// history is enabled. `f` runs with the room locked: it must not call
    /// back into this store.
    pub fn visit(
        &self,
        namespace: &str,
        room: &str,
        query: &Query,
        f: impl FnMut(EntryRef<'_>) -> bool,
    ) -> bool {
        let now = self.now_nanos();
        self.with_room(namespace, Key::Room(room), |r| {
            r.expire(now);
            r.visit(query, f);
        })
        .is_some()
    }

    /// [`page`](Self::page) with its entries handed to `f` as
    /// [`visit`](Self::visit) does; the returned page's `entries` is empty.
    pub fn visit_page(
        &self,
        namespace: &str,
        room: &str,
        query: &Query,
        epoch: Option<&str>,
        f: impl FnMut(EntryRef<'_>) -> bool,
    ) -> Page {
        let now = self.now_nanos();
        self.with_room(namespace, Key::Room(room), |r| {
            r.expire(now);
            let has_more = r.visit(query, f);
            r.page_signals(query, epoch, has_more)
        })
        .unwrap_or_else(|| disabled_page(query, epoch))
    }

    /// A windowed read for a reconnecting client, with `gap` and `has_more`.
    /// `epoch` is the epoch the client's cursor came from, if it has one.
    pub fn page(&self, namespace: &str, room: &str, query: &Query, epoch: Option<&str>) -> Page {
        self.page_key(namespace, Key::Room(room), query, epoch)
    }

    pub(crate) fn page_key(
        &self,
        namespace: &str,
        key: Key<'_>,
        query: &Query,
        epoch: Option<&str>,
    ) -> Page {
        let now = self.now_nanos();
        self.with_room(namespace, key, |r| {
            r.expire(now);
            r.page(query, epoch)
        })
        .unwrap_or_else(|| disabled_page(query, epoch))
    }

    /// A snapshot of a room's counters and configuration.
    pub fn stats(&self, namespace: &str, room: &str) -> RoomStats {
        self.stats_key(namespace, Key::Room(room))
    }

    pub(crate) fn stats_key(&self, namespace: &str, key: Key<'_>) -> RoomStats {
        let now = self.now_nanos();
        self.with_room(namespace, key, |r| {
            r.expire(now);
            r.stats()
        })
        .unwrap_or_else(RoomStats::disabled)
    }

    /// Every `(namespace, room)` with history enabled, sorted by namespace,
    /// then room.
    pub fn rooms(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for shard in self.shards.iter() {
            for slot in shard.rooms.read().values().flatten() {
                if let Some(name) = slot.name() {
                    out.push((slot.namespace().to_owned(), name.to_owned()));
                }
            }
        }
        out.sort_unstable();
        out
    }

    /// Evict the store's oldest entries until the budget holds. Called with
    /// no lock held.
    pub(crate) fn enforce_budget(&self) {
        if let Some(budget) = &self.budget {
            budget.enforce(self.shards.iter().map(|s| &s.ledger));
        }
    }
}

/// Where the store's monotonic nanoseconds start: 2^62 ns (146 years)
/// after 0, so that an entry replayed from a journal can be placed in the
/// past, by its age, on a clock that began with this process. Only
/// differences of these values mean anything.
const MONO_BASE: u64 = 1 << 62;

/// Monotonic nanoseconds on the store's scale (saturating: u64 nanoseconds
/// last 584 years).
fn mono_nanos(d: std::time::Duration) -> u64 {
    d.as_secs()
        .saturating_mul(1_000_000_000)
        .saturating_add(u64::from(d.subsec_nanos()))
        .saturating_add(MONO_BASE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    thread_local! {
        /// Runs once in `enable` between its two looks at the map, on the
        /// enabling thread, with no lock held: lets a test interleave another
        /// "thread" deterministically.
        static BETWEEN_LOOKS: RefCell<Option<Box<dyn FnOnce()>>> = RefCell::new(None);
    }

    pub(super) fn between_looks() {
        if let Some(f) = BETWEEN_LOOKS.with(|h| h.borrow_mut().take()) {
            f();
        }
    }

    /// The race of two threads enabling one room: the second finds the room
    /// enabled by the first only once it holds the write lock, and
    /// reconfigures it there. That path must settle the budget like every
    /// other (it once left evicted bytes charged forever).
    #[test]
    fn enabling_a_room_another_thread_just_enabled_keeps_the_budget_exact() {
        let store = Arc::new(
            HistoryStore::builder()
                .max_total_bytes(Some(1 << 20))
                .build()
                .unwrap(),
        );
        let other = store.clone();
        BETWEEN_LOOKS.with(|h| {
            *h.borrow_mut() = Some(Box::new(move || {
                other.enable("/", "r", RoomConfig::default()).unwrap();
                for i in 0..5 {
                    other.record("/", "r", "e", Payload::text(format!("m{i}")));
                }
            }))
        });
        // Reconfigured on the second look: 3 of the 5 entries are evicted.
        store
            .enable("/", "r", RoomConfig::default().max_entries(2))
            .unwrap();
        assert!(BETWEEN_LOOKS.with(|h| h.borrow().is_none()), "the seam ran");
        let held: usize = store
            .fetch("/", "r", &Query::new())
            .iter()
            .map(|e| HistoryStore::budget_cost(e.payload.size(), &e.event))
            .sum();
        assert_eq!(store.stats("/", "r").entries_count, 2);
        assert_eq!(store.total_bytes(), held);
        assert!(store.disable("/", "r"));
        assert_eq!(store.total_bytes(), 0);
    }

    #[test]
    fn shards_and_map_buckets_use_different_hash_bits() {
        const { assert!(SHARDS.is_power_of_two()) };
        assert_eq!(u64::MAX >> SHARD_SHIFT, SHARDS as u64 - 1);
    }
}
