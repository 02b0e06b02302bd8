//! Model-based test: random operation sequences run against the store and
//! against a deliberately naive model (a `Vec` per room, linear scans, the
//! store-wide budget by scanning every entry), comparing every result and
//! every room's stats after every step.

use proptest::prelude::*;
use socketio_history_core::{
    Epoch, HistoryEntry, HistoryStore, ManualClock, Page, Payload, Query, RecordOutcome,
    RoomConfig, RoomStats,
};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

const ROOMS: [(&str, &str); 3] = [("/", "a"), ("/", "b"), ("/chat", "a")];
const EVENTS: [&str; 3] = ["x", "y", "z"];

#[derive(Debug, Clone)]
enum Op {
    Enable(usize, RoomConfig),
    Disable(usize),
    Clear(usize),
    Record(usize, usize, Payload),
    Fetch(usize, Query),
    Page(usize, Query, EpochChoice),
    Advance(u64),
}

#[derive(Debug, Clone, Copy)]
enum EpochChoice {
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
            .filter(|e| q.since_seq.map_or(true, |s| e.seq > s))
            .filter(|e| q.before_seq.map_or(true, |b| e.seq < b))
            .filter(|e| {
                q.include_events
                    .as_ref()
                    .map_or(true, |i| i.contains(&e.event))
            })
            .filter(|e| {
                !q.exclude_events
                    .as_ref()
                    .is_some_and(|x| x.contains(&e.event))
            })
            .collect();
        let keep = q.limit.unwrap_or(usize::MAX).min(sel.len());
        let has_more = sel.len() > keep;
        let cap = q.payload_size_cap.or(self.cfg.payload_size_cap);
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
    fn cost(e: &MEntry) -> usize {
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

fn config() -> impl Strategy<Value = RoomConfig> {
    (
        1usize..6,
        prop_oneof![Just(None), (1u64..6).prop_map(Some)],
        prop_oneof![Just(None), (4usize..40).prop_map(Some)],
        prop_oneof![Just(None), (0usize..12).prop_map(Some)],
    )
        .prop_map(|(n, ttl, bytes, cap)| {
            RoomConfig::default()
                .max_entries(n)
                .retention(ttl.map(Duration::from_secs))
                .max_bytes(bytes)
                .payload_size_cap(cap)
        })
}

fn payload() -> impl Strategy<Value = Payload> {
    prop_oneof![
        "[aé€]{0,8}".prop_map(Payload::text),
        proptest::collection::vec(any::<u8>(), 0..10).prop_map(Payload::bytes),
        (any::<i32>(), "[a-z\"]{0,4}").prop_map(|(n, s)| {
            Payload::from_json(&serde_json::json!({ "n": n, "s": s }).to_string()).unwrap()
        }),
        ("[ab]{0,3}", any::<bool>()).prop_map(|(s, b)| {
            Payload::args_from_json(&serde_json::json!([s, b]).to_string()).unwrap()
        }),
    ]
}

fn events() -> impl Strategy<Value = Option<Vec<String>>> {
    prop_oneof![
        Just(None),
        proptest::sample::subsequence(EVENTS.to_vec(), 0..=3)
            .prop_map(|v| Some(v.into_iter().map(String::from).collect())),
    ]
}

fn query() -> impl Strategy<Value = Query> {
    (
        prop_oneof![Just(None), (0usize..5).prop_map(Some)],
        prop_oneof![Just(None), (0u64..14).prop_map(Some)],
        prop_oneof![Just(None), (0u64..14).prop_map(Some)],
        events(),
        events(),
        prop_oneof![Just(None), (0usize..12).prop_map(Some)],
    )
        .prop_map(|(limit, since, before, inc, exc, cap)| Query {
            limit,
            since_seq: since,
            before_seq: before,
            include_events: inc,
            exclude_events: exc,
            payload_size_cap: cap,
        })
}

fn op() -> impl Strategy<Value = Op> {
    let room = 0..ROOMS.len();
    prop_oneof![
        2 => (room.clone(), config()).prop_map(|(r, c)| Op::Enable(r, c)),
        1 => room.clone().prop_map(Op::Disable),
        1 => room.clone().prop_map(Op::Clear),
        8 => (room.clone(), 0..EVENTS.len(), payload()).prop_map(|(r, e, p)| Op::Record(r, e, p)),
        3 => (room.clone(), query()).prop_map(|(r, q)| Op::Fetch(r, q)),
        2 => (room, query(), prop_oneof![Just(EpochChoice::None), Just(EpochChoice::Current), Just(EpochChoice::Other)])
            .prop_map(|(r, q, e)| Op::Page(r, q, e)),
        // Whole seconds too, so ages land exactly on the (whole-second) TTLs.
        2 => prop_oneof![0u64..3000, (1u64..4).prop_map(|s| s * 1000)].prop_map(Op::Advance),
    ]
}

fn run(ops: Vec<Op>, budget: Option<usize>) -> Result<(), TestCaseError> {
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
                prop_assert_eq!(store.disable(ns, room), m.rooms.remove(&i).is_some());
            }
            Op::Clear(i) => {
                let (ns, room) = ROOMS[i];
                let want = m
                    .rooms
                    .get_mut(&i)
                    .map_or(0, |r| std::mem::take(&mut r.entries).len());
                prop_assert_eq!(store.clear(ns, room), want);
            }
            Op::Record(i, e, payload) => {
                let (ns, room) = ROOMS[i];
                let got = store.record(ns, room, EVENTS[e], payload.clone());
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
                        };
                        if r.cfg.max_bytes.is_some_and(|mb| entry.payload.size() > mb)
                            || budget.is_some_and(|b| Model::cost(&entry) > b)
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
                prop_assert_eq!(got, want);
            }
            Op::Fetch(i, q) => {
                let (ns, room) = ROOMS[i];
                let got = store.fetch(ns, room, &q);
                let now = m.now;
                let want = m.rooms.get_mut(&i).map_or(Vec::new(), |r| {
                    r.expire(now);
                    r.select(&q).0
                });
                prop_assert_eq!(got, want);
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
                prop_assert_eq!(got, want);
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
                None => prop_assert_eq!(got, RoomStats::disabled_for_tests()),
                Some((want, lifetime)) => {
                    let epoch = got.epoch.take().unwrap();
                    prop_assert_eq!(*epochs.entry(lifetime).or_insert(epoch), epoch);
                    prop_assert_eq!(got, want);
                }
            }
        }
        if budget.is_some() {
            let total: usize = m
                .rooms
                .values()
                .flat_map(|r| &r.entries)
                .map(Model::cost)
                .sum();
            prop_assert_eq!(store.total_bytes(), total);
        }
    }
    let distinct: std::collections::HashSet<_> = epochs.values().collect();
    prop_assert_eq!(
        distinct.len(),
        epochs.len(),
        "every lifetime has its own epoch"
    );
    Ok(())
}

trait DisabledStats {
    fn disabled_for_tests() -> RoomStats;
}

impl DisabledStats for RoomStats {
    fn disabled_for_tests() -> RoomStats {
        RoomStats {
            enabled: false,
            entries_count: 0,
            bytes: 0,
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
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn store_matches_naive_model(ops in proptest::collection::vec(op(), 1..80)) {
        run(ops, None)?;
    }

    #[test]
    fn store_with_budget_matches_naive_model(
        ops in proptest::collection::vec(op(), 1..80),
        entries in 1usize..8,
    ) {
        // A budget of a few entries, so global eviction happens often.
        run(ops, Some(entries * HistoryStore::budget_cost(8, "x")))?;
    }
}
