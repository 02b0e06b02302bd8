//! Socket.IO EVENT packets encoded straight from stored payloads: what a
//! server sends to replay an entry, with no object built for it and no JSON
//! encoder run over it.
//!
//! The text is the Socket.IO v5 packet (`2/ns,["event",arg,...]`, or
//! `5N-/ns,[...]` with `N` binary attachments as placeholders), the same
//! bytes a server's own encoder writes for the same emit in the chosen
//! [`JsonStyle`]; each attachment then goes out as a binary Engine.IO
//! message of its own, in order.

use crate::delivery::Delivery;
use crate::payload::{Payload, PayloadKind};
use crate::query::Query;
use crate::recovery::Offset;
use crate::slot::Key;
use crate::store::HistoryStore;
use crate::value::{render_value, write_str, JsonStyle, Token};

/// One encoded EVENT packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventPacket {
    /// The packet's text (the first Engine.IO message).
    pub text: String,
    /// Binary attachments, in placeholder order (one message each).
    pub attachments: Vec<Vec<u8>>,
    /// The connection state recovery offset it carries, if it was logged.
    pub offset: Option<Offset>,
}

/// The EVENT packet that emits `payload` as `event` to `namespace`, with
/// `last_arg` (a connection state recovery offset) as one more string
/// argument. The payload's arguments are what the emit had: a text or binary
/// payload one argument, several arguments each one, and a `null` value
/// none (an emit without data).
pub fn event_packet(
    namespace: &str,
    event: &str,
    payload: &Payload,
    last_arg: Option<&str>,
    style: JsonStyle,
) -> EventPacket {
    let mut out: Vec<u8> = Vec::with_capacity(payload.size() + event.len() + namespace.len() + 8);
    out.push(b'2');
    if namespace != "/" {
        out.extend_from_slice(namespace.as_bytes());
        out.push(b',');
    }
    out.push(b'[');
    write_str(&mut out, event, style);
    let mut attachments = Vec::new();
    match payload.kind() {
        PayloadKind::Text => {
            out.push(b',');
            write_str(&mut out, payload.as_text().unwrap_or_default(), style);
        }
        PayloadKind::Bytes => {
            out.extend_from_slice(b",{\"_placeholder\":true,\"num\":0}");
            attachments.push(payload.as_bytes().unwrap_or_default().to_vec());
        }
        PayloadKind::Value | PayloadKind::Args => {
            if let Some(mut tokens) = payload.tokens() {
                let args = match tokens.clone().next() {
                    Some(Token::List(n)) if payload.kind() == PayloadKind::Args => {
                        tokens.next();
                        n
                    }
                    Some(Token::Null) => 0,
                    _ => 1,
                };
                for _ in 0..args {
                    out.push(b',');
                    render_value(
                        &mut tokens,
                        &mut out,
                        &mut |b| {
                            attachments.push(b.to_vec());
                            attachments.len() - 1
                        },
                        style,
                    );
                }
            }
        }
    }
    if let Some(arg) = last_arg {
        out.push(b',');
        write_str(&mut out, arg, style);
    }
    out.push(b']');
    if !attachments.is_empty() {
        let header = format!("5{}-", attachments.len());
        out.splice(0..1, header.bytes());
    }
    EventPacket {
        // Every piece written is valid UTF-8 (`&str`s, escapes and ASCII).
        text: String::from_utf8(out).unwrap_or_default(),
        attachments,
        offset: None,
    }
}

impl HistoryStore {
    /// The packets that replay a room's entries selected by `query` to one
    /// client, `sid`, in order. With `log`, each is first recorded in the
    /// namespace's recovery log (if it has one) as an emit to `sid`, and
    /// carries its offset as its last argument, as a live emit would: a
    /// client that drops in the middle of a replay resumes from there.
    pub fn replay_packets(
        &self,
        namespace: &str,
        room: &str,
        query: &Query,
        sid: &str,
        log: bool,
        style: JsonStyle,
    ) -> Vec<EventPacket> {
        if !log {
            // Encoded under the room's lock, straight from the stored form.
            let now = self.now_nanos();
            let mut out = Vec::new();
            self.with_room(namespace, Key::Room(room), |r| {
                r.expire(now);
                r.visit(query, |e| {
                    out.push(event_packet(namespace, e.event, &e.payload, None, style));
                    true
                });
            });
            return out;
        }
        // Each entry is copied into the log: read them as copies.
        let entries = self.fetch(namespace, room, query);
        entries
            .into_iter()
            .map(|e| {
                let to = Delivery::new(Some([sid]), None::<&str>);
                let offset = self.record_log(namespace, &e.event, e.payload.clone(), to);
                let text = offset.map(|o| o.to_string());
                let mut pkt = event_packet(namespace, &e.event, &e.payload, text.as_deref(), style);
                pkt.offset = offset;
                pkt
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::ValueWriter;

    fn text(ns: &str, event: &str, p: &Payload, last: Option<&str>) -> String {
        event_packet(ns, event, p, last, JsonStyle::PythonAscii).text
    }

    #[test]
    fn each_payload_kind_is_its_arguments() {
        assert_eq!(
            text("/", "chat", &Payload::text("hi"), None),
            r#"2["chat","hi"]"#
        );
        assert_eq!(text("/", "tick", &Payload::null(), None), r#"2["tick"]"#);
        let args = Payload::args_from_json(r#"[1,"two",null]"#).unwrap();
        assert_eq!(text("/", "e", &args, None), r#"2["e",1,"two",null]"#);
        let list = Payload::from_json("[1,2]").unwrap();
        assert_eq!(text("/", "e", &list, None), r#"2["e",[1,2]]"#);
        let none = Payload::args_from_json("[]").unwrap();
        assert_eq!(text("/", "e", &none, Some("o")), r#"2["e","o"]"#);
    }

    #[test]
    fn namespace_and_offset() {
        let p = Payload::from_json(r#"{"a":1.0}"#).unwrap();
        assert_eq!(
            text("/chat", "m", &p, Some("E-1")),
            r#"2/chat,["m",{"a":1.0},"E-1"]"#
        );
    }

    #[test]
    fn binary_leaves_become_attachments_in_order() {
        let mut w = ValueWriter::new();
        w.begin_map(2).unwrap();
        w.key("a").unwrap();
        w.bytes(b"one").unwrap();
        w.key("b").unwrap();
        w.bytes(b"two").unwrap();
        let p = Payload::from_writer(w).unwrap();
        let pkt = event_packet("/x", "f", &p, Some("o"), JsonStyle::PythonAscii);
        assert_eq!(
            pkt.text,
            r#"52-/x,["f",{"a":{"_placeholder":true,"num":0},"b":{"_placeholder":true,"num":1}},"o"]"#
        );
        assert_eq!(pkt.attachments, [b"one".to_vec(), b"two".to_vec()]);
        // Numbered across arguments, as one packet's attachments.
        let mut w = ValueWriter::args(2);
        w.bytes(b"a").unwrap();
        w.bytes(b"b").unwrap();
        let two = Payload::from_writer(w).unwrap();
        let pkt = event_packet("/", "f", &two, None, JsonStyle::PythonAscii);
        assert_eq!(
            pkt.text,
            r#"52-["f",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#
        );
        let raw = Payload::bytes(b"\x00\x01");
        let pkt = event_packet("/", "f", &raw, None, JsonStyle::Compact);
        assert_eq!(pkt.text, r#"51-["f",{"_placeholder":true,"num":0}]"#);
        assert_eq!(pkt.attachments, [b"\x00\x01".to_vec()]);
    }

    #[test]
    fn python_style_escapes_non_ascii_and_writes_floats_as_repr() {
        let p = Payload::text("é\u{1F600}\"\\\n\u{7f}\u{1}");
        assert_eq!(
            text("/", "ü", &p, None),
            r#"2["\u00fc","\u00e9\ud83d\ude00\"\\\n\u007f\u0001"]"#
        );
        let compact = event_packet("/", "ü", &p, None, JsonStyle::Compact).text;
        assert_eq!(compact, "2[\"ü\",\"é\u{1F600}\\\"\\\\\\n\u{7f}\\u0001\"]");
        let cases = [
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (-2.5, "-2.5"),
            (100.0, "100.0"),
            (0.1, "0.1"),
            (-0.0, "-0.0"),
            (123456789.125, "123456789.125"),
            (1.2345678901234568e17, "1.2345678901234568e+17"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for (v, want) in cases {
            let mut w = ValueWriter::new();
            w.float(v).unwrap();
            let p = Payload::from_writer(w).unwrap();
            assert_eq!(text("/", "f", &p, None), format!(r#"2["f",{want}]"#), "{v}");
        }
    }
}
