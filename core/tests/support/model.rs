//! The deliberately naive model of CONTRACT.md (the core's rules) (a `Vec` per room, linear
//! scans, the store-wide budget by scanning every entry) and a runner that
//! applies one operation sequence to both the store and the model and
//! compares every result and every room's stats after every step.
//!
//! Shared, by `#[path]`, between the proptest model test and the cargo-fuzz
//! target, so both check against the same model.

use socketio_history_core::{
    Action, Delivery, Epoch, HistoryEntry, HistoryStore, ManualClock, Page, Payload, PayloadCap,
    Query, RecordOutcome, RoomConfig, RoomStats,
};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Fail the run with both sides shown.
macro_rules! ensure_eq {
    ($got:expr, $want:expr $(, $ctx:expr)?) => {{
        let (got, want) = (&$got, &$want);
        if got != want {
            return Err(format!(
                "mismatch{}:\n  store: {:?}\n  model: {:?}",
                "" $(.to_owned() + &format!(" ({:?})", $ctx))?,
                got,
                want
            ));
        }
    }};
}

pub const ROOMS: [(&str, &str); 3] = [("/", "a"), ("/", "b"), ("/chat", "a")];
pub const EVENTS: [&str; 3] = ["x", "y", "z"];

/// One step of a sequence.
#[derive(Debug, Clone)]
pub enum Op {
    Enable(usize, RoomConfig),
    Disable(usize),
    Clear(usize),
    Record(usize, usize, Payload, Option<Target>),
    Fetch(usize, Query),
    Page(usize, Query, EpochChoice),
    Advance(u64),
}

/// Who a record is addressed to: target rooms (`None`: everyone) and
/// exclusions, checked by the model on its own terms.
pub type Target = (Option<Vec<String>>, Vec<String>);

/// The rooms and clients targets and readers pick from.
pub const CLIENT_ROOMS: [&str; 4] = ["a", "b", "s1", "s2"];

/// Which epoch a page read passes.
#[derive(Debug, Clone, Copy)]
pub enum EpochChoice {
    None,
    Current,
    Other,
}

#[derive(Debug, Clone)]
struct MEntry {
    event: String,
    payload: Payload,
    wall: f64,
    mono: u64,
    seq: u64,
    stamp: u64,
    target: Option<Target>,
}

impl MEntry {
    fn reaches(&self, client: &[String]) -> bool {
        let Some((rooms, except)) = &self.target else {
            return true;
        };
        let member = |r: &String| client.contains(r);
        rooms.as_ref().is_none_or(|rs| rs.iter().any(member)) && !except.iter().any(member)
    }
}

#[derive(Debug, Default, Clone)]
struct MRoom {
    cfg: RoomConfig,
    entries: Vec<MEntry>,
    last_seq: u64,
    ev_size: u64,
    ev_time: u64,
    ev_bytes: u64,
    rejected: u64,
    /// Which lifetime this is: the store's epoch must change exactly when
    /// this does.
    lifetime: u64,
}

impl MRoom {
    fn bytes(&self) -> usize {
        self.entries.iter().map(|e| e.payload.size()).sum()
    }

    fn expire(&mut self, now: u64) {
        if let Some(ttl) = self.cfg.retention {
            let ttl = ttl.as_nanos() as u64;
            while !self.entries.is_empty() && now - self.entries[0].mono >= ttl {
                self.entries.remove(0);
                self.ev_time += 1;
            }
        }
    }

    fn bound(&mut self) {
        while self.entries.len() > self.cfg.max_entries {
            self.entries.remove(0);
            self.ev_size += 1;
        }
        while self.cfg.max_bytes.is_some_and(|m| self.bytes() > m) {
            self.entries.remove(0);
            self.ev_bytes += 1;
        }
    }

    fn select(&self, q: &Query) -> (Vec<HistoryEntry>, bool) {
        let sel: Vec<&MEntry> = self
            .entries
            .iter()
            .filter(|e| q.since_seq.is_none_or(|s| e.seq > s))
            .filter(|e| q.before_seq.is_none_or(|b| e.seq < b))
            .filter(|e| q.since_time.is_none_or(|t| e.wall >= t))
            .filter(|e| q.until_time.is_none_or(|t| e.wall < t))
            .filter(|e| q.for_client.as_ref().is_none_or(|c| e.reaches(c)))
            .filter(|e| {
                q.include_events
                    .as_ref()
                    .is_none_or(|i| i.contains(&e.event))
            })
            .filter(|e| {
                !q.exclude_events
                    .as_ref()
                    .is_some_and(|x| x.contains(&e.event))
            })
            .collect();
        let keep = q.limit.unwrap_or(usize::MAX).min(sel.len());
        let has_more = sel.len() > keep;
        let cap = match q.payload_size_cap {
            PayloadCap::RoomDefault => self.cfg.payload_size_cap,
            PayloadCap::Unlimited => None,
            PayloadCap::Bytes(n) => Some(n),
        };
        let out = sel[sel.len() - keep..]
            .iter()
            .map(|e| {
                let cut = cap.and_then(|c| e.payload.truncated(c));
                HistoryEntry {
                    event: e.event.as_str().into(),
                    truncated: cut.is_some(),
                    payload: cut.unwrap_or_else(|| e.payload.clone()),
                    timestamp: e.wall,
                    seq: e.seq,
                    action: Action::Create,
                    message_id: None,
                    version: None,
                    redacted: false,
                    deleted: false,
                }
            })
            .collect();
        (out, has_more)
    }
}

struct Model {
    rooms: HashMap<usize, MRoom>,
    budget: Option<usize>,
    now: u64,
    wall: f64,
    stamp: u64,
    lifetimes: u64,
}

impl Model {
    /// What an entry is charged: its own cost plus its delivery metadata's.
    fn cost(e: &MEntry) -> usize {
        Self::entry_cost(e)
            + e.target.as_ref().map_or(0, |(rooms, except)| {
                Delivery::new(rooms.clone(), except).budget_cost()
            })
    }

    /// The part a record is refused for when alone over the budget.
    fn entry_cost(e: &MEntry) -> usize {
        HistoryStore::budget_cost(e.payload.size(), &e.event)
    }

    fn enforce_budget(&mut self) {
        let Some(max) = self.budget else { return };
        loop {
            let total: usize = self
                .rooms
                .values()
                .flat_map(|r| &r.entries)
                .map(Self::cost)
                .sum();
            if total <= max {
                return;
            }
            let (&room, _) = self
                .rooms
                .iter()
                .filter(|(_, r)| !r.entries.is_empty())
                .min_by_key(|(_, r)| r.entries[0].stamp)
                .unwrap();
            let r = self.rooms.get_mut(&room).unwrap();
            r.entries.remove(0);
            r.ev_bytes += 1;
        }
    }

    fn stats(&mut self, room: usize) -> Option<(RoomStats, u64)> {
        let now = self.now;
        let r = self.rooms.get_mut(&room)?;
        r.expire(now);
        let stats = RoomStats {
            enabled: true,
            entries_count: r.entries.len(),
            bytes: r.bytes(),
            messages: 0,
            evictions_size: r.ev_size,
            evictions_time: r.ev_time,
            evictions_bytes: r.ev_bytes,
            rejected_oversize: r.rejected,
            record_errors: 0,
            recorded_total: r.last_seq,
            first_seq: r.entries.first().map(|e| e.seq),
            last_seq: r.last_seq,
            epoch: None, // compared through the lifetime instead
            config: Some(r.cfg.clone()),
        };
        Some((stats, r.lifetime))
    }
}

/// Apply `ops` to a store (with an optional budget) and to the model.
pub fn run(ops: Vec<Op>, budget: Option<usize>) -> Result<(), String> {
    let clock = Arc::new(ManualClock::new(1000.0));
    let store = HistoryStore::builder()
        .clock(clock.clone())
        .max_total_bytes(budget)
        .build()
        .unwrap();
    let mut m = Model {
        rooms: HashMap::new(),
        budget,
        now: 0,
        wall: 1000.0,
        stamp: 0,
        lifetimes: 0,
    };
    let mut epochs: HashMap<u64, Epoch> = HashMap::new();

    for op in ops {
        match op {
            Op::Enable(i, cfg) => {
                let (ns, room) = ROOMS[i];
                store.enable(ns, room, cfg.clone()).unwrap();
                let now = m.now;
                let lifetimes = &mut m.lifetimes;
                let r = m.rooms.entry(i).or_insert_with(|| {
                    *lifetimes += 1;
                    MRoom {
                        lifetime: *lifetimes,
                        ..MRoom::default()
                    }
                });
                r.cfg = cfg;
                r.expire(now);
                r.bound();
            }
            Op::Disable(i) => {
                let (ns, room) = ROOMS[i];
                ensure_eq!(store.disable(ns, room), m.rooms.remove(&i).is_some());
            }
            Op::Clear(i) => {
                let (ns, room) = ROOMS[i];
                let want = m
                    .rooms
                    .get_mut(&i)
                    .map_or(0, |r| std::mem::take(&mut r.entries).len());
                ensure_eq!(store.clear(ns, room), want);
            }
            Op::Record(i, e, payload, target) => {
                let (ns, room) = ROOMS[i];
                let got = match &target {
                    None => store.record(ns, room, EVENTS[e], payload.clone()),
                    Some((rooms, except)) => store.record_delivery(
                        ns,
                        room,
                        EVENTS[e],
                        payload.clone(),
                        Delivery::new(rooms.clone(), except),
                    ),
                };
                let (now, wall) = (m.now, m.wall);
                let want = match m.rooms.get_mut(&i) {
                    None => RecordOutcome::NotEnabled,
                    Some(r) => {
                        r.expire(now);
                        let entry = MEntry {
                            event: EVENTS[e].into(),
                            payload,
                            wall,
                            mono: now,
                            seq: r.last_seq + 1,
                            stamp: m.stamp,
                            target,
                        };
                        if r.cfg.max_bytes.is_some_and(|mb| entry.payload.size() > mb)
                            || budget.is_some_and(|b| Model::entry_cost(&entry) > b)
                        {
                            r.rejected += 1;
                            RecordOutcome::RejectedOversize
                        } else {
                            m.stamp += 1;
                            r.last_seq += 1;
                            r.entries.push(entry);
                            r.bound();
                            RecordOutcome::Recorded(r.last_seq)
                        }
                    }
                };
                m.enforce_budget();
                ensure_eq!(got, want);
            }
            Op::Fetch(i, q) => {
                let (ns, room) = ROOMS[i];
                let got = store.fetch(ns, room, &q);
                let now = m.now;
                let want = m.rooms.get_mut(&i).map_or(Vec::new(), |r| {
                    r.expire(now);
                    r.select(&q).0
                });
                // A replay's packets, encoded under the room's lock, are
                // the same read's entries encoded one by one.
                let style = socketio_history_core::JsonStyle::Compact;
                let packets: Vec<String> = store
                    .replay_packets(ns, room, &q, "sid", false, style)
                    .into_iter()
                    .map(|p| p.text)
                    .collect();
                let encoded: Vec<String> = want
                    .iter()
                    .map(|e| {
                        let p = socketio_history_core::event_packet(
                            ns, &e.event, &e.payload, None, style,
                        );
                        p.text
                    })
                    .collect();
                let mut visited = Vec::new();
                store.visit(ns, room, &q, |e| {
                    visited.push(e.to_entry());
                    true
                });
                ensure_eq!(got, want);
                ensure_eq!(visited, want);
                ensure_eq!(packets, encoded);
            }
            Op::Page(i, q, choice) => {
                let (ns, room) = ROOMS[i];
                let current = store.stats(ns, room).epoch;
                let epoch = match choice {
                    EpochChoice::None => None,
                    EpochChoice::Current => current.map(|e| e.to_string()),
                    EpochChoice::Other => Some("not-an-epoch".to_string()),
                };
                let got = store.page(ns, room, &q, epoch.as_deref());
                let now = m.now;
                let want = match m.rooms.get_mut(&i) {
                    None => Page {
                        entries: vec![],
                        epoch: None,
                        first_seq: None,
                        last_seq: 0,
                        has_more: false,
                        gap: epoch.is_some() || q.since_seq.is_some_and(|s| s > 0),
                    },
                    Some(r) => {
                        r.expire(now);
                        let (entries, has_more) = r.select(&q);
                        let oldest = r.entries.first().map_or(r.last_seq + 1, |e| e.seq);
                        Page {
                            entries,
                            epoch: current,
                            first_seq: r.entries.first().map(|e| e.seq),
                            last_seq: r.last_seq,
                            has_more,
                            gap: matches!(choice, EpochChoice::Other)
                                || q.since_seq
                                    .is_some_and(|s| s + 1 < oldest || s > r.last_seq),
                        }
                    }
                };
                let mut visited = Vec::new();
                let signals = store.visit_page(ns, room, &q, epoch.as_deref(), |e| {
                    visited.push(e.to_entry());
                    true
                });
                ensure_eq!(got, want);
                ensure_eq!(
                    Page {
                        entries: visited,
                        ..signals
                    },
                    want
                );
            }
            Op::Advance(ms) => {
                clock.advance(Duration::from_millis(ms));
                m.now += ms * 1_000_000;
                m.wall += ms as f64 / 1000.0;
            }
        }
        // After every step, every room's stats agree, and the epoch is the
        // same exactly as long as the lifetime is.
        for (i, (ns, room)) in ROOMS.iter().enumerate() {
            let mut got = store.stats(ns, room);
            match m.stats(i) {
                None => ensure_eq!(got, disabled_stats()),
                Some((want, lifetime)) => {
                    let epoch = got.epoch.take().unwrap();
                    ensure_eq!(*epochs.entry(lifetime).or_insert(epoch), epoch);
                    ensure_eq!(got, want);
                }
            }
        }
        // The store-wide byte count is the sum of what the rooms hold (and
        // nothing is counted without a budget).
        let held: usize = m
            .rooms
            .values()
            .flat_map(|r| &r.entries)
            .map(Model::cost)
            .sum();
        ensure_eq!(
            store.total_bytes(),
            if budget.is_some() { held } else { 0 },
            "total_bytes"
        );
    }
    let distinct: std::collections::HashSet<_> = epochs.values().collect();
    ensure_eq!(
        distinct.len(),
        epochs.len(),
        "every lifetime has its own epoch"
    );
    Ok(())
}

fn disabled_stats() -> RoomStats {
    RoomStats {
        enabled: false,
        entries_count: 0,
        bytes: 0,
        messages: 0,
        evictions_size: 0,
        evictions_time: 0,
        evictions_bytes: 0,
        rejected_oversize: 0,
        record_errors: 0,
        recorded_total: 0,
        first_seq: None,
        last_seq: 0,
        epoch: None,
        config: None,
    }
}
