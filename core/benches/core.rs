//! Core micro-benchmarks. Run with `make bench-core` (or `cargo bench -p
//! socketio-history`); `benches/report.py` turns the results into the table
//! in BENCHMARKS.md, with each measurement's ratio to its floor.
//!
//! * `record/*`: one record into a full 1,000-entry room (100-byte text
//!   payload, so every record also evicts), next to `record/floor`: a bare
//!   `VecDeque` push of a pre-built entry with the same payload copy — the
//!   physical lower bound of "keep a bounded log"; `record/floor_with_clock`
//!   adds the one clock read a record needs; `record/core_coarse_clock` is a
//!   record on a store with the opt-in `CoarseClock`.
//! * `fetch/*`: the newest 100 of a 10,000-entry room, without and with an
//!   event filter (10 event names, the filter keeps one).
//! * `messages/*`: an append of a 6-byte token to a streamed message next to
//!   a plain record of the same token (both into a full 1,000-entry room),
//!   and the latest view of a room of 100 messages (10 appends each) next to
//!   the newest 100 entries of its log.
//! * `durable/*`: a record into a full 1,000-entry room of a durable store
//!   (`SyncPolicy::Interval`: one `write(2)` per record), and opening a
//!   directory that holds 1,000,000 such entries (replay included). The
//!   bench also writes `target/bench/durable.json`: the files' bytes after
//!   1,000,000 records churned through a 100,000-entry room, against the
//!   bytes retained.
//! * `replay/*`: the packets that replay the newest 100 of a 10,000-entry
//!   room of the Python benchmark's 207-byte dict payload, encoded as
//!   python-socketio would (`packets_100`), next to the plain read of the
//!   same entries (`fetch_100`).
#![allow(missing_docs)]

use criterion::{
    black_box, criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput,
};
use socketio_history_core::{
    Auth, Clock, CoarseClock, HistoryStore, JsonStyle, ManualClock, Payload, Query, RoomConfig,
    SystemClock, View,
};
use std::collections::VecDeque;
use std::sync::Arc;

const PAYLOAD: &str = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzAB";

fn fill(store: &HistoryStore, room: &str, max_entries: usize, count: usize, events: usize) {
    store
        .enable("/", room, RoomConfig::default().max_entries(max_entries))
        .unwrap();
    for i in 0..count {
        let event = format!("event{}", i % events);
        store.record("/", room, &event, Payload::text(PAYLOAD));
    }
}

fn store_with(room: &str, max_entries: usize, count: usize, events: usize) -> HistoryStore {
    let store = HistoryStore::new();
    fill(&store, room, max_entries, count, events);
    store
}

fn record(c: &mut Criterion) {
    assert_eq!(PAYLOAD.len(), 100);
    let mut g = c.benchmark_group("record");
    g.throughput(Throughput::Elements(1));

    let store = store_with("room", 1000, 1000, 1);
    g.bench_function("core", |b| {
        b.iter(|| {
            store.record(
                "/",
                "room",
                black_box("event0"),
                Payload::text(black_box(PAYLOAD)),
            )
        })
    });

    // Where the time goes: the room lookup and its two uncontended locks,
    // a record with a clock that costs nothing, and the clock read alone.
    g.bench_function("lookup_and_locks", |b| {
        b.iter(|| store.is_enabled("/", black_box("room")))
    });
    let manual = HistoryStore::builder()
        .clock(Arc::new(ManualClock::new(0.0)))
        .build()
        .unwrap();
    fill(&manual, "room", 1000, 1000, 1);
    g.bench_function("core_without_clock", |b| {
        b.iter(|| {
            manual.record(
                "/",
                "room",
                black_box("event0"),
                Payload::text(black_box(PAYLOAD)),
            )
        })
    });
    let clock = SystemClock::new();
    g.bench_function("clock_read", |b| b.iter(|| clock.now()));

    // The opt-in coarse clock (`CoarseClock`): a record, and its read alone.
    let coarse = HistoryStore::builder()
        .clock(Arc::new(CoarseClock::new()))
        .build()
        .unwrap();
    fill(&coarse, "room", 1000, 1000, 1);
    g.bench_function("core_coarse_clock", |b| {
        b.iter(|| {
            coarse.record(
                "/",
                "room",
                black_box("event0"),
                Payload::text(black_box(PAYLOAD)),
            )
        })
    });
    let coarse_clock = CoarseClock::new();
    g.bench_function("coarse_clock_read", |b| b.iter(|| coarse_clock.now()));

    // The floor: what any bounded log must do at least — copy the payload
    // into a new allocation and push it, dropping the oldest.
    let event: Arc<str> = Arc::from("event0");
    let mut ring: VecDeque<(Arc<str>, Box<str>, f64, u64)> = VecDeque::with_capacity(1000);
    for i in 0..1000 {
        ring.push_back((event.clone(), PAYLOAD.into(), 0.0, i));
    }
    let mut seq = 1000u64;
    g.bench_function("floor", |b| {
        b.iter(|| {
            seq += 1;
            ring.pop_front();
            ring.push_back((event.clone(), Box::from(black_box(PAYLOAD)), 0.0, seq));
        })
    });

    // The floor plus the one monotonic clock read every record needs (for
    // age-based retention and the timestamp): shows how much of the gap is
    // the clock alone on this machine.
    let origin = std::time::Instant::now();
    g.bench_function("floor_with_clock", |b| {
        b.iter(|| {
            seq += 1;
            let t = origin.elapsed().as_secs_f64();
            ring.pop_front();
            ring.push_back((event.clone(), Box::from(black_box(PAYLOAD)), t, seq));
        })
    });
    g.finish();
}

fn fetch(c: &mut Criterion) {
    let mut g = c.benchmark_group("fetch");
    let store = store_with("room", 10_000, 10_000, 10);
    let newest = Query::new().limit(Some(100));
    let filtered = Query::new().limit(Some(100)).include_events(["event3"]);
    assert_eq!(store.fetch("/", "room", &filtered).len(), 100);
    g.throughput(Throughput::Elements(100));
    g.bench_function("newest_100", |b| {
        b.iter(|| store.fetch("/", "room", black_box(&newest)))
    });
    g.bench_function("newest_100_filtered", |b| {
        b.iter_batched(
            || filtered.clone(),
            |q| store.fetch("/", "room", &q),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

/// Cost as a room grows (100 → 1,000,000 entries) and as rooms multiply
/// (1 → 100,000): both should stay flat.
fn scaling(c: &mut Criterion) {
    let mut g = c.benchmark_group("scaling");
    g.sample_size(30);
    for size in [100usize, 10_000, 1_000_000] {
        let store = store_with("room", size, size, 10);
        g.bench_with_input(BenchmarkId::new("record_room_size", size), &size, |b, _| {
            b.iter(|| store.record("/", "room", "event0", Payload::text(black_box(PAYLOAD))))
        });
        let newest = Query::new().limit(Some(100));
        g.bench_with_input(
            BenchmarkId::new("fetch_100_room_size", size),
            &size,
            |b, _| b.iter(|| store.fetch("/", "room", black_box(&newest))),
        );
    }
    for rooms in [1usize, 100, 10_000, 100_000] {
        let store = HistoryStore::new();
        let names: Vec<String> = (0..rooms).map(|i| format!("room{i}")).collect();
        for name in &names {
            fill(&store, name, 10, 10, 1);
        }
        let mut i = 0usize;
        g.bench_with_input(BenchmarkId::new("record_rooms", rooms), &rooms, |b, _| {
            b.iter(|| {
                i = (i + 1) % rooms;
                store.record("/", &names[i], "event0", Payload::text(black_box(PAYLOAD)))
            })
        });
    }
    g.finish();
}

fn messages(c: &mut Criterion) {
    let mut g = c.benchmark_group("messages");
    g.throughput(Throughput::Elements(1));
    // No message limits: millions of appends land in one message.
    let unlimited = RoomConfig::default()
        .max_entries(1000)
        .max_message_bytes(usize::MAX)
        .max_appends(usize::MAX);
    let store = HistoryStore::new();
    store.enable("/", "room", unlimited.clone()).unwrap();
    store
        .create_message("/", "room", "answer", Payload::text(""), Some("m"), None)
        .unwrap();
    let server = Auth::server();
    g.bench_function("append", |b| {
        b.iter(|| {
            store
                .append_message("/", "room", "m", black_box("token "), false, &server)
                .unwrap()
        })
    });
    let plain = store_with("room", 1000, 1000, 1);
    g.bench_function("record_same_token", |b| {
        b.iter(|| {
            plain.record(
                "/",
                "room",
                black_box("answer"),
                Payload::text(black_box("token ")),
            )
        })
    });

    let store = HistoryStore::new();
    store
        .enable("/", "room", unlimited.max_entries(10_000))
        .unwrap();
    for i in 0..100 {
        let id = format!("m{i}");
        store
            .create_message("/", "room", "answer", Payload::text(""), Some(&id), None)
            .unwrap();
        for _ in 0..10 {
            store
                .append_message("/", "room", &id, "token ", false, &server)
                .unwrap();
        }
    }
    let latest = Query::new().view(View::Latest);
    assert_eq!(store.fetch("/", "room", &latest).len(), 100);
    g.bench_function("latest_view_100_messages", |b| {
        b.iter(|| store.fetch("/", "room", black_box(&latest)))
    });
    let log = Query::new().limit(Some(100));
    g.bench_function("log_newest_100", |b| {
        b.iter(|| store.fetch("/", "room", black_box(&log)))
    });
    g.finish();
}

fn replay(c: &mut Criterion) {
    let mut g = c.benchmark_group("replay");
    let store = HistoryStore::new();
    store
        .enable("/", "room", RoomConfig::default().max_entries(10_000))
        .unwrap();
    let payload = Payload::from_json(&format!(
        r#"{{"user":"alice","text":"{}","ts":1700000000.123,"tags":["general","release"],"id":123456}}"#,
        "x".repeat(120)
    ))
    .unwrap();
    for i in 0..10_000 {
        store.record("/", "room", &format!("event{}", i % 10), payload.clone());
    }
    let q = Query::new().limit(Some(100)).view(View::Replay);
    let style = JsonStyle::PythonAscii;
    assert_eq!(
        store
            .replay_packets("/", "room", &q, "sid", false, style)
            .len(),
        100
    );
    g.throughput(Throughput::Elements(100));
    g.bench_function("packets_100", |b| {
        b.iter(|| store.replay_packets("/", "room", black_box(&q), "sid", false, style))
    });
    g.bench_function("fetch_100", |b| {
        b.iter(|| store.fetch("/", "room", black_box(&q)))
    });
    g.finish();
}

fn bench_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sioh-bench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn disk_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".journal"))
        .map(|e| e.metadata().unwrap().len())
        .sum()
}

fn durable(c: &mut Criterion) {
    let mut g = c.benchmark_group("durable");
    g.throughput(Throughput::Elements(1));
    let dir = bench_dir("record");
    let store = HistoryStore::builder().path(Some(&dir)).build().unwrap();
    fill(&store, "room", 1000, 1000, 1);
    g.bench_function("record_interval", |b| {
        b.iter(|| {
            store.record("/", "room", black_box("event0"), Payload::text(PAYLOAD));
        })
    });
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);

    // Churn: 1,000,000 records through a 100,000-entry room; the files
    // against what is retained (payload + event name per entry).
    let dir = bench_dir("churn");
    let store = HistoryStore::builder()
        .path(Some(&dir))
        .sync_interval(std::time::Duration::from_millis(50))
        .build()
        .unwrap();
    fill(&store, "room", 100_000, 1_000_000, 1);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let retained = 100_000u64 * (PAYLOAD.len() + "event0".len()) as u64;
    let after_churn = disk_bytes(&dir);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);

    // Reopen: a directory holding 1,000,000 entries (written once).
    let dir = bench_dir("reopen");
    let store = HistoryStore::builder().path(Some(&dir)).build().unwrap();
    fill(&store, "room", 1_000_000, 1_000_000, 1);
    drop(store);
    let reopen_disk = disk_bytes(&dir);
    g.sample_size(10);
    g.throughput(Throughput::Elements(1_000_000));
    g.bench_function("reopen_1m", |b| {
        b.iter(|| {
            let s = HistoryStore::builder().path(Some(&dir)).build().unwrap();
            assert_eq!(s.stats("/", "room").entries_count, 1_000_000);
            s
        })
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(
        out.join("durable.json"),
        format!(
            r#"{{"churn_disk_bytes":{after_churn},"churn_retained_bytes":{retained},"reopen_disk_bytes":{reopen_disk}}}"#
        ),
    )
    .unwrap();
}

criterion_group!(benches, record, fetch, scaling, messages, replay, durable);
criterion_main!(benches);
