//! Threads recording into shared and distinct rooms while others fetch and
//! reconfigure. Afterwards (and in every fetch on the way) seqs are gap-free
//! and each thread's records are in the order it made them.

use socketio_history_core::{HistoryEntry, HistoryStore, Payload, Query, RoomConfig};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

const WRITERS: usize = 4;
const PER_WRITER: u64 = 5_000;

fn payload(writer: usize, n: u64) -> Payload {
    Payload::text(format!("{writer}:{n}"))
}

fn parse(e: &HistoryEntry) -> (usize, u64) {
    let (w, n) = e.payload.as_text().unwrap().split_once(':').unwrap();
    (w.parse().unwrap(), n.parse().unwrap())
}

/// Consecutive seqs, and per writer strictly increasing counters.
fn assert_ordered(entries: &[HistoryEntry]) {
    for pair in entries.windows(2) {
        assert_eq!(pair[1].seq, pair[0].seq + 1, "seq gap");
    }
    let mut last: HashMap<usize, u64> = HashMap::new();
    for e in entries {
        let (w, n) = parse(e);
        if let Some(prev) = last.insert(w, n) {
            assert!(n > prev, "writer {w}: {n} after {prev}");
        }
    }
}

#[test]
fn concurrent_records_fetches_and_reconfigures_keep_order() {
    let store = Arc::new(HistoryStore::new());
    let big = RoomConfig::default().max_entries(WRITERS * PER_WRITER as usize);
    store.enable("/", "shared", big.clone()).unwrap();
    for w in 0..WRITERS {
        store.enable("/", &format!("own{w}"), big.clone()).unwrap();
    }
    // A room whose bounds change under the writers' feet.
    store.enable("/", "churn", RoomConfig::default()).unwrap();
    let done = Arc::new(AtomicBool::new(false));

    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let store = store.clone();
            thread::spawn(move || {
                for n in 0..PER_WRITER {
                    store.record("/", "shared", "e", payload(w, n));
                    store.record("/", &format!("own{w}"), "e", payload(w, n));
                    store.record("/", "churn", "e", payload(w, n));
                }
            })
        })
        .collect();
    let reader = {
        let (store, done) = (store.clone(), done.clone());
        thread::spawn(move || {
            let mut reads = 0;
            while !done.load(Ordering::Acquire) {
                assert_ordered(&store.fetch("/", "shared", &Query::new().limit(Some(500))));
                assert_ordered(&store.fetch("/", "churn", &Query::new()));
                reads += 1;
            }
            reads
        })
    };
    let reconfigurer = {
        let (store, done) = (store.clone(), done.clone());
        thread::spawn(move || {
            let mut i = 0usize;
            while !done.load(Ordering::Acquire) {
                let cfg = RoomConfig::default().max_entries(1 + i % 50);
                store.enable("/", "churn", cfg).unwrap();
                let st = store.stats("/", "churn");
                assert!(st.entries_count <= 50);
                i += 1;
            }
        })
    };
    for w in writers {
        w.join().unwrap();
    }
    done.store(true, Ordering::Release);
    assert!(reader.join().unwrap() > 0);
    reconfigurer.join().unwrap();

    let total = WRITERS as u64 * PER_WRITER;
    let shared = store.fetch("/", "shared", &Query::new());
    assert_eq!(shared.len() as u64, total, "nothing lost");
    assert_eq!(shared[0].seq, 1);
    assert_ordered(&shared);
    for w in 0..WRITERS {
        let own = store.fetch("/", &format!("own{w}"), &Query::new());
        assert_eq!(own.len() as u64, PER_WRITER);
        assert_ordered(&own);
    }
    let churn = store.stats("/", "churn");
    assert_eq!(churn.last_seq, total);
    assert_eq!(churn.evictions_size + churn.entries_count as u64, total);
    assert_ordered(&store.fetch("/", "churn", &Query::new()));
}

#[test]
fn concurrent_enable_disable_and_budget_keep_the_budget() {
    let cost = HistoryStore::budget_cost(8, "e");
    let budget = 200 * cost;
    let store = Arc::new(
        HistoryStore::builder()
            .max_total_bytes(Some(budget))
            .build()
            .unwrap(),
    );
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let store = store.clone();
            thread::spawn(move || {
                for i in 0..3_000u32 {
                    let room = format!("r{}", (i as usize * 7 + t) % 40);
                    match i % 10 {
                        0 => drop(store.enable("/", &room, RoomConfig::default())),
                        1 => drop(store.disable("/", &room)),
                        2 => drop(store.clear("/", &room)),
                        3 => assert_ordered_seqs(&store.fetch("/", &room, &Query::new())),
                        _ => drop(store.record("/", &room, "e", Payload::text("12345678"))),
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert!(store.total_bytes() <= budget);
    let held: usize = store
        .rooms()
        .iter()
        .map(|(ns, r)| store.stats(ns, r).entries_count)
        .sum();
    assert_eq!(
        store.total_bytes(),
        held * cost,
        "accounting matches what is held"
    );
}

fn assert_ordered_seqs(entries: &[HistoryEntry]) {
    for pair in entries.windows(2) {
        assert_eq!(pair[1].seq, pair[0].seq + 1);
    }
}

/// Threads enabling (with changing bounds) and disabling the same few rooms
/// while others record into them: however they interleave, once every room
/// is disabled nothing is charged against the budget. (Two threads enabling
/// one room at once used to leave evicted bytes charged forever.)
#[test]
fn racing_enables_leave_nothing_charged() {
    const ROOMS: [&str; 4] = ["a", "b", "c", "d"];
    let store = Arc::new(
        HistoryStore::builder()
            .max_total_bytes(Some(1 << 30))
            .build()
            .unwrap(),
    );
    let enablers = (0..3).map(|t| {
        let store = store.clone();
        thread::spawn(move || {
            for i in 0..20_000usize {
                let room = ROOMS[(i + t) % ROOMS.len()];
                if i % 5 == 0 {
                    store.disable("/", room);
                } else {
                    let config = RoomConfig::default().max_entries(1 + (i * 7 + t) % 8);
                    store.enable("/", room, config).unwrap();
                }
            }
        })
    });
    let recorders = (0..3).map(|t| {
        let store = store.clone();
        thread::spawn(move || {
            for i in 0..20_000usize {
                let room = ROOMS[(i * 3 + t) % ROOMS.len()];
                store.record("/", room, "e", Payload::text("0123456789abcdef"));
            }
        })
    });
    let threads: Vec<_> = enablers.chain(recorders).collect();
    for t in threads {
        t.join().unwrap();
    }
    for room in ROOMS {
        store.disable("/", room);
    }
    assert_eq!(store.total_bytes(), 0);
}
