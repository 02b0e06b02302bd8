//! Seqs assigned by a shared stream (`Sequenced`): every node that records
//! the same stream holds the same entries under the same seqs and epoch.

use socketio_history_core::{
    log_config, Delivery, HistoryStore, Payload, Query, RecordOutcome, RoomConfig, Sequenced,
};
use std::time::Duration;

const NS: &str = "/";
const E1: &str = "0123456789ab";
const E2: &str = "bcdefghjkmnp";

fn at(epoch: &str, seq: u64) -> Sequenced {
    Sequenced::new(epoch, seq).unwrap()
}

fn store() -> HistoryStore {
    let s = HistoryStore::new();
    s.enable(NS, "r", RoomConfig::default().max_entries(10))
        .unwrap();
    s
}

fn put(s: &HistoryStore, seq: u64, epoch: &str) -> RecordOutcome {
    let p = Payload::text(format!("m{seq}"));
    s.record_sequenced(
        NS,
        "r",
        "e",
        p,
        None,
        at(epoch, seq),
        Some(1_700_000_000.0 + seq as f64),
    )
}

fn seqs(s: &HistoryStore) -> Vec<u64> {
    s.fetch(NS, "r", &Query::new().limit(None))
        .iter()
        .map(|e| e.seq)
        .collect()
}

#[test]
fn takes_the_streams_seq_and_epoch() {
    let s = store();
    // A node that starts late: its first entry is the stream's seq 5.
    assert_eq!(put(&s, 5, E1), RecordOutcome::Recorded(5));
    assert_eq!(put(&s, 6, E1), RecordOutcome::Recorded(6));
    assert_eq!(seqs(&s), [5, 6]);
    let first = &s.fetch(NS, "r", &Query::new())[0];
    assert_eq!(first.timestamp, 1_700_000_005.0, "the stream's time");
    let stats = s.stats(NS, "r");
    assert_eq!(stats.epoch.unwrap().as_str(), E1);
    assert_eq!((stats.first_seq, stats.last_seq), (Some(5), 6));
    // A cursor from before the node's first entry is a gap, not a skip.
    let page = s.page(NS, "r", &Query::new().since_seq(Some(3)), Some(E1));
    assert!(page.gap);
    let page = s.page(NS, "r", &Query::new().since_seq(Some(4)), Some(E1));
    assert!(!page.gap);
    assert_eq!(page.entries.len(), 2);
}

#[test]
fn a_position_read_again_is_a_duplicate() {
    let s = store();
    for seq in 1..=3 {
        put(&s, seq, E1);
    }
    assert_eq!(put(&s, 2, E1), RecordOutcome::Duplicate);
    assert_eq!(put(&s, 3, E1), RecordOutcome::Duplicate);
    assert_eq!(seqs(&s), [1, 2, 3]);
    assert_eq!(put(&s, 4, E1), RecordOutcome::Recorded(4));
}

#[test]
fn a_hole_drops_what_came_before_it() {
    let s = store();
    for seq in 1..=3 {
        put(&s, seq, E1);
    }
    // Seqs 4..=7 were trimmed from the stream while this node was away.
    assert_eq!(put(&s, 8, E1), RecordOutcome::Recorded(8));
    assert_eq!(seqs(&s), [8]);
    let page = s.page(NS, "r", &Query::new().since_seq(Some(3)), Some(E1));
    assert!(page.gap, "a cursor before the hole must see it");
    assert!(page.entries.iter().all(|e| e.seq > 7));
}

#[test]
fn another_epoch_starts_the_room_again() {
    let s = store();
    for seq in 1..=3 {
        put(&s, seq, E1);
    }
    assert_eq!(put(&s, 1, E2), RecordOutcome::Recorded(1));
    assert_eq!(seqs(&s), [1]);
    assert_eq!(s.stats(NS, "r").epoch.unwrap().as_str(), E2);
    let page = s.page(NS, "r", &Query::new().since_seq(Some(3)), Some(E1));
    assert!(page.gap);
}

#[test]
fn bounds_and_delivery_still_apply() {
    let s = store();
    for seq in 1..=12 {
        put(&s, seq, E1);
    }
    assert_eq!(seqs(&s), (3..=12).collect::<Vec<_>>());
    assert_eq!(s.stats(NS, "r").evictions_size, 2);
    let d = Delivery::new(None::<[&str; 0]>, ["a"]);
    let p = Payload::text("not for a");
    s.record_sequenced(NS, "r", "e", p, Some(d), at(E1, 13), None);
    let for_a = s.fetch(NS, "r", &Query::new().for_client(["a", "r"]));
    assert!(for_a.iter().all(|e| e.seq != 13));
}

#[test]
fn two_stores_fed_one_stream_agree() {
    let (a, b) = (store(), store());
    for seq in 1..=6 {
        put(&a, seq, E1);
        if seq > 2 {
            put(&b, seq, E1); // b started after two entries
        }
    }
    let page_a = a.page(NS, "r", &Query::new().since_seq(Some(4)), Some(E1));
    let page_b = b.page(NS, "r", &Query::new().since_seq(Some(4)), Some(E1));
    let view = |p: &socketio_history_core::Page| -> Vec<(u64, String)> {
        p.entries
            .iter()
            .map(|e| (e.seq, e.payload.as_text().unwrap().to_owned()))
            .collect()
    };
    assert_eq!(view(&page_a), view(&page_b));
    assert_eq!(page_a.epoch, page_b.epoch);
    assert!(!page_b.gap);
}

#[test]
fn placing_a_room_for_an_operation() {
    let s = store();
    assert_eq!(s.sequence(NS, "r", at(E1, 4)), Some(true));
    assert_eq!(s.last_seq(NS, "r"), Some(3));
    let p = Payload::text("x");
    assert_eq!(s.record(NS, "r", "e", p), RecordOutcome::Recorded(4));
    assert_eq!(s.sequence(NS, "r", at(E1, 4)), Some(false));
    assert_eq!(s.sequence(NS, "nope", at(E1, 1)), None);
}

#[test]
fn log_offsets_come_from_the_stream() {
    let s = HistoryStore::new();
    s.enable_log(NS, log_config(Duration::from_secs(60), None))
        .unwrap();
    let d = || Delivery::new(None::<[&str; 0]>, [] as [&str; 0]);
    let o = s.record_log_sequenced(NS, "e", Payload::text("x"), d(), at(E1, 41));
    assert_eq!(o.unwrap().to_string(), format!("{E1}-41"));
    assert_eq!(
        s.record_log_sequenced(NS, "e", Payload::text("x"), d(), at(E1, 41)),
        None
    );
    assert_eq!(s.log_position(NS).unwrap().1, 41);
}

#[test]
fn malformed_positions_are_refused() {
    assert!(Sequenced::new("short", 1).is_err());
    assert!(Sequenced::new("0123456789AB", 1).is_err());
    let e = Sequenced::new(E1, 0).unwrap_err();
    assert_eq!(e.param(), Some("seq"));
}
