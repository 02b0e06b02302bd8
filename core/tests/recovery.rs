//! The history side of connection state recovery (CONTRACT.md, "Connection state recovery"): the
//! namespace log, offsets, and when a dropped connection resumes whole.

use socketio_history_core::{
    log_config, Delivery, HistoryEntry, HistoryStore, ManualClock, NotResumable, Offset, Payload,
    ResumePoint, RoomConfig,
};
use std::sync::Arc;
use std::time::Duration;

const NS: &str = "/";
const NOBODY: [&str; 0] = [];

fn store() -> (HistoryStore, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(1_000.0));
    let s = HistoryStore::builder()
        .clock(clock.clone())
        .build()
        .unwrap();
    s.enable_log(NS, log_config(Duration::from_secs(120), None))
        .unwrap();
    (s, clock)
}

fn to(rooms: &[&str]) -> Delivery {
    Delivery::new(Some(rooms), NOBODY)
}

fn emit(s: &HistoryStore, text: &str, d: Delivery) -> Offset {
    s.record_log(NS, "e", Payload::text(text), d).unwrap()
}

fn texts(entries: &[HistoryEntry]) -> Vec<&str> {
    entries
        .iter()
        .map(|e| e.payload.as_text().unwrap())
        .collect()
}

/// A connection of client `sid` in `rooms`, begun now.
struct Conn {
    point: ResumePoint,
}

impl Conn {
    fn begin(s: &HistoryStore) -> Self {
        let (epoch, seq) = s.log_position(NS).unwrap();
        Conn {
            point: ResumePoint {
                epoch,
                connect_seq: seq,
                sent: Vec::new(),
                sent_base: seq,
                disconnect_seq: seq,
            },
        }
    }

    fn sent(&mut self, o: Offset) {
        self.point.sent.push(o.seq());
    }

    fn drop_now(&mut self, s: &HistoryStore) {
        self.point.disconnect_seq = s.log_position(NS).unwrap().1;
    }
}

const ME: [&str; 2] = ["sid1", "lobby"];

#[test]
fn offsets_increase_and_name_the_logs_lifetime() {
    let (s, _) = store();
    let a = emit(&s, "a", Delivery::default());
    let b = emit(&s, "b", to(&["x"]));
    assert!(b.seq() > a.seq());
    assert_eq!(a.epoch(), b.epoch());
    assert_eq!(Offset::parse(&b.to_string()), Some(b));
    // A fresh lifetime of the log is told apart.
    s.disable_log(NS);
    s.enable_log(NS, log_config(Duration::from_secs(1), None))
        .unwrap();
    assert_ne!(emit(&s, "c", Delivery::default()).epoch(), a.epoch());
}

#[test]
fn the_log_is_no_room() {
    let (s, _) = store();
    for name in ["", "\u{fe}", "log"] {
        s.enable(NS, name, RoomConfig::default()).unwrap();
        s.record(NS, name, "e", Payload::text("room"));
    }
    emit(&s, "log", Delivery::default());
    assert_eq!(s.rooms().len(), 3, "the log is not listed");
    assert_eq!(s.log_stats(NS).entries_count, 1);
    assert_eq!(s.stats(NS, "").entries_count, 1);
    assert!(s
        .record_log("/other", "e", Payload::text("x"), Delivery::default())
        .is_none());
}

#[test]
fn a_dropped_client_gets_exactly_what_was_addressed_to_it() {
    let (s, _) = store();
    let mut c = Conn::begin(&s);
    c.sent(emit(&s, "seen", to(&["lobby"])));
    let last = emit(&s, "seen too", Delivery::default());
    c.sent(last);
    c.drop_now(&s);
    emit(&s, "to lobby", to(&["lobby"]));
    emit(&s, "to me", to(&["sid1"]));
    emit(&s, "to another room", to(&["other"]));
    emit(&s, "skipping me", Delivery::new(Some(["lobby"]), ["sid1"]));
    emit(&s, "to everyone", Delivery::default());
    emit(
        &s,
        "to everyone but another",
        Delivery::new(None::<[&str; 0]>, ["sid2"]),
    );
    let got = s
        .resume(NS, &c.point, Some(&last.to_string()), &ME)
        .unwrap();
    assert_eq!(
        texts(&got),
        [
            "to lobby",
            "to me",
            "to everyone",
            "to everyone but another"
        ]
    );
    assert!(got.windows(2).all(|w| w[0].seq < w[1].seq));
}

#[test]
fn events_lost_with_the_dying_transport_are_replayed() {
    let (s, _) = store();
    let mut c = Conn::begin(&s);
    let got_it = emit(&s, "received", to(&["lobby"]));
    c.sent(got_it);
    c.sent(emit(&s, "sent, never received", to(&["lobby"])));
    c.drop_now(&s);
    let got = s
        .resume(NS, &c.point, Some(&got_it.to_string()), &ME)
        .unwrap();
    assert_eq!(texts(&got), ["sent, never received"]);
}

#[test]
fn a_client_that_received_no_event_resumes() {
    let (s, _) = store();
    emit(&s, "before it connected", Delivery::default());
    let mut c = Conn::begin(&s);
    c.drop_now(&s);
    emit(&s, "while away", to(&["lobby"]));
    let got = s.resume(NS, &c.point, None, &ME).unwrap();
    assert_eq!(texts(&got), ["while away"]);
}

#[test]
fn a_quiet_client_whose_offset_left_the_log_resumes() {
    let (s, clock) = store();
    let mut c = Conn::begin(&s);
    let last = emit(&s, "long ago", to(&["lobby"]));
    c.sent(last);
    clock.advance(Duration::from_secs(100));
    emit(&s, "to others", to(&["other"]));
    clock.advance(Duration::from_secs(100)); // "long ago" expires
    c.drop_now(&s);
    emit(&s, "while away", to(&["lobby"]));
    let got = s
        .resume(NS, &c.point, Some(&last.to_string()), &ME)
        .unwrap();
    assert_eq!(texts(&got), ["while away"]);
}

#[test]
fn what_was_not_sent_to_the_client_may_have_left_the_log() {
    let (s, clock) = store();
    let mut c = Conn::begin(&s);
    let last = emit(&s, "received long ago", to(&["lobby"]));
    c.sent(last);
    emit(&s, "to others", to(&["other"]));
    clock.advance(Duration::from_secs(121)); // both expire
                                             // Sent before the server noticed the drop: lost on the wire.
    c.sent(emit(&s, "sent to the dying transport", to(&["lobby"])));
    c.drop_now(&s);
    let got = s
        .resume(NS, &c.point, Some(&last.to_string()), &ME)
        .unwrap();
    assert_eq!(texts(&got), ["sent to the dying transport"]);
}

#[test]
fn a_forgotten_window_needs_the_whole_log_since_the_offset() {
    let (s, clock) = store();
    let mut c = Conn::begin(&s);
    let last = emit(&s, "received", to(&["lobby"]));
    c.sent(last);
    emit(&s, "maybe sent", to(&["lobby"]));
    c.point.sent.clear();
    c.point.sent_base = 2; // the binding forgot what it sent up to seq 2
    clock.advance(Duration::from_secs(121));
    c.sent(emit(&s, "sent", to(&["lobby"])));
    c.drop_now(&s);
    let r = s.resume(NS, &c.point, Some(&last.to_string()), &ME);
    assert_eq!(r, Err(NotResumable::Evicted));
}

#[test]
fn a_needed_event_that_was_evicted_fails_the_resume() {
    let (s, clock) = store();
    let mut c = Conn::begin(&s);
    let got_it = emit(&s, "received", to(&["lobby"]));
    c.sent(got_it);
    c.sent(emit(&s, "lost on the wire", to(&["lobby"])));
    c.drop_now(&s);
    clock.advance(Duration::from_secs(121));
    emit(&s, "later", to(&["lobby"]));
    let r = s.resume(NS, &c.point, Some(&got_it.to_string()), &ME);
    assert_eq!(r, Err(NotResumable::Evicted));
    // The same when the event missed while away was evicted (here by bytes).
    let s2 = HistoryStore::new();
    s2.enable_log(NS, log_config(Duration::from_secs(60), Some(10)))
        .unwrap();
    let mut c = Conn::begin(&s2);
    c.drop_now(&s2);
    s2.record_log(NS, "e", Payload::text("0123456789"), to(&["lobby"]));
    s2.record_log(NS, "e", Payload::text("abcdefghij"), to(&["other"]));
    assert_eq!(
        s2.resume(NS, &c.point, None, &ME),
        Err(NotResumable::Evicted)
    );
}

#[test]
fn bad_offsets_fail_cleanly() {
    let (s, _) = store();
    let mut c = Conn::begin(&s);
    let sent = emit(&s, "a", to(&["lobby"]));
    c.sent(sent);
    let not_sent = emit(&s, "b", to(&["other"]));
    c.drop_now(&s);
    let other_epoch = format!("{}-1", "0123456789ab");
    for (offset, why) in [
        ("garbage", NotResumable::BadOffset),
        ("", NotResumable::BadOffset),
        (&*other_epoch, NotResumable::OtherLifetime),
        (&*not_sent.to_string(), NotResumable::OffsetAhead),
        (&*format!("{}-999", sent.epoch()), NotResumable::OffsetAhead),
    ] {
        assert_eq!(
            s.resume(NS, &c.point, Some(offset), &ME),
            Err(why),
            "{offset:?}"
        );
    }
    let huge = "9".repeat(100_000);
    assert_eq!(
        s.resume(NS, &c.point, Some(&huge), &ME),
        Err(NotResumable::BadOffset)
    );
    assert_eq!(
        s.resume("/none", &c.point, None, &ME),
        Err(NotResumable::NoLog)
    );
    // A restarted log: the old point is from another lifetime.
    s.disable_log(NS);
    s.enable_log(NS, log_config(Duration::from_secs(60), None))
        .unwrap();
    assert_eq!(
        s.resume(NS, &c.point, Some(&sent.to_string()), &ME),
        Err(NotResumable::OtherLifetime)
    );
}

#[test]
fn a_connection_resumes_again_and_again() {
    let (s, _) = store();
    let mut c = Conn::begin(&s);
    let mut offset: Option<String> = None;
    for round in 0..5 {
        c.drop_now(&s);
        let o = emit(&s, &format!("missed {round}"), to(&["lobby"]));
        let got = s.resume(NS, &c.point, offset.as_deref(), &ME).unwrap();
        assert_eq!(texts(&got), [format!("missed {round}")]);
        // The resumed connection was sent the replay, then a live event.
        c.sent(o);
        let live = emit(&s, &format!("live {round}"), to(&["lobby"]));
        c.sent(live);
        offset = Some(live.to_string());
    }
}

#[test]
fn a_resume_point_from_what_a_binding_kept() {
    let (s, _) = store();
    let (epoch, _) = s.log_position(NS).unwrap();
    let offsets: Vec<String> = (1..=4)
        .map(|_| emit(&s, "x", to(&["a"])).to_string())
        .collect();
    let e = epoch.as_str();
    // The window holds every event since the connection began (seq 0).
    let p = ResumePoint::from_window(e, 0, &offsets[1..], None, false, 4).unwrap();
    assert_eq!(p.sent, vec![2, 3, 4]);
    assert_eq!(p.sent_base, 0);
    // A full window forgot what came before its oldest.
    let full = ResumePoint::from_window(e, 0, &offsets[1..], None, true, 4).unwrap();
    assert_eq!(full.sent_base, 1);
    // A restored connection has everything up to the offset it came back with.
    let base = ResumePoint::from_window(e, 0, &offsets[3..], Some(&offsets[2]), false, 4).unwrap();
    assert_eq!(base.sent_base, 3);
    // Offsets that do not parse are skipped; an epoch that does not is no point.
    let junk = ["nope".to_owned(), offsets[0].clone()];
    assert_eq!(
        ResumePoint::from_window(e, 0, &junk, Some("junk"), false, 4)
            .unwrap()
            .sent,
        vec![1]
    );
    assert_eq!(
        ResumePoint::from_window("bad", 0, &offsets, None, false, 4),
        None
    );
}

#[test]
fn a_connection_whose_node_ended_resumes_only_from_a_whole_log() {
    let (s, _) = store();
    let (epoch, _) = s.log_position(NS).unwrap();
    let offsets: Vec<String> = (1..=3)
        .map(|_| emit(&s, "x", to(&["a"])).to_string())
        .collect();
    let rooms = ["a"];
    // It connected before any event; nothing is known of what was sent.
    let p = ResumePoint::still_connected(epoch, 0, 3);
    assert_eq!((p.sent.len(), p.sent_base, p.disconnect_seq), (0, 3, 3));
    let missed = s.resume(NS, &p, Some(&offsets[0]), &rooms).unwrap();
    assert_eq!(missed.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 3]);
    assert_eq!(s.resume(NS, &p, None, &rooms).unwrap().len(), 3);
    // Where it connected bounds what it is owed, and a log behind where
    // it connected counts as where it dropped.
    let later = ResumePoint::still_connected(epoch, 2, 1);
    assert_eq!((later.sent_base, later.disconnect_seq), (2, 2));
    assert_eq!(s.resume(NS, &later, None, &rooms).unwrap().len(), 1);
    // An offset beyond the log is ahead of anything it was sent.
    let ahead = format!("{epoch}-9");
    assert_eq!(
        s.resume(NS, &p, Some(&ahead), &rooms),
        Err(NotResumable::OffsetAhead)
    );
}

#[test]
fn an_offset_names_a_seq_only_in_its_own_lifetime() {
    let (s, _) = store();
    let o = emit(&s, "x", to(&["a"]));
    let text = o.to_string();
    assert_eq!(Offset::seq_in(&text, o.epoch()), Some(1));
    let other = socketio_history_core::Epoch::generate();
    assert_eq!(Offset::seq_in(&text, other), None);
    assert_eq!(Offset::seq_in("garbage", o.epoch()), None);
}

#[test]
fn resume_packets_carry_each_events_offset() {
    let (s, _) = store();
    let mut c = Conn::begin(&s);
    let first = emit(&s, "one", to(&["a"]));
    c.sent(first);
    emit(&s, "other room", to(&["b"]));
    let missed = emit(&s, "two", to(&["a"]));
    c.point.disconnect_seq = missed.seq();
    let packets = s
        .resume_packets(
            NS,
            &c.point,
            Some(&first.to_string()),
            &["a", "sid"],
            socketio_history_core::JsonStyle::PythonAscii,
        )
        .unwrap();
    assert_eq!(packets.len(), 1);
    assert_eq!(packets[0].offset, Some(missed));
    assert_eq!(packets[0].text, format!("2[\"e\",\"two\",\"{missed}\"]"));
    assert_eq!(
        s.resume_packets(NS, &c.point, Some("bad"), &["a"], Default::default())
            .unwrap_err(),
        NotResumable::BadOffset
    );
}

#[test]
fn session_limits_bound_count_and_bytes() {
    let l = socketio_history_core::SessionLimits::default();
    assert_eq!(l.max_sessions, socketio_history_core::DEFAULT_MAX_SESSIONS);
    assert!(!l.exceeded(l.max_sessions, l.max_bytes));
    assert!(l.exceeded(l.max_sessions + 1, 0));
    assert!(l.exceeded(0, l.max_bytes + 1));
}
