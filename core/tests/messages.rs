//! CONTRACT.md, "Mutable messages", mutable messages: a test per rule, retention, and the
//! thread test (100 threads appending to one message).

use socketio_history_core::{
    Action, Auth, GrantKind, Grants, HistoryError, HistoryStore, ManualClock, Patch, Payload,
    Query, RoomConfig, View,
};
use std::sync::Arc;
use std::time::Duration;

const NS: &str = "/";

fn store_with(config: RoomConfig) -> HistoryStore {
    let s = HistoryStore::new();
    s.enable(NS, "r", config).unwrap();
    s
}

fn store() -> HistoryStore {
    store_with(RoomConfig::default())
}

fn text(s: &str) -> Payload {
    Payload::text(s)
}

fn json(s: &str) -> Payload {
    Payload::from_json(s).unwrap()
}

fn server() -> Auth<'static> {
    Auth::server()
}

fn create(s: &HistoryStore, id: &str, data: Payload) -> u64 {
    s.create_message(NS, "r", "chat", data, Some(id), None)
        .unwrap()
        .seq
}

fn data_of(s: &HistoryStore, id: &str) -> Option<Payload> {
    s.get_message(NS, "r", id).unwrap().data
}

fn seqs(s: &HistoryStore) -> Vec<u64> {
    s.fetch(NS, "r", &Query::new())
        .iter()
        .map(|e| e.seq)
        .collect()
}

#[test]
fn a_create_is_an_entry_and_version_1() {
    let s = store();
    s.record(NS, "r", "plain", text("p"));
    let m = s
        .create_message(NS, "r", "chat", text("hi"), Some("m1"), Some("alice"))
        .unwrap();
    assert_eq!((m.seq, m.version, m.action), (2, 1, Action::Create));
    assert_eq!(m.message_id.as_str(), "m1");
    assert_eq!(m.notify_event(), None);
    assert_eq!(m.data, Some(text("hi")));
    let log = s.fetch(NS, "r", &Query::new());
    assert_eq!(log[0].message_id, None);
    assert_eq!(log[0].action, Action::Create);
    assert_eq!(log[1].message_id.as_ref().unwrap().as_str(), "m1");
    assert_eq!(log[1].version, Some(1));
    let got = s.get_message(NS, "r", "m1").unwrap();
    assert_eq!(got.owner.as_deref(), Some("alice"));
    assert_eq!((got.seq, got.last_seq, got.version), (2, 2, 1));
}

#[test]
fn ids_are_generated_unique_or_checked() {
    let s = store();
    let a = s
        .create_message(NS, "r", "chat", text("a"), None, None)
        .unwrap();
    let b = s
        .create_message(NS, "r", "chat", text("b"), None, None)
        .unwrap();
    assert_ne!(a.message_id, b.message_id);
    for bad in ["", "a b", &"x".repeat(129)] {
        let e = s
            .create_message(NS, "r", "chat", text("c"), Some(bad), None)
            .unwrap_err();
        assert_eq!(e.param(), Some("message_id"), "{bad:?}");
    }
    let e = s
        .create_message(
            NS,
            "r",
            "chat",
            text("c"),
            Some(a.message_id.as_str()),
            None,
        )
        .unwrap_err();
    assert_eq!(e.param(), Some("message_id"));
    assert_eq!(seqs(&s), [1, 2], "refused creates used no seq");
}

#[test]
fn update_keeps_clears_or_replaces_each_field() {
    let s = store();
    create(&s, "m", json(r#"{"t":"hi"}"#));
    let u = s
        .update_message(
            NS,
            "r",
            "m",
            Patch::Keep,
            Patch::Replace(text("")),
            &server(),
        )
        .unwrap();
    assert_eq!((u.version, u.action), (2, Action::Update));
    assert_eq!(u.notify_event().as_deref(), Some("history:update"));
    assert_eq!(u.data, Some(text("")), "\"\" is a value, not a clear");
    let u = s
        .update_message(
            NS,
            "r",
            "m",
            Patch::Replace("edited"),
            Patch::Keep,
            &server(),
        )
        .unwrap();
    assert_eq!(&*u.event, "edited");
    assert_eq!(u.data, Some(text("")), "kept");
    let u = s
        .update_message(NS, "r", "m", Patch::Keep, Patch::Clear, &server())
        .unwrap();
    assert_eq!(u.data, None);
    assert_eq!(data_of(&s, "m"), None);
    // None (JSON null) and CLEAR are the same: no data.
    let e = s
        .update_message(
            NS,
            "r",
            "m",
            Patch::Keep,
            Patch::Replace(json("null")),
            &server(),
        )
        .unwrap_err();
    assert_eq!(e.param(), Some("data"), "changes nothing");
    let m = s.get_message(NS, "r", "m").unwrap();
    assert_eq!((m.version, &*m.event), (4, "edited"));
}

#[test]
fn updates_that_change_nothing_are_errors_and_use_no_seq() {
    let s = store();
    create(&s, "m", text("a"));
    for (event, data) in [
        (Patch::Keep, Patch::Keep),
        (Patch::Replace("chat"), Patch::Keep),
        (Patch::Keep, Patch::Replace(text("a"))),
        (Patch::Replace("chat"), Patch::Replace(text("a"))),
    ] {
        let e = s
            .update_message(NS, "r", "m", event, data, &server())
            .unwrap_err();
        assert!(matches!(e, HistoryError::InvalidArgument { .. }), "{e}");
    }
    let e = s
        .update_message(NS, "r", "m", Patch::Clear, Patch::Keep, &server())
        .unwrap_err();
    assert_eq!(e.param(), Some("event"));
    assert_eq!(seqs(&s), [1]);
    assert_eq!(s.get_message(NS, "r", "m").unwrap().version, 1);
}

#[test]
fn versions_are_integers() {
    let s = store();
    create(&s, "m", text(""));
    for i in 0..11 {
        s.append_message(NS, "r", "m", &i.to_string(), false, &server())
            .unwrap();
    }
    let m = s.get_message(NS, "r", "m").unwrap();
    assert_eq!(m.version, 12);
    assert_eq!(m.data, Some(text("012345678910")));
    let v = s.message_versions(NS, "r", "m", 100).unwrap();
    let versions: Vec<u64> = v.iter().map(|e| e.version.unwrap()).collect();
    assert_eq!(
        versions,
        (1..=12).rev().collect::<Vec<_>>(),
        "newest first, 10 > 9"
    );
    assert_eq!(v[0].payload, text("10"), "append entries hold the fragment");
    assert_eq!(s.message_versions(NS, "r", "m", 3).unwrap().len(), 3);
}

#[test]
fn seq_stays_gap_free_across_mixed_operations() {
    let s = store();
    s.record(NS, "r", "plain", text("1"));
    create(&s, "m", text("a"));
    s.record(NS, "r", "plain", text("3"));
    s.append_message(NS, "r", "m", "b", false, &server())
        .unwrap();
    assert!(s
        .append_message(NS, "r", "nope", "x", false, &server())
        .is_err());
    s.update_message(
        NS,
        "r",
        "m",
        Patch::Keep,
        Patch::Replace(text("z")),
        &server(),
    )
    .unwrap();
    s.delete_message(NS, "r", "m", &server()).unwrap();
    s.record(NS, "r", "plain", text("7"));
    assert_eq!(seqs(&s), [1, 2, 3, 4, 5, 6, 7]);
    let actions: Vec<Action> = s
        .fetch(NS, "r", &Query::new())
        .iter()
        .map(|e| e.action)
        .collect();
    use Action::*;
    assert_eq!(
        actions,
        [Create, Create, Create, Append, Update, Delete, Create]
    );
}

#[test]
fn appends_concatenate_from_text_or_no_data() {
    let s = store();
    create(&s, "a", text("Hel"));
    create(&s, "b", json("null"));
    let m = s
        .append_message(NS, "r", "a", "lo", false, &server())
        .unwrap();
    assert_eq!(m.fragment.as_deref(), Some("lo"));
    assert_eq!(m.notify_event().as_deref(), Some("history:append"));
    assert!(!m.is_final);
    s.append_message(NS, "r", "b", "x", false, &server())
        .unwrap();
    assert_eq!(data_of(&s, "a"), Some(text("Hello")));
    assert_eq!(data_of(&s, "b"), Some(text("x")));
    assert!(s.get_message(NS, "r", "a").unwrap().streaming);
}

#[test]
fn append_rules() {
    let s = store();
    create(&s, "m", text(""));
    create(&s, "obj", json(r#"{"a":1}"#));
    let invalid =
        |e: HistoryError| assert!(matches!(e, HistoryError::InvalidArgument { .. }), "{e}");
    invalid(
        s.append_message(NS, "r", "m", "", false, &server())
            .unwrap_err(),
    );
    invalid(
        s.append_message(NS, "r", "obj", "x", false, &server())
            .unwrap_err(),
    );
    // A final append may be empty; it closes the stream.
    let fin = s.append_message(NS, "r", "m", "", true, &server()).unwrap();
    assert!(fin.is_final);
    let m = s.get_message(NS, "r", "m").unwrap();
    assert!(m.is_final && !m.streaming);
    invalid(
        s.append_message(NS, "r", "m", "x", false, &server())
            .unwrap_err(),
    );
    invalid(
        s.append_message(NS, "r", "m", "", true, &server())
            .unwrap_err(),
    );
    // A closed message can still be edited.
    s.update_message(
        NS,
        "r",
        "m",
        Patch::Keep,
        Patch::Replace(text("done")),
        &server(),
    )
    .unwrap();
    // A deleted one cannot be appended to (its data was cleared, but it is
    // not a fresh string).
    create(&s, "d", text("x"));
    s.delete_message(NS, "r", "d", &server()).unwrap();
    invalid(
        s.append_message(NS, "r", "d", "y", false, &server())
            .unwrap_err(),
    );
    invalid(
        s.update_message(
            NS,
            "r",
            "d",
            Patch::Keep,
            Patch::Replace(text("y")),
            &server(),
        )
        .unwrap_err(),
    );
    invalid(s.delete_message(NS, "r", "d", &server()).unwrap_err());
}

#[test]
fn append_limits_are_checked_under_the_lock() {
    let s = store_with(
        RoomConfig::default()
            .max_message_bytes(6)
            .max_appends(3)
            .max_open_streams(2)
            .max_entries(1000),
    );
    create(&s, "m", text("é")); // 2 bytes
    s.append_message(NS, "r", "m", "éé", false, &server()) // 6 bytes
        .unwrap();
    let e = s
        .append_message(NS, "r", "m", "x", false, &server())
        .unwrap_err();
    assert_eq!(e.param(), Some("max_message_bytes"));
    assert!(matches!(e, HistoryError::TooLarge { .. }));
    // The data of a create counts too.
    let e = s
        .create_message(NS, "r", "chat", text("1234567"), Some("big"), None)
        .unwrap_err();
    assert_eq!(e.param(), Some("max_message_bytes"));
    // Count: three appends, then no more (a final empty one still closes).
    create(&s, "n", text(""));
    for _ in 0..3 {
        s.append_message(NS, "r", "n", "a", false, &server())
            .unwrap();
    }
    let e = s
        .append_message(NS, "r", "n", "a", false, &server())
        .unwrap_err();
    assert_eq!(e.param(), Some("max_appends"));
    // Open streams: m and n are open; a third is refused, until one closes.
    create(&s, "o", text(""));
    let e = s
        .append_message(NS, "r", "o", "a", false, &server())
        .unwrap_err();
    assert_eq!(e.param(), Some("max_open_streams"));
    s.append_message(NS, "r", "n", "", true, &server()).unwrap();
    s.append_message(NS, "r", "o", "a", false, &server())
        .unwrap();
    // A delete closes a stream too.
    s.delete_message(NS, "r", "m", &server()).unwrap();
    create(&s, "p", text(""));
    s.append_message(NS, "r", "p", "a", false, &server())
        .unwrap();
    assert_eq!(s.stats(NS, "r").messages, 4);
}

#[test]
fn a_room_without_history_and_unknown_messages_are_told_apart() {
    let s = store();
    let not_enabled = s
        .create_message(NS, "other", "chat", text("x"), None, None)
        .unwrap_err();
    assert!(matches!(not_enabled, HistoryError::NotEnabled { .. }));
    for e in [
        s.get_message(NS, "other", "m").unwrap_err(),
        s.append_message(NS, "other", "m", "x", false, &server())
            .unwrap_err(),
        s.message_versions(NS, "other", "m", 1).unwrap_err(),
    ] {
        assert!(matches!(e, HistoryError::NotEnabled { .. }), "{e}");
    }
    for e in [
        s.get_message(NS, "r", "m").unwrap_err(),
        s.update_message(NS, "r", "m", Patch::Keep, Patch::Clear, &server())
            .unwrap_err(),
        s.delete_message(NS, "r", "m", &server()).unwrap_err(),
        s.message_versions(NS, "r", "m", 1).unwrap_err(),
    ] {
        assert!(matches!(e, HistoryError::NotFound { .. }), "{e}");
    }
}

#[test]
fn delete_redacts_every_read() {
    let s = store();
    create(&s, "m", text("secret"));
    s.append_message(NS, "r", "m", " more", false, &server())
        .unwrap();
    s.update_message(
        NS,
        "r",
        "m",
        Patch::Keep,
        Patch::Replace(text("edited secret")),
        &server(),
    )
    .unwrap();
    create(&s, "keep", text("visible"));
    let d = s.delete_message(NS, "r", "m", &server()).unwrap();
    assert_eq!(
        (d.action, d.version, d.data.clone()),
        (Action::Delete, 4, None)
    );
    assert_eq!(d.notify_event().as_deref(), Some("history:delete"));
    let no_secret = |entries: &[socketio_history_core::HistoryEntry]| {
        for e in entries {
            assert!(!e.payload.to_json().contains("secret"), "{e:?}");
            assert!(!e.payload.to_json().contains("more"), "{e:?}");
        }
    };
    let log = s.fetch(NS, "r", &Query::new());
    no_secret(&log);
    let redacted: Vec<bool> = log.iter().map(|e| e.redacted).collect();
    assert_eq!(redacted, [true, true, true, false, false]);
    assert_eq!(log[0].payload.to_json(), "null");
    no_secret(&s.fetch(NS, "r", &Query::new().view(View::Latest)));
    no_secret(&s.message_versions(NS, "r", "m", 100).unwrap());
    no_secret(&s.page(NS, "r", &Query::new(), None).entries);
    let m = s.get_message(NS, "r", "m").unwrap();
    assert!(m.deleted && m.data.is_none());
    // Only the visible message's data is held.
    assert_eq!(s.stats(NS, "r").bytes, 4 + 4 + 4 + "visible".len() * 2 + 4);
}

#[test]
fn the_latest_view_shows_each_message_once_in_create_order() {
    let s = store();
    s.record(NS, "r", "plain", text("p1")); // 1
    create(&s, "a", text("A")); // 2
    create(&s, "b", text("B")); // 3
    s.record(NS, "r", "plain", text("p4")); // 4
    s.append_message(NS, "r", "a", "a", false, &server()) // 5
        .unwrap();
    s.update_message(NS, "r", "b", Patch::Replace("note"), Patch::Keep, &server()) // 6
        .unwrap();
    create(&s, "c", text("C")); // 7
    s.delete_message(NS, "r", "c", &server()).unwrap(); // 8
    let latest = s.fetch(NS, "r", &Query::new().view(View::Latest));
    let got: Vec<(u64, &str, String, bool)> = latest
        .iter()
        .map(|e| (e.seq, &*e.event, e.payload.to_json(), e.deleted))
        .collect();
    assert_eq!(
        got,
        [
            (1, "plain", "\"p1\"".to_owned(), false),
            (2, "chat", "\"Aa\"".to_owned(), false),
            (3, "note", "\"B\"".to_owned(), false),
            (4, "plain", "\"p4\"".to_owned(), false),
            (7, "chat", "null".to_owned(), true),
        ]
    );
    assert_eq!(latest[1].version, Some(2));
    assert_eq!(latest[1].action, Action::Append);
    // limit counts what is returned; has_more tells of older ones.
    let page = s.page(
        NS,
        "r",
        &Query::new().view(View::Latest).limit(Some(2)),
        None,
    );
    let seqs: Vec<u64> = page.entries.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [4, 7]);
    assert!(page.has_more);
    // Filters match the latest event name; cursors the create's place.
    let notes = s.fetch(
        NS,
        "r",
        &Query::new().view(View::Latest).include_events(["note"]),
    );
    assert_eq!(notes.len(), 1);
    let chats = s.fetch(
        NS,
        "r",
        &Query::new()
            .view(View::Latest)
            .exclude_events(["plain", "note"]),
    );
    assert_eq!(chats.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 7]);
    let after = s.fetch(
        NS,
        "r",
        &Query::new()
            .view(View::Latest)
            .since_seq(Some(2))
            .before_seq(Some(7)),
    );
    assert_eq!(after.iter().map(|e| e.seq).collect::<Vec<_>>(), [3, 4]);
    // The replay view leaves the deleted message out before counting.
    let replay = s.fetch(NS, "r", &Query::new().view(View::Replay).limit(Some(2)));
    assert_eq!(replay.iter().map(|e| e.seq).collect::<Vec<_>>(), [3, 4]);
    let replay = s.fetch(NS, "r", &Query::new().view(View::Replay));
    assert!(replay.iter().all(|e| !e.deleted) && replay.len() == 4);
    // A cap cuts latest data like any payload.
    let capped = s.fetch(
        NS,
        "r",
        &Query::new().view(View::Latest).payload_size_cap(Some(1)),
    );
    assert_eq!(capped[1].payload, text("A"));
    assert!(capped[1].truncated);
}

#[test]
fn a_message_lives_while_any_of_its_entries_is_retained() {
    let s = store_with(RoomConfig::default().max_entries(3));
    create(&s, "m", text("a")); // 1
    for f in ["b", "c", "d"] {
        s.append_message(NS, "r", "m", f, false, &server()).unwrap();
    }
    // The create (seq 1) is evicted, the stream goes on.
    assert_eq!(seqs(&s), [2, 3, 4]);
    assert_eq!(data_of(&s, "m"), Some(text("abcd")));
    s.append_message(NS, "r", "m", "e", true, &server())
        .unwrap();
    let latest = s.fetch(NS, "r", &Query::new().view(View::Latest));
    assert_eq!(latest.len(), 1);
    assert_eq!(
        (latest[0].seq, latest[0].payload.clone()),
        (1, text("abcde"))
    );
    // All of its entries evicted: gone.
    for i in 0..3 {
        s.record(NS, "r", "plain", text(&i.to_string()));
    }
    assert!(matches!(
        s.get_message(NS, "r", "m").unwrap_err(),
        HistoryError::NotFound { .. }
    ));
    assert_eq!(s.stats(NS, "r").messages, 0);
    assert_eq!(s.fetch(NS, "r", &Query::new().view(View::Latest)).len(), 3);
    // Its id may be used again.
    create(&s, "m", text("new"));
}

#[test]
fn expiry_and_clear_end_messages_too() {
    let clock = Arc::new(ManualClock::new(1_700_000_000.0));
    let s = HistoryStore::builder()
        .clock(clock.clone())
        .build()
        .unwrap();
    s.enable(
        NS,
        "r",
        RoomConfig::default().retention(Some(Duration::from_secs(10))),
    )
    .unwrap();
    create(&s, "m", text("a"));
    clock.advance(Duration::from_secs(6));
    s.append_message(NS, "r", "m", "b", false, &server())
        .unwrap();
    clock.advance(Duration::from_secs(6));
    assert_eq!(data_of(&s, "m"), Some(text("ab")), "its append is young");
    clock.advance(Duration::from_secs(6));
    assert!(s.get_message(NS, "r", "m").is_err());
    create(&s, "n", text("x"));
    s.append_message(NS, "r", "n", "y", false, &server())
        .unwrap();
    assert_eq!(s.clear(NS, "r"), 2);
    assert!(s.get_message(NS, "r", "n").is_err());
    // The open stream was closed by the clear: the limit does not leak.
    assert_eq!(s.stats(NS, "r").messages, 0);
}

#[test]
fn byte_accounting_includes_the_held_state() {
    let s = HistoryStore::builder()
        .max_total_bytes(Some(1 << 20))
        .build()
        .unwrap();
    s.enable(NS, "r", RoomConfig::default().max_entries(10_000))
        .unwrap();
    create(&s, "m", text(""));
    let base = s.total_bytes();
    for _ in 0..100 {
        s.append_message(NS, "r", "m", "0123456789", false, &server())
            .unwrap();
    }
    // 1,000 bytes of text: held once in the state and once as fragments.
    assert_eq!(s.stats(NS, "r").bytes, 2000);
    assert!(s.total_bytes() >= base + 2000);
    s.disable(NS, "r");
    assert_eq!(s.total_bytes(), 0);
    // A room byte bound counts states: older entries make way for them...
    let s = store_with(RoomConfig::default().max_bytes(Some(30)));
    create(&s, "m", text("0123456789")); // entry 10 + state 10
    s.append_message(NS, "r", "m", "0123456", false, &server())
        .unwrap(); // + entry 7, state 17: the create goes
    assert_eq!(seqs(&s), [2]);
    assert_eq!(s.stats(NS, "r").bytes, 7 + 17);
    // ...and what could not be held even alone is refused.
    let e = s
        .append_message(NS, "r", "m", "0123456789", false, &server())
        .unwrap_err();
    assert_eq!(e.param(), Some("max_bytes"));
    assert_eq!(s.stats(NS, "r").bytes, 24);
}

#[test]
fn a_long_stream_costs_memory_linear_in_its_text() {
    let held = |appends: usize| {
        let s = store_with(RoomConfig::default().max_entries(10_000));
        create(&s, "m", text(""));
        for _ in 0..appends {
            s.append_message(NS, "r", "m", "token ", false, &server())
                .unwrap();
        }
        let st = s.stats(NS, "r");
        assert_eq!(data_of(&s, "m").unwrap().size(), appends * 6);
        st.bytes
    };
    let (small, big) = (held(512), held(4096));
    assert_eq!(small, 2 * 512 * 6);
    assert_eq!(big, 2 * 4096 * 6, "fragments + the state once: linear");
}

#[test]
fn authorization_is_checked_against_the_owner() {
    let s = store();
    s.create_message(NS, "r", "chat", text("hi"), Some("m"), Some("alice"))
        .unwrap();
    create(&s, "anon", text("x"));
    let mut own = Grants::new();
    own.allow(GrantKind::UpdateOwn, "*").unwrap();
    own.allow(GrantKind::AppendOwn, "r").unwrap();
    let alice = Auth::actor("alice", &own).unwrap();
    let bob = Auth::actor("bob", &own).unwrap();
    let upd = |a: &Auth<'_>, id: &str, v: &str| {
        s.update_message(NS, "r", id, Patch::Keep, Patch::Replace(text(v)), a)
    };
    upd(&alice, "m", "edited").unwrap();
    assert!(matches!(
        upd(&bob, "m", "x").unwrap_err(),
        HistoryError::Forbidden(_)
    ));
    assert!(matches!(
        upd(&alice, "anon", "x").unwrap_err(),
        HistoryError::Forbidden(_)
    ));
    assert!(matches!(
        s.delete_message(NS, "r", "m", &alice).unwrap_err(),
        HistoryError::Forbidden(_)
    ));
    let mut any = Grants::new();
    any.allow(GrantKind::DeleteAny, "r*").unwrap();
    let moderator = Auth::actor("mod", &any).unwrap();
    s.delete_message(NS, "r", "anon", &moderator).unwrap();
    // A refused operation used no seq.
    assert_eq!(seqs(&s), [1, 2, 3, 4]);
    // Not found comes before the grant check? No: an unknown message is
    // not found whoever asks.
    assert!(matches!(
        upd(&bob, "nope", "x").unwrap_err(),
        HistoryError::NotFound { .. }
    ));
}

#[test]
fn recovery_log_entries_of_a_deleted_message_lose_their_data() {
    use socketio_history_core::{log_config, Delivery, ResumePoint};
    let s = store();
    s.enable_log(NS, log_config(Duration::from_secs(60), None))
        .unwrap();
    let (epoch, connect_seq) = s.log_position(NS).unwrap();
    let room = |p: Payload| (p, Delivery::new(Some(["r"]), [""; 0]));
    let c = s
        .create_message(NS, "r", "chat", text("secret"), Some("m"), None)
        .unwrap();
    let (p, d) = room(c.data.unwrap());
    s.record_log_message(NS, "chat", p, d, "r", "m", None)
        .unwrap();
    let (p, d) = room(text("unrelated"));
    s.record_log(NS, "chat", p, d);
    s.delete_message(NS, "r", "m", &server()).unwrap();
    let (p, d) = room(json(r#"{"message_id":"m","action":"delete"}"#));
    s.record_log_message(NS, "history:delete", p, d, "r", "m", None)
        .unwrap();
    let point = ResumePoint {
        epoch,
        connect_seq,
        sent: vec![],
        sent_base: connect_seq,
        disconnect_seq: connect_seq,
    };
    let missed = s.resume(NS, &point, None, &["r", "sid"]).unwrap();
    let events: Vec<String> = missed.iter().map(|e| e.payload.to_json()).collect();
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0], "\"unrelated\"");
    assert!(events[1].contains("delete"));
}

#[test]
fn a_hundred_threads_append_each_fragment_once() {
    let s = Arc::new(store_with(RoomConfig::default().max_entries(10_000)));
    create(&s, "m", text(""));
    let threads: Vec<_> = (0..100)
        .map(|t| {
            let s = s.clone();
            std::thread::spawn(move || {
                for i in 0..10 {
                    s.append_message(NS, "r", "m", &format!("<{t}.{i}>"), false, &Auth::server())
                        .unwrap();
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    let m = s.get_message(NS, "r", "m").unwrap();
    assert_eq!(m.version, 1001);
    let text = m.data.unwrap().as_text().unwrap().to_owned();
    // The text is the fragments in log order, each once.
    let log = s.fetch(NS, "r", &Query::new().since_seq(Some(1)));
    let folded: String = log
        .iter()
        .map(|e| e.payload.as_text().unwrap().to_owned())
        .collect();
    assert_eq!(folded, text);
    for t in 0..100 {
        for i in 0..10 {
            assert_eq!(text.matches(&format!("<{t}.{i}>")).count(), 1);
        }
    }
    let versions: Vec<u64> = log.iter().map(|e| e.version.unwrap()).collect();
    assert_eq!(versions, (2..=1001).collect::<Vec<_>>());
}

#[test]
fn a_checked_operation_says_what_it_would_do_and_changes_nothing() {
    let s = HistoryStore::new();
    s.enable(NS, "r", RoomConfig::default()).unwrap();
    let c = s
        .check_create_message(NS, "r", "chat", text("hi"), Some("m"), None)
        .unwrap();
    assert_eq!((c.version, c.seq), (1, 1));
    assert_eq!(s.last_seq(NS, "r"), Some(0), "a check records nothing");
    assert!(s.get_message(NS, "r", "m").is_err());
    s.create_message(NS, "r", "chat", text("hi"), Some("m"), None)
        .unwrap();
    let u = s
        .check_update_message(
            NS,
            "r",
            "m",
            Patch::Keep,
            Patch::Replace(text("yo")),
            &server(),
        )
        .unwrap();
    assert_eq!((u.version, u.seq), (2, 2));
    let a = s
        .check_append_message(NS, "r", "m", "!", false, &server())
        .unwrap();
    assert_eq!(a.version, 2);
    let d = s.check_delete_message(NS, "r", "m", &server()).unwrap();
    assert_eq!(d.action, socketio_history_core::Action::Delete);
    let m = s.get_message(NS, "r", "m").unwrap();
    assert_eq!((m.version, m.deleted), (1, false), "nothing applied");
    // A check refuses what the operation would refuse.
    assert!(s
        .check_create_message(NS, "r", "chat", text("again"), Some("m"), None)
        .is_err());
    assert!(s.check_delete_message(NS, "r", "nope", &server()).is_err());
    assert_eq!(s.last_seq(NS, "r"), Some(1));
}
