//! One test per rule of CONTRACT.md (the core's rules), through the public API only.

use socketio_history_core::{
    HistoryError, HistoryStore, ManualClock, Payload, PayloadKind, Query, RecordOutcome,
    RoomConfig, ValueWriter,
};
use std::sync::Arc;
use std::time::Duration;

const NS: &str = "/";

fn store() -> (HistoryStore, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(1_700_000_000.0));
    let store = HistoryStore::builder()
        .clock(clock.clone())
        .build()
        .unwrap();
    (store, clock)
}

fn budget_store(max: usize) -> (HistoryStore, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(1_700_000_000.0));
    let store = HistoryStore::builder()
        .clock(clock.clone())
        .max_total_bytes(Some(max))
        .build()
        .unwrap();
    (store, clock)
}

fn enabled(cfg: RoomConfig) -> (HistoryStore, Arc<ManualClock>) {
    let (s, c) = store();
    s.enable(NS, "r", cfg).unwrap();
    (s, c)
}

fn rec(s: &HistoryStore, event: &str, text: &str) -> RecordOutcome {
    s.record(NS, "r", event, Payload::text(text))
}

fn seqs(s: &HistoryStore, q: &Query) -> Vec<u64> {
    s.fetch(NS, "r", q).iter().map(|e| e.seq).collect()
}

fn texts(s: &HistoryStore, q: &Query) -> Vec<String> {
    s.fetch(NS, "r", q)
        .iter()
        .map(|e| e.payload.as_text().unwrap().to_owned())
        .collect()
}

// ---- keys and opt-in ----

#[test]
fn history_is_per_namespace_and_room() {
    let (s, _) = store();
    s.enable("/", "r", RoomConfig::default()).unwrap();
    s.enable("/chat", "r", RoomConfig::default()).unwrap();
    s.record("/", "r", "e", "root".into());
    s.record("/chat", "r", "e", "chat".into());
    assert_eq!(
        s.fetch("/", "r", &Query::new())[0].payload.as_text(),
        Some("root")
    );
    assert_eq!(
        s.fetch("/chat", "r", &Query::new())[0].payload.as_text(),
        Some("chat")
    );
    assert!(s.fetch("/other", "r", &Query::new()).is_empty());
}

#[test]
fn similar_keys_do_not_collide() {
    let (s, _) = store();
    s.enable("/a", "bc", RoomConfig::default()).unwrap();
    assert!(!s.is_enabled("/ab", "c"));
}

#[test]
fn disabled_room_records_nothing_and_reads_empty() {
    let (s, _) = store();
    assert_eq!(rec(&s, "e", "x"), RecordOutcome::NotEnabled);
    assert!(s.fetch(NS, "r", &Query::new()).is_empty());
    let st = s.stats(NS, "r");
    assert!(!st.enabled);
    assert_eq!(st.entries_count, 0);
    assert_eq!(st.last_seq, 0);
    assert_eq!(st.epoch, None);
    // Nothing was kept for later either.
    s.enable(NS, "r", RoomConfig::default()).unwrap();
    assert!(s.fetch(NS, "r", &Query::new()).is_empty());
}

// ---- enable / reconfigure ----

#[test]
fn reenabling_reconfigures_in_place_keeping_entries_seq_and_epoch() {
    let (s, _) = enabled(RoomConfig::default());
    rec(&s, "e", "a");
    rec(&s, "e", "b");
    let epoch = s.stats(NS, "r").epoch;
    s.enable(NS, "r", RoomConfig::default().max_entries(10))
        .unwrap();
    assert_eq!(seqs(&s, &Query::new()), [1, 2]);
    assert_eq!(rec(&s, "e", "c"), RecordOutcome::Recorded(3));
    let st = s.stats(NS, "r");
    assert_eq!(st.epoch, epoch);
    assert_eq!(st.config.unwrap().max_entries, 10);
}

#[test]
fn smaller_max_entries_evicts_oldest_at_once_as_size_evictions() {
    let (s, _) = enabled(RoomConfig::default());
    for t in ["a", "b", "c", "d"] {
        rec(&s, "e", t);
    }
    s.enable(NS, "r", RoomConfig::default().max_entries(2))
        .unwrap();
    let st = s.stats(NS, "r");
    assert_eq!(st.entries_count, 2);
    assert_eq!(st.evictions_size, 2);
    assert_eq!(texts(&s, &Query::new()), ["c", "d"]);
}

#[test]
fn smaller_max_bytes_evicts_oldest_at_once_as_byte_evictions() {
    let (s, _) = enabled(RoomConfig::default());
    for t in ["aaa", "bbb", "ccc"] {
        rec(&s, "e", t);
    }
    s.enable(NS, "r", RoomConfig::default().max_bytes(Some(6)))
        .unwrap();
    let st = s.stats(NS, "r");
    assert_eq!((st.entries_count, st.bytes, st.evictions_bytes), (2, 6, 1));
}

#[test]
fn new_retention_applies_to_entries_already_held() {
    let (s, c) = enabled(RoomConfig::default());
    rec(&s, "e", "old");
    c.advance(Duration::from_secs(10));
    rec(&s, "e", "new");
    s.enable(
        NS,
        "r",
        RoomConfig::default().retention(Some(Duration::from_secs(5))),
    )
    .unwrap();
    assert_eq!(texts(&s, &Query::new()), ["new"]);
    assert_eq!(s.stats(NS, "r").evictions_time, 1);
}

// ---- disable / re-enable ----

#[test]
fn disable_drops_entries() {
    let (s, _) = enabled(RoomConfig::default());
    rec(&s, "e", "a");
    assert!(s.disable(NS, "r"));
    assert!(!s.is_enabled(NS, "r"));
    assert!(s.fetch(NS, "r", &Query::new()).is_empty());
    assert!(!s.disable(NS, "r"), "disabling twice is harmless");
}

#[test]
fn reenable_after_disable_starts_a_fresh_lifetime() {
    let (s, _) = enabled(RoomConfig::default().max_entries(1));
    rec(&s, "e", "a");
    rec(&s, "e", "b");
    let before = s.stats(NS, "r");
    assert_eq!(before.evictions_size, 1);
    s.disable(NS, "r");
    s.enable(NS, "r", RoomConfig::default()).unwrap();
    let after = s.stats(NS, "r");
    assert_eq!(after.entries_count, 0);
    assert_eq!(after.evictions_size, 0);
    assert_eq!(after.last_seq, 0);
    assert_ne!(after.epoch, before.epoch);
    assert_eq!(rec(&s, "e", "c"), RecordOutcome::Recorded(1));
}

// ---- entries ----

#[test]
fn entries_carry_event_payload_wall_timestamp_and_seq() {
    let (s, c) = enabled(RoomConfig::default());
    rec(&s, "chat", "hi");
    c.advance(Duration::from_millis(1500));
    s.record(NS, "r", "bin", Payload::bytes(vec![0, 1]));
    let e = s.fetch(NS, "r", &Query::new());
    assert_eq!(&*e[0].event, "chat");
    assert_eq!(e[0].payload.as_text(), Some("hi"));
    assert_eq!(e[0].timestamp, 1_700_000_000.0);
    assert_eq!(e[0].seq, 1);
    assert!(!e[0].truncated);
    assert_eq!(e[1].payload.as_bytes(), Some(&[0u8, 1][..]));
    assert_eq!(e[1].timestamp, 1_700_000_001.5);
    assert_eq!(e[1].seq, 2);
}

#[test]
fn seq_is_one_based_and_gap_free_across_evictions() {
    let (s, _) = enabled(RoomConfig::default().max_entries(3));
    for i in 1..=10u64 {
        assert_eq!(rec(&s, "e", "x"), RecordOutcome::Recorded(i));
    }
    assert_eq!(seqs(&s, &Query::new()), [8, 9, 10]);
}

#[test]
fn epochs_differ_between_rooms_and_stores() {
    let (s, _) = store();
    s.enable(NS, "a", RoomConfig::default()).unwrap();
    s.enable(NS, "b", RoomConfig::default()).unwrap();
    let (t, _) = store();
    t.enable(NS, "a", RoomConfig::default()).unwrap();
    let a = s.stats(NS, "a").epoch.unwrap();
    assert_ne!(Some(a), s.stats(NS, "b").epoch);
    assert_ne!(Some(a), t.stats(NS, "a").epoch);
    assert_eq!(a.as_str().len(), 12);
}

#[test]
fn record_at_overrides_the_timestamp_and_rejects_non_finite_ones() {
    let (s, _) = enabled(RoomConfig::default());
    s.record_at(NS, "r", "e", "x".into(), 42.5).unwrap();
    assert_eq!(s.fetch(NS, "r", &Query::new())[0].timestamp, 42.5);
    let e = s.record_at(NS, "r", "e", "x".into(), f64::NAN).unwrap_err();
    assert_eq!(e.param(), Some("timestamp"));
    assert_eq!(
        s.stats(NS, "r").entries_count,
        1,
        "a failed call changes nothing"
    );
}

// ---- retention ----

#[test]
fn count_bound_evicts_oldest_first() {
    let (s, _) = enabled(RoomConfig::default().max_entries(2));
    for t in ["a", "b", "c"] {
        rec(&s, "e", t);
    }
    assert_eq!(texts(&s, &Query::new()), ["b", "c"]);
    assert_eq!(s.stats(NS, "r").evictions_size, 1);
}

#[test]
fn default_max_entries_is_100() {
    let (s, _) = enabled(RoomConfig::default());
    for _ in 0..150 {
        rec(&s, "e", "x");
    }
    assert_eq!(s.stats(NS, "r").entries_count, 100);
}

#[test]
fn age_bound_expires_on_the_monotonic_clock() {
    let (s, c) = enabled(RoomConfig::default().retention_seconds(Some(10.0)).unwrap());
    rec(&s, "e", "a");
    c.advance(Duration::from_secs(5));
    rec(&s, "e", "b");
    c.advance(Duration::from_millis(4999));
    assert_eq!(texts(&s, &Query::new()), ["a", "b"]);
    c.advance(Duration::from_millis(1));
    assert_eq!(texts(&s, &Query::new()), ["b"]);
    assert_eq!(s.stats(NS, "r").evictions_time, 1);
}

#[test]
fn wall_clock_jumps_neither_expire_nor_revive() {
    let (s, c) = enabled(RoomConfig::default().retention_seconds(Some(10.0)).unwrap());
    rec(&s, "e", "a");
    c.set_wall(1_900_000_000.0);
    assert_eq!(s.stats(NS, "r").entries_count, 1);
    c.set_wall(0.0);
    c.advance(Duration::from_secs(10));
    assert_eq!(s.stats(NS, "r").entries_count, 0);
}

#[test]
fn zero_retention_means_no_expiry() {
    let (s, c) = enabled(RoomConfig::default().retention_seconds(Some(0.0)).unwrap());
    rec(&s, "e", "a");
    c.advance(Duration::from_secs(1_000_000));
    assert_eq!(s.stats(NS, "r").entries_count, 1);
    assert_eq!(s.stats(NS, "r").config.unwrap().retention, None);
}

#[test]
fn idle_room_never_serves_expired_entries_on_any_read() {
    let (s, c) = enabled(RoomConfig::default().retention_seconds(Some(1.0)).unwrap());
    rec(&s, "e", "a");
    c.advance(Duration::from_secs(2));
    assert_eq!(s.stats(NS, "r").entries_count, 0);
    rec(&s, "e", "b");
    c.advance(Duration::from_secs(2));
    assert!(s.page(NS, "r", &Query::new(), None).entries.is_empty());
    rec(&s, "e", "c");
    c.advance(Duration::from_secs(2));
    assert!(s.fetch(NS, "r", &Query::new()).is_empty());
    assert_eq!(s.stats(NS, "r").evictions_time, 3);
}

#[test]
fn expired_entries_are_removed_on_record() {
    let (s, c) = enabled(RoomConfig::default().retention_seconds(Some(1.0)).unwrap());
    rec(&s, "e", "a");
    c.advance(Duration::from_secs(1));
    rec(&s, "e", "b");
    let st = s.stats(NS, "r");
    assert_eq!(
        (st.entries_count, st.evictions_time, st.first_seq),
        (1, 1, Some(2))
    );
}

#[test]
fn byte_bound_evicts_oldest_first() {
    let (s, _) = enabled(RoomConfig::default().max_bytes(Some(10)));
    for t in ["aaaa", "bbbb", "cccc"] {
        rec(&s, "e", t);
    }
    assert_eq!(texts(&s, &Query::new()), ["bbbb", "cccc"]);
    let st = s.stats(NS, "r");
    assert_eq!((st.bytes, st.evictions_bytes), (8, 1));
}

#[test]
fn oversize_entry_is_rejected_and_counted_and_nothing_else_changes() {
    let (s, _) = enabled(RoomConfig::default().max_bytes(Some(4)));
    rec(&s, "e", "ok");
    assert_eq!(rec(&s, "e", "too long"), RecordOutcome::RejectedOversize);
    let st = s.stats(NS, "r");
    assert_eq!(
        (st.entries_count, st.rejected_oversize, st.last_seq),
        (1, 1, 1)
    );
    assert_eq!(rec(&s, "e", "next"), RecordOutcome::Recorded(2));
}

#[test]
fn first_bound_hit_wins_count_before_bytes() {
    // Both bounds are exceeded by the third record; the count bound is
    // checked first, its eviction also satisfies the byte bound.
    let (s, _) = enabled(RoomConfig::default().max_entries(2).max_bytes(Some(4)));
    for t in ["aa", "bb", "cc"] {
        rec(&s, "e", t);
    }
    let st = s.stats(NS, "r");
    assert_eq!((st.evictions_size, st.evictions_bytes), (1, 0));
}

#[test]
fn payload_size_rules_for_each_kind() {
    assert_eq!(Payload::text("é").size(), 2);
    assert_eq!(Payload::bytes(vec![0; 7]).size(), 7);
    assert_eq!(Payload::from_json(r#"{"a": [1, "x"]}"#).unwrap().size(), 13);
}

// ---- the store-wide budget ----

#[test]
fn store_budget_evicts_the_oldest_entries_of_the_whole_store() {
    let cost = HistoryStore::budget_cost(10, "e");
    let (s, _) = budget_store(3 * cost);
    s.enable(NS, "a", RoomConfig::default()).unwrap();
    s.enable(NS, "b", RoomConfig::default()).unwrap();
    s.record(NS, "a", "e", "a1________".into());
    s.record(NS, "b", "e", "b1________".into());
    s.record(NS, "a", "e", "a2________".into());
    assert_eq!(s.total_bytes(), 3 * cost);
    s.record(NS, "b", "e", "b2________".into());
    assert_eq!(s.total_bytes(), 3 * cost);
    let a: Vec<u64> = s
        .fetch(NS, "a", &Query::new())
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(a, [2], "a1 was the oldest in the store");
    assert_eq!(s.stats(NS, "a").evictions_bytes, 1);
    assert_eq!(s.stats(NS, "b").evictions_bytes, 0);
    s.record(NS, "a", "e", "a3________".into());
    assert_eq!(s.stats(NS, "b").evictions_bytes, 1, "then b1");
}

#[test]
fn store_budget_skips_entries_already_gone() {
    let cost = HistoryStore::budget_cost(1, "e");
    let (s, _) = budget_store(2 * cost);
    s.enable(NS, "a", RoomConfig::default().max_entries(1))
        .unwrap();
    s.enable(NS, "b", RoomConfig::default()).unwrap();
    s.record(NS, "a", "e", "1".into());
    s.record(NS, "a", "e", "2".into()); // evicts a's seq 1 by count
    s.record(NS, "b", "e", "3".into());
    s.record(NS, "b", "e", "4".into()); // over budget: oldest live is a's seq 2
    assert_eq!(s.stats(NS, "a").entries_count, 0);
    assert_eq!(s.stats(NS, "b").entries_count, 2);
}

#[test]
fn store_budget_is_released_by_disable_and_clear() {
    let cost = HistoryStore::budget_cost(1, "e");
    let (s, _) = budget_store(100 * cost);
    s.enable(NS, "a", RoomConfig::default()).unwrap();
    s.enable(NS, "b", RoomConfig::default()).unwrap();
    s.record(NS, "a", "e", "1".into());
    s.record(NS, "b", "e", "2".into());
    s.disable(NS, "a");
    assert_eq!(s.total_bytes(), cost);
    s.clear(NS, "b");
    assert_eq!(s.total_bytes(), 0);
}

#[test]
fn entry_larger_than_the_store_budget_is_rejected() {
    let (s, _) = budget_store(HistoryStore::budget_cost(5, "e"));
    s.enable(NS, "r", RoomConfig::default()).unwrap();
    assert_eq!(rec(&s, "e", "123456"), RecordOutcome::RejectedOversize);
    assert_eq!(s.stats(NS, "r").rejected_oversize, 1);
    assert_eq!(s.total_bytes(), 0);
}

#[test]
fn store_budget_bounds_many_rooms() {
    let budget = 64 * 1024;
    let (s, _) = budget_store(budget);
    for i in 0..2_000 {
        let room = format!("room{i}");
        s.enable(NS, &room, RoomConfig::default()).unwrap();
        for _ in 0..5 {
            s.record(NS, &room, "e", Payload::text("x".repeat(50)));
        }
        assert!(s.total_bytes() <= budget);
    }
    let held: usize = (0..2_000)
        .map(|i| s.stats(NS, &format!("room{i}")).entries_count)
        .sum();
    assert_eq!(held, budget / HistoryStore::budget_cost(50, "e"));
    // The newest rooms hold the survivors.
    assert_eq!(s.stats(NS, "room1999").entries_count, 5);
    assert_eq!(s.stats(NS, "room0").entries_count, 0);
}

// ---- fetch ----

fn six() -> HistoryStore {
    let (s, _) = enabled(RoomConfig::default());
    for (e, t) in [
        ("a", "1"),
        ("b", "2"),
        ("a", "3"),
        ("c", "4"),
        ("b", "5"),
        ("a", "6"),
    ] {
        rec(&s, e, t);
    }
    s
}

#[test]
fn cursors_are_exclusive_bounds() {
    let s = six();
    assert_eq!(seqs(&s, &Query::new().since_seq(Some(2))), [3, 4, 5, 6]);
    assert_eq!(seqs(&s, &Query::new().before_seq(Some(3))), [1, 2]);
    assert_eq!(
        seqs(&s, &Query::new().since_seq(Some(2)).before_seq(Some(5))),
        [3, 4]
    );
    assert!(seqs(&s, &Query::new().since_seq(Some(4)).before_seq(Some(5))).is_empty());
    assert!(seqs(&s, &Query::new().since_seq(Some(60))).is_empty());
    assert_eq!(seqs(&s, &Query::new().before_seq(Some(600))).len(), 6);
}

#[test]
fn include_events_keeps_only_those() {
    let s = six();
    assert_eq!(
        seqs(&s, &Query::new().include_events(["a", "c"])),
        [1, 3, 4, 6]
    );
    assert!(seqs(&s, &Query::new().include_events(["zzz"])).is_empty());
}

#[test]
fn empty_include_selects_nothing_and_empty_exclude_excludes_nothing() {
    let s = six();
    assert!(seqs(&s, &Query::new().include_events(Vec::<String>::new())).is_empty());
    assert_eq!(
        seqs(&s, &Query::new().exclude_events(Vec::<String>::new())).len(),
        6
    );
}

#[test]
fn inclusion_applies_before_exclusion() {
    let s = six();
    let q = Query::new()
        .include_events(["a", "b"])
        .exclude_events(["a"]);
    assert_eq!(seqs(&s, &q), [2, 5]);
}

#[test]
fn limit_keeps_the_newest_and_returns_oldest_first() {
    let s = six();
    assert_eq!(seqs(&s, &Query::new().limit(Some(2))), [5, 6]);
    assert!(seqs(&s, &Query::new().limit(Some(0))).is_empty());
    assert_eq!(seqs(&s, &Query::new().limit(None)).len(), 6);
    assert_eq!(seqs(&s, &Query::new().limit(Some(99))).len(), 6);
}

#[test]
fn limit_applies_after_cursor_and_filters() {
    let s = six();
    let q = Query::new()
        .before_seq(Some(6))
        .include_events(["a"])
        .limit(Some(1));
    assert_eq!(seqs(&s, &q), [3]);
}

// ---- payload truncation ----

#[test]
fn fetch_time_cap_overrides_enable_time_cap_both_ways() {
    let (s, _) = enabled(RoomConfig::default().payload_size_cap(Some(3)));
    rec(&s, "e", "abcdef");
    assert_eq!(texts(&s, &Query::new()), ["abc"]);
    assert_eq!(
        texts(&s, &Query::new().payload_size_cap(Some(5))),
        ["abcde"]
    );
    assert_eq!(texts(&s, &Query::new().payload_size_cap(Some(1))), ["a"]);
    assert_eq!(
        texts(&s, &Query::new().payload_size_cap(Some(100))),
        ["abcdef"]
    );
    // "No cap" is a read option of its own, not a large number.
    let whole = s.fetch(NS, "r", &Query::new().whole_payloads());
    assert_eq!(whole[0].payload.as_text(), Some("abcdef"));
    assert!(!whole[0].truncated);
}

#[test]
fn entries_are_stored_whole_and_flagged_when_cut() {
    let (s, _) = enabled(RoomConfig::default());
    rec(&s, "e", "abcdef");
    rec(&s, "e", "ab");
    let cut = s.fetch(NS, "r", &Query::new().payload_size_cap(Some(2)));
    assert!(cut[0].truncated);
    assert!(!cut[1].truncated, "exactly at the cap is not cut");
    assert_eq!(texts(&s, &Query::new()), ["abcdef", "ab"]);
    assert_eq!(s.stats(NS, "r").bytes, 8);
}

#[test]
fn truncation_per_kind() {
    let (s, _) = enabled(RoomConfig::default());
    rec(&s, "e", "€€");
    s.record(NS, "r", "e", Payload::bytes(vec![1, 2, 3]));
    s.record(NS, "r", "e", Payload::from_json(r#"{"k":[1,2]}"#).unwrap());
    let got = s.fetch(NS, "r", &Query::new().payload_size_cap(Some(4)));
    assert_eq!(
        got[0].payload.as_text(),
        Some("€"),
        "never split a character"
    );
    assert_eq!(got[1].payload.as_bytes(), Some(&[1u8, 2, 3][..]), "fits");
    assert!(!got[1].truncated);
    assert_eq!(got[2].payload.as_text(), Some(r#"{"k""#));
    assert_eq!(got[2].payload.kind(), PayloadKind::Text);
    let got = s.fetch(NS, "r", &Query::new().payload_size_cap(Some(2)));
    assert_eq!(got[1].payload.as_bytes(), Some(&[1u8, 2][..]));
    assert!(got[1].truncated);
}

// ---- stats ----

#[test]
fn stats_report_every_counter_and_the_configuration() {
    let cfg = RoomConfig::default()
        .max_entries(5)
        .max_bytes(Some(50))
        .payload_size_cap(Some(9))
        .retention_seconds(Some(30.0))
        .unwrap();
    let (s, _) = enabled(cfg.clone());
    let st = s.stats(NS, "r");
    assert!(st.enabled);
    assert_eq!((st.first_seq, st.last_seq, st.recorded_total), (None, 0, 0));
    rec(&s, "e", "abc");
    rec(&s, "e", "de");
    let st = s.stats(NS, "r");
    assert_eq!(st.entries_count, 2);
    assert_eq!(st.bytes, 5);
    assert_eq!(
        (st.first_seq, st.last_seq, st.recorded_total),
        (Some(1), 2, 2)
    );
    assert_eq!(st.config, Some(cfg));
    assert_eq!(st.record_errors, 0);
    s.note_record_error(NS, "r");
    assert_eq!(s.stats(NS, "r").record_errors, 1);
}

// ---- page ----

#[test]
fn page_reports_has_more_when_older_selected_entries_exist() {
    let s = six();
    let p = s.page(NS, "r", &Query::new().limit(Some(2)), None);
    assert_eq!(p.entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [5, 6]);
    assert!(p.has_more);
    assert_eq!((p.first_seq, p.last_seq), (Some(1), 6));
    let p = s.page(
        NS,
        "r",
        &Query::new().limit(Some(2)).include_events(["c"]),
        None,
    );
    assert!(!p.has_more);
    assert!(!s.page(NS, "r", &Query::new().limit(Some(6)), None).has_more);
}

#[test]
fn page_gap_when_the_cursor_is_older_than_what_is_retained() {
    let (s, _) = enabled(RoomConfig::default().max_entries(3));
    for _ in 0..6 {
        rec(&s, "e", "x");
    }
    // Retained: 4, 5, 6.
    let gap = |since: u64| {
        s.page(NS, "r", &Query::new().since_seq(Some(since)), None)
            .gap
    };
    assert!(gap(2), "3 was evicted");
    assert!(!gap(3), "the cursor is exactly the last one the client saw");
    assert!(!gap(6));
    assert!(gap(7), "a cursor ahead of last_seq comes from elsewhere");
    assert!(!s.page(NS, "r", &Query::new(), None).gap);
}

#[test]
fn page_gap_on_epoch_mismatch_and_after_restart() {
    let (s, _) = enabled(RoomConfig::default());
    rec(&s, "e", "x");
    let epoch = s.stats(NS, "r").epoch.unwrap();
    let q = Query::new().since_seq(Some(1));
    assert!(!s.page(NS, "r", &q, Some(epoch.as_str())).gap);
    assert!(s.page(NS, "r", &q, Some("other")).gap);
    s.disable(NS, "r");
    let p = s.page(NS, "r", &q, Some(epoch.as_str()));
    assert!(p.gap && p.epoch.is_none() && p.entries.is_empty());
    s.enable(NS, "r", RoomConfig::default()).unwrap();
    assert!(
        s.page(NS, "r", &q, Some(epoch.as_str())).gap,
        "new lifetime"
    );
}

#[test]
fn page_gap_after_clear_only_for_cursors_that_missed_entries() {
    let (s, _) = enabled(RoomConfig::default());
    for _ in 0..3 {
        rec(&s, "e", "x");
    }
    s.clear(NS, "r");
    let gap = |since: u64| {
        s.page(NS, "r", &Query::new().since_seq(Some(since)), None)
            .gap
    };
    assert!(gap(1));
    assert!(!gap(3));
}

// ---- clear ----

#[test]
fn clear_drops_entries_keeps_room_enabled_and_seq_going() {
    let (s, _) = enabled(RoomConfig::default());
    rec(&s, "e", "a");
    rec(&s, "e", "b");
    let epoch = s.stats(NS, "r").epoch;
    assert_eq!(s.clear(NS, "r"), 2);
    assert!(s.is_enabled(NS, "r"));
    assert_eq!(s.stats(NS, "r").entries_count, 0);
    assert_eq!(rec(&s, "e", "c"), RecordOutcome::Recorded(3));
    assert_eq!(s.stats(NS, "r").epoch, epoch);
    assert_eq!(s.clear(NS, "nope"), 0);
}

// ---- validation ----

#[test]
fn invalid_config_names_the_parameter_and_changes_nothing() {
    let (s, _) = enabled(RoomConfig::default().max_entries(7));
    rec(&s, "e", "a");
    for (cfg, param) in [
        (RoomConfig::default().max_entries(0), "max_entries"),
        (RoomConfig::default().max_bytes(Some(0)), "max_bytes"),
    ] {
        match s.enable(NS, "r", cfg) {
            Err(HistoryError::InvalidArgument { param: p, .. }) => assert_eq!(p, param),
            other => panic!("{param}: {other:?}"),
        }
        // Also for a room that was not enabled.
        assert!(s
            .enable(NS, "fresh", RoomConfig::default().max_entries(0))
            .is_err());
        assert!(!s.is_enabled(NS, "fresh"));
    }
    let st = s.stats(NS, "r");
    assert_eq!((st.entries_count, st.config.unwrap().max_entries), (1, 7));
    let e = RoomConfig::default()
        .retention_seconds(Some(-1.0))
        .unwrap_err();
    assert_eq!(e.param(), Some("retention_seconds"));
    let e = HistoryStore::builder()
        .max_total_bytes(Some(0))
        .build()
        .unwrap_err();
    assert_eq!(e.param(), Some("max_total_bytes"));
    assert!(e.to_string().contains("max_total_bytes"));
}

// ---- rooms and payloads ----

#[test]
fn rooms_lists_the_enabled_rooms_sorted() {
    let (s, _) = store();
    for (ns, room) in [("/x", "b"), ("/", "z"), ("/", "c"), ("/", "a"), ("/a", "a")] {
        s.enable(ns, room, RoomConfig::default()).unwrap();
    }
    s.disable("/", "c");
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(n, r)| (n.to_string(), r.to_string()))
            .collect()
    };
    assert_eq!(
        s.rooms(),
        pairs(&[("/", "a"), ("/", "z"), ("/a", "a"), ("/x", "b")])
    );
}

#[test]
fn structured_payloads_with_binary_and_args_round_trip() {
    let (s, _) = enabled(RoomConfig::default());
    let mut w = ValueWriter::args(2);
    w.str("hello").unwrap();
    w.begin_map(1).unwrap();
    w.key("blob").unwrap();
    w.bytes(&[0xff, 0]).unwrap();
    let p = Payload::from_writer(w).unwrap();
    s.record(NS, "r", "e", p.clone());
    let got = s.fetch(NS, "r", &Query::new()).remove(0).payload;
    assert_eq!(got, p);
    assert_eq!(got.kind(), PayloadKind::Args);
    use socketio_history_core::Token::*;
    let toks: Vec<_> = got.tokens().unwrap().collect();
    assert_eq!(
        toks,
        [
            List(2),
            Str("hello"),
            Map(1),
            Key("blob"),
            Bytes(&[0xff, 0])
        ]
    );
}

/// `since_time` (inclusive) and `until_time` (exclusive) select by record
/// time, by binary search while timestamps are in record order and entry by
/// entry once they are not (an explicit `record_at`, a wall-clock step).
#[test]
fn time_ranges_select_by_record_time_sorted_or_not() {
    let s = socketio_history_core::HistoryStore::new();
    s.enable("/", "r", RoomConfig::default()).unwrap();
    for t in [10.0, 20.0, 20.0, 30.0] {
        s.record_at("/", "r", "e", Payload::text("x"), t).unwrap();
    }
    let seqs = |q: Query| -> Vec<u64> { s.fetch("/", "r", &q).iter().map(|e| e.seq).collect() };
    assert_eq!(seqs(Query::new().since_time(Some(20.0))), [2, 3, 4]);
    assert_eq!(seqs(Query::new().until_time(Some(20.0))), [1]);
    assert_eq!(
        seqs(Query::new().since_time(Some(15.0)).until_time(Some(30.0))),
        [2, 3]
    );
    assert_eq!(seqs(Query::new().since_time(Some(31.0))), Vec::<u64>::new());
    assert_eq!(
        seqs(Query::new().since_time(Some(f64::NEG_INFINITY))),
        [1, 2, 3, 4]
    );
    // With a cursor and a limit: the newest of what both select.
    let q = Query::new()
        .since_seq(Some(1))
        .since_time(Some(10.0))
        .limit(Some(1));
    assert_eq!(seqs(q), [4]);
    // Out of record order: still exact.
    s.record_at("/", "r", "e", Payload::text("x"), 15.0)
        .unwrap();
    assert_eq!(
        seqs(Query::new().since_time(Some(12.0)).until_time(Some(25.0))),
        [2, 3, 5]
    );
    let page = s.page(
        "/",
        "r",
        &Query::new().until_time(Some(16.0)).limit(Some(1)),
        None,
    );
    assert_eq!(page.entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [5]);
    assert!(page.has_more);
}
