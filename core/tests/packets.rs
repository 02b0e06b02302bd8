//! Replays as Socket.IO packets (`HistoryStore::replay_packets`): the same
//! entries a replay read selects, each encoded by `event_packet`, with and
//! without the recovery log.

use socketio_history_core::{
    event_packet, log_config, Auth, HistoryStore, JsonStyle, Offset, Payload, Query, ResumePoint,
    RoomConfig, View,
};
use std::time::Duration;

const NS: &str = "/chat";
const STYLE: JsonStyle = JsonStyle::PythonAscii;

fn room_with_messages() -> HistoryStore {
    let s = HistoryStore::new();
    s.enable(NS, "r", RoomConfig::default().payload_size_cap(Some(4)))
        .unwrap();
    s.record(NS, "r", "plain", Payload::from_json(r#"{"n":1}"#).unwrap());
    s.create_message(NS, "r", "answer", Payload::text("Hel"), Some("m1"), None)
        .unwrap();
    s.append_message(NS, "r", "m1", "lo", false, &Auth::server())
        .unwrap();
    s.create_message(NS, "r", "gone", Payload::text("x"), Some("m2"), None)
        .unwrap();
    s.delete_message(NS, "r", "m2", &Auth::server()).unwrap();
    s.record(NS, "r", "plain", Payload::text("last"));
    s
}

fn replay() -> Query {
    Query::new().view(View::Replay).whole_payloads()
}

#[test]
fn a_replay_is_the_replay_read_encoded() {
    let s = room_with_messages();
    let q = replay();
    let expected: Vec<String> = s
        .fetch(NS, "r", &q)
        .iter()
        .map(|e| event_packet(NS, &e.event, &e.payload, None, STYLE).text)
        .collect();
    assert_eq!(
        expected,
        [
            r#"2/chat,["plain",{"n":1}]"#,
            r#"2/chat,["answer","Hello"]"#,
            r#"2/chat,["plain","last"]"#,
        ]
    );
    let packets = s.replay_packets(NS, "r", &q, "sid", false, STYLE);
    let texts: Vec<String> = packets.iter().map(|p| p.text.clone()).collect();
    assert_eq!(texts, expected);
    assert!(packets.iter().all(|p| p.offset.is_none()));
    // Without a log to record into, asking for one changes nothing.
    let asked = s.replay_packets(NS, "r", &q, "sid", true, STYLE);
    assert_eq!(asked, packets);
    // A read's cap applies to the packets as it does to the read.
    let capped = s.replay_packets(
        NS,
        "r",
        &Query::new().view(View::Replay),
        "sid",
        false,
        STYLE,
    );
    assert_eq!(capped[1].text, r#"2/chat,["answer","Hell"]"#);
    assert!(s
        .replay_packets(NS, "nowhere", &q, "sid", false, STYLE)
        .is_empty());
}

#[test]
fn a_logged_replay_records_each_packet_as_an_emit_to_the_client() {
    let s = room_with_messages();
    s.enable_log(NS, log_config(Duration::from_secs(60), None))
        .unwrap();
    let (epoch, before) = s.log_position(NS).unwrap();
    let packets = s.replay_packets(NS, "r", &replay(), "sid", true, STYLE);
    assert_eq!(packets.len(), 3);
    for (i, p) in packets.iter().enumerate() {
        let offset = p.offset.expect("logged");
        assert_eq!(offset, Offset::new(epoch, before + 1 + i as u64));
        assert!(p.text.ends_with(&format!(r#","{offset}"]"#)), "{}", p.text);
    }
    assert_eq!(s.log_position(NS).unwrap().1, before + 3);
    assert_eq!(s.log_stats(NS).entries_count, 3);
    // Logged as emits to that client only: another member of the room that
    // dropped meanwhile missed none of them.
    let point = ResumePoint {
        epoch,
        connect_seq: before,
        sent: Vec::new(),
        sent_base: before,
        disconnect_seq: before,
    };
    let missed = |member_of: &[&str]| s.resume(NS, &point, None, member_of).unwrap().len();
    assert_eq!(missed(&["sid"]), 3);
    assert_eq!(missed(&["other", "r"]), 0);
}
